/*
 * A storm on the ingest socket: 100,000 messages, nine in ten of them
 * hostile or malformed (each kind of refusal, escape sequences and bidi
 * controls, oversize bodies, wrong frame counts), interleaved with valid
 * reports, while a checker follows. Every valid one must be accepted,
 * every bad one rejected and counted under its class, the hub's memory
 * must stay within a stated bound, and the checker must end equal to it.
 *
 * The valid reports update 100 cases by their refs (each with a new
 * level or summary, so each is an event): the floor's state stays the
 * same size, and what memory the hub gains is the storm's.
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
#include <unistd.h>
#include <zmq.h>

#include "bus-codec.h"
#include "bus-time.h"
#include "test-hub.h"

#define MESSAGES   100000
#define VALID_EACH 10      /* one in ten is valid */
#define CASES      100
#define RSS_BOUND_KB (64 * 1024)

/* One hostile message of kind K (0..NKINDS-1) and the class it must be
 * refused as. */
enum { NKINDS = 8 };

static int
send_bad(void *push, int k, int i, char *big)
{
	char body[512];

	switch (k) {
	case 0: /* not JSON */
		test_push(push, "incident", "{\"title\": \"unterminated");
		return BUS_REJECT_JSON;
	case 1: /* unknown topic */
		test_push(push, "exploit", "{\"title\":\"x\"}");
		return BUS_REJECT_TOPIC;
	case 2: { /* three frames */
		const void *d[] = { "incident", "{}", "{}" };
		const size_t s[] = { 8, 2, 2 };
		test_send_frames(push, d, s, 3);
		return BUS_REJECT_FRAMES;
	}
	case 3: { /* invalid UTF-8 */
		const char bytes[] = "{\"title\":\"\xc3\x28\",\"org\":\"o\",\"sector\":\"energy\"}";
		const void *d[] = { "incident", bytes };
		const size_t s[] = { 8, sizeof bytes - 1 };
		test_send_frames(push, d, s, 2);
		return BUS_REJECT_UTF8;
	}
	case 4: /* fields: unknown sector, with an escape sequence in it */
		snprintf(body, sizeof body, "{\"title\":\"t\",\"org\":\"o\",\"sector\":"
		    "\"\\u001b[2J%d\"}", i);
		test_push(push, "incident", body);
		return BUS_REJECT_FIELDS;
	case 5: /* fields: a level out of range, bidi override in the title */
		test_push(push, "incident", "{\"title\":\"\\u202eevil\",\"org\":\"o\","
		    "\"sector\":\"energy\",\"level\":9}");
		return BUS_REJECT_FIELDS;
	case 6: /* over the body limit (every 50th bad one: they are big) */
		if (i % 50 == 0) {
			const void *d[] = { "incident", big };
			const size_t s[] = { 8, BUS_MAX_BODY + 1000 };
			test_send_frames(push, d, s, 2);
			return BUS_REJECT_SIZE;
		}
		test_push(push, "", "{}");
		return BUS_REJECT_TOPIC;
	default: /* a sensor message without its kind */
		test_push(push, "sensor", "{\"sensor\":\"s-energy-01\"}");
		return BUS_REJECT_FIELDS;
	}
}

static void
test_storm_of_hostile_input(void **state)
{
	struct test_hub *h = *state;
	const char *follow[] = { "follow", "--check", "--settle", "30", "--quiet", NULL };
	long expected[BUS_REJECT_NCLASSES] = { 0 };
	char *big = malloc(BUS_MAX_BODY + 1000), body[512];
	int fd, valid = 0;

	memset(big, 'a', BUS_MAX_BODY + 1000);
	h->quiet = 1;
	assert_int_equal(test_hub_start_measured(h, NULL), 0);
	pid_t checker = test_watchctl_spawn(h, follow, &fd);
	assert_true(checker > 0);
	void *push = test_hub_own(h, test_hub_push(h));
	/* The hub's memory once it has the floor's 100 cases. */
	for (int c = 0; c < CASES; c++) {
		snprintf(body, sizeof body, "{\"ref\":\"STORM-%d\",\"title\":\"Worm spreading on "
		    "plant network\",\"org\":\"Org %d\",\"sector\":\"energy\",\"level\":1}", c, c);
		test_push(push, "incident", body);
	}
	json_t *stats = NULL;
	int64_t deadline = bus_time_mono_ms() + 30000;
	do {
		json_decref(stats);
		stats = test_hub_stats(h);
	} while (test_jint(stats, "ingest.accepted") < CASES && bus_time_mono_ms() < deadline);
	assert_int_equal(test_jint(stats, "ingest.accepted"), CASES);
	json_decref(stats);
	long rss0 = test_proc_kb(h->pid, "VmRSS");

	for (int i = 0; i < MESSAGES - CASES; i++) {
		if (i % VALID_EACH == 0) {
			/* An update: a new summary each time, so each is an event. */
			snprintf(body, sizeof body, "{\"ref\":\"STORM-%d\",\"title\":\"Worm spreading "
			    "on plant network\",\"org\":\"Org %d\",\"sector\":\"energy\",\"level\":%d,"
			    "\"summary\":\"hosts infected: %d\"}", i % CASES, i % CASES, 1 + i % 3, i);
			test_push(push, "incident", body);
			valid++;
		} else
			expected[send_bad(push, (i / VALID_EACH + i) % NKINDS, i, big)]++;
	}
	free(big);

	/* Everything is counted, sooner or later: each message exactly once. */
	deadline = bus_time_mono_ms() + 120000;
	stats = NULL;
	do {
		json_decref(stats);
		usleep(200 * 1000);
		stats = test_hub_stats(h);
	} while (test_jint(stats, "ingest.received") < MESSAGES && bus_time_mono_ms() < deadline);
	assert_int_equal(test_jint(stats, "ingest.received"), MESSAGES);
	assert_int_equal(test_jint(stats, "ingest.accepted"), CASES + valid);
	for (int c = BUS_REJECT_FRAMES; c < BUS_REJECT_NCLASSES; c++) {
		char path[64];
		snprintf(path, sizeof path, "ingest.rejected_by_reason.%s", bus_reject_names[c]);
		if (test_jint(stats, path) != expected[c])
			fail_msg("%s: %lld counted, %ld sent", path, (long long)test_jint(stats, path),
			    expected[c]);
	}
	json_decref(stats);
	long rss1 = test_proc_kb(h->pid, "VmRSS");
	print_message("# hub RSS %ld kB with the floor, %ld kB after the storm (+%ld kB; bound "
	    "%d kB)\n", rss0, rss1, rss1 - rss0, RSS_BOUND_KB);
	if (rss1 - rss0 > RSS_BOUND_KB)
		fail_msg("the storm grew the hub by %ld kB, over the %d kB bound", rss1 - rss0,
		    RSS_BOUND_KB);

	/* The floor still has exactly its 100 cases, and the checker agrees. */
	json_t *snap = test_hub_snapshot(h);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), CASES);
	json_int_t seq = json_integer_value(json_object_get(snap, "seq"));
	json_decref(snap);
	test_checker_end(h, checker, fd, seq);
	test_hub_passed(h);
}

TEST_HUB_SETUP("fault-storm")

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_storm_of_hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
