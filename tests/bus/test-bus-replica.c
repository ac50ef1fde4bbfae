/* The console's replica (bus/bus-replica.c): snapshot, events, tombstones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bus-replica.h"

static json_t *
parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
apply(struct bus_replica *r, const char *topic, const char *body)
{
	json_t *b = parse(body);
	char *cause = NULL;

	if (bus_replica_apply(r, topic, b, &cause) != 0)
		fail_msg("%s: %s", topic, cause);
	json_decref(b);
}

static void
test_snapshot_then_events(void **state)
{
	struct bus_replica *r = bus_replica_new();
	char *cause = NULL;
	json_t *snap = parse("{\"ok\":true,\"seq\":40,\"cases\":[{\"id\":\"ICS-2026-0001\","
	    "\"title\":\"HMI logins\",\"level\":3,\"status\":\"reported\",\"teams\":[],"
	    "\"opened_at\":\"2026-11-27T00:45:12.000Z\",\"seq\":40,\"timeline\":[{\"n\":1,"
	    "\"ts\":\"2026-11-27T00:45:12.000Z\",\"who\":\"ingest\",\"action\":\"opened\","
	    "\"text\":\"opened\"}],\"timeline_count\":1}],\"teams\":[{\"id\":\"FLY-2\","
	    "\"status\":\"available\",\"case\":null,\"members\":[{\"name\":\"a.reyes\","
	    "\"role\":\"lead\"}]}],\"sectors\":[],\"sensors\":[],\"intel\":[],"
	    "\"staff\":[{\"id\":\"mori\",\"role\":\"lead\"}]}");
	(void)state;

	assert_int_equal(bus_replica_load(r, snap, &cause), 0);
	json_decref(snap);
	assert_int_equal(bus_replica_seq(r), 40);
	const struct bus_case *c = bus_replica_find(r, BUS_KIND_CASE, "ICS-2026-0001");
	assert_non_null(c);
	assert_string_equal(c->title, "HMI logins");
	assert_int_equal(c->level, 3);
	assert_int_equal(c->opened_at, 1795740312000LL);
	assert_int_equal(c->ntimeline, 1);
	assert_string_equal(c->timeline[0].who, "ingest");
	const struct bus_team *t = bus_replica_find(r, BUS_KIND_TEAM, "FLY-2");
	assert_int_equal(t->nmembers, 1);
	assert_null(t->case_id);
	assert_string_equal(bus_replica_role_of(r, "mori"), "lead");
	assert_string_equal(bus_replica_role_of(r, "nobody"), "viewer");
	bus_replica_take_changes(r);

	/* An event replaces the object whole. */
	uint64_t gen = bus_replica_generation(r, BUS_KIND_TEAM);
	apply(r, "team.FLY-2", "{\"id\":\"FLY-2\",\"status\":\"dispatched\","
	    "\"case\":\"ICS-2026-0001\",\"members\":[],\"seq\":41}");
	t = bus_replica_find(r, BUS_KIND_TEAM, "FLY-2");
	assert_string_equal(t->status, "dispatched");
	assert_string_equal(t->case_id, "ICS-2026-0001");
	assert_int_equal(t->nmembers, 0);
	assert_int_equal(bus_replica_seq(r), 41);
	assert_true(bus_replica_generation(r, BUS_KIND_TEAM) > gen);
	assert_int_equal(bus_replica_take_changes(r), BUS_KIND_BIT(BUS_KIND_TEAM));
	assert_int_equal(bus_replica_take_changes(r), 0);
	bus_replica_free(r);
}

static void
test_tombstones_and_many_objects(void **state)
{
	struct bus_replica *r = bus_replica_new();
	char topic[64], body[128];
	(void)state;

	for (int i = 0; i < 1000; i++) {
		snprintf(topic, sizeof topic, "staff.p%d", i);
		snprintf(body, sizeof body, "{\"id\":\"p%d\",\"role\":\"officer\",\"seq\":%d}", i, i + 1);
		apply(r, topic, body);
	}
	assert_int_equal(bus_replica_count(r, BUS_KIND_STAFF), 1000);
	/* Remove every other person; the rest must still be found by id. */
	for (int i = 0; i < 1000; i += 2) {
		snprintf(topic, sizeof topic, "staff.p%d", i);
		snprintf(body, sizeof body, "{\"id\":\"p%d\",\"removed\":true,\"seq\":%d}", i, 1001 + i);
		apply(r, topic, body);
	}
	assert_int_equal(bus_replica_count(r, BUS_KIND_STAFF), 500);
	for (int i = 0; i < 1000; i++) {
		char id[16];
		snprintf(id, sizeof id, "p%d", i);
		const struct bus_person *p = bus_replica_find(r, BUS_KIND_STAFF, id);
		if ((i % 2 == 0) != (p == NULL))
			fail_msg("%s: expected %s", id, i % 2 ? "present" : "removed");
		if (p != NULL)
			assert_string_equal(p->id, id);
	}
	bus_replica_free(r);
}

static void
test_bad_events_refused(void **state)
{
	struct bus_replica *r = bus_replica_new();
	json_t *b = parse("{\"id\":\"x\"}"), *arr = parse("[1]");
	char *cause = NULL;
	(void)state;

	assert_int_equal(bus_replica_apply(r, "weather.today", b, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(bus_replica_apply(r, "case", b, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(bus_replica_apply(r, "case.", b, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(bus_replica_apply(r, "case.X", arr, &cause), -1);
	free(cause);
	/* Wrong types become empty fields, never a crash. */
	apply(r, "case.ICS-1", "{\"id\":\"ICS-1\",\"title\":7,\"level\":\"high\",\"teams\":\"FLY-1\","
	    "\"timeline\":{},\"opened_at\":\"yesterday\"}");
	const struct bus_case *c = bus_replica_find(r, BUS_KIND_CASE, "ICS-1");
	assert_null(c->title);
	assert_int_equal(c->level, 0);
	assert_int_equal(c->teams.n, 0);
	assert_int_equal(c->opened_at, 0);
	json_decref(b);
	json_decref(arr);
	bus_replica_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_then_events),
		cmocka_unit_test(test_tombstones_and_many_objects),
		cmocka_unit_test(test_bad_events_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
