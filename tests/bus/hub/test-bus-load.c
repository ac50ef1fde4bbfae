/*
 * A hub's restart, without the hub: a state written to a real SQLite store
 * (as the hub commits it) and loaded back into a new state (as watchd does
 * at every start). The load checks the cases on a second thread
 * (bus_state_load, bus-offload.h); what comes back must be the floor that
 * was written, a case text outside the fast decoder's part of JSON must
 * load all the same, and a damaged text must stop the load and be named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-domain.h"
#include "bus-ops.h"
#include "bus-state.h"
#include "bus-store.h"

#define T0 1795740312000LL /* 2026-11-27T00:45:12Z */
#define SENSOR_TIMEOUT 30000
#define ALERT_WINDOW 600000
#define CASES 600          /* enough to fill many of the checker's blocks */

struct fixture {
	char dir[64];
	char path[128];
	struct bus_store *store;
	struct bus_state *written; /* the state as the hub had it */
};

/* Commit ST's pending changes to STORE, as hub_commit does. */
static void
commit(struct bus_store *store, struct bus_state *st)
{
	const struct bus_change *ch;
	size_t n = bus_state_pending(st, &ch);
	char *cause = NULL;

	assert_int_equal(bus_store_begin(store, &cause), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(bus_store_put_event(store, ch[i].seq, ch[i].ts, ch[i].topic,
		    ch[i].body, &cause), 0);
		if (ch[i].removed)
			assert_int_equal(bus_store_delete_object(store, ch[i].kind, ch[i].id,
			    &cause), 0);
		else
			assert_int_equal(bus_store_put_object(store, ch[i].kind, ch[i].id,
			    ch[i].seq, &cause), 0);
	}
	assert_int_equal(bus_store_commit(store, &cause), 0);
	bus_state_pending_clear(st);
}

static char *
ingest(struct bus_state *st, const char *json, int64_t now)
{
	json_t *body = json_loads(json, 0, NULL);
	char *object = NULL;

	assert_non_null(body);
	assert_int_equal(bus_state_ingest(st, "incident", body, "ingest", now, &object), 0);
	json_decref(body);
	return object;
}

/* A floor of CASES cases over every sector and level, some closed. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char *cause = NULL, body[256];

	strcpy(f->dir, "/tmp/watchfloor-load-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/hub.db", f->dir);
	if ((f->store = bus_store_open(f->path, "normal", BUS_STORE_WAL_LIMIT, &cause)) == NULL)
		return -1;
	f->written = bus_state_new(SENSOR_TIMEOUT, ALERT_WINDOW);
	bus_state_seed(f->written, T0);
	for (int i = 1; i <= CASES; i++) {
		snprintf(body, sizeof body, "{\"title\":\"Beaconing from host %d\",\"org\":\"Org %d\","
		    "\"sector\":\"%s\",\"level\":%d,\"ref\":\"L-%d\"}", i, i % 37,
		    bus_sectors[i % BUS_NSECTORS].id, 1 + i % 5, i);
		free(ingest(f->written, body, T0 + i));
	}
	struct bus_actor lead = { "mori", bus_state_role(f->written, "mori") };
	for (int i = 7; i <= CASES; i += 7) {
		char args[64];
		snprintf(args, sizeof args, "{\"case\":\"ICS-2026-%04d\"}", i);
		json_t *a = json_loads(args, 0, NULL);
		json_t *r = bus_state_op(f->written, &lead, &bus_ops[BUS_OP_CLOSE], a, T0 + CASES + i);
		if (!json_is_true(json_object_get(r, "ok")))
			return -1;
		json_decref(r);
		json_decref(a);
	}
	bus_state_settle(f->written, T0 + 2 * CASES);
	commit(f->store, f->written);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	bus_state_free(f->written);
	bus_store_close(f->store);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The state in F's store, loaded as watchd loads it at a start; NULL and
 * *CAUSE when the load refuses. */
static struct bus_state *
load(struct fixture *f, char **cause)
{
	struct bus_state *st = bus_state_new(SENSOR_TIMEOUT, ALERT_WINDOW);

	*cause = NULL;
	if (bus_state_load(st, f->store, cause) != 0) {
		bus_state_free(st);
		return NULL;
	}
	return st;
}

static json_t *
snapshot(struct bus_state *st)
{
	json_t *head = json_pack("{s:b}", "ok", 1);
	char *text = bus_state_snapshot(st, head, 1000, 20);
	json_t *snap = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	assert_non_null(snap);
	json_decref(head);
	free(text);
	return snap;
}

/* Change the stored text of KIND.ID with SQL: SET is an expression of the
 * old text, "body". */
static void
alter_stored(struct fixture *f, const char *kind, const char *id, const char *set)
{
	char *sql = sqlite3_mprintf("UPDATE journal SET body = %s WHERE seq = (SELECT seq FROM "
	    "objects WHERE kind = %Q AND id = %Q)", set, kind, id);
	char *err = NULL;

	if (sqlite3_exec(bus_store_db(f->store), sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	assert_int_equal(sqlite3_changes(bus_store_db(f->store)), 1);
	sqlite3_free(sql);
}

/* Snapshots A and B hold the same objects (lists may be in another
 * order: the store gives objects back by id) and the same seq. */
static void
assert_same_snapshot(json_t *a, json_t *b)
{
	static const char *const lists[] = { "cases", "teams", "sectors", "sensors", "intel",
		"staff", NULL };

	assert_int_equal(json_integer_value(json_object_get(a, "seq")),
	    json_integer_value(json_object_get(b, "seq")));
	for (size_t l = 0; lists[l] != NULL; l++) {
		json_t *la = json_object_get(a, lists[l]), *lb = json_object_get(b, lists[l]), *x, *y;
		size_t i, j;
		assert_int_equal(json_array_size(la), json_array_size(lb));
		json_array_foreach(la, i, x) {
			const char *id = json_string_value(json_object_get(x, "id"));
			int found = 0;
			json_array_foreach(lb, j, y) {
				if (strcmp(id, json_string_value(json_object_get(y, "id"))) == 0) {
					if (!json_equal(x, y))
						fail_msg("%s %s differs after the load", lists[l], id);
					found = 1;
				}
			}
			if (!found)
				fail_msg("%s %s is missing after the load", lists[l], id);
		}
	}
}

/* After a load, the tallies give every sector the status it was stored
 * with: settling changes nothing. */
static void
assert_tallies_as_written(struct bus_state *st)
{
	const struct bus_change *ch;

	bus_state_settle(st, T0 + 2 * CASES);
	assert_int_equal(bus_state_pending(st, &ch), 0);
}

static void
test_load_gives_back_the_floor(void **state)
{
	struct fixture *f = *state;
	char *cause;
	struct bus_state *st = load(f, &cause);

	assert_non_null(st);
	json_t *a = snapshot(f->written), *b = snapshot(st);
	assert_int_equal(json_array_size(json_object_get(b, "cases")), CASES);
	assert_same_snapshot(a, b);
	json_decref(a);
	json_decref(b);
	assert_tallies_as_written(st);
	/* The sectors' open cases: a closed case is not counted. */
	int open = 0;
	for (int s = 0; s < BUS_NSECTORS; s++) {
		json_t *sec = bus_state_get(st, "sector", bus_sectors[s].id);
		open += (int)json_integer_value(json_object_get(sec, "open_cases"));
	}
	assert_int_equal(open, CASES - CASES / 7);

	/* The ref index: a report with a known ref updates its case. */
	char *obj = ingest(st, "{\"title\":\"Beaconing from host 345\",\"org\":\"Org 12\","
	    "\"sector\":\"it\",\"level\":5,\"ref\":\"L-345\"}", T0 + 10 * CASES);
	assert_string_equal(obj, "case.ICS-2026-0345");
	free(obj);
	/* The id counter: a new case takes the next number. */
	obj = ingest(st, "{\"title\":\"New\",\"org\":\"o\",\"sector\":\"it\",\"level\":1}",
	    T0 + 10 * CASES);
	assert_string_equal(obj, "case.ICS-2026-0601");
	free(obj);
	bus_state_free(st);
}

/* A text outside the fast decoder's part of JSON (a \u escape) is read
 * whole by jansson: the same case, counted and indexed like the rest. */
static void
test_text_outside_fast_part_loads(void **state)
{
	struct fixture *f = *state;
	char *cause;

	alter_stored(f, "case", "ICS-2026-0300",
	    "replace(body, '\"ref\":\"L-300\"', '\"ref\":\"L-\\u0033\\u00300\"')");
	struct bus_state *st = load(f, &cause);
	assert_non_null(st);
	assert_true(json_equal(bus_state_get(st, "case", "ICS-2026-0300"),
	    bus_state_get(f->written, "case", "ICS-2026-0300")));
	assert_tallies_as_written(st);
	char *obj = ingest(st, "{\"title\":\"Beaconing from host 300\",\"org\":\"Org 4\","
	    "\"sector\":\"it\",\"level\":5,\"ref\":\"L-300\"}", T0 + 10 * CASES);
	assert_string_equal(obj, "case.ICS-2026-0300");
	free(obj);
	bus_state_free(st);
}

/* A damaged case text stops the load, named: one in the middle, cut
 * short, while the cases around it are checked on the other thread. */
static void
test_damaged_case_refused_and_named(void **state)
{
	struct fixture *f = *state;
	char *cause;

	alter_stored(f, "case", "ICS-2026-0421", "substr(body, 1, length(body) - 30)");
	assert_null(load(f, &cause));
	assert_non_null(strstr(cause, "case.ICS-2026-0421"));
	assert_non_null(strstr(cause, "not valid JSON"));
	free(cause);
}

/* A team's text is read on the loading thread itself: refused the same. */
static void
test_damaged_team_refused_and_named(void **state)
{
	struct fixture *f = *state;
	char *cause;

	alter_stored(f, "team", "FLY-1", "'[1,2'");
	assert_null(load(f, &cause));
	assert_non_null(strstr(cause, "team.FLY-1"));
	free(cause);
}

/* A NUL byte in a stored text: what follows it would be hidden from a
 * check that reads a C string, yet served, cutting every snapshot short.
 * Refused, for a case and for a team alike. */
static void
test_nul_in_text_refused(void **state)
{
	struct fixture *f = *state;
	char *cause;

	alter_stored(f, "case", "ICS-2026-0555", "body || char(0) || 'x'");
	assert_null(load(f, &cause));
	assert_non_null(strstr(cause, "case.ICS-2026-0555"));
	assert_non_null(strstr(cause, "NUL"));
	free(cause);

	alter_stored(f, "case", "ICS-2026-0555", "substr(body, 1, instr(body, char(0)) - 1)");
	alter_stored(f, "team", "FLY-2", "body || char(0) || '{}'");
	assert_null(load(f, &cause));
	assert_non_null(strstr(cause, "team.FLY-2"));
	assert_non_null(strstr(cause, "NUL"));
	free(cause);
}

/* A text that is JSON but not an object is no case. */
static void
test_text_not_an_object_refused(void **state)
{
	struct fixture *f = *state;
	char *cause;

	alter_stored(f, "case", "ICS-2026-0002", "'\"ICS-2026-0002\"'");
	assert_null(load(f, &cause));
	assert_non_null(strstr(cause, "case.ICS-2026-0002"));
	free(cause);
}

static void
test_empty_store_loads(void **state)
{
	char dir[] = "/tmp/watchfloor-load-XXXXXX", path[128], cmd[128], *cause = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/hub.db", dir);
	struct bus_store *store = bus_store_open(path, "normal", BUS_STORE_WAL_LIMIT, &cause);
	assert_non_null(store);
	struct bus_state *st = bus_state_new(SENSOR_TIMEOUT, ALERT_WINDOW);
	assert_int_equal(bus_state_load(st, store, &cause), 0);
	assert_null(bus_state_get(st, "case", "ICS-2026-0001"));
	bus_state_free(st);
	bus_store_close(store);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_gives_back_the_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_outside_fast_part_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_case_refused_and_named, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_damaged_team_refused_and_named, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_text_not_an_object_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_in_text_refused, setup, teardown),
		cmocka_unit_test(test_empty_store_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
