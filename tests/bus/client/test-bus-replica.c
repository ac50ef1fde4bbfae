/* The console's replica (bus/client/bus-replica.c): snapshot, events, tombstones. */
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

/* What raised a sector, and an unmarked intel item, as the console keeps
 * them: the reason fields, "no alert" as -1, TLP null as NULL. */
static void
test_sector_reason_and_unmarked_tlp(void **state)
{
	struct bus_replica *r = bus_replica_new();
	const struct bus_sector_state *s;
	const struct bus_intel *i;
	(void)state;

	apply(r, "sector.it", "{\"id\":\"it\",\"level\":3,\"level_source\":\"auto\","
	    "\"manual_level\":null,\"level_reason\":\"alert\",\"level_case\":null,"
	    "\"level_cases\":0,\"alert_level\":4,\"alert_at\":\"2026-11-27T00:45:12.000Z\","
	    "\"open_cases\":1,\"seq\":1}");
	s = bus_replica_find(r, BUS_KIND_SECTOR, "it");
	assert_string_equal(s->level_reason, "alert");
	assert_null(s->level_case);
	assert_int_equal(s->alert_level, 4);
	assert_int_equal(s->alert_at, 1795740312000LL);
	apply(r, "sector.it", "{\"id\":\"it\",\"level\":2,\"level_reason\":\"cases\","
	    "\"level_case\":\"ICS-2026-0012\",\"level_cases\":1,\"alert_level\":null,"
	    "\"alert_at\":null,\"seq\":2}");
	s = bus_replica_find(r, BUS_KIND_SECTOR, "it");
	assert_string_equal(s->level_case, "ICS-2026-0012");
	assert_int_equal(s->level_cases, 1);
	assert_int_equal(s->alert_level, -1);
	assert_int_equal(s->alert_at, 0);

	apply(r, "intel.INT-2026-0001", "{\"id\":\"INT-2026-0001\",\"title\":\"t\","
	    "\"source\":\"s\",\"tlp\":null,\"seq\":3}");
	i = bus_replica_find(r, BUS_KIND_INTEL, "INT-2026-0001");
	assert_null(i->tlp);
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

/* A case event with a timeline of entries FIRST..LAST of COUNT. */
static void
apply_case(struct bus_replica *r, int first, int last, int count, int seq)
{
	char body[4096];
	int len = snprintf(body, sizeof body, "{\"id\":\"ICS-1\",\"status\":\"reported\","
	    "\"seq\":%d,\"timeline_count\":%d,\"timeline\":[", seq, count);

	for (int n = first; n <= last; n++)
		len += snprintf(body + len, sizeof body - (size_t)len, "%s{\"n\":%d,\"ts\":"
		    "\"2026-11-27T00:45:%02d.000Z\",\"who\":\"mori\",\"action\":\"note\","
		    "\"text\":\"note %d\"}", n > first ? "," : "", n, n % 60, n);
	snprintf(body + len, sizeof body - (size_t)len, "]}");
	apply(r, "case.ICS-1", body);
}

/* The console keeps a few entries a case: the newest, in order, with the
 * whole count; the checker's comparison sees a difference in them. */
static void
test_tail_kept(void **state)
{
	struct bus_replica *r = bus_replica_new(), *whole = bus_replica_new();
	char why[128];
	(void)state;

	bus_replica_set_tail(r, 4);
	apply_case(r, 1, 20, 20, 5);
	apply_case(whole, 1, 20, 20, 5);
	const struct bus_case *c = bus_replica_find(r, BUS_KIND_CASE, "ICS-1");
	assert_int_equal(c->ntimeline, 4);
	assert_int_equal(c->timeline_count, 20);
	for (int i = 0; i < 4; i++) {
		char text[16];
		snprintf(text, sizeof text, "note %d", 17 + i);
		assert_int_equal(c->timeline[i].n, 17 + i);
		assert_string_equal(c->timeline[i].text, text);
	}
	/* A tail shorter than what is kept is kept whole. */
	apply_case(r, 21, 22, 22, 6);
	c = bus_replica_find(r, BUS_KIND_CASE, "ICS-1");
	assert_int_equal(c->ntimeline, 2);
	assert_int_equal(c->timeline[1].n, 22);
	/* Replicas keeping different tails differ in the timeline only. */
	apply_case(whole, 21, 22, 22, 6);
	assert_int_equal(bus_replica_diff(whole, r, why, sizeof why), 0);
	apply_case(r, 3, 22, 22, 6);
	assert_int_equal(bus_replica_diff(whole, r, why, sizeof why), 1);
	assert_string_equal(why, "case ICS-1 differs from the snapshot: timeline");
	bus_replica_free(r);
	bus_replica_free(whole);
}

/* A snapshot loaded aside is swapped in whole: seq, objects, and a new
 * generation for every kind, so that every panel redraws. */
static void
test_swap(void **state)
{
	struct bus_replica *r = bus_replica_new(), *fresh = bus_replica_new();
	json_t *staff = parse("{\"id\":\"mori\",\"role\":\"lead\"}");
	(void)state;

	apply_case(r, 1, 1, 1, 3);
	bus_replica_take_changes(r);
	uint64_t gen[BUS_KIND_COUNT];
	for (int k = 0; k < BUS_KIND_COUNT; k++)
		gen[k] = bus_replica_generation(r, k);
	bus_replica_add(fresh, BUS_KIND_STAFF, staff);
	bus_replica_set_seq(fresh, 90);
	bus_replica_swap(r, fresh);
	assert_int_equal(bus_replica_seq(r), 90);
	assert_int_equal(bus_replica_count(r, BUS_KIND_CASE), 0);
	assert_string_equal(bus_replica_role_of(r, "mori"), "lead");
	assert_int_equal(bus_replica_take_changes(r), (1u << BUS_KIND_COUNT) - 1);
	for (int k = 0; k < BUS_KIND_COUNT; k++)
		assert_true(bus_replica_generation(r, k) > gen[k]);
	/* The old objects went the other way, to be freed with it. */
	assert_int_equal(bus_replica_seq(fresh), 3);
	assert_non_null(bus_replica_find(fresh, BUS_KIND_CASE, "ICS-1"));
	json_decref(staff);
	bus_replica_free(r);
	bus_replica_free(fresh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_then_events),
		cmocka_unit_test(test_sector_reason_and_unmarked_tlp),
		cmocka_unit_test(test_tombstones_and_many_objects),
		cmocka_unit_test(test_bad_events_refused),
		cmocka_unit_test(test_tail_kept),
		cmocka_unit_test(test_swap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
