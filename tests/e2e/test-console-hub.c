/*
 * The console when the hub goes away and comes back. A hub killed with
 * SIGKILL sends nothing more; its silence must show on the top line as
 * "DISCONNECTED Ns, stale" within the 3 s heartbeat timeout (the one bound
 * here that is a promise about time: an officer must not act on a frozen
 * screen for long), and every panel title says STALE. The hub restarted
 * on the same database is found again by the same console process, which
 * resynchronises by itself and shows what happened meanwhile. A hub that
 * is there but too slow to answer a starting console is joined, not
 * replaced by a hub inside the console.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include "test-console.h"

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-hub");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The heartbeat timeout (3 s) and a margin for a loaded machine. */
#define DISCONNECTED_WITHIN_MS 4500

/* Wait for TEXT on ROW until DEADLINE (monotonic ms). */
static void
expect_row_by(struct test_term *t, int row, const char *text, int64_t deadline, int64_t since)
{
	int64_t left = deadline - mono_ms();

	if (test_term_expect_row(t, row, text, left > 0 ? (int)left : 0) != 0)
		fail_msg("row %d did not show \"%s\" within %d ms of the hub's death "
		    "(%lld ms now)", row, text, DISCONNECTED_WITHIN_MS,
		    (long long)(mono_ms() - since));
}

static void
test_hub_killed_then_restarted(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *a = console_spawn(state, 0, 24, 80, "mori", NULL);
	struct test_term *b = console_spawn(state, 1, 40, 120, "okafor", NULL);
	char before[32], after[32];

	console_report_incident(h, "energy", "Grid West", "Historian wiped", 4, before);
	EXPECT_ROW(a, 0, " CONNECTED ");
	EXPECT_ROW(b, 0, " CONNECTED ");
	EXPECT_ROW(b, 0, "okafor (officer)");
	EXPECT_LINE(a, "4 Severe", before);
	EXPECT_LINE(b, "4 Severe", before);
	EXPECT_GONE(b, "STALE");
	pid_t pa = test_term_pid(a), pb = test_term_pid(b);

	int64_t killed = mono_ms();
	test_hub_stop(h, SIGKILL);
	expect_row_by(a, 0, "DISCONNECTED", killed + DISCONNECTED_WITHIN_MS, killed);
	expect_row_by(b, 0, "DISCONNECTED", killed + DISCONNECTED_WITHIN_MS, killed);
	EXPECT_ROW(a, 0, "stale");
	EXPECT_ROW(a, 0, "mori (lead)");

	/* Every panel title says the data is stale: all five on the grid, the
	 * one shown at 80x24. The cases stay on screen meanwhile. */
	console_expect_count(b, "STALE", 5);
	EXPECT_LINE(a, "Open cases", "STALE");
	EXPECT_LINE(a, "4 Severe", before);
	EXPECT_LINE(b, "4 Severe", before);
	/* The keyboard still works without a hub. */
	assert_int_equal(test_term_send_str(a, "2"), 0);
	EXPECT_LINE(a, "Team dispatch", "STALE");
	assert_int_equal(test_term_send_str(a, "1"), 0);
	EXPECT_LINE(a, "Open cases", "STALE");

	/* The same database, the same endpoints, a new hub process; what it
	 * publishes now reaches the consoles that were already running. */
	if (test_hub_start(h, NULL) != 0)
		fail_msg("watchd did not start again on %s", h->db);
	console_report_incident(h, "transportation", "Port Authority", "AIS spoofing", 5, after);
	EXPECT_ROW(a, 0, " CONNECTED ");
	EXPECT_ROW(b, 0, " CONNECTED ");
	EXPECT_LINE(a, "5 Emergency", after);
	EXPECT_LINE(b, "5 Emergency", after, "Port Authority", "AIS spoofing");
	EXPECT_LINE(a, "4 Severe", before);
	EXPECT_LINE(b, "4 Severe", before);
	EXPECT_GONE(a, "STALE");
	EXPECT_GONE(b, "STALE");
	EXPECT_GONE(a, "DISCONNECTED");
	assert_true(test_term_running(a));
	assert_true(test_term_running(b));
	assert_int_equal(test_term_pid(a), pa);
	assert_int_equal(test_term_pid(b), pb);
	test_hub_passed(f->h);
}

/* A hub that listens but does not answer in time (stopped here; busy or
 * slow in life) is followed, not replaced: a console that ran a hub of
 * its own on the same ipc:// endpoints would take them from it. */
static void
test_busy_hub_is_joined_not_replaced(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	char id[32];

	assert_int_equal(kill(h->pid, SIGSTOP), 0);
	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	EXPECT_ROW(t, 0, " DISCONNECTED ");
	assert_int_equal(kill(h->pid, SIGCONT), 0);
	EXPECT_ROW(t, 0, " CONNECTED ");
	console_report_incident(h, "water", "Lakeside Utility", "Pump PLC reflashed", 3, id);
	EXPECT_LINE(t, "3 High", id, "Lakeside Utility");
	assert_int_equal(test_term_find(t, "hub in this console", NULL, NULL), -1);
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hub_killed_then_restarted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_hub_is_joined_not_replaced, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
