/*
 * kill -9 of the hub at random moments, 20 times, during a steady ingest
 * stream and acknowledged reports, with three checkers (watchctl follow
 * --check) following throughout. After each restart:
 *
 *  - the database passes PRAGMA integrity_check;
 *  - every report the hub acknowledged is there, and after the producer
 *    resends what it did not hear back about (the same ref: the protocol's
 *    retry), every report is there exactly once;
 *  - the sequence continues: the journal is 1..N without a hole or a seq
 *    used twice, and it never goes back below what a reply confirmed;
 *
 * and at the end every checker, having followed all 20 restarts, is equal
 * to the hub. The moments are drawn from a seeded generator (printed), so
 * a failing run can be replayed with WATCHFLOOR_FAULT_SEED.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-hub.h"

#define ROUNDS    20
#define REPORTS   30  /* acknowledged reports per round, pipelined */
#define STREAM    150 /* unacknowledged incidents per round */
#define CHECKERS  3
#define WAIT      10000

static uint64_t rng;

static unsigned
draw(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng >> 33) % n);
}

/* PRAGMA integrity_check of the hub's database, read while it runs. */
static void
assert_integrity(struct test_hub *h, int round)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *verdict = (const char *)sqlite3_column_text(st, 0);
	if (strcmp(verdict, "ok") != 0)
		fail_msg("round %d: integrity_check: %s", round, verdict);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static json_t *
report_args(const char *ref)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:i}}", "topic", "incident", "body",
	    "ref", ref, "title", "Failed logins on HMI", "org", "Ridgeway Power", "sector",
	    "energy", "level", 2);
}

/* Send every ref of ROUND not yet acknowledged; collect replies until
 * STOP_AFTER have come (then return, leaving the rest in flight) or all
 * have. ACKED[i] is set for each ok. */
static void
send_reports(struct test_hub *h, void *dealer, int round, int *acked, int stop_after)
{
	char ref[32], id[32];
	int sent = 0, got = 0;

	for (int i = 0; i < REPORTS; i++) {
		if (acked[i])
			continue;
		snprintf(ref, sizeof ref, "R-%02d-%02d", round, i);
		snprintf(id, sizeof id, "%d", i);
		assert_int_equal(test_send_request(dealer, "chen", "report", id, report_args(ref)),
		    0);
		sent++;
	}
	while (got < sent && got < stop_after) {
		json_t *r;
		if (test_recv_reply(dealer, &r, NULL, WAIT) != 0)
			break;
		int i = atoi(json_string_value(json_object_get(r, "id")));
		if (json_is_true(json_object_get(r, "ok")))
			acked[i] = 1;
		json_decref(r);
		got++;
	}
	(void)h;
}

/* Refs of every case in the snapshot: count of each "R-.." ref into
 * COUNTS (ROUNDS x REPORTS); the number of cases with stream refs, whose
 * duplicates are counted in *STREAM_DUPS. */
static void
count_refs(json_t *snap, int counts[ROUNDS][REPORTS], int *stream_dups)
{
	json_t *seen = json_object(), *c;
	size_t i;

	memset(counts, 0, sizeof(int) * ROUNDS * REPORTS);
	*stream_dups = 0;
	json_array_foreach(json_object_get(snap, "cases"), i, c) {
		const char *ref = json_string_value(json_object_get(c, "ref"));
		int r, k;
		if (ref == NULL)
			continue;
		if (sscanf(ref, "R-%d-%d", &r, &k) == 2 && r < ROUNDS && k < REPORTS)
			counts[r][k]++;
		else if (strncmp(ref, "S-", 2) == 0) {
			if (json_object_get(seen, ref) != NULL)
				(*stream_dups)++;
			json_object_set_new(seen, ref, json_true());
		}
	}
	json_decref(seen);
}

static void
test_kill_9_twenty_times(void **state)
{
	struct test_hub *h = *state;
	const char *follow[] = { "follow", "--check", "--settle", "20", "--quiet", NULL };
	int acked[REPORTS], counts[ROUNDS][REPORTS], stream_dups, fds[CHECKERS];
	pid_t checkers[CHECKERS];
	json_int_t confirmed = 0;
	const char *env = getenv("WATCHFLOOR_FAULT_SEED");

	rng = env != NULL ? strtoull(env, NULL, 10) : 20261127;
	print_message("# seed %llu (WATCHFLOOR_FAULT_SEED)\n", (unsigned long long)rng);
	h->quiet = 1;
	assert_int_equal(test_hub_start(h, NULL), 0);
	for (int i = 0; i < CHECKERS; i++) {
		checkers[i] = test_watchctl_spawn(h, follow, &fds[i]);
		assert_true(checkers[i] > 0);
	}
	void *push = test_hub_own(h, test_hub_push(h));

	for (int round = 0; round < ROUNDS; round++) {
		void *dealer = test_hub_dealer(h);
		char ref[32], body[256];

		memset(acked, 0, sizeof acked);
		/* The steady stream, and the reports, until a random moment. */
		for (int i = 0; i < STREAM; i++) {
			snprintf(ref, sizeof ref, "S-%02d-%03d", round, i);
			snprintf(body, sizeof body, "{\"ref\":\"%s\",\"title\":\"Beacon to known C2\","
			    "\"org\":\"Lakeside Water\",\"sector\":\"water\",\"level\":1}", ref);
			test_push(push, "incident", body);
		}
		send_reports(h, dealer, round, acked, (int)draw(REPORTS + 1));
		assert_true(test_hub_stop(h, SIGKILL) >= 0);

		/* Back up: the database is whole, and nothing acknowledged is
		 * missing even before the producer resends. */
		assert_int_equal(test_hub_start(h, NULL), 0);
		assert_integrity(h, round);
		json_t *snap = test_hub_snapshot(h);
		json_int_t seq = json_integer_value(json_object_get(snap, "seq"));
		if (seq < confirmed)
			fail_msg("round %d: the hub came back at seq %lld, below the %lld it had "
			    "confirmed", round, (long long)seq, (long long)confirmed);
		count_refs(snap, counts, &stream_dups);
		json_decref(snap);
		for (int i = 0; i < REPORTS; i++) {
			if (acked[i] && counts[round][i] != 1)
				fail_msg("round %d: acknowledged report %d is there %d times after "
				    "kill -9", round, i, counts[round][i]);
		}
		/* The producer resends what it did not hear back about. */
		test_hub_close(h, dealer);
		dealer = test_hub_dealer(h);
		send_reports(h, dealer, round, acked, REPORTS);
		for (int i = 0; i < REPORTS; i++)
			assert_true(acked[i]);
		test_hub_close(h, dealer);
		snap = test_hub_snapshot(h);
		confirmed = json_integer_value(json_object_get(snap, "seq"));
		json_decref(snap);
	}

	/* Every report exactly once, no stream incident twice. */
	json_t *snap = test_hub_snapshot(h);
	json_int_t last = json_integer_value(json_object_get(snap, "seq"));
	count_refs(snap, counts, &stream_dups);
	json_decref(snap);
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < REPORTS; i++) {
			if (counts[r][i] != 1)
				fail_msg("report %d of round %d is there %d times", i, r, counts[r][i]);
		}
	}
	assert_int_equal(stream_dups, 0);
	/* The journal: 1..last, each seq once. */
	json_t *journal = test_hub_journal(h, 0);
	assert_non_null(journal);
	assert_int_equal((json_int_t)json_array_size(journal), last);
	for (size_t i = 0; i < json_array_size(journal); i++) {
		json_t *ev = json_array_get(journal, i);
		json_int_t seq = test_jint(ev, "body.seq");
		if (seq != (json_int_t)i + 1)
			fail_msg("journal entry %zu has seq %lld", i, (long long)seq);
	}
	json_decref(journal);

	/* The checkers followed all of it: each equal to the hub. */
	for (int i = 0; i < CHECKERS; i++)
		test_checker_end(h, checkers[i], fds[i], last);
	test_hub_passed(h);
}

TEST_HUB_SETUP("fault-kill")

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_kill_9_twenty_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
