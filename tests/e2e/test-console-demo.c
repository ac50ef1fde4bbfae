/*
 * A newcomer's first minute: watchfloor --demo with no hub running runs a
 * hub inside itself and fills the floor, marked DEMO; a second console
 * joins it; the first asks before its q stops the hub for the second;
 * when it quits, its database opens in a plain watchd with the same cases,
 * still a demo. --demo never pours made-up traffic into a live hub, and a
 * demo floor's database is not the live floor's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test-hub.h"
#include "test-term.h"

#define WAIT 10000

static struct test_term *first, *second;

TEST_HUB_SETUP("demo")

static int
teardown(void **state)
{
	test_term_free(first);
	test_term_free(second);
	first = second = NULL;
	return test_hub_fixture_teardown(state);
}

/* The embedded hub's count of events connections reaches WANT. */
static void
expect_followers(struct test_hub *h, json_int_t want)
{
	json_int_t n = -1;

	for (int i = 0; i < 200 && n != want; i++) {
		json_t *st = test_hub_stats(h);
		n = test_jint(st, "followers");
		json_decref(st);
		if (n != want)
			poll(NULL, 0, 50);
	}
	if (n != want)
		fail_msg("the hub counts %lld followers, not %lld", (long long)n, (long long)want);
}

static struct test_term *
console(struct test_hub *h, int rows, int cols, const char *user, int demo)
{
	char db[400];
	snprintf(db, sizeof db, "%s/console.db", h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--ingest", h->ingest, "--events", h->events,
		"--control", h->control, "--db", db, "--user", user,
		demo ? "--demo" : NULL, "--seed", "1", NULL };
	struct test_term *t = test_term_spawn(rows, cols, argv, NULL);

	assert_non_null(t);
	return t;
}

/* The id of the first case row on the screen (cases panel rows). */
static int
first_case_id(struct test_term *t, char *out, size_t size)
{
	int rows, cols;

	test_term_size(t, &rows, &cols);
	for (int r = 0; r < rows; r++) {
		const char *row = test_term_row(t, r), *p = strstr(row, "ICS-");
		if (p != NULL && strlen(p) >= 13) {
			snprintf(out, size, "%.13s", p);
			return 0;
		}
	}
	return -1;
}

static void
test_demo_floor_embedded_and_joined(void **state)
{
	struct test_hub *h = *state;
	char id[32];

	/* No hub runs at these endpoints: the console becomes the hub. */
	first = console(h, 40, 120, "mori", 1);
	if (test_term_expect(first, "hub in this console", WAIT) != 0)
		fail_msg("the console did not run a hub of its own");
	/* A live floor within ten seconds: cases, teams, sectors, intel. */
	if (test_term_expect(first, "ICS-2026-", WAIT) != 0 ||
	    test_term_expect(first, "FLY-6", WAIT) != 0 ||
	    test_term_expect(first, "transportation", WAIT) != 0 ||
	    test_term_expect(first, "water", WAIT) != 0 ||
	    test_term_expect(first, "TLP:", WAIT) != 0)
		fail_msg("the demo floor did not fill within 10 s");
	static const char *const sectors[] = { "chemical", "commercial", "communications",
		"manufacturing", "dams", "defense", "emergency", "energy", "financial", "food",
		"government", "healthcare", "it ", "nuclear", "transportation", "water" };
	/* Each waited for, not all read at one instant: a screen read in the
	 * middle of a redraw (ncurses sends a changed row as a clear, then
	 * the text) can miss a row a person never sees missing. CI's valgrind
	 * run once read "food" at that moment. */
	for (size_t i = 0; i < sizeof sectors / sizeof sectors[0]; i++) {
		if (test_term_expect(first, sectors[i], WAIT) != 0)
			fail_msg("sector %s is not on the screen", sectors[i]);
	}
	assert_int_equal(first_case_id(first, id, sizeof id), 0);

	if (test_term_expect_row(first, 0, " DEMO ", WAIT) != 0)
		fail_msg("the top line does not say DEMO");

	/* A second console finds the hub running and joins it. */
	second = console(h, 24, 80, "hayes", 0);
	if (test_term_expect(second, "CONNECTED", WAIT) != 0)
		fail_msg("the second console did not connect");
	assert_int_equal(test_term_find(second, "hub in this console", NULL, NULL), -1);
	if (test_term_expect(second, id, WAIT) != 0)
		fail_msg("the second console does not show %s", id);
	/* At 80 columns too the top line has DEMO, the user and the role. */
	if (test_term_expect_row(second, 0, " DEMO ", WAIT) != 0 ||
	    test_term_expect_row(second, 0, "hayes (lead)", WAIT) != 0)
		fail_msg("the second console's top line lacks DEMO or the user and role");

	/* q in the console that hosts the hub asks first: the second
	 * console would lose its floor. No, and nothing happens. */
	expect_followers(h, 2);
	assert_int_equal(test_term_send_str(first, "q"), 0);
	if (test_term_expect(first, "Quitting stops the hub for 1 other console or tool",
	    WAIT) != 0)
		fail_msg("q did not ask before stopping the hub for the second console");
	assert_int_equal(test_term_send_str(first, "n"), 0);
	if (test_term_expect(first, "cancelled", WAIT) != 0)
		fail_msg("n did not cancel the quit");
	assert_true(test_term_running(first));
	assert_int_equal(test_term_find(second, "DISCONNECTED", NULL, NULL), -1);

	/* Alone again, it quits at once and stops its hub with everything
	 * committed. */
	test_term_free(second);
	second = NULL;
	expect_followers(h, 1);
	assert_int_equal(test_term_send_str(first, "q"), 0);
	int status = test_term_wait(first, WAIT);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A plain watchd opens that database with the same case. */
	snprintf(h->db, sizeof h->db, "%s/console.db", h->dir);
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *snap = test_hub_snapshot(h), *c;
	size_t i;
	int found = 0;
	json_array_foreach(json_object_get(snap, "cases"), i, c)
		found |= strcmp(test_jstr(c, "id"), id) == 0;
	json_decref(snap);
	if (!found)
		fail_msg("%s is not in the database the console left", id);
	json_t *me = test_hub_ok(h, "mori", "whoami", NULL);
	assert_true(json_is_true(json_object_get(me, "demo")));
	json_decref(me);
	test_hub_passed(h);
}

/* Against a live hub --demo refuses, exit 2, and the floor stays as it was. */
static void
test_demo_refuses_a_live_hub(void **state)
{
	struct test_hub *h = *state;

	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *before = test_hub_stats(h);
	first = console(h, 24, 80, "mori", 1);
	if (test_term_expect(first, "serves a live floor", WAIT) != 0)
		fail_msg("--demo against a live hub did not say why it refuses");
	int status = test_term_wait(first, WAIT);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	json_t *snap = test_hub_snapshot(h);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 0);
	assert_int_equal(json_array_size(json_object_get(snap, "intel")), 0);
	json_decref(snap);
	json_t *after = test_hub_stats(h);
	assert_int_equal(test_jint(after, "ingest.received"), test_jint(before, "ingest.received"));
	json_decref(before);
	json_decref(after);
	test_hub_passed(h);
}

/* With no --db a demo floor's database is demo.db in the state folder,
 * beside the live floor's watchd.db and never it. */
static void
test_demo_has_a_database_of_its_own(void **state)
{
	struct test_hub *h = *state;
	char env_state[400], demo_db[500], live_db[500];
	struct stat sb;

	snprintf(env_state, sizeof env_state, "XDG_STATE_HOME=%s/state", h->dir);
	snprintf(demo_db, sizeof demo_db, "%s/state/watchfloor/demo.db", h->dir);
	snprintf(live_db, sizeof live_db, "%s/state/watchfloor/watchd.db", h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--ingest", h->ingest, "--events", h->events,
		"--control", h->control, "--user", "mori", "--demo", "--seed", "1", NULL };
	const char *const env[] = { env_state, NULL };
	first = test_term_spawn(24, 80, argv, env);
	assert_non_null(first);
	if (test_term_expect(first, "DEMO", WAIT) != 0)
		fail_msg("the demo console did not start");
	assert_int_equal(stat(demo_db, &sb), 0);
	assert_int_equal(stat(live_db, &sb), -1);
	assert_int_equal(test_term_signal(first, SIGTERM), 0);
	int status = test_term_wait(first, WAIT);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_demo_floor_embedded_and_joined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo_refuses_a_live_hub, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo_has_a_database_of_its_own, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
