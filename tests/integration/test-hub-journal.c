/*
 * The hub's write-ahead log (the database's -wal file) stays within its
 * limit (watchd --wal-limit) through a long run with followers attached,
 * and through a kill -9 and a restart on the same database.
 *
 * A real watchd with a 4 MiB limit takes 100,000 incident updates in
 * batches of 100, nine in ten on its ingest socket (PUSH) and one in ten
 * as an acknowledged report, while a real console (watchfloor in a pty)
 * and two checkers (watchctl follow --check) follow. Each batch is waited
 * for (its reports' replies, then the hub's count of accepted messages),
 * so that no turn of the hub's holds more than a batch: the limit holds
 * for turns under half of it. After every batch the -wal file's size must
 * be within the limit. Then the hub is killed with SIGKILL and started
 * again on the same database: as soon as it answers, the WAL it found is
 * copied and the file is within the limit, nothing it confirmed is
 * missing (the same seq, every case with its last summary), and another
 * 10,000 updates keep the limit too. At the end the console shows the
 * hub's seq, the checkers are equal to the hub, and the journal holds
 * every seq once.
 *
 * Without working checkpoints the WAL grows by every commit: these updates
 * make about a GB of it. Under AddressSanitizer 40,000 + 5,000 updates,
 * under valgrind 3,000 + 500.
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
#include <sys/stat.h>
#include <zmq.h>

#include "bus-time.h"
#include "test-console.h"
#include "test-valgrind.h"

#define WAL_LIMIT_MIB "4"
#define WAL_LIMIT     (4LL * 1024 * 1024)
#define BATCH         100
#define ACKED_EACH    10  /* one update in ten is an acknowledged report */
#define CASES         200 /* the refs the updates go to, round and round */
#define CHECKERS      2
#define WAIT          10000

/* Under valgrind the hub is 10 to 50 times slower, under AddressSanitizer
 * three to four times: fewer updates, the same checks (even a few thousand
 * make several limits' worth of WAL). */
static int
updates_of(int normal, int asan, int valgrind)
{
	if (test_valgrind_on())
		return valgrind;
#ifdef TEST_ASAN
	(void)normal;
	return asan;
#else
	(void)asan;
	return normal;
#endif
}

struct run {
	struct test_hub *h;
	struct test_term *console;
	void *push, *dealer;
	char wal[400];
	long long largest;   /* the largest -wal file seen */
	int sent;            /* updates sent, and confirmed, so far */
	int acked;           /* of which acknowledged reports */
	int last[CASES];     /* the number of each case's last update */
};

static long long
wal_size(const struct run *r)
{
	struct stat sb;

	return stat(r->wal, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* The -wal file now, which must be within the limit. */
static void
check_wal(struct run *r, const char *when)
{
	long long size = wal_size(r);

	if (size > r->largest)
		r->largest = size;
	if (size > WAL_LIMIT)
		fail_msg("%s the -wal file is %lld bytes, over its limit of %lld", when, size,
		    WAL_LIMIT);
}

/* Update number N: the incident of case N % CASES, with a new summary. */
static json_t *
update_body(int n)
{
	char ref[16], summary[32];

	snprintf(ref, sizeof ref, "WAL-%03d", n % CASES);
	snprintf(summary, sizeof summary, "update %d", n);
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "ref", ref, "title",
	    "Beacon to known C2", "org", "Lakeside Water", "sector", "water", "level", 1 + n % 3,
	    "summary", summary);
}

static json_int_t
accepted(struct test_hub *h)
{
	json_t *stats = test_hub_stats(h);
	json_int_t n = test_jint(stats, "ingest.accepted");

	json_decref(stats);
	return n;
}

/* Open the producer's sockets on the hub now running. */
static void
connect_producer(struct run *r)
{
	r->push = test_hub_own(r->h, test_hub_push(r->h));
	r->dealer = test_hub_dealer(r->h);
}

/* Close the producer's sockets without letting anything queued reach the
 * next hub. */
static void
close_now(struct run *r)
{
	int zero = 0;

	zmq_setsockopt(r->push, ZMQ_LINGER, &zero, sizeof zero);
	test_hub_close(r->h, r->push);
	test_hub_close(r->h, r->dealer);
}

/* COUNT updates in batches, each confirmed before the next is sent: its
 * reports' ok replies, then the hub's count of accepted messages (counted
 * when applied, answered after the commit). The -wal file is checked after
 * every batch. */
static void
send_updates(struct run *r, int count)
{
	json_int_t base = accepted(r->h);
	int first = r->sent;
	char id[16], when[64];

	for (int done = 0; done < count; done += BATCH) {
		int n = count - done < BATCH ? count - done : BATCH, asked = 0;
		for (int i = r->sent; i < r->sent + n; i++) {
			json_t *body = update_body(i);
			if (i % ACKED_EACH == ACKED_EACH - 1) {
				snprintf(id, sizeof id, "%d", i);
				assert_int_equal(test_send_request(r->dealer, "chen", "report", id,
				    json_pack("{s:s, s:o}", "topic", "incident", "body", body)), 0);
				asked++;
			} else {
				char *text = json_dumps(body, JSON_COMPACT);
				assert_int_equal(test_push(r->push, "incident", text), 0);
				free(text);
				json_decref(body);
			}
			r->last[i % CASES] = i;
		}
		for (int i = 0; i < asked; i++) {
			json_t *reply;
			if (test_recv_reply(r->dealer, &reply, NULL, WAIT) != 0)
				fail_msg("a report of batch %d got no reply", r->sent / BATCH);
			if (!json_is_true(json_object_get(reply, "ok")))
				fail_msg("report %s refused: %s", test_jstr(reply, "id"),
				    test_jstr(reply, "error.message"));
			json_decref(reply);
		}
		r->acked += asked;
		r->sent += n;
		int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(WAIT);
		while (accepted(r->h) - base < r->sent - first) {
			if (bus_time_mono_ms() > deadline)
				fail_msg("the hub accepted %lld of the %d updates sent",
				    (long long)(accepted(r->h) - base), r->sent - first);
		}
		/* The console must not block on a full terminal. */
		test_term_pump(r->console, 0);
		snprintf(when, sizeof when, "after %d updates", r->sent);
		check_wal(r, when);
	}
}

/* Every case has its last summary. */
static void
check_cases(struct run *r, json_t *snap)
{
	json_t *cases = json_object_get(snap, "cases");
	char ref[16], want[32];

	for (int c = 0; c < CASES && c < r->sent; c++) {
		snprintf(ref, sizeof ref, "WAL-%03d", c);
		snprintf(want, sizeof want, "update %d", r->last[c]);
		json_t *found = test_jfind(cases, "ref", ref);
		if (found == NULL)
			fail_msg("case %s is gone", ref);
		const char *summary = json_string_value(json_object_get(found, "summary"));
		if (summary == NULL || strcmp(summary, want) != 0)
			fail_msg("case %s says \"%s\", not its last \"%s\"", ref,
			    summary != NULL ? summary : "(none)", want);
	}
}

static json_int_t
hub_seq(struct test_hub *h)
{
	json_t *stats = test_hub_stats(h);
	json_int_t seq = test_jint(stats, "seq");

	json_decref(stats);
	return seq;
}

static long long
db_number(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s", path);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
test_wal_within_limit_through_load_and_kill(void **state)
{
	struct console_fx *f = *state;
	static struct run run;
	struct run *r = &run;
	const char *hub_args[] = { "--wal-limit", WAL_LIMIT_MIB, "--control-rate", "100000",
		NULL };
	const char *follow[] = { "follow", "--check", "--settle", "30", "--quiet", NULL };
	pid_t checkers[CHECKERS];
	int fds[CHECKERS];
	char want[64];

	memset(r, 0, sizeof *r);
	r->h = f->h;
	snprintf(r->wal, sizeof r->wal, "%s-wal", r->h->db);
	r->h->quiet = 1;
	assert_int_equal(test_hub_start(r->h, hub_args), 0);
	r->console = console_spawn(state, 0, 30, 100, "watch", NULL);
	EXPECT_ROW(r->console, 0, " CONNECTED ");
	for (int i = 0; i < CHECKERS; i++) {
		checkers[i] = test_watchctl_spawn(r->h, follow, &fds[i]);
		assert_true(checkers[i] > 0);
	}

	/* The long run. */
	connect_producer(r);
	send_updates(r, updates_of(100000, 40000, 3000));
	json_int_t seq = hub_seq(r->h);
	print_message("# %d updates (%d acknowledged), seq %lld: largest -wal file %lld bytes "
	    "(limit %lld)\n", r->sent, r->acked, (long long)seq, r->largest, WAL_LIMIT);

	/* kill -9 leaves the WAL as it is; the restarted hub brings it back
	 * within the limit before it answers, and lost nothing it confirmed. */
	long long at_kill = wal_size(r);
	assert_true(test_hub_stop(r->h, SIGKILL) >= 0);
	close_now(r);
	assert_int_equal(test_hub_start(r->h, hub_args), 0);
	print_message("# -wal file %lld bytes at the kill, %lld once the hub answered again\n",
	    at_kill, wal_size(r));
	check_wal(r, "once the restarted hub answered,");
	if (at_kill > 64 * 1024 && wal_size(r) >= at_kill)
		fail_msg("the restarted hub left the %lld bytes of WAL it found as they were",
		    at_kill);
	json_t *snap = test_hub_snapshot(r->h);
	assert_int_equal(test_jint(snap, "seq"), seq);
	check_cases(r, snap);
	json_decref(snap);

	/* More load on the restarted hub. */
	connect_producer(r);
	send_updates(r, updates_of(10000, 5000, 500));
	seq = hub_seq(r->h);
	snap = test_hub_snapshot(r->h);
	check_cases(r, snap);
	json_decref(snap);

	/* Everyone followed it all. */
	snprintf(want, sizeof want, "seq %lld  lag 0", (long long)seq);
	if (test_term_expect_row(r->console, 0, want, 60000) != 0)
		fail_msg("the console never showed \"%s\"", want);
	for (int i = 0; i < CHECKERS; i++)
		test_checker_end(r->h, checkers[i], fds[i], seq);
	print_message("# largest -wal file seen %lld bytes (limit %lld), %d updates\n",
	    r->largest, WAL_LIMIT, r->sent);

	/* Every seq once in the journal. */
	close_now(r);
	assert_int_equal(test_hub_stop_clean(r->h), 0);
	assert_int_equal(db_number(r->h->db, "SELECT COUNT(*) FROM journal"), seq);
	assert_int_equal(db_number(r->h->db, "SELECT MAX(seq) FROM journal"), seq);
	test_hub_passed(f->h);
}

static int
setup(void **state)
{
	return console_fixture_setup(state, "hub-journal");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wal_within_limit_through_load_and_kill, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
