/*
 * A newcomer's first minute: watchfloor --demo with no hub running runs a
 * hub inside itself and fills the floor; a second console joins it; when
 * the first quits, its database opens in a plain watchd with the same
 * cases.
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
#include <sys/wait.h>

#include "test-hub.h"
#include "test-term.h"

#define WAIT 10000

static struct test_term *first, *second;

static int
setup(void **state)
{
	return test_hub_fixture_setup(state, "demo");
}

static int
teardown(void **state)
{
	test_term_free(first);
	test_term_free(second);
	first = second = NULL;
	return test_hub_fixture_teardown(state);
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

	/* A second console finds the hub running and joins it. */
	second = console(h, 24, 80, "hayes", 0);
	if (test_term_expect(second, "CONNECTED", WAIT) != 0)
		fail_msg("the second console did not connect");
	assert_int_equal(test_term_find(second, "hub in this console", NULL, NULL), -1);
	if (test_term_expect(second, id, WAIT) != 0)
		fail_msg("the second console does not show %s", id);

	/* Quitting the first stops its hub with everything committed. */
	test_term_free(second);
	second = NULL;
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
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_demo_floor_embedded_and_joined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
