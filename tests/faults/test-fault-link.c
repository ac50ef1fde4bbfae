/*
 * The link between a console and the hub, cut and restored. The console
 * (the real watchfloor in a pty) and a checker (watchctl follow --check)
 * reach the hub only through two loopback relays (test-relay.h), one for
 * events and one for control; killing the relays cuts every connection of
 * that link at once, and starting them again on the same ports restores
 * it. The hub itself keeps running and keeps taking reports throughout.
 *
 *  - While the link is up, the console is CONNECTED, shows the cases and
 *    the hub's seq with lag 0.
 *  - Cut: the top line says DISCONNECTED (the console declares it after
 *    3 s without a heartbeat; the test allows CONSOLE_WAIT, an upper bound,
 *    never a measure of speed), "stale", and every one of the five panel
 *    titles says STALE; the cases it had stay on screen.
 *  - While cut, the hub opens more cases. The console cannot know of them
 *    and must not pretend to: for a few seconds more it keeps saying
 *    DISCONNECTED at the seq it had, and shows none of them.
 *  - Restored: the console is CONNECTED again by itself (the same
 *    process), shows the cases opened during the cut, the hub's final seq
 *    with lag 0, nothing STALE; a case opened after that shows too (it
 *    follows live again). The checker, which went through the same cut,
 *    is equal to the hub's snapshot at the final seq.
 *
 * Reports go to the hub directly (its own control endpoint), not through
 * the relays.
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
#include <sys/wait.h>
#include <unistd.h>

#include "bus-time.h"
#include "test-console.h"
#include "test-relay.h"
#include "test-valgrind.h"

#define HOLD_S 3 /* seconds the console is watched while cut, after the reports */

struct link_fx {
	struct test_hub *h;
	struct test_term *t;
	pid_t relay[2]; /* events, control */
};

/* Distinct free loopback ports into PORTS. */
static void
free_ports(int *ports, int n)
{
	for (int i = 0; i < n; i++) {
		int again;
		do {
			ports[i] = test_relay_free_port();
			assert_true(ports[i] > 0);
			again = 0;
			for (int j = 0; j < i; j++)
				again |= ports[j] == ports[i];
		} while (again);
	}
}

static void
relays_start(struct link_fx *fx, const int *listen, const int *target)
{
	for (int i = 0; i < 2; i++) {
		fx->relay[i] = test_relay_start(listen[i], target[i]);
		if (fx->relay[i] < 0)
			fail_msg("cannot start the relay on port %d", listen[i]);
	}
}

static void
relays_stop(struct link_fx *fx)
{
	for (int i = 0; i < 2; i++) {
		if (fx->relay[i] > 0)
			assert_int_equal(test_relay_stop(fx->relay[i]), 0);
		fx->relay[i] = 0;
	}
}

static json_int_t
hub_seq(struct test_hub *h)
{
	json_t *snap = test_hub_snapshot(h);

	assert_non_null(snap);
	json_int_t seq = json_integer_value(json_object_get(snap, "seq"));
	json_decref(snap);
	return seq;
}

/* While cut: the console keeps saying DISCONNECTED at seq SEQ and shows
 * none of the cases in HIDDEN; the wait ends (1) once the top line counts
 * UNTIL seconds of silence, or at the first breach (1, with WHY set). */
struct hold {
	const char *seq;            /* "seq N  lag" as the top line had it */
	const char *const *hidden;  /* NULL-terminated */
	long until;
	char why[200];
};

static int
pred_hold(struct test_term *t, void *arg)
{
	struct hold *h = arg;
	const char *top = test_term_row(t, 0), *dis = strstr(top, "DISCONNECTED ");

	if (dis == NULL || strstr(top, h->seq) == NULL) {
		snprintf(h->why, sizeof h->why, "the top line says \"%s\"", top);
		return 1;
	}
	for (int i = 0; h->hidden[i] != NULL; i++) {
		if (test_term_find(t, h->hidden[i], NULL, NULL) == 0) {
			snprintf(h->why, sizeof h->why, "it shows %s, opened during the cut",
			    h->hidden[i]);
			return 1;
		}
	}
	return strtol(dis + strlen("DISCONNECTED "), NULL, 10) >= h->until;
}

/* The checker's stderr (watchctl follow without --quiet) says it lost the
 * hub and caught up: it really went through the relays, and the cut. */
static void
assert_checker_was_cut(const char *path)
{
	char text[8192];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	if (strstr(text, "disconnected: no heartbeat") == NULL ||
	    strstr(text, "the hub is back") == NULL)
		fail_msg("the checker never lost the hub and came back: %s", text);
}

/* Wait (10 s at most, stretched under valgrind) until the checker's
 * stderr at PATH says it is live: a checker started slowly (under the
 * sanitizers, on a loaded machine) must not first reach the hub after the
 * cut, or it has no cut to go through. */
static void
wait_checker_live(const char *path)
{
	int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(10000);
	char text[8192];

	for (;;) {
		FILE *f = fopen(path, "r");
		size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
		if (f != NULL)
			fclose(f);
		text[n] = '\0';
		if (strstr(text, "live: in step with the hub") != NULL)
			return;
		if (bus_time_mono_ms() >= deadline)
			fail_msg("the checker did not go live before the cut: %s", text);
		usleep(10000);
	}
}

static void
test_link_cut_and_restored(void **state)
{
	struct link_fx *fx = *state;
	struct test_hub *h = fx->h;
	int hub[2], relay[2], ports[4];
	char rev[64], rctl[64], log[400], want[64];
	char before[3][32], during[2][32], after[32];
	static const char *const titles[] = { "Beacon to C2", "Failed logins",
		"Historian wiped" }; /* short: the TITLE column is narrow */

	/* The hub on loopback TCP (no CURVE: loopback only), the relays in
	 * front of its events and control endpoints. */
	free_ports(ports, 4);
	hub[0] = ports[0], hub[1] = ports[1], relay[0] = ports[2], relay[1] = ports[3];
	snprintf(h->events, sizeof h->events, "tcp://127.0.0.1:%d", hub[0]);
	snprintf(h->control, sizeof h->control, "tcp://127.0.0.1:%d", hub[1]);
	snprintf(rev, sizeof rev, "tcp://127.0.0.1:%d", relay[0]);
	snprintf(rctl, sizeof rctl, "tcp://127.0.0.1:%d", relay[1]);
	assert_int_equal(test_hub_start(h, NULL), 0);
	relays_start(fx, relay, hub);

	/* The console and the checker see the hub only through the relays
	 * (watchctl: the later --events/--control win, before the command). */
	snprintf(log, sizeof log, "%s/console.log", h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--events", rev, "--control", rctl, "--config",
		"/dev/null", "--user", "mori", "--log", log, "-v", NULL };
	fx->t = test_term_spawn(40, 120, argv, NULL);
	if (fx->t == NULL)
		fail_msg("cannot start %s", WATCHFLOOR_PATH);
	struct test_term *t = fx->t;
	const char *follow[] = { "--events", rev, "--control", rctl, "follow", "--check", NULL };
	int cfd;
	pid_t checker = test_watchctl_spawn(h, follow, &cfd);
	assert_true(checker > 0);
	char checker_err[400]; /* its stderr: what its sync went through */
	snprintf(checker_err, sizeof checker_err, "%s/ctl-%d.err", h->dir, h->runs);

	/* Link up. */
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_ROW(t, 0, "mori (lead)");
	for (int i = 0; i < 3; i++)
		console_report_incident(h, "energy", "Ridgeway Power", titles[i], 3, before[i]);
	for (int i = 0; i < 3; i++)
		EXPECT_LINE(t, before[i], titles[i]);
	json_int_t seq_before = hub_seq(h);
	snprintf(want, sizeof want, "seq %lld  lag 0", (long long)seq_before);
	EXPECT_ROW(t, 0, want);
	EXPECT_GONE(t, "STALE");
	wait_checker_live(checker_err);

	/* Cut. */
	relays_stop(fx);
	EXPECT_ROW(t, 0, "DISCONNECTED");
	EXPECT_ROW(t, 0, "stale");
	EXPECT_ROW(t, 0, "mori (lead)");
	console_expect_count(t, "STALE", 5); /* all five panel titles */
	for (int i = 0; i < 3; i++)
		EXPECT_LINE(t, before[i], titles[i]);

	/* The hub goes on without the console. */
	console_report_incident(h, "water", "Lakeside Water", "Pump setpoints", 4,
	    during[0]);
	console_report_incident(h, "water", "Lakeside Water", "Chlorine offline", 4,
	    during[1]);
	json_int_t seq_cut = hub_seq(h);
	assert_true(seq_cut > seq_before);
	snprintf(want, sizeof want, "seq %lld  lag", (long long)seq_before);
	const char *hidden[] = { during[0], during[1], "Pump setpoints", "Chlorine offline",
		NULL };
	long silent = strtol(strstr(test_term_row(t, 0), "DISCONNECTED ") + 13, NULL, 10);
	struct hold hold = { want, hidden, silent + HOLD_S, "" };
	if (test_term_wait_for(t, pred_hold, &hold, (HOLD_S + 5) * 1000,
	    "%d s more of DISCONNECTED", HOLD_S) != 0)
		fail_msg("the console stopped counting its silence");
	if (hold.why[0] != '\0') {
		test_term_dump(t, stderr);
		fail_msg("while the link was cut, %s", hold.why);
	}

	/* Restored: the same ports, the same console process. */
	pid_t console = test_term_pid(t);
	relays_start(fx, relay, hub);
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_LINE(t, during[0], "Pump setpoints");
	EXPECT_LINE(t, during[1], "Chlorine offline");
	for (int i = 0; i < 3; i++)
		EXPECT_LINE(t, before[i], titles[i]);
	snprintf(want, sizeof want, "seq %lld  lag 0", (long long)seq_cut);
	EXPECT_ROW(t, 0, want);
	EXPECT_GONE(t, "STALE");
	EXPECT_GONE(t, "DISCONNECTED");
	assert_int_equal(test_term_pid(t), console);

	/* And live again, not only caught up. */
	console_report_incident(h, "healthcare", "St Aldric Hospital", "Infusion pumps", 5,
	    after);
	EXPECT_LINE(t, after, "Infusion pumps");
	json_int_t seq_end = hub_seq(h);
	snprintf(want, sizeof want, "seq %lld  lag 0", (long long)seq_end);
	EXPECT_ROW(t, 0, want);

	/* The checker went through the same cut: equal to the hub. */
	test_checker_end(h, checker, cfd, seq_end);
	assert_checker_was_cut(checker_err);

	/* Both programs end cleanly (under the sanitizers: without leaks). */
	assert_int_equal(test_term_send_str(t, "q"), 0);
	int status = test_term_wait(t, CONSOLE_WAIT);
	assert_true(status != -1 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	relays_stop(fx);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

static int
setup(void **state)
{
	struct link_fx *fx = calloc(1, sizeof *fx);

	if (fx == NULL || test_hub_fixture_setup((void **)&fx->h, "fault-link") != 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* The console first, then the relays, then the hub: whichever way the
 * test ended. */
static int
teardown(void **state)
{
	struct link_fx *fx = *state;

	test_term_free(fx->t);
	for (int i = 0; i < 2; i++) {
		if (fx->relay[i] > 0)
			test_relay_stop(fx->relay[i]);
	}
	test_hub_fixture_teardown((void **)&fx->h);
	free(fx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_cut_and_restored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
