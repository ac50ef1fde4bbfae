/*
 * A console whose terminal goes away ends. Remote staff work over SSH, and
 * a dropped link is the normal case: the pty's master closes under the
 * console, the kernel hangs the terminal up, and the console must be gone
 * within a second or two, not left spinning on an end of input that stays
 * readable for ever. A console that hosts the floor's hub commits what it
 * holds and frees the endpoints, so that the next console can start there
 * and find every case.
 *
 * The hangup is seen three ways, each tested: the SIGHUP the kernel sends
 * the terminal's controlling process; with that signal blocked, the tty
 * itself (POLLHUP, an end of input, EIO on a write); and SIGTERM, SIGINT
 * and SIGHUP sent by hand, which end it with status 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test-console.h"

/* How soon a console must be gone after its terminal is: an upper bound
 * (the harness stretches it under valgrind), never a measure of speed. */
#define GONE_WITHIN_MS 2000

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-hangup");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* watchfloor in slot SLOT on the fixture's endpoints, with a database of
 * its own for a hub inside it, and BLOCKED signals blocked (or NULL). */
static struct test_term *
spawn(void **state, int slot, const char *user, const sigset_t *blocked)
{
	struct console_fx *f = *state;
	char log[400], db[400];

	snprintf(log, sizeof log, "%s/console-%d-%s.log", f->h->dir, slot, user);
	snprintf(db, sizeof db, "%s/console.db", f->h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--ingest", f->h->ingest, "--events",
		f->h->events, "--control", f->h->control, "--db", db, "--user", user,
		"--log", log, "-v", NULL };
	f->t[slot] = test_term_spawn_blocking(40, 120, argv, NULL, blocked);
	if (f->t[slot] == NULL)
		fail_msg("cannot start %s", WATCHFLOOR_PATH);
	return f->t[slot];
}

/* T ends within GONE_WITHIN_MS, by itself and with exit status 0. */
static void
expect_gone_cleanly(struct test_term *t, const char *after)
{
	int status = test_term_wait(t, GONE_WITHIN_MS);

	if (status == -1)
		fail_msg("the console still runs %d ms after %s", GONE_WITHIN_MS, after);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the console ended after %s with %s %d, not exit status 0", after,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void
test_hangup_ends_console(void **state)
{
	struct console_fx *f = *state;
	struct test_term *t;

	console_start_hub(state);
	t = spawn(state, 0, "okafor", NULL);
	EXPECT_ROW(t, 0, " CONNECTED ");
	test_term_hangup(t);
	expect_gone_cleanly(t, "its terminal closed");
	test_hub_passed(f->h);
}

/* Without the SIGHUP (blocked here; a console in another process group
 * of the session may not get one either) the tty says it is gone. */
static void
test_hangup_seen_without_sighup(void **state)
{
	struct console_fx *f = *state;
	struct test_term *t;
	sigset_t hup;

	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	console_start_hub(state);
	t = spawn(state, 0, "okafor", &hup);
	EXPECT_ROW(t, 0, " CONNECTED ");
	test_term_hangup(t);
	expect_gone_cleanly(t, "its terminal closed (SIGHUP blocked)");
	test_hub_passed(f->h);
}

/* The console that hosts the hub: gone, the endpoints free, and the next
 * console, which hosts the hub in turn, has every case. */
static void
test_hangup_of_hub_console_keeps_floor(void **state)
{
	struct console_fx *f = *state;
	struct test_term *t;
	char ids[3][32];
	static const char *const sectors[] = { "energy", "water", "dams" };

	t = spawn(state, 0, "mori", NULL);
	EXPECT(t, "hub in this console");
	for (int i = 0; i < 3; i++)
		console_report_incident(f->h, sectors[i], "Grid West", "Historian wiped", 3,
		    ids[i]);
	EXPECT(t, ids[2]);
	test_term_hangup(t);
	expect_gone_cleanly(t, "its terminal closed");

	t = spawn(state, 1, "hayes", NULL);
	EXPECT(t, "hub in this console");
	for (int i = 0; i < 3; i++)
		EXPECT_LINE(t, "3 High", ids[i], sectors[i]);
	json_t *snap = test_hub_snapshot(f->h);
	assert_non_null(snap);
	for (int i = 0; i < 3; i++) {
		if (test_jfind(test_jget(snap, "cases"), "id", ids[i]) == NULL)
			fail_msg("%s is not in the floor the next console serves", ids[i]);
	}
	json_decref(snap);
	assert_int_equal(test_term_signal(t, SIGTERM), 0);
	expect_gone_cleanly(t, "SIGTERM");
	test_hub_passed(f->h);
}

/* SIGTERM, SIGINT and SIGHUP by hand: status 0, hub inside or not. */
static void
test_signals_end_console(void **state)
{
	struct console_fx *f = *state;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct test_term *t = spawn(state, 0, "mori", NULL);
		EXPECT(t, "hub in this console");
		assert_int_equal(test_term_signal(t, sigs[i]), 0);
		expect_gone_cleanly(t, strsignal(sigs[i]));
		test_term_free(t);
		f->t[0] = NULL;
	}
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hangup_ends_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup_seen_without_sighup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup_of_hub_console_keeps_floor, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_signals_end_console, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
