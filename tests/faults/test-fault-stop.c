/*
 * A console and a checker frozen (SIGSTOP) for 30 s while the hub takes a
 * burst, as a remote console on a bad connection freezes. The hub must
 * not hold their backlog without limit: with --pub-hwm 5000 it keeps at
 * most 5,000 events for each and drops the rest by design, so its memory
 * stays within a stated bound. After SIGCONT the console must say it is
 * catching up (a resync or a repair, in its log) and show the last case,
 * and the checker must end equal to the hub.
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
#include <time.h>
#include <unistd.h>

#include "bus-time.h"
#include "test-console.h"

#define BURST        40000
#define PUB_HWM      "5000"
#define FROZEN_S     30
#define RSS_BOUND_KB (96 * 1024)

static int
setup(void **state)
{
	return console_fixture_setup(state, "fault-stop");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* What the file at PATH holds from byte FROM on (caller frees). */
static char *
file_from(const char *path, long from)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f) - from;
	if (len < 0)
		len = 0;
	fseek(f, from, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	if (fread(text, 1, (size_t)len, f) != (size_t)len)
		len = 0;
	text[len] = '\0';
	fclose(f);
	return text;
}

static long
file_size(const char *path)
{
	FILE *f = fopen(path, "r");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

static void
test_frozen_console_and_checker(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = f->h;
	const char *hub_args[] = { "--pub-hwm", PUB_HWM, NULL };
	const char *follow[] = { "follow", "--check", "--settle", "60", "--quiet", NULL };
	char body[320], ref[32], log[400], last_id[32] = "";
	int fd;

	h->quiet = 1;
	assert_int_equal(test_hub_start_measured(h, hub_args), 0);
	pid_t checker = test_watchctl_spawn(h, follow, &fd);
	assert_true(checker > 0);
	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	EXPECT(t, "CONNECTED");
	snprintf(log, sizeof log, "%s/console-0-mori.log", h->dir);
	long rss0 = test_proc_kb(h->pid, "VmRSS");

	/* Freeze both, then the burst: updates to 100 cases by their refs,
	 * each a new summary (so each an event); the very last one raises
	 * its case to level 5, which nothing else on the floor has. */
	assert_int_equal(test_term_signal(t, SIGSTOP), 0);
	assert_int_equal(kill(checker, SIGSTOP), 0);
	long log_at_stop = file_size(log);
	int64_t frozen_at = bus_time_mono_ms();
	void *push = test_hub_own(h, test_hub_push(h));
	for (int i = 0; i < BURST; i++) {
		snprintf(ref, sizeof ref, "BURST-%03d", i % 100);
		snprintf(body, sizeof body, "{\"ref\":\"%s\",\"title\":\"Worm beacon\","
		    "\"org\":\"Gulf Midstream Pipeline\",\"sector\":\"energy\",\"level\":%d,"
		    "\"summary\":\"hosts seen: %d\"}", ref, i == BURST - 1 ? 5 : 1, i);
		test_push(push, "incident", body);
	}
	/* Everything in, then the rest of the 30 s. */
	json_t *stats = NULL;
	do {
		json_decref(stats);
		usleep(200 * 1000);
		stats = test_hub_stats(h);
	} while (test_jint(stats, "ingest.accepted") < BURST &&
	    bus_time_mono_ms() - frozen_at < FROZEN_S * 1000);
	assert_int_equal(test_jint(stats, "ingest.accepted"), BURST);
	json_decref(stats);
	long rss1 = test_proc_kb(h->pid, "VmRSS");
	print_message("# hub RSS %ld kB before, %ld kB with two subscribers frozen through "
	    "%d events (+%ld kB; bound %d kB)\n", rss0, rss1, BURST, rss1 - rss0, RSS_BOUND_KB);
	if (rss1 - rss0 > RSS_BOUND_KB)
		fail_msg("the hub grew by %ld kB holding frozen subscribers' backlog", rss1 - rss0);
	int64_t left = FROZEN_S * 1000 - (bus_time_mono_ms() - frozen_at);
	if (left > 0) {
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}

	/* The last case of the burst, the most severe: at the top of the list. */
	json_t *snap = test_hub_snapshot(h);
	char last_ref[32];
	snprintf(last_ref, sizeof last_ref, "BURST-%03d", (BURST - 1) % 100);
	json_t *c = test_jfind(json_object_get(snap, "cases"), "ref", last_ref);
	assert_non_null(c);
	snprintf(last_id, sizeof last_id, "%s", test_jstr(c, "id"));
	json_int_t seq = json_integer_value(json_object_get(snap, "seq"));
	json_decref(snap);

	/* Thawed: both catch up, and say so. */
	assert_int_equal(test_term_signal(t, SIGCONT), 0);
	assert_int_equal(kill(checker, SIGCONT), 0);
	EXPECT_LINE(t, "5 Emergency", last_id);
	EXPECT(t, "CONNECTED");
	char *since = file_from(log, log_at_stop);
	int caught_up = strstr(since, "sync: syncing") != NULL ||
	    strstr(since, "sync: repairing") != NULL;
	if (!caught_up)
		print_message("# the console's log since SIGSTOP:\n%s", since);
	free(since); /* before a failure, which does not return */
	if (!caught_up)
		fail_msg("after SIGCONT the console's log says no resync or repair");
	test_checker_end(h, checker, fd, seq);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frozen_console_and_checker, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
