/*
 * The hub's rules engine (bus/bus-state.c), driven directly: ingest and
 * control ops in, pending events and replies out. Time is passed in, so
 * sensor timeouts and alert windows are tested without waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-state.h"

#define T0 1795740312000LL /* 2026-11-27T00:45:12Z */
#define SENSOR_TIMEOUT 30000
#define ALERT_WINDOW 600000

static int
setup(void **state)
{
	struct bus_state *st = bus_state_new(SENSOR_TIMEOUT, ALERT_WINDOW);

	bus_state_seed(st, T0);
	bus_state_pending_clear(st);
	*state = st;
	return 0;
}

/*
 * The snapshot is made of the objects' texts as they were published: each
 * must be the object as it stands, or a change went unpublished (and
 * consoles would never learn of it). The number of stale objects.
 */
static int
snapshot_stale(struct bus_state *st, json_t *snap)
{
	static const char *const lists[][2] = { { "cases", "case" }, { "teams", "team" },
		{ "sectors", "sector" }, { "sensors", "sensor" }, { "intel", "intel" },
		{ "staff", "staff" } };
	int stale = 0;

	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(snap, lists[l][0]), i, o) {
			const char *id = json_string_value(json_object_get(o, "id"));
			if (!json_equal(o, bus_state_get(st, lists[l][1], id))) {
				print_error("%s %s in the snapshot is not the %s as it stands\n",
				    lists[l][1], id, lists[l][1]);
				stale++;
			}
		}
	}
	return stale;
}

static json_t *
snapshot_of(struct bus_state *st, size_t max_intel)
{
	json_t *head = json_pack("{s:b, s:s}", "ok", 1, "id", "c7");
	char *text = bus_state_snapshot(st, head, max_intel, BUS_TIMELINE_TAIL);
	json_t *snap = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	json_decref(head);
	free(text);
	return snap;
}

static int
teardown(void **state)
{
	/* Whatever a test did, every change it made was published. */
	json_t *snap = snapshot_of(*state, 1000000);
	int stale = snap != NULL ? snapshot_stale(*state, snap) : 1;

	json_decref(snap);
	bus_state_free(*state);
	return stale == 0 ? 0 : -1;
}

/* Ingest a JSON body; returns the name of the object it touched. */
static char *
ingest(struct bus_state *st, const char *topic, const char *json, int64_t now)
{
	json_t *body = json_loads(json, 0, NULL);
	char *object = NULL;

	assert_non_null(body);
	assert_int_equal(bus_state_ingest(st, topic, body, "ingest", now, &object), 0);
	json_decref(body);
	return object;
}

/* Run OP as USER with ARGS (JSON text); returns the reply. */
static json_t *
op(struct bus_state *st, const char *user, const char *name, const char *args)
{
	struct bus_actor who = { user, bus_state_role(st, user) };
	json_t *a = json_loads(args, 0, NULL);

	assert_non_null(a);
	json_t *r = bus_state_op(st, &who, name, a, T0 + 1000);
	json_decref(a);
	return r;
}

static void
expect_ok(json_t *r)
{
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("expected ok, got %s", json_dumps(r, JSON_COMPACT));
	json_decref(r);
}

static void
expect_error(json_t *r, const char *code, const char *words)
{
	json_t *err = json_object_get(r, "error");
	const char *c = json_string_value(json_object_get(err, "code"));
	const char *m = json_string_value(json_object_get(err, "message"));

	if (json_is_true(json_object_get(r, "ok")) || c == NULL || strcmp(c, code) != 0)
		fail_msg("expected error %s, got %s", code, json_dumps(r, JSON_COMPACT));
	if (words != NULL && strstr(m, words) == NULL)
		fail_msg("message '%s' lacks '%s'", m, words);
	json_decref(r);
}

static const char *
field(struct bus_state *st, const char *kind, const char *id, const char *key)
{
	json_t *o = bus_state_get(st, kind, id);

	assert_non_null(o);
	return json_string_value(json_object_get(o, key));
}

static int
ifield(struct bus_state *st, const char *kind, const char *id, const char *key)
{
	return (int)json_integer_value(json_object_get(bus_state_get(st, kind, id), key));
}

/* The number of pending events whose topic is TOPIC. */
static int
pending_for(struct bus_state *st, const char *topic)
{
	const struct bus_change *ch;
	size_t n = bus_state_pending(st, &ch);
	int count = 0;

	for (size_t i = 0; i < n; i++)
		count += strcmp(ch[i].topic, topic) == 0;
	return count;
}

static void
test_seed_and_sequence(void **state)
{
	struct bus_state *fresh = bus_state_new(SENSOR_TIMEOUT, ALERT_WINDOW);
	const struct bus_change *ch;
	(void)state;

	bus_state_seed(fresh, T0);
	size_t n = bus_state_pending(fresh, &ch);
	assert_int_equal(n, BUS_NSECTORS + 8 + 6);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ch[i].seq, (int64_t)i + 1);
	assert_string_equal(field(fresh, "team", "FLY-2", "status"), "available");
	assert_int_equal(bus_state_role(fresh, "mori"), ROLE_LEAD);
	assert_int_equal(bus_state_role(fresh, "stranger"), ROLE_VIEWER);
	bus_state_free(fresh);
}

static void
test_incident_opens_case_and_ref_updates_it(void **state)
{
	struct bus_state *st = *state;
	char *obj = ingest(st, "incident", "{\"title\":\"HMI logins\",\"org\":\"Ridgeway Power\","
	    "\"sector\":\"energy\",\"level\":2,\"ref\":\"rp-1\"}", T0);

	assert_string_equal(obj, "case.ICS-2026-0001");
	free(obj);
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "reported");
	bus_state_settle(st, T0);
	assert_int_equal(ifield(st, "sector", "energy", "open_cases"), 1);
	assert_int_equal(ifield(st, "sector", "energy", "level"), 2);
	bus_state_pending_clear(st);

	/* Same ref: the same case, updated, with the change on its timeline. */
	free(ingest(st, "incident", "{\"title\":\"HMI logins\",\"org\":\"Ridgeway Power\","
	    "\"sector\":\"energy\",\"level\":4,\"ref\":\"rp-1\"}", T0 + 5));
	assert_null(bus_state_get(st, "case", "ICS-2026-0002"));
	assert_int_equal(ifield(st, "case", "ICS-2026-0001", "level"), 4);
	assert_int_equal(pending_for(st, "case.ICS-2026-0001"), 1);
	json_t *tl = json_object_get(bus_state_get(st, "case", "ICS-2026-0001"), "timeline");
	assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 1), "action")),
	    "updated");
	const struct bus_timeline_row *rows;
	assert_int_equal(bus_state_pending_timeline(st, &rows), 1);
	assert_string_equal(rows[0].case_id, "ICS-2026-0001");
	assert_int_equal(rows[0].n, 2);
	bus_state_settle(st, T0 + 5);
	assert_int_equal(ifield(st, "sector", "energy", "level"), 4);
	bus_state_pending_clear(st);

	/* An identical resend is no event: producers may retry freely. */
	free(ingest(st, "incident", "{\"title\":\"HMI logins\",\"org\":\"Ridgeway Power\","
	    "\"sector\":\"energy\",\"level\":4,\"ref\":\"rp-1\"}", T0 + 9));
	bus_state_settle(st, T0 + 9);
	const struct bus_change *ch;
	assert_int_equal(bus_state_pending(st, &ch), 0);
}

static void
test_dispatch_lifecycle(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "incident", "{\"title\":\"Pipeline SCADA intrusion\",\"org\":\"Gulf "
	    "Midstream\",\"sector\":\"energy\",\"level\":3}", T0));
	expect_ok(op(st, "mori", "dispatch", "{\"team\":\"FLY-2\",\"case\":\"ICS-2026-0001\"}"));
	assert_string_equal(field(st, "team", "FLY-2", "status"), "dispatched");
	assert_string_equal(field(st, "team", "FLY-2", "case"), "ICS-2026-0001");

	/* A team serves one case at a time. */
	free(ingest(st, "incident", "{\"title\":\"Second\",\"org\":\"Other\",\"sector\":\"water\"}", T0));
	expect_error(op(st, "hayes", "dispatch", "{\"team\":\"FLY-2\",\"case\":\"ICS-2026-0002\"}"),
	    "team_busy", "FLY-2 is dispatched on case ICS-2026-0001");

	/* Arriving on site moves the case on site. */
	expect_ok(op(st, "mori", "team", "{\"team\":\"FLY-2\",\"status\":\"onsite\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "onsite");
	bus_state_settle(st, T0 + 1000);
	assert_int_equal(ifield(st, "sector", "energy", "teams_onsite"), 1);

	expect_error(op(st, "chen", "close", "{\"case\":\"ICS-2026-0001\"}"), "team_assigned",
	    "still has FLY-2 assigned");
	expect_ok(op(st, "mori", "recall", "{\"team\":\"FLY-2\"}"));
	assert_string_equal(field(st, "team", "FLY-2", "status"), "returning");
	assert_null(field(st, "team", "FLY-2", "case"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "followup");
	expect_error(op(st, "mori", "recall", "{\"team\":\"FLY-2\"}"), "not_on_case", NULL);

	expect_ok(op(st, "chen", "close", "{\"case\":\"ICS-2026-0001\",\"reason\":\"reports delivered\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "closed");
	assert_string_equal(field(st, "case", "ICS-2026-0001", "closed_by"), "chen");
	expect_ok(op(st, "mori", "team", "{\"team\":\"FLY-2\",\"status\":\"available\"}"));
	expect_error(op(st, "mori", "dispatch", "{\"team\":\"FLY-2\",\"case\":\"ICS-2026-0001\"}"),
	    "case_closed", NULL);
	expect_ok(op(st, "chen", "reopen", "{\"case\":\"ICS-2026-0001\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "investigating");
	bus_state_settle(st, T0 + 1000);
	assert_int_equal(ifield(st, "sector", "energy", "teams_onsite"), 0);
}

static void
test_roles_are_enforced(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\"}", T0));
	expect_error(op(st, "watch", "dispatch", "{\"team\":\"FLY-1\",\"case\":\"ICS-2026-0001\"}"),
	    "forbidden", "dispatch needs the role lead; watch has the role viewer.");
	expect_error(op(st, "stranger", "note", "{\"case\":\"ICS-2026-0001\",\"text\":\"x\"}"),
	    "forbidden", NULL);
	expect_error(op(st, "okafor", "close", "{\"case\":\"ICS-2026-0001\"}"), "forbidden", NULL);
	expect_ok(op(st, "okafor", "note", "{\"case\":\"ICS-2026-0001\",\"text\":\"called the CISO\"}"));
	expect_ok(op(st, "okafor", "ack", "{\"case\":\"ICS-2026-0001\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "acked_by"), "okafor");

	/* A case's own handler may move it; another officer may not. */
	expect_error(op(st, "okafor", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"investigating\"}"),
	    "forbidden", NULL);
	expect_ok(op(st, "chen", "assign", "{\"case\":\"ICS-2026-0001\",\"handler\":\"okafor\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "assigned");
	expect_ok(op(st, "okafor", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"investigating\"}"));
	expect_error(op(st, "tanaka", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"analysis\"}"),
	    "forbidden", NULL);
	expect_error(op(st, "chen", "assign", "{\"case\":\"ICS-2026-0001\",\"handler\":\"nobody\"}"),
	    "unknown_staff", "nobody is not on the roster");
}

static void
test_bad_requests_say_why(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\"}", T0));
	expect_error(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"followup\"}"),
	    "bad_transition", "from reported it can go to investigating");
	expect_error(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"done\"}"),
	    "invalid", "status: field 'status': 'done' is not one of");
	expect_error(op(st, "chen", "level", "{\"case\":\"ICS-2026-9999\",\"level\":2}"),
	    "unknown_case", "There is no case ICS-2026-9999.");
	expect_error(op(st, "mori", "dispatch", "{\"team\":\"FLY-9\",\"case\":\"ICS-2026-0001\"}"),
	    "unknown_team", NULL);
	expect_error(op(st, "mori", "dispatch", "{\"team\":\"FLY-1\"}"), "invalid",
	    "missing field 'case'");
	expect_error(op(st, "mori", "launch", "{}"), "unknown_op", NULL);
	expect_error(op(st, "mori", "team", "{\"team\":\"FLY-1\",\"status\":\"onsite\"}"),
	    "bad_transition", "dispatch sends it to a case");
	/* Nothing refused left an event behind. */
	assert_int_equal(pending_for(st, "team.FLY-1"), 0);
}

static void
test_sensor_down_and_back(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "sensor", "{\"sensor\":\"s-water-01\",\"kind\":\"heartbeat\","
	    "\"sector\":\"water\"}", T0));
	bus_state_settle(st, T0);
	assert_int_equal(ifield(st, "sector", "water", "sensors_up"), 1);
	bus_state_pending_clear(st);

	bus_state_tick(st, T0 + SENSOR_TIMEOUT - 1);
	assert_int_equal(pending_for(st, "sensor.s-water-01"), 0);
	bus_state_tick(st, T0 + SENSOR_TIMEOUT);
	assert_int_equal(pending_for(st, "sensor.s-water-01"), 1);
	assert_string_equal(field(st, "sensor", "s-water-01", "status"), "down");
	bus_state_settle(st, T0 + SENSOR_TIMEOUT);
	assert_int_equal(ifield(st, "sector", "water", "sensors_down"), 1);
	assert_int_equal(ifield(st, "sector", "water", "sensors_up"), 0);

	free(ingest(st, "sensor", "{\"sensor\":\"s-water-01\",\"kind\":\"heartbeat\"}",
	    T0 + SENSOR_TIMEOUT + 5));
	assert_string_equal(field(st, "sensor", "s-water-01", "status"), "up");
	bus_state_settle(st, T0 + SENSOR_TIMEOUT + 5);
	assert_int_equal(ifield(st, "sector", "water", "sensors_down"), 0);
}

static void
test_alerts_raise_sector_for_window(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "sensor", "{\"sensor\":\"s-it-01\",\"kind\":\"alert\",\"sector\":\"it\","
	    "\"level\":4,\"signature\":\"ET EXPLOIT\"}", T0));
	bus_state_settle(st, T0);
	assert_int_equal(ifield(st, "sector", "it", "level"), 4);
	assert_non_null(field(st, "sector", "it", "last_alert"));

	/* A lead's level wins over the computed one until set back to auto. */
	expect_ok(op(st, "mori", "sector_level", "{\"sector\":\"it\",\"level\":1}"));
	bus_state_settle(st, T0 + 1000);
	assert_int_equal(ifield(st, "sector", "it", "level"), 1);
	assert_string_equal(field(st, "sector", "it", "level_source"), "manual");
	expect_ok(op(st, "mori", "sector_level", "{\"sector\":\"it\",\"level\":\"auto\"}"));
	bus_state_settle(st, T0 + 1000);
	assert_int_equal(ifield(st, "sector", "it", "level"), 4);

	bus_state_tick(st, T0 + ALERT_WINDOW + 1);
	bus_state_settle(st, T0 + ALERT_WINDOW + 1);
	assert_int_equal(ifield(st, "sector", "it", "level"), 0);
}

static void
test_snapshot_and_roster(void **state)
{
	struct bus_state *st = *state;

	for (int i = 0; i < 5; i++) {
		char body[128];
		snprintf(body, sizeof body, "{\"title\":\"Advisory %d\",\"source\":\"ICS-CERT\","
		    "\"tlp\":\"green\"}", i);
		free(ingest(st, "intel", body, T0 + i));
	}
	expect_ok(op(st, "mori", "team_add", "{\"team\":\"FLY-7\",\"base\":\"Boise, ID\","
	    "\"members\":[{\"name\":\"q.li\",\"role\":\"lead\"}]}"));
	expect_error(op(st, "mori", "team_add", "{\"team\":\"FLY-8\",\"members\":[{\"name\":"
	    "\"q.li\",\"role\":\"pilot\"}]}"), "invalid", "member 0");
	expect_ok(op(st, "mori", "staff_add", "{\"name\":\"ito\",\"role\":\"officer\"}"));
	assert_int_equal(bus_state_role(st, "ito"), ROLE_OFFICER);
	expect_ok(op(st, "mori", "staff_remove", "{\"name\":\"ito\"}"));
	assert_int_equal(bus_state_role(st, "ito"), ROLE_VIEWER);

	json_t *snap = snapshot_of(st, 3);
	assert_non_null(snap);
	assert_string_equal(json_string_value(json_object_get(snap, "id")), "c7");
	assert_true(json_is_true(json_object_get(snap, "ok")));
	assert_int_equal(json_integer_value(json_object_get(snap, "seq")), bus_state_seq(st));
	assert_int_equal(snapshot_stale(st, snap), 0);
	assert_int_equal(json_array_size(json_object_get(snap, "sectors")), BUS_NSECTORS);
	assert_int_equal(json_array_size(json_object_get(snap, "teams")), 7);
	json_t *intel = json_object_get(snap, "intel");
	assert_int_equal(json_array_size(intel), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(intel, 0), "title")),
	    "Advisory 4");
	json_decref(snap);
}

static void
test_events_carry_a_timeline_tail(void **state)
{
	struct bus_state *st = *state;
	const struct bus_timeline_row *rows;

	free(ingest(st, "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\"}", T0));
	for (int i = 0; i < 100; i++)
		expect_ok(op(st, "okafor", "note", "{\"case\":\"ICS-2026-0001\",\"text\":\"x\"}"));
	json_t *c = bus_state_get(st, "case", "ICS-2026-0001");
	json_t *tl = json_object_get(c, "timeline");
	/* The event stays small; the store gets every entry. */
	assert_int_equal(json_array_size(tl), BUS_TIMELINE_TAIL);
	assert_int_equal(json_integer_value(json_object_get(c, "timeline_count")), 101);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(tl, 0), "n")),
	    101 - BUS_TIMELINE_TAIL + 1);
	assert_int_equal(bus_state_pending_timeline(st, &rows), 101);
	for (int i = 0; i < 101; i++)
		assert_int_equal(rows[i].n, i + 1);
}

static void
test_two_teams_on_one_case(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "incident", "{\"title\":\"Refinery DCS compromise\",\"org\":\"Bayou "
	    "Refining\",\"sector\":\"energy\",\"level\":4}", T0));
	expect_ok(op(st, "mori", "dispatch", "{\"team\":\"FLY-1\",\"case\":\"ICS-2026-0001\"}"));
	expect_ok(op(st, "mori", "dispatch", "{\"team\":\"FLY-6\",\"case\":\"ICS-2026-0001\"}"));
	expect_ok(op(st, "mori", "team", "{\"team\":\"FLY-1\",\"status\":\"onsite\"}"));
	expect_ok(op(st, "mori", "team", "{\"team\":\"FLY-6\",\"status\":\"onsite\"}"));
	/* The first team leaving does not end the on-site work. */
	expect_ok(op(st, "mori", "recall", "{\"team\":\"FLY-1\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "onsite");
	expect_ok(op(st, "mori", "team", "{\"team\":\"FLY-6\",\"status\":\"returning\"}"));
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "followup");
	assert_int_equal(json_array_size(json_object_get(bus_state_get(st, "case",
	    "ICS-2026-0001"), "teams")), 0);
}

static void
test_assigned_needs_a_handler(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"dams\"}", T0));
	/* "assigned" means someone is: only the assign op gets a case there. */
	expect_error(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"assigned\"}"),
	    "bad_transition", NULL);
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "reported");
}

static void
test_roster_is_not_reseeded(void **state)
{
	struct bus_state *st = *state;
	const struct bus_change *ch;

	expect_ok(op(st, "mori", "team_remove", "{\"team\":\"FLY-3\"}"));
	expect_ok(op(st, "mori", "staff_remove", "{\"name\":\"hayes\"}"));
	assert_string_equal(field(st, "staff", "mori", "id"), "mori");
	bus_state_pending_clear(st);
	/* A database that has had events is never given the demo roster again. */
	bus_state_seed(st, T0 + 5000);
	assert_int_equal(bus_state_pending(st, &ch), 0);
	assert_null(bus_state_get(st, "team", "FLY-3"));
	assert_null(bus_state_get(st, "staff", "hayes"));
}

static void
test_sector_level_always_on_record(void **state)
{
	struct bus_state *st = *state;

	bus_state_settle(st, T0);
	bus_state_pending_clear(st);
	/* Setting the level the sector already has is still an event. */
	expect_ok(op(st, "mori", "sector_level", "{\"sector\":\"food\",\"level\":0}"));
	bus_state_settle(st, T0 + 1000);
	assert_int_equal(pending_for(st, "sector.food"), 1);
	assert_string_equal(field(st, "sector", "food", "level_set_by"), "mori");
	bus_state_pending_clear(st);
	bus_state_settle(st, T0 + 2000);
	assert_int_equal(pending_for(st, "sector.food"), 0);
}

/* An op name of 63 bytes and an 'é' is quoted cut at 64 bytes, inside the
 * 'é': the refusal must still be a reply (found by tests/fuzz; the hub had
 * nothing to send and died). */
static void
test_refusal_quoting_a_cut_character(void **state)
{
	struct bus_state *st = bus_state_new(30000, 3600000);
	struct bus_actor who = { "mori", ROLE_LEAD };
	const char *op = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9";

	(void)state;
	json_t *args = json_object();
	json_t *r = bus_state_op(st, &who, op, args, 1000);
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "ok")));
	const char *msg = json_string_value(json_object_get(json_object_get(r, "error"),
	    "message"));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "aaaaaaa?"));
	json_decref(r);
	json_decref(args);
	bus_state_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusal_quoting_a_cut_character),
		cmocka_unit_test(test_seed_and_sequence),
		cmocka_unit_test_setup_teardown(test_incident_opens_case_and_ref_updates_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles_are_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_say_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_down_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_raise_sector_for_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_and_roster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_carry_a_timeline_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_teams_on_one_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assigned_needs_a_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roster_is_not_reseeded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sector_level_always_on_record, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
