/*
 * Durability through a real watchd: kill -9 in the middle of a stream and
 * restart on the same database. What a subscriber saw and what a client
 * was told "ok" about must be in the journal, the sequence must go on
 * without a gap or a reuse, and the recovered state must be the state the
 * hub had; and the database itself keeps a case's timeline append-only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zmq.h>

#include "test-hub.h"

#define WAIT TEST_HUB_WAIT_MS
#define NACKED 20

TEST_HUB_SETUP("durability")

/* Read one event (not a heartbeat) into SEEN as {topic, body}: 0 or -1. */
static int
record(json_t *seen, void *sub, int timeout_ms, json_t **last)
{
	char *topic;
	json_t *body;

	if (test_sub_recv(sub, &topic, &body, timeout_ms, 1) != 0)
		return -1;
	assert_non_null(body);
	json_array_append_new(seen, json_pack("{s:s, s:o}", "topic", topic, "body", body));
	free(topic);
	if (last != NULL)
		*last = body;
	return 0;
}


/* Close a PUSH without letting its queue reach the next hub. */
static void
close_now(struct test_hub *h, void *sock)
{
	int zero = 0;

	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	test_hub_close(h, sock);
}

/* The journal folded by topic must be the snapshot's objects. */
static void
assert_state_is_journal(json_t *journal, json_t *snap)
{
	json_t *fold = json_object(), *objects = test_snapshot_objects(snap);
	size_t i;
	json_t *ev;
	const char *topic;

	json_array_foreach(journal, i, ev)
		test_apply_event(fold, test_jstr(ev, "topic"), json_object_get(ev, "body"));
	json_object_foreach(fold, topic, ev) {
		json_t *obj = json_object_get(objects, topic);
		if (obj == NULL)
			fail_msg("%s has events but is not in the recovered state", topic);
		if (!json_equal(obj, ev))
			fail_msg("%s: the recovered object is not its last event", topic);
	}
	assert_int_equal(json_object_size(objects), json_object_size(fold));
	json_decref(objects);
	json_decref(fold);
}

static const char *const sectors[] = { "energy", "water", "chemical", "healthcare" };

/* ------------------------------------------------------------------ */
/* 3. kill -9 mid-stream, restart: nothing seen or acknowledged is lost. */

static void
test_kill9_restart(void **state)
{
	struct test_hub *h = *state;
	char body[512], acked_ids[NACKED][32];
	json_t *seen = json_array(), *ev;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, ""));
	void *push = test_hub_own(h, test_hub_push(h));
	assert_non_null(sub);
	json_t *snap = test_hub_snapshot(h);
	json_int_t seq0 = test_jint(snap, "seq");
	char hub_before[64];
	snprintf(hub_before, sizeof hub_before, "%s", test_jstr(snap, "hub"));
	json_decref(snap);

	/* A stream with refs (some updated), acknowledged reports between. */
	for (int i = 0; i < NACKED; i++) {
		for (int j = 0; j < 50; j++) {
			int k = i * 50 + j;
			snprintf(body, sizeof body, "{\"title\":\"stream %d\",\"org\":\"Org %d\","
			    "\"sector\":\"%s\",\"ref\":\"P-%d\",\"level\":%d}", k % 600, k % 600,
			    sectors[k % 4], k % 600, 1 + k / 600);
			assert_int_equal(test_push(push, "incident", body), 0);
		}
		char ref[32], title[32];
		snprintf(ref, sizeof ref, "ACK-%d", i);
		snprintf(title, sizeof title, "acked %d", i);
		json_t *r = test_hub_ok(h, "chen", "report", json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:i}}",
		    "topic", "incident", "body", "title", title, "org", "Acked Org",
		    "sector", sectors[i % 4], "ref", ref, "level", 2));
		const char *object = test_jstr(r, "object");
		assert_non_null(object);
		assert_int_equal(strncmp(object, "case.", 5), 0);
		snprintf(acked_ids[i], sizeof acked_ids[i], "%s", object + 5);
		json_decref(r);
	}
	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-2", "case", acked_ids[0]));
	test_hub_ok_(h, "hayes", "team", json_pack("{s:s, s:s}", "team", "FLY-2", "status", "enroute"));

	/* A burst, and SIGKILL once the subscriber sees it arrive. */
	for (int k = 0; k < 3000; k++) {
		snprintf(body, sizeof body, "{\"title\":\"burst %d\",\"org\":\"Burst Org\","
		    "\"sector\":\"%s\",\"ref\":\"B-%d\"}", k, sectors[k % 4], k);
		assert_int_equal(test_push(push, "incident", body), 0);
	}
	for (;;) {
		json_t *last = NULL;
		if (record(seen, sub, WAIT, &last) != 0)
			fail_msg("the burst never reached the subscriber");
		const char *title = test_jstr(last, "title");
		if (title != NULL && strncmp(title, "burst", 5) == 0)
			break;
	}
	assert_true(test_hub_stop(h, SIGKILL) >= 0);
	close_now(h, push);
	/* What was already on its way to the subscriber. */
	while (record(seen, sub, 1000, NULL) == 0)
		;
	test_hub_close(h, sub);

	/* The subscriber saw a contiguous run from the first event on. */
	size_t nseen = json_array_size(seen);
	assert_true(nseen > 0);
	for (size_t i = 0; i < nseen; i++) {
		json_int_t seq = test_jint(json_array_get(seen, i), "body.seq");
		if (seq != seq0 + 1 + (json_int_t)i)
			fail_msg("event %zu seen has seq %lld, expected %lld", i, (long long)seq,
			    (long long)(seq0 + 1 + (json_int_t)i));
	}
	json_int_t last_seen = seq0 + (json_int_t)nseen;

	/* Restart on the same database. */
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *journal = test_hub_journal(h, 0);
	assert_non_null(journal);
	size_t n = json_array_size(journal);
	for (size_t i = 0; i < n; i++) {
		if (test_jint(json_array_get(journal, i), "body.seq") != (json_int_t)i + 1)
			fail_msg("journal entry %zu has seq %lld", i,
			    (long long)test_jint(json_array_get(journal, i), "body.seq"));
	}
	assert_true((json_int_t)n >= last_seen);
	print_message("# seen %zu events up to seq %lld; journal holds %zu\n", nseen,
	    (long long)last_seen, n);

	/* Every event seen is in the journal, identical. */
	size_t i;
	json_array_foreach(seen, i, ev) {
		json_int_t seq = test_jint(ev, "body.seq");
		json_t *stored = json_array_get(journal, (size_t)seq - 1);
		assert_string_equal(test_jstr(stored, "topic"), test_jstr(ev, "topic"));
		if (!json_equal(json_object_get(stored, "body"), json_object_get(ev, "body")))
			fail_msg("seq %lld: the journal's body differs from the one published",
			    (long long)seq);
	}

	/* Every acknowledged report is there exactly once; so is the dispatch. */
	snap = test_hub_snapshot(h);
	assert_non_null(snap);
	assert_int_equal(test_jint(snap, "seq"), n);
	assert_string_not_equal(test_jstr(snap, "hub"), hub_before);
	json_t *cases = json_object_get(snap, "cases");
	for (int a = 0; a < NACKED; a++) {
		char ref[32], title[32];
		snprintf(ref, sizeof ref, "ACK-%d", a);
		snprintf(title, sizeof title, "acked %d", a);
		assert_int_equal(test_jcount(cases, "ref", ref), 1);
		assert_int_equal(test_jcount(cases, "title", title), 1);
		assert_string_equal(test_jstr(test_jfind(cases, "ref", ref), "id"), acked_ids[a]);
	}
	json_t *team = test_jfind(json_object_get(snap, "teams"), "id", "FLY-2");
	assert_string_equal(test_jstr(team, "status"), "enroute");
	assert_string_equal(test_jstr(team, "case"), acked_ids[0]);
	/* No ref has two cases. */
	json_t *refs = json_object();
	json_t *c;
	json_array_foreach(cases, i, c) {
		const char *ref = test_jstr(c, "ref");
		assert_non_null(ref);
		assert_null(json_object_get(refs, ref));
		json_object_set_new(refs, ref, json_true());
	}
	json_decref(refs);
	assert_state_is_journal(journal, snap);
	json_decref(snap);

	/* The new hub has a new id, and new events continue at N+1. */
	sub = test_hub_own(h, test_hub_sub(h, ""));
	assert_non_null(sub);
	assert_int_equal(test_sub_wait(sub, "hub.heartbeat", NULL, &ev, WAIT), 0);
	assert_string_not_equal(test_jstr(ev, "hub"), hub_before);
	assert_int_equal(test_jint(ev, "seq"), n);
	json_decref(ev);
	push = test_hub_own(h, test_hub_push(h));
	assert_int_equal(test_push(push, "incident",
	    "{\"title\":\"after the restart\",\"org\":\"o\",\"sector\":\"it\",\"ref\":\"AFTER\"}"), 0);
	char *topic;
	assert_int_equal(test_sub_recv(sub, &topic, &ev, WAIT, 1), 0);
	assert_int_equal(strncmp(topic, "case.", 5), 0);
	assert_string_equal(test_jstr(ev, "title"), "after the restart");
	assert_int_equal(test_jint(ev, "seq"), n + 1);
	/* A new case id, not one of the old ones. */
	json_array_foreach(journal, i, c)
		assert_string_not_equal(test_jstr(c, "topic"), topic);
	free(topic);
	json_decref(ev);

	json_decref(journal);
	json_decref(seen);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* A restart gives back exactly the state the hub had, and says nothing. */

static void
assert_same_state(json_t *before, json_t *after)
{
	json_t *a = test_snapshot_objects(before), *b = test_snapshot_objects(after);

	test_assert_same_objects(a, "before the restart", b, "after the restart");
	assert_int_equal(test_jint(after, "seq"), test_jint(before, "seq"));
	json_decref(a);
	json_decref(b);
}

static void
test_restart_recovers_state(void **state)
{
	struct test_hub *h = *state;
	const char *const args[] = { "--alert-window", "3600", NULL };

	assert_int_equal(test_hub_start(h, args), 0);
	/* A floor with a bit of everything, all acknowledged. */
	json_t *r = test_hub_ok(h, "chen", "report", json_pack("{s:s, s:{s:s, s:s, s:s, s:i}}", "topic",
	    "incident", "body", "title", "Chlorine dosing PLC offline", "org", "Lakeside Water",
	    "sector", "water", "level", 2));
	char case_a[32];
	snprintf(case_a, sizeof case_a, "%s", test_jstr(r, "object") + 5);
	json_decref(r);
	r = test_hub_ok(h, "chen", "open", json_pack("{s:s, s:s, s:s, s:i}", "title", "Phishing wave",
	    "org", "County Hospital", "sector", "healthcare", "level", 1));
	char case_b[32];
	snprintf(case_b, sizeof case_b, "%s", test_jstr(r, "case"));
	json_decref(r);
	test_hub_ok_(h, "okafor", "report", json_pack("{s:s, s:{s:s, s:s, s:s, s:i, s:s}}", "topic",
	    "sensor", "body", "sensor", "ids-lake-1", "kind", "alert", "sector", "water",
	    "level", 4, "signature", "DNP3 unsolicited response storm"));
	test_hub_ok_(h, "okafor", "report", json_pack("{s:s, s:{s:s, s:s, s:s}}", "topic", "sensor",
	    "body", "sensor", "fw-it-2", "kind", "heartbeat", "sector", "it"));
	test_hub_ok_(h, "tanaka", "report", json_pack("{s:s, s:{s:s, s:s, s:s, s:[s]}}", "topic",
	    "intel", "body", "title", "Advisory on HMI default credentials", "source", "CISA",
	    "tlp", "clear", "sectors", "water"));
	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-1", "case", case_a));
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-1", "status", "onsite"));
	test_hub_ok_(h, "chen", "close", json_pack("{s:s}", "case", case_b));
	test_hub_ok_(h, "mori", "staff_add", json_pack("{s:s, s:s}", "name", "ito", "role", "intake"));
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "dams", "level", 2));

	json_t *before = test_hub_snapshot(h);
	assert_non_null(before);
	json_t *water = test_jfind(json_object_get(before, "sectors"), "id", "water");
	assert_int_equal(test_jint(water, "level"), 4); /* the alert, within its window */
	assert_int_equal(test_jint(water, "teams_onsite"), 1);

	/* kill -9, restart: the same state, the same seq. */
	assert_true(test_hub_stop(h, SIGKILL) >= 0);
	assert_int_equal(test_hub_start(h, args), 0);
	json_t *after = test_hub_snapshot(h);
	assert_non_null(after);
	assert_same_state(before, after);
	json_decref(after);

	/* And after a clean stop too. */
	assert_int_equal(test_hub_stop_clean(h), 0);
	assert_int_equal(test_hub_start(h, args), 0);
	after = test_hub_snapshot(h);
	assert_non_null(after);
	assert_same_state(before, after);
	json_decref(after);

	/* A restarted hub reads its cases whole only when first wanted: a
	 * note on one, and a team brought back from one, change just that. */
	json_t *a0 = test_jfind(json_object_get(before, "cases"), "id", case_a);
	test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", case_a, "text",
	    "after the restart"));
	test_hub_ok_(h, "mori", "team", json_pack("{s:s, s:s}", "team", "FLY-1", "status",
	    "returning"));
	after = test_hub_snapshot(h);
	json_t *a1 = test_jfind(json_object_get(after, "cases"), "id", case_a);
	/* The note, then the case's move and the team's going, on record. */
	assert_int_equal(test_jint(a1, "timeline_count"), test_jint(a0, "timeline_count") + 3);
	json_t *tl = json_object_get(a1, "timeline");
	assert_string_equal(test_jstr(json_array_get(tl, json_array_size(tl) - 3), "text"),
	    "after the restart");
	assert_string_equal(test_jstr(a1, "title"), test_jstr(a0, "title"));
	assert_string_equal(test_jstr(a1, "status"), "followup"); /* its last team left */
	assert_true(json_equal(test_jfind(json_object_get(after, "cases"), "id", case_b),
	    test_jfind(json_object_get(before, "cases"), "id", case_b)));
	water = test_jfind(json_object_get(after, "sectors"), "id", "water");
	assert_int_equal(test_jint(water, "open_cases"), 1);
	assert_int_equal(test_jint(water, "teams_onsite"), 0);
	json_decref(after);

	json_decref(before);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* A floor whose leads removed every person and team stays that way: only
 * a new database gets the demonstration roster. */
static void
test_restart_does_not_reseed(void **state)
{
	struct test_hub *h = *state;
	static const char *const staff[] = { "hayes", "chen", "alvarez", "okafor", "tanaka",
		"novak", "watch", "mori" };

	assert_int_equal(test_hub_start(h, NULL), 0);
	for (int t = 1; t <= 6; t++) {
		char team[16];
		snprintf(team, sizeof team, "FLY-%d", t);
		test_hub_ok_(h, "mori", "team_remove", json_pack("{s:s}", "team", team));
	}
	for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++)
		test_hub_ok_(h, "mori", "staff_remove", json_pack("{s:s}", "name", staff[i]));
	json_t *before = test_hub_snapshot(h);
	assert_int_equal(json_array_size(json_object_get(before, "staff")), 0);
	assert_int_equal(json_array_size(json_object_get(before, "teams")), 0);

	assert_int_equal(test_hub_stop_clean(h), 0);
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *after = test_hub_snapshot(h);
	assert_non_null(after);
	assert_same_state(before, after);
	json_t *r = test_hub_ok(h, "mori", "whoami", NULL);
	assert_string_equal(test_jstr(r, "role"), "viewer");
	json_decref(r);
	json_decref(before);
	json_decref(after);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/*
 * A case text damaged in the database (by hand, or by the disk) stops the
 * hub's start with a message naming the object: it is never served. The
 * load checks cases on a second thread (bus_state_load), so the damaged
 * one sits among forty good ones. Put back, the hub starts as before.
 */
static void
test_damaged_store_refused(void **state)
{
	struct test_hub *h = *state;
	char sql[256], *err = NULL;
	sqlite3 *db;

	assert_int_equal(test_hub_start(h, NULL), 0);
	for (int i = 0; i < 40; i++)
		test_hub_ok_(h, "chen", "open", json_pack("{s:s, s:s, s:s, s:i}", "title",
		    "Beaconing from a build server", "org", "Northgate Logistics", "sector",
		    "transportation", "level", 1 + i % 4));
	json_t *before = test_hub_snapshot(h);
	assert_int_equal(test_hub_stop_clean(h), 0);

	/* Cut the text of the 17th case short, keeping the good one. */
	const char *victim = test_jstr(json_array_get(json_object_get(before, "cases"), 16), "id");
	assert_non_null(victim);
	assert_int_equal(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	int n = snprintf(sql, sizeof sql, "CREATE TABLE kept AS SELECT seq, body FROM journal "
	    "WHERE seq = (SELECT seq FROM objects WHERE kind = 'case' AND id = '%s');"
	    "UPDATE journal SET body = substr(body, 1, length(body) / 2) WHERE seq = "
	    "(SELECT seq FROM kept);", victim);
	assert_true(n > 0 && (size_t)n < sizeof sql);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		sqlite3_close(db);
		fail_msg("%s", err);
	}
	/* Or the hub would start, and the test wait for nothing. */
	assert_int_equal(sqlite3_changes(db), 1);

	const char *argv[24];
	assert_true(test_hub_argv(h, NULL, 1, argv, 24) > 0);
	assert_true(test_hub_spawn(h, argv) > 0);
	int status = test_reap_within(h->pid, WAIT);
	h->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	FILE *f = fopen(h->log, "r");
	char line[1024];
	int named = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, "cannot load state") != NULL && strstr(line, victim) != NULL &&
		    strstr(line, "not valid JSON") != NULL)
			named = 1;
	}
	fclose(f);
	assert_true(named);

	/* Put back, the same floor. */
	assert_int_equal(sqlite3_exec(db, "UPDATE journal SET body = (SELECT body FROM kept) "
	    "WHERE seq = (SELECT seq FROM kept); DROP TABLE kept;", NULL, NULL, &err), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *after = test_hub_snapshot(h);
	assert_same_state(before, after);
	json_decref(after);
	json_decref(before);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/*
 * A case's timeline is the floor's record of who did what: with the hub
 * stopped, SQL on the database file can neither change, delete nor replace
 * an entry (as the audit trail in test-hub-audit.c); the restarted hub
 * serves the same entries and goes on appending.
 */
static void
test_timeline_cannot_be_rewritten(void **state)
{
	struct test_hub *h = *state;
	char sql[4][256];
	sqlite3 *db;

	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *r = test_hub_ok(h, "chen", "open", json_pack("{s:s, s:s, s:s, s:i}", "title",
	    "Ransom note on a file server", "org", "County Hospital", "sector", "healthcare",
	    "level", 3));
	char id[32];
	snprintf(id, sizeof id, "%s", test_jstr(r, "case"));
	json_decref(r);
	test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", id, "text",
	    "backups offline since Monday"));
	test_hub_ok_(h, "mori", "note", json_pack("{s:s, s:s}", "case", id, "text",
	    "do not pay"));
	json_t *before = test_hub_ok(h, "watch", "timeline", json_pack("{s:s}", "case", id));
	assert_int_equal(json_array_size(json_object_get(before, "entries")), 3);
	assert_int_equal(test_hub_stop_clean(h), 0);

	snprintf(sql[0], sizeof sql[0], "UPDATE timeline SET entry = '{}' WHERE case_id = '%s' "
	    "AND n = 3", id);
	snprintf(sql[1], sizeof sql[1], "DELETE FROM timeline WHERE case_id = '%s'", id);
	snprintf(sql[2], sizeof sql[2], "INSERT OR REPLACE INTO timeline(case_id, n, ts, entry) "
	    "VALUES ('%s', 2, 0, '{}')", id);
	snprintf(sql[3], sizeof sql[3], "INSERT INTO timeline(case_id, n, ts, entry) VALUES "
	    "('%s', 1, 0, '{}') ON CONFLICT(case_id, n) DO UPDATE SET entry = '{}'", id);
	assert_int_equal(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	for (int i = 0; i < 5; i++) {
		const char *attempt = i < 4 ? sql[i] : "DELETE FROM timeline";
		char *err = NULL;
		int rc = sqlite3_exec(db, attempt, NULL, NULL, &err);
		if (rc != SQLITE_CONSTRAINT || err == NULL ||
		    strcmp(err, "the case timeline is append-only") != 0) {
			sqlite3_close(db);
			fail_msg("%s: rc %d (%s); expected the append-only refusal", attempt, rc,
			    err != NULL ? err : "no message");
		}
		sqlite3_free(err);
	}
	sqlite3_close(db);

	/* The same entries from the restarted hub, and one more. */
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *after = test_hub_ok(h, "watch", "timeline", json_pack("{s:s}", "case", id));
	assert_true(json_equal(json_object_get(before, "entries"),
	    json_object_get(after, "entries")));
	json_decref(after);
	test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", id, "text",
	    "restored from tape"));
	after = test_hub_ok(h, "watch", "timeline", json_pack("{s:s}", "case", id));
	assert_int_equal(json_array_size(json_object_get(after, "entries")), 4);
	assert_string_equal(test_jstr(after, "entries.3.text"), "restored from tape");
	json_decref(after);
	json_decref(before);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_kill9_restart),
		TEST_HUB_CASE(test_restart_recovers_state),
		TEST_HUB_CASE(test_restart_does_not_reseed),
		TEST_HUB_CASE(test_damaged_store_refused),
		TEST_HUB_CASE(test_timeline_cannot_be_rewritten),
	};

	return cmocka_run_group_tests_name("hub durability", tests, NULL, NULL);
}
