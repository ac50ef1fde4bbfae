/*
 * The hub's rules engine (bus/hub/bus-state.c), driven directly: ingest and
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

#include "bus-demo.h"
#include "bus-domain.h"
#include "bus-hub.h"
#include "bus-ops.h"
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

/* Run op NAME for WHO as the hub does: the registry's refusal, if any,
 * else the state's handler. */
static json_t *
run_op(struct bus_state *st, const struct bus_actor *who, const char *name, json_t *args,
    int64_t now)
{
	const struct bus_op *o = bus_op_find(name);
	json_t *r = bus_op_refusal(o, name, who->user, who->role, args);

	return r != NULL ? r : bus_state_op(st, who, o, args, now);
}

/* Run OP as USER with ARGS (JSON text); returns the reply. */
static json_t *
op(struct bus_state *st, const char *user, const char *name, const char *args)
{
	struct bus_actor who = { user, bus_state_role(st, user) };
	json_t *a = json_loads(args, 0, NULL);

	assert_non_null(a);
	json_t *r = run_op(st, &who, name, a, T0 + 1000);
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
	assert_int_equal(bus_state_role(fresh, "mori"), BUS_ROLE_LEAD);
	assert_int_equal(bus_state_role(fresh, "stranger"), BUS_ROLE_VIEWER);
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

/* The sector event's level and the reason it gives, in one line. */
static void
expect_sector(struct bus_state *st, const char *id, int level, const char *reason)
{
	json_t *s = bus_state_get(st, "sector", id);
	const char *why = field(st, "sector", id, "level_reason");

	if (ifield(st, "sector", id, "level") != level || why == NULL || strcmp(why, reason) != 0)
		fail_msg("sector %s: expected level %d for %s, got %s", id, level, reason,
		    json_dumps(s, JSON_COMPACT));
}

/*
 * A sensor alert holds its sector at its level for one alert window, then
 * one level less each window after, down to what the open cases justify;
 * the tick notices each step and the next settle publishes it.
 */
static void
test_alert_hold_steps_down(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "sensor", "{\"sensor\":\"s-it-01\",\"kind\":\"alert\",\"sector\":\"it\","
	    "\"level\":4,\"signature\":\"ET EXPLOIT\"}", T0));
	bus_state_settle(st, T0);
	expect_sector(st, "it", 4, "alert");
	assert_int_equal(ifield(st, "sector", "it", "alert_level"), 4);
	assert_string_equal(field(st, "sector", "it", "alert_at"),
	    field(st, "sector", "it", "last_alert"));
	assert_true(json_is_null(json_object_get(bus_state_get(st, "sector", "it"), "level_case")));

	/* A lead's level wins over the computed one until set back to auto. */
	expect_ok(op(st, "mori", "sector_level", "{\"sector\":\"it\",\"level\":1}"));
	bus_state_settle(st, T0 + 1000);
	expect_sector(st, "it", 1, "manual");
	assert_string_equal(field(st, "sector", "it", "level_source"), "manual");
	expect_ok(op(st, "mori", "sector_level", "{\"sector\":\"it\",\"level\":\"auto\"}"));
	bus_state_settle(st, T0 + 1000);
	expect_sector(st, "it", 4, "alert");

	/* A case at Medium: the alert still explains the level until it
	 * steps below the case's. */
	free(ingest(st, "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\","
	    "\"level\":2}", T0 + 2000));
	bus_state_settle(st, T0 + 2000);
	bus_state_pending_clear(st);
	static const struct { int64_t at; int level; const char *reason; } steps[] = {
		{ ALERT_WINDOW - 1, 4, "alert" }, { ALERT_WINDOW, 3, "alert" },
		{ 2 * ALERT_WINDOW - 1, 3, "alert" }, { 2 * ALERT_WINDOW, 2, "cases" },
		{ 4 * ALERT_WINDOW, 2, "cases" },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int64_t now = T0 + steps[i].at;
		int before = ifield(st, "sector", "it", "level");
		/* Heartbeats keep the sensor up: only the hold changes. */
		free(ingest(st, "sensor", "{\"sensor\":\"s-it-01\",\"kind\":\"heartbeat\"}", now));
		bus_state_tick(st, now);
		bus_state_settle(st, now);
		expect_sector(st, "it", steps[i].level, steps[i].reason);
		/* A step down is published at once; no step, no event. */
		assert_int_equal(pending_for(st, "sector.it"), before != steps[i].level);
		bus_state_pending_clear(st);
	}
	assert_string_equal(field(st, "sector", "it", "level_case"), "ICS-2026-0001");
	assert_int_equal(ifield(st, "sector", "it", "level_cases"), 1);
	assert_true(json_is_null(json_object_get(bus_state_get(st, "sector", "it"), "alert_at")));

	/* Without the case, the level falls to nothing once the hold ends. */
	expect_ok(op(st, "chen", "close", "{\"case\":\"ICS-2026-0001\"}"));
	bus_state_tick(st, T0 + 4 * ALERT_WINDOW);
	bus_state_settle(st, T0 + 4 * ALERT_WINDOW);
	expect_sector(st, "it", 0, "none");
}

/* What raised a sector: its one case, its cases, or an alert (the newest
 * of those holding the most). */
static void
test_sector_says_why(void **state)
{
	struct bus_state *st = *state;

	free(ingest(st, "incident", "{\"title\":\"a\",\"org\":\"o\",\"sector\":\"water\","
	    "\"level\":3}", T0));
	free(ingest(st, "incident", "{\"title\":\"b\",\"org\":\"o\",\"sector\":\"water\","
	    "\"level\":1}", T0));
	bus_state_settle(st, T0);
	expect_sector(st, "water", 3, "cases");
	assert_string_equal(field(st, "sector", "water", "level_case"), "ICS-2026-0001");
	assert_int_equal(ifield(st, "sector", "water", "level_cases"), 1);
	assert_int_equal(ifield(st, "sector", "water", "open_cases"), 2);

	free(ingest(st, "incident", "{\"title\":\"c\",\"org\":\"o\",\"sector\":\"water\","
	    "\"level\":3}", T0 + 10));
	bus_state_settle(st, T0 + 10);
	expect_sector(st, "water", 3, "cases");
	assert_null(field(st, "sector", "water", "level_case"));
	assert_int_equal(ifield(st, "sector", "water", "level_cases"), 2);

	/* An alert above the cases explains the level; one at their level
	 * does not (the cases hold it longer). */
	free(ingest(st, "sensor", "{\"sensor\":\"s-water-01\",\"kind\":\"alert\","
	    "\"sector\":\"water\",\"level\":3}", T0 + 20));
	bus_state_settle(st, T0 + 20);
	expect_sector(st, "water", 3, "cases");
	free(ingest(st, "sensor", "{\"sensor\":\"s-water-02\",\"kind\":\"alert\","
	    "\"sector\":\"water\",\"level\":5}", T0 + 30));
	bus_state_settle(st, T0 + 30);
	expect_sector(st, "water", 5, "alert");
	assert_int_equal(ifield(st, "sector", "water", "alert_level"), 5);
	assert_int_equal(ifield(st, "sector", "water", "level_cases"), 0);

	/* Lowering the cases moves the reason with them. */
	bus_state_tick(st, T0 + 30 + 5 * ALERT_WINDOW);
	expect_ok(op(st, "mori", "level", "{\"case\":\"ICS-2026-0003\",\"level\":2}"));
	bus_state_settle(st, T0 + 30 + 5 * ALERT_WINDOW);
	expect_sector(st, "water", 3, "cases");
	assert_string_equal(field(st, "sector", "water", "level_case"), "ICS-2026-0001");
	expect_ok(op(st, "chen", "close", "{\"case\":\"ICS-2026-0001\"}"));
	bus_state_settle(st, T0 + 30 + 5 * ALERT_WINDOW);
	expect_sector(st, "water", 2, "cases");
	assert_string_equal(field(st, "sector", "water", "level_case"), "ICS-2026-0003");
}

/* Intel sent without a marking stays unmarked (TLP 2.0: unmarked is not
 * CLEAR): null on the wire, whatever else the producer updates. */
static void
test_unmarked_intel_stays_unmarked(void **state)
{
	struct bus_state *st = *state;
	json_t *item;

	char *object = ingest(st, "intel", "{\"title\":\"Advisory\",\"source\":\"ICS-CERT\","
	    "\"ref\":\"adv-1\"}", T0);
	assert_string_equal(object, "intel.INT-2026-0001");
	free(object);
	item = bus_state_get(st, "intel", "INT-2026-0001");
	assert_non_null(json_object_get(item, "tlp"));
	assert_true(json_is_null(json_object_get(item, "tlp")));
	free(ingest(st, "intel", "{\"title\":\"Advisory, revised\",\"source\":\"ICS-CERT\","
	    "\"ref\":\"adv-1\"}", T0 + 1));
	assert_true(json_is_null(json_object_get(item, "tlp")));
	free(ingest(st, "intel", "{\"title\":\"Advisory, revised\",\"source\":\"ICS-CERT\","
	    "\"ref\":\"adv-1\",\"tlp\":\"amber+strict\"}", T0 + 2));
	assert_string_equal(field(st, "intel", "INT-2026-0001", "tlp"), "amber+strict");
	free(ingest(st, "intel", "{\"title\":\"Marked\",\"source\":\"s\",\"tlp\":\"clear\"}",
	    T0 + 3));
	assert_string_equal(field(st, "intel", "INT-2026-0002", "tlp"), "clear");
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
	assert_int_equal(bus_state_role(st, "ito"), BUS_ROLE_OFFICER);
	expect_ok(op(st, "mori", "staff_remove", "{\"name\":\"ito\"}"));
	assert_int_equal(bus_state_role(st, "ito"), BUS_ROLE_VIEWER);

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
	/* "assigned" means someone is: only the assign op gets a case there,
	 * and the refusal says so. */
	expect_error(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"assigned\"}"),
	    "bad_transition", "from reported it can go to investigating. Use assign, which names "
	    "its handler and moves it to assigned.");
	assert_string_equal(field(st, "case", "ICS-2026-0001", "status"), "reported");
	expect_error(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"onsite\"}"),
	    "bad_transition", "Use dispatch, which sends a team");
	/* Nobody who could not move the case is made its handler. */
	expect_error(op(st, "chen", "assign", "{\"case\":\"ICS-2026-0001\",\"handler\":\"watch\"}"),
	    "bad_handler", "watch is a viewer and could not move case ICS-2026-0001");
	assert_true(json_is_null(json_object_get(bus_state_get(st, "case", "ICS-2026-0001"),
	    "handler")));
	expect_ok(op(st, "chen", "assign", "{\"case\":\"ICS-2026-0001\",\"handler\":\"tanaka\"}"));
	expect_ok(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"investigating\"}"));
	expect_error(op(st, "chen", "status", "{\"case\":\"ICS-2026-0001\",\"status\":\"assigned\"}"),
	    "bad_transition", "Only assign takes a case to assigned, from reported.");
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

/* ------------------------------------------------------------------ */
/*
 * The demo generator (bus/demo/bus-demo.c) driving the state engine for hours
 * of floor time on a clock of the test's own, as watchd does it: ingest
 * pushed, reports opening cases whose ids go back to the generator, ops
 * run as the demo roster, a tick every second and a settle per batch.
 * Without sockets, every run with a seed is the same run, and two and a
 * half hours take a second or two.
 */
struct floor_run {
	int samples;
	int min_calm;      /* fewest sectors at Low or Baseline in a sample */
	int max_severe;    /* most sectors at Severe or Emergency */
	int max_open;      /* most open cases */
	int opened, closed;
	int refused;
};

static void
demo_apply(struct bus_state *st, struct bus_demo *d, struct bus_demo_action *a, int64_t now,
    struct floor_run *run)
{
	char *object = NULL;

	if (a->op == NULL) {
		assert_int_equal(bus_state_ingest(st, a->topic, a->args, "ingest", now, &object), 0);
	} else if (strcmp(a->op, "report") == 0) {
		json_t *body = json_object_get(a->args, "body");
		assert_int_equal(bus_state_ingest(st, json_string_value(json_object_get(a->args,
		    "topic")), body, a->user, now, &object), 0);
		bus_demo_opened(d, object + strlen("case."), (int)json_integer_value(json_object_get(
		    body, "level")), json_is_true(json_object_get(body, "onsite_requested")), now);
		run->opened++;
	} else {
		struct bus_actor who = { a->user, bus_state_role(st, a->user) };
		json_t *r = run_op(st, &who, a->op, a->args, now);
		int ok = json_is_true(json_object_get(r, "ok"));
		run->refused += !ok;
		run->closed += ok && strcmp(a->op, "close") == 0;
		json_decref(r);
	}
	free(object);
	json_decref(a->args);
}

/* The floor now: sectors at Low or below, at Severe or above, open cases. */
static void
floor_sample(struct bus_state *st, struct floor_run *run, int64_t at)
{
	int calm = 0, severe = 0, open = 0, levels[BUS_LEVEL_MAX + 1] = { 0 };

	for (int i = 0; i < BUS_NSECTORS; i++) {
		int level = ifield(st, "sector", bus_sectors[i].id, "level");
		calm += level <= 1;
		severe += level >= 4;
		open += ifield(st, "sector", bus_sectors[i].id, "open_cases");
		levels[level]++;
	}
	print_message("  %3lld min: levels 0-5 %2d %2d %2d %2d %2d %2d, %d open cases\n",
	    (long long)(at - T0) / 60000, levels[0], levels[1], levels[2], levels[3], levels[4],
	    levels[5], open);
	if (run->samples++ == 0 || calm < run->min_calm)
		run->min_calm = calm;
	if (severe > run->max_severe)
		run->max_severe = severe;
	if (open > run->max_open)
		run->max_open = open;
}

/* MINUTES of floor time of the demo at RATE and SPEED, seeded with SEED,
 * against a state with the hub's default settings; sampled every ten
 * minutes after the first twenty. */
static void
demo_fast_forward(uint64_t seed, double rate, double speed, int minutes, struct floor_run *run)
{
	struct bus_state *st = bus_state_new(10000 * 3, 300 * 1000);
	struct bus_demo *d = bus_demo_new(seed, rate, speed, T0);
	struct bus_demo_action acts[64];
	int64_t now = T0, end = T0 + (int64_t)minutes * 60000, tick = T0 + 1000;
	int64_t sample = T0 + 20 * 60000;

	memset(run, 0, sizeof *run);
	bus_state_seed(st, T0);
	while (now < end) {
		int64_t next = bus_demo_next(d);
		now = next > tick ? tick : next > now ? next : now;
		size_t n = bus_demo_due(d, now, acts, 64);
		for (size_t i = 0; i < n; i++)
			demo_apply(st, d, &acts[i], now, run);
		if (now >= tick) {
			bus_state_tick(st, now);
			tick += 1000;
		}
		bus_state_settle(st, now);
		bus_state_pending_clear(st);
		if (now >= sample) {
			floor_sample(st, run, now);
			sample += 10 * 60000;
		}
	}
	print_message("  %d cases opened, %d closed, %d demo commands refused\n", run->opened,
	    run->closed, run->refused);
	bus_demo_free(d);
	bus_state_free(st);
}

/*
 * Issue 12: after 14 minutes of demo every sector read Severe or
 * Emergency. Over two and a half hours the floor must stay believable:
 * mostly Baseline and Low with a few sectors raised, and cases closing
 * as fast as they open, so the open count stays bounded. Both at the
 * console's demo settings (1.5 events a second, lifecycles at three times
 * life) and at watchctl simulate's defaults (1 a second, speed 1).
 */
static void
test_demo_floor_stays_believable(void **state)
{
	static const struct { double rate, speed; int max_open; } runs[] = {
		{ 1.5, 3, 25 }, { 1, 1, 40 },
	};
	struct floor_run run;
	(void)state;

	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		print_message("demo at rate %.1f, speed %.0f, seed 7:\n", runs[i].rate, runs[i].speed);
		demo_fast_forward(7, runs[i].rate, runs[i].speed, 150, &run);
		assert_int_equal(run.samples, 14);
		assert_true(run.min_calm >= 10);
		assert_true(run.max_severe <= 2);
		assert_true(run.max_open <= runs[i].max_open);
		/* Cases close at the rate they open: what is open at the end is
		 * a few minutes' worth. */
		assert_true(run.opened - run.closed <= runs[i].max_open);
	}
}

/* An op name of 63 bytes and an 'é' is quoted cut at 64 bytes, inside the
 * 'é': the refusal must still be a reply (found by tests/fuzz; the hub had
 * nothing to send and died). */
static void
test_refusal_quoting_a_cut_character(void **state)
{
	struct bus_state *st = bus_state_new(30000, 3600000);
	struct bus_actor who = { "mori", BUS_ROLE_LEAD };
	const char *op = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9";

	(void)state;
	json_t *args = json_object();
	json_t *r = run_op(st, &who, op, args, 1000);
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

/* Every op of the registry has exactly one handler, the hub's or the
 * state's: none is refused as unknown by a hub that lists it. */
static void
test_every_op_has_one_handler(void **state)
{
	(void)state;
	for (int i = 0; i < BUS_NOPS; i++) {
		int hub = bus_hub_answers(&bus_ops[i]), st = bus_state_answers(&bus_ops[i]);
		if (hub + st != 1)
			fail_msg("%s: answered by the hub %d, by the state %d", bus_ops[i].name, hub, st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_has_one_handler),
		cmocka_unit_test(test_refusal_quoting_a_cut_character),
		cmocka_unit_test(test_seed_and_sequence),
		cmocka_unit_test_setup_teardown(test_incident_opens_case_and_ref_updates_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles_are_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_say_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_down_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_hold_steps_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sector_says_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmarked_intel_stays_unmarked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_and_roster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_carry_a_timeline_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_teams_on_one_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assigned_needs_a_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roster_is_not_reseeded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sector_level_always_on_record, setup, teardown),
		cmocka_unit_test(test_demo_floor_stays_believable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
