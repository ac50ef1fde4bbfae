/*
 * Commands through a real watchd: racing dispatches (exactly one wins),
 * the rules of the floor with their error codes, and the promise that a
 * refused command changes nothing while every accepted one is an event
 * (the snapshot always equals the journal folded by topic).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-hub.h"

#define WAIT TEST_HUB_WAIT_MS

TEST_HUB_SETUP("control")

static json_int_t
snapshot_seq(struct test_hub *h)
{
	json_t *snap = test_hub_snapshot(h);
	json_int_t seq;

	assert_non_null(snap);
	seq = test_jint(snap, "seq");
	json_decref(snap);
	return seq;
}


/*
 * OP by USER must be refused with CODE, and change nothing: the hub's seq
 * is the same after the reply (which comes after any commit). The message
 * (caller frees) is returned for further checks.
 */
static char *
refused(struct test_hub *h, const char *user, const char *op, json_t *args,
    const char *code)
{
	json_int_t before = snapshot_seq(h);
	json_t *r = test_hub_call_timeout(h, user, op, args, WAIT);

	if (r == NULL)
		fail_msg("%s by %s: no reply", op, user);
	if (json_is_true(json_object_get(r, "ok")))
		fail_msg("%s by %s was accepted; expected %s", op, user, code);
	if (test_jstr(r, "error.code") == NULL || strcmp(test_jstr(r, "error.code"), code) != 0)
		fail_msg("%s by %s: code %s (%s); expected %s", op, user,
		    test_jstr(r, "error.code"), test_jstr(r, "error.message"), code);
	const char *msg = test_jstr(r, "error.message");
	assert_non_null(msg);
	/* A sentence for people (argument errors quote the field table). */
	assert_true(strlen(msg) > 10);
	if (strcmp(code, "invalid") != 0 && msg[strlen(msg) - 1] != '.')
		fail_msg("%s: the message is not a sentence: %s", code, msg);
	char *copy = strdup(msg);
	json_decref(r);
	assert_int_equal(snapshot_seq(h), before);
	return copy;
}

static void
refused_(struct test_hub *h, const char *user, const char *op, json_t *args,
    const char *code)
{
	free(refused(h, user, op, args, code));
}

static json_t *
find(json_t *snap, const char *list, const char *id)
{
	json_t *o = test_jfind(json_object_get(snap, list), "id", id);

	if (o == NULL)
		fail_msg("no %s %s in the snapshot", list, id);
	return o;
}

/* Open a case as intake; its id (caller frees). */
static char *
open_case(struct test_hub *h, const char *title, const char *sector, int level)
{
	json_t *r = test_hub_ok(h, "chen", "open", json_pack("{s:s, s:s, s:s, s:i}", "title", title,
	    "org", "Example Utility", "sector", sector, "level", level));
	char *id = strdup(test_jstr(r, "case"));

	json_decref(r);
	return id;
}

static int
array_has(json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/*
 * The hub's state equals its journal folded by topic: every object is
 * exactly the body of its last event, and nothing else exists. This is
 * what lets a console build its replica from events.
 */
static void
assert_snapshot_is_journal(struct test_hub *h)
{
	json_t *journal = test_hub_journal(h, 0);
	json_t *snap = test_hub_snapshot(h);
	json_t *fold = json_object();
	size_t i;
	json_t *ev;

	assert_non_null(journal);
	assert_non_null(snap);
	json_array_foreach(journal, i, ev) {
		if (test_jint(ev, "body.seq") != (json_int_t)i + 1)
			fail_msg("journal entry %zu has seq %lld", i,
			    (long long)test_jint(ev, "body.seq"));
		test_apply_event(fold, test_jstr(ev, "topic"), json_object_get(ev, "body"));
	}
	assert_int_equal(test_jint(snap, "seq"), json_array_size(journal));
	json_t *objects = test_snapshot_objects(snap);
	test_assert_same_objects(objects, "the snapshot", fold, "the journal");
	json_decref(objects);
	json_decref(fold);
	json_decref(snap);
	json_decref(journal);
}

/* ------------------------------------------------------------------ */
/* 5. Two leads dispatch the same team at once: exactly one wins. */

static json_t *
recv_reply(void *sock)
{
	json_t *r;

	if (test_recv_reply(sock, &r, NULL, WAIT) != 0)
		fail_msg("no reply within %d ms", WAIT);
	return r;
}

static void
test_racing_dispatch(void **state)
{
	struct test_hub *h = *state;
	char id_m[32], id_h[32];

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *case_a = open_case(h, "Substation relay tampering", "energy", 3);
	char *case_b = open_case(h, "Pump station HMI defaced", "water", 2);
	void *dm = test_hub_dealer(h), *dh = test_hub_dealer(h);
	int wins_m = 0, wins_h = 0;

	for (int round = 0; round < 12; round++) {
		snprintf(id_m, sizeof id_m, "mori-%d", round);
		snprintf(id_h, sizeof id_h, "hayes-%d", round);
		json_t *args_m = json_pack("{s:s, s:s}", "team", "FLY-3", "case", case_a);
		json_t *args_h = json_pack("{s:s, s:s}", "team", "FLY-3", "case", case_b);
		/* Both on the wire before either reply is read. */
		if (round % 2 == 0) {
			assert_int_equal(test_send_request(dm, "mori", "dispatch", id_m, args_m), 0);
			assert_int_equal(test_send_request(dh, "hayes", "dispatch", id_h, args_h), 0);
		} else {
			assert_int_equal(test_send_request(dh, "hayes", "dispatch", id_h, args_h), 0);
			assert_int_equal(test_send_request(dm, "mori", "dispatch", id_m, args_m), 0);
		}
		json_t *rm = recv_reply(dm), *rh = recv_reply(dh);
		assert_string_equal(test_jstr(rm, "id"), id_m);
		assert_string_equal(test_jstr(rh, "id"), id_h);
		int okm = json_is_true(json_object_get(rm, "ok"));
		int okh = json_is_true(json_object_get(rh, "ok"));
		if (okm + okh != 1)
			fail_msg("round %d: %d dispatches of FLY-3 succeeded", round, okm + okh);
		json_t *loser = okm ? rh : rm;
		const char *winner_case = okm ? case_a : case_b;
		const char *loser_case = okm ? case_b : case_a;
		assert_string_equal(test_jstr(loser, "error.code"), "team_busy");
		assert_non_null(strstr(test_jstr(loser, "error.message"), "FLY-3"));
		assert_non_null(strstr(test_jstr(loser, "error.message"), winner_case));
		wins_m += okm;
		wins_h += okh;
		json_decref(rm);
		json_decref(rh);

		/* The team names the winner's case; only that case has the team. */
		json_t *snap = test_hub_snapshot(h);
		json_t *team = find(snap, "teams", "FLY-3");
		assert_string_equal(test_jstr(team, "status"), "dispatched");
		assert_string_equal(test_jstr(team, "case"), winner_case);
		assert_string_equal(test_jstr(team, "updated_by"), okm ? "mori" : "hayes");
		assert_true(array_has(json_object_get(find(snap, "cases", winner_case), "teams"),
		    "FLY-3"));
		assert_false(array_has(json_object_get(find(snap, "cases", loser_case), "teams"),
		    "FLY-3"));
		json_decref(snap);

		test_hub_ok_(h, "mori", "recall", json_pack("{s:s}", "team", "FLY-3"));
		test_hub_ok_(h, "hayes", "team", json_pack("{s:s, s:s}", "team", "FLY-3", "status",
		    "available"));
	}
	print_message("# racing dispatch: mori won %d, hayes won %d of 12\n", wins_m, wins_h);

	/* Close against dispatch on the same case: one wins, the other is
	 * refused with the code of the rule it hit. */
	for (int round = 0; round < 6; round++) {
		char title[64];
		snprintf(title, sizeof title, "Race case %d", round);
		char *c = open_case(h, title, "it", 1);
		snprintf(id_m, sizeof id_m, "dispatch-%d", round);
		snprintf(id_h, sizeof id_h, "close-%d", round);
		json_t *args_d = json_pack("{s:s, s:s}", "team", "FLY-4", "case", c);
		json_t *args_c = json_pack("{s:s}", "case", c);
		if (round % 2 == 0) {
			assert_int_equal(test_send_request(dm, "mori", "dispatch", id_m, args_d), 0);
			assert_int_equal(test_send_request(dh, "hayes", "close", id_h, args_c), 0);
		} else {
			assert_int_equal(test_send_request(dh, "hayes", "close", id_h, args_c), 0);
			assert_int_equal(test_send_request(dm, "mori", "dispatch", id_m, args_d), 0);
		}
		json_t *rd = recv_reply(dm), *rc = recv_reply(dh);
		int okd = json_is_true(json_object_get(rd, "ok"));
		int okc = json_is_true(json_object_get(rc, "ok"));
		if (okd + okc != 1)
			fail_msg("close/dispatch round %d: %d succeeded", round, okd + okc);
		json_t *snap = test_hub_snapshot(h);
		json_t *kase = find(snap, "cases", c);
		json_t *team = find(snap, "teams", "FLY-4");
		if (okd) {
			assert_string_equal(test_jstr(rc, "error.code"), "team_assigned");
			assert_string_not_equal(test_jstr(kase, "status"), "closed");
			assert_string_equal(test_jstr(team, "case"), c);
		} else {
			assert_string_equal(test_jstr(rd, "error.code"), "case_closed");
			assert_string_equal(test_jstr(kase, "status"), "closed");
			assert_string_equal(test_jstr(team, "status"), "available");
		}
		json_decref(snap);
		json_decref(rd);
		json_decref(rc);
		if (okd) {
			test_hub_ok_(h, "mori", "recall", json_pack("{s:s}", "team", "FLY-4"));
			test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-4", "status",
			    "available"));
		}
		free(c);
	}

	assert_snapshot_is_journal(h);
	free(case_a);
	free(case_b);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* 7. The rules, through the real hub, with their codes and sentences. */

static void
test_rules(void **state)
{
	struct test_hub *h = *state;
	char *msg;

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c1 = open_case(h, "Engineering workstation compromised", "energy", 2);
	json_t *dispatch = json_pack("{s:s, s:s}", "team", "FLY-1", "case", c1);

	/* Only a lead dispatches. */
	msg = refused(h, "watch", "dispatch", json_deep_copy(dispatch), "forbidden");
	assert_non_null(strstr(msg, "lead"));
	assert_non_null(strstr(msg, "watch"));
	free(msg);
	refused_(h, "someone-new", "dispatch", json_deep_copy(dispatch), "forbidden");
	refused_(h, "okafor", "dispatch", json_deep_copy(dispatch), "forbidden");
	refused_(h, "chen", "dispatch", json_deep_copy(dispatch), "forbidden");
	json_t *r = test_hub_ok(h, "test", "whoami", NULL);
	assert_string_equal(test_jstr(r, "role"), "viewer");
	json_decref(r);

	test_hub_ok_(h, "mori", "dispatch", json_deep_copy(dispatch));
	json_t *snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "teams", "FLY-1"), "status"), "dispatched");
	assert_string_equal(test_jstr(find(snap, "teams", "FLY-1"), "case"), c1);
	assert_string_equal(test_jstr(find(snap, "cases", c1), "teams.0"), "FLY-1");
	assert_non_null(test_jfind(test_jget(find(snap, "cases", c1), "timeline"), "action",
	    "dispatched"));
	json_decref(snap);

	/* A team serves one case at a time. */
	char *c2 = open_case(h, "Second case", "water", 1);
	msg = refused(h, "hayes", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-1",
	    "case", c2), "team_busy");
	assert_non_null(strstr(msg, c1));
	free(msg);

	/* No closing with a team on the case; recall frees it. */
	msg = refused(h, "chen", "close", json_pack("{s:s}", "case", c1), "team_assigned");
	assert_non_null(strstr(msg, "FLY-1"));
	assert_non_null(strstr(msg, "recall"));
	free(msg);
	refused_(h, "watch", "recall", json_pack("{s:s}", "team", "FLY-1"), "forbidden");
	test_hub_ok_(h, "mori", "recall", json_pack("{s:s}", "team", "FLY-1"));
	snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "teams", "FLY-1"), "status"), "returning");
	assert_true(json_is_null(test_jget(find(snap, "teams", "FLY-1"), "case")));
	assert_int_equal(json_array_size(test_jget(find(snap, "cases", c1), "teams")), 0);
	json_decref(snap);
	refused_(h, "mori", "recall", json_pack("{s:s}", "team", "FLY-1"), "not_on_case");

	test_hub_ok_(h, "chen", "close", json_pack("{s:s, s:s}", "case", c1, "reason", "contained"));
	snap = test_hub_snapshot(h);
	json_t *kase = find(snap, "cases", c1);
	assert_string_equal(test_jstr(kase, "status"), "closed");
	assert_string_equal(test_jstr(kase, "closed_by"), "chen");
	json_t *sector = find(snap, "sectors", "energy");
	assert_int_equal(test_jint(sector, "open_cases"), 0);
	json_decref(snap);

	/* A closed case takes no dispatch, whichever team. */
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-1", "status", "available"));
	msg = refused(h, "mori", "dispatch", json_deep_copy(dispatch), "case_closed");
	assert_non_null(strstr(msg, c1));
	free(msg);
	refused_(h, "hayes", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-5", "case", c1),
	    "case_closed");
	refused_(h, "chen", "close", json_pack("{s:s}", "case", c1), "case_closed");
	refused_(h, "chen", "assign", json_pack("{s:s, s:s}", "case", c1, "handler", "okafor"),
	    "case_closed");

	/* Reopen: investigating again, and dispatch works again. */
	refused_(h, "chen", "reopen", json_pack("{s:s}", "case", c2), "not_closed");
	refused_(h, "okafor", "reopen", json_pack("{s:s}", "case", c1), "forbidden");
	test_hub_ok_(h, "chen", "reopen", json_pack("{s:s, s:s}", "case", c1, "reason", "reinfected"));
	snap = test_hub_snapshot(h);
	kase = find(snap, "cases", c1);
	assert_string_equal(test_jstr(kase, "status"), "investigating");
	assert_null(test_jget(kase, "closed_by"));
	assert_int_equal(test_jint(find(snap, "sectors", "energy"), "open_cases"), 1);
	json_decref(snap);

	/* A bad move names the moves that are allowed. */
	msg = refused(h, "chen", "status", json_pack("{s:s, s:s}", "case", c1, "status",
	    "assigned"), "bad_transition");
	assert_non_null(strstr(msg, "investigating"));
	assert_non_null(strstr(msg, "analysis"));
	assert_non_null(strstr(msg, "onsite"));
	assert_non_null(strstr(msg, "followup"));
	assert_non_null(strstr(msg, "Only assign takes a case to assigned, from reported."));
	free(msg);
	/* Asked for a status another op reaches, the sentence names the op. */
	msg = refused(h, "chen", "status", json_pack("{s:s, s:s}", "case", c2, "status",
	    "assigned"), "bad_transition");
	assert_non_null(strstr(msg, "from reported it can go to investigating. Use assign, which "
	    "names its handler"));
	free(msg);
	msg = refused(h, "chen", "status", json_pack("{s:s, s:s}", "case", c2, "status",
	    "onsite"), "bad_transition");
	assert_non_null(strstr(msg, "Use dispatch"));
	free(msg);
	refused_(h, "chen", "status", json_pack("{s:s, s:s}", "case", c1, "status", "closed"),
	    "bad_transition");
	msg = refused(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-2", "status",
	    "onsite"), "bad_transition");
	assert_non_null(strstr(msg, "offduty"));
	free(msg);

	/* An officer moves only a case they handle. */
	refused_(h, "okafor", "status", json_pack("{s:s, s:s}", "case", c2, "status",
	    "investigating"), "forbidden");
	test_hub_ok_(h, "chen", "assign", json_pack("{s:s, s:s}", "case", c2, "handler", "okafor"));
	test_hub_ok_(h, "okafor", "status", json_pack("{s:s, s:s}", "case", c2, "status",
	    "investigating"));
	refused_(h, "tanaka", "status", json_pack("{s:s, s:s}", "case", c2, "status",
	    "analysis"), "forbidden");
	refused_(h, "chen", "assign", json_pack("{s:s, s:s}", "case", c2, "handler", "nobody"),
	    "unknown_staff");
	/* A viewer could not move the case: never its handler. */
	msg = refused(h, "chen", "assign", json_pack("{s:s, s:s}", "case", c2, "handler", "watch"),
	    "bad_handler");
	assert_non_null(strstr(msg, "watch is a viewer"));
	assert_non_null(strstr(msg, "staff add watch --role officer"));
	free(msg);
	snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "cases", c2), "handler"), "okafor");
	json_decref(snap);

	/* Names that do not exist, and arguments that do not fit. */
	refused_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-9", "case", c1),
	    "unknown_team");
	refused_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-2", "case",
	    "ICS-1999-0001"), "unknown_case");
	refused_(h, "mori", "dispatch", json_pack("{s:s}", "team", "FLY-2"), "invalid");
	refused_(h, "mori", "level", json_pack("{s:s, s:i}", "case", c1, "level", 7), "invalid");
	refused_(h, "mori", "dispatch", json_pack("{s:s, s:s, s:b}", "team", "FLY-2", "case",
	    c1, "urgent", 1), "invalid");
	refused_(h, "mori", "launch", NULL, "unknown_op");

	assert_snapshot_is_journal(h);
	json_decref(dispatch);
	free(c1);
	free(c2);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* Every accepted command is an event: the snapshot is the journal folded,
 * after each op of a working day. */

static void
test_every_change_is_an_event(void **state)
{
	struct test_hub *h = *state;

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c = open_case(h, "Wiper on SCADA server", "energy", 3);
	assert_snapshot_is_journal(h);

	test_hub_ok_(h, "chen", "assign", json_pack("{s:s, s:s}", "case", c, "handler", "tanaka"));
	test_hub_ok_(h, "tanaka", "ack", json_pack("{s:s}", "case", c));
	test_hub_ok_(h, "tanaka", "ack", json_pack("{s:s}", "case", c)); /* twice: no change */
	test_hub_ok_(h, "tanaka", "note", json_pack("{s:s, s:s}", "case", c, "text",
	    "Isolated the historian. \xe6\xbc\xa2\xe5\xad\x97 ok."));
	test_hub_ok_(h, "mori", "level", json_pack("{s:s, s:i}", "case", c, "level", 4));
	test_hub_ok_(h, "mori", "level", json_pack("{s:s, s:i}", "case", c, "level", 4));
	assert_snapshot_is_journal(h);

	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-6", "case", c));
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-6", "status", "enroute"));
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-6", "status", "onsite"));
	json_t *snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "cases", c), "status"), "onsite");
	assert_int_equal(test_jint(find(snap, "sectors", "energy"), "teams_onsite"), 1);
	json_decref(snap);
	/* A second team on site: the case stays on site until the last leaves. */
	test_hub_ok_(h, "hayes", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-2", "case", c));
	test_hub_ok_(h, "hayes", "team", json_pack("{s:s, s:s}", "team", "FLY-2", "status", "onsite"));
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-6", "status", "returning"));
	snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "cases", c), "status"), "onsite");
	assert_int_equal(json_array_size(test_jget(find(snap, "cases", c), "teams")), 1);
	assert_int_equal(test_jint(find(snap, "sectors", "energy"), "teams_onsite"), 1);
	json_decref(snap);
	test_hub_ok_(h, "mori", "recall", json_pack("{s:s}", "team", "FLY-2"));
	snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "cases", c), "status"), "followup");
	assert_int_equal(json_array_size(test_jget(find(snap, "cases", c), "teams")), 0);
	assert_int_equal(test_jint(find(snap, "sectors", "energy"), "teams_onsite"), 0);
	json_decref(snap);
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-2", "status", "available"));
	assert_snapshot_is_journal(h);

	/* The roster. */
	test_hub_ok_(h, "mori", "staff_add", json_pack("{s:s, s:s}", "name", "ito", "role", "officer"));
	refused_(h, "mori", "staff_add", json_pack("{s:s, s:s}", "name", "ito", "role",
	    "officer"), "exists");
	test_hub_ok_(h, "mori", "staff_add", json_pack("{s:s, s:s}", "name", "ito", "role", "lead"));
	json_t *r = test_hub_ok(h, "ito", "whoami", NULL);
	assert_string_equal(test_jstr(r, "role"), "lead");
	json_decref(r);
	test_hub_ok_(h, "mori", "staff_remove", json_pack("{s:s}", "name", "ito"));
	r = test_hub_ok(h, "ito", "whoami", NULL);
	assert_string_equal(test_jstr(r, "role"), "viewer");
	json_decref(r);
	test_hub_ok_(h, "mori", "team_add", json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "team", "FLY-7",
	    "base", "Anchorage, AK", "members", "name", "q.lee", "role", "lead"));
	refused_(h, "mori", "team_remove", json_pack("{s:s}", "team", "FLY-9"), "unknown_team");
	test_hub_ok_(h, "mori", "team_remove", json_pack("{s:s}", "team", "FLY-7"));
	assert_snapshot_is_journal(h);

	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-6", "status", "available"));
	test_hub_ok_(h, "chen", "close", json_pack("{s:s}", "case", c));
	test_hub_ok_(h, "chen", "reopen", json_pack("{s:s}", "case", c));
	assert_snapshot_is_journal(h);

	free(c);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* Sector levels by hand: each accepted sector_level is either an event or
 * no change at all, so consoles and a restarted hub agree with the hub. */
static void
test_sector_level_events(void **state)
{
	struct test_hub *h = *state;

	assert_int_equal(test_hub_start(h, NULL), 0);
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "it", "level", 3));
	json_t *snap = test_hub_snapshot(h);
	json_t *it = find(snap, "sectors", "it");
	assert_int_equal(test_jint(it, "level"), 3);
	assert_string_equal(test_jstr(it, "level_source"), "manual");
	json_decref(snap);
	assert_snapshot_is_journal(h);
	/* The same level again, by the same lead: nothing to say. */
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "it", "level", 3));
	assert_snapshot_is_journal(h);
	/* The same level by another lead, then back to auto, twice. */
	test_hub_ok_(h, "hayes", "sector_level", json_pack("{s:s, s:i}", "sector", "it", "level", 3));
	assert_snapshot_is_journal(h);
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:s}", "sector", "it", "level", "auto"));
	assert_snapshot_is_journal(h);
	test_hub_ok_(h, "hayes", "sector_level", json_pack("{s:s, s:s}", "sector", "water", "level",
	    "auto"));
	assert_snapshot_is_journal(h);
	snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(find(snap, "sectors", "it"), "level_source"), "auto");
	assert_int_equal(test_jint(find(snap, "sectors", "it"), "level"), 0);
	json_decref(snap);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* A snapshot's "tail" cuts each case's timeline to its newest entries
 * (the console asks for few); the count stays whole, and a bad tail is
 * refused with the range. */
static void
test_snapshot_tail(void **state)
{
	struct test_hub *h = *state;

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c1 = open_case(h, "Historian beaconing", "water", 2);

	for (int i = 1; i <= 24; i++) {
		char text[32];
		snprintf(text, sizeof text, "note %d", i);
		test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", c1, "text", text));
	}
	json_t *whole = test_hub_snapshot(h);
	json_t *tl = test_jget(find(whole, "cases", c1), "timeline");
	assert_int_equal(test_jint(find(whole, "cases", c1), "timeline_count"), 25);
	assert_int_equal(json_array_size(tl), 20);
	for (json_int_t tail = 0; tail <= 20; tail += 4) {
		json_t *cut = test_hub_ok(h, "watch", "snapshot", json_pack("{s:I}", "tail", tail));
		json_t *c = find(cut, "cases", c1), *ctl = test_jget(c, "timeline");
		assert_int_equal(json_array_size(ctl), tail);
		assert_int_equal(test_jint(c, "timeline_count"), 25);
		/* The newest entries, oldest first, as the whole tail ends. */
		for (size_t i = 0; i < (size_t)tail; i++)
			assert_true(json_equal(json_array_get(ctl, i),
			    json_array_get(tl, 20 - (size_t)tail + i)));
		/* Everything else as in the whole snapshot. */
		json_object_del(c, "timeline");
		json_t *wc = json_deep_copy(find(whole, "cases", c1));
		json_object_del(wc, "timeline");
		assert_true(json_equal(c, wc));
		assert_int_equal(test_jint(cut, "seq"), test_jint(whole, "seq"));
		json_decref(wc);
		json_decref(cut);
	}
	json_decref(whole);
	/* The hub's own copy was not cut. */
	json_t *again = test_hub_snapshot(h);
	assert_int_equal(json_array_size(test_jget(find(again, "cases", c1), "timeline")), 20);
	json_decref(again);
	static const char *const bad[] = { "21", "-1", "\"4\"", "4.5", "null" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *args = json_pack("{s:o}", "tail", json_loads(bad[i], JSON_DECODE_ANY, NULL));
		char *msg = refused(h, "watch", "snapshot", args, "invalid");
		assert_non_null(strstr(msg, "from 0 to 20"));
		free(msg);
	}
	free(c1);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_racing_dispatch),
		TEST_HUB_CASE(test_rules),
		TEST_HUB_CASE(test_every_change_is_an_event),
		TEST_HUB_CASE(test_snapshot_tail),
		TEST_HUB_CASE(test_sector_level_events),
	};

	return cmocka_run_group_tests_name("hub control", tests, NULL, NULL);
}
