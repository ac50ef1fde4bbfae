/*
 * Test harness: a real watchd process on ipc:// endpoints in a temporary
 * directory with its own SQLite file, and real ZeroMQ clients to talk to
 * it. Used by the integration tests and the benchmarks.
 *
 * Waiting is always bounded by a deadline (an upper bound, never a
 * measure of speed): a test that times out fails instead of hanging.
 * Under WATCHFLOOR_VALGRIND every deadline is stretched, watchd and
 * watchctl run under memcheck, and the teardown fails a test whose
 * programs memcheck failed (test-valgrind.h).
 */
#ifndef TEST_HUB_H
#define TEST_HUB_H

#include <jansson.h>
#include <sys/types.h>

/* TEST_ASAN: built with AddressSanitizer (gcc says so one way, clang the
 * other), for tests that scale their work or their bounds to it. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#define TEST_HUB_MAX_OWNED 32 /* sockets the harness closes for a test */
#define TEST_HUB_MAX_KIDS  64 /* child processes it kills for a test (fifty checkers) */
#define TEST_HUB_WAIT_MS 10000 /* default upper bound for one wait */

struct bus_curve;

struct test_hub {
	char dir[256];
	char db[320], log[320];
	char ingest[320], events[320], control[320];
	pid_t pid;
	void *zctx;

	/* What test_hub_cleanup() must release even when a test fails half
	 * way (an open socket would make zmq_ctx_term() block for ever). */
	void *owned[TEST_HUB_MAX_OWNED];
	int nowned;
	pid_t kids[TEST_HUB_MAX_KIDS];
	int nkids;
	int runs;   /* watchctl runs, to name their output files */
	int passed; /* set by test_hub_passed(): no log dump at teardown */
	int quiet;  /* start watchd without -v (benchmarks: no debug log) */
	/* A hub with CURVE: the keys the harness's own requests (readiness,
	 * test_hub_call, snapshots) use; NULL for a hub without. */
	const struct bus_curve *curve;
};

/* Make the directory and endpoint names; start nothing. 0 or -1. */
int     test_hub_init(struct test_hub *, const char *name);
/* Start watchd with EXTRA_ARGS (NULL-terminated, may be NULL) and wait
 * until it answers on control (10 s at most). 0 or -1. */
int     test_hub_start(struct test_hub *, const char *const *extra_args);
/* Fork and exec ARGV (test_hub_argv) as the hub, its output to its log,
 * without waiting for it: its pid (also in h->pid), or -1. */
pid_t   test_hub_spawn(struct test_hub *, const char *const *argv);
/* The same, for a hub whose memory (test_proc_kb) a test measures: under
 * AddressSanitizer it runs without the quarantine of freed memory. */
int     test_hub_start_measured(struct test_hub *, const char *const *extra_args);
/* watchd's argv for this hub (its endpoints and database, no settings
 * file, -v if VERBOSE), then EXTRA; at most MAX entries with the NULL. */
int     test_hub_argv(struct test_hub *, const char *const *extra, int verbose,
            const char **argv, int max);
/* Send SIG (SIGTERM, SIGKILL) and reap the process; its exit status. */
int     test_hub_stop(struct test_hub *, int sig);
/* SIGTERM and wait up to TIMEOUT_MS for the hub to exit: its wait status,
 * or -1 if it did not exit in time (it is then killed). */
int     test_hub_terminate(struct test_hub *, int timeout_ms);
/* SIGTERM, and 0 if the hub then exits with status 0 within 10 s (under
 * the sanitizers that also means it leaked nothing); -1 and a note on
 * stderr otherwise. */
int     test_hub_stop_clean(struct test_hub *);
/* 1 if the hub process is still running (not exited, not reaped). */
int     test_hub_running(struct test_hub *);
/* Stop the hub if running, close owned sockets, kill owned children,
 * remove the directory, end the context. */
void    test_hub_cleanup(struct test_hub *);
/* Print the hub's log to stderr (for failing tests). */
void    test_hub_dump_log(const struct test_hub *);

/* cmocka fixtures: *STATE becomes a fresh struct test_hub named NAME (not
 * started). The teardown dumps the hub log unless the test called
 * test_hub_passed(), then cleans up. */
int     test_hub_fixture_setup(void **state, const char *name);
int     test_hub_fixture_teardown(void **state);
/* The fixture most hub tests use: a cmocka setup called setup that gives
 * each test a fresh hub named NAME, and a test entry with it and the
 * shared teardown. */
#define TEST_HUB_SETUP(name) \
	static int setup(void **state) { return test_hub_fixture_setup(state, (name)); }
#define TEST_HUB_CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, test_hub_fixture_teardown)
void    test_hub_passed(struct test_hub *);

/* One control request as USER; the reply (ok or not) or NULL on timeout. */
json_t *test_hub_call(struct test_hub *, const char *user, const char *op, json_t *args);
json_t *test_hub_call_timeout(struct test_hub *, const char *user, const char *op,
            json_t *args, int timeout_ms);
/* OP by USER must succeed (else the test fails with the hub's sentence);
 * the reply, which the caller frees. test_hub_ok_ frees it. */
/* Two maps topic -> object hold the same topics with equal objects; the
 * first difference fails the test, printing both sides under their names. */
void    test_assert_same_objects(json_t *a, const char *a_name, json_t *b,
            const char *b_name);
json_t *test_hub_ok(struct test_hub *, const char *user, const char *op, json_t *args);
void    test_hub_ok_(struct test_hub *, const char *user, const char *op, json_t *args);
/* Shorthands with TEST_HUB_WAIT_MS: the snapshot and stats replies. */
json_t *test_hub_snapshot(struct test_hub *);
json_t *test_hub_stats(struct test_hub *);
/* The whole journal after seq AFTER, read with replay in pages of 1000:
 * an array of {"topic", "body"} in seq order, or NULL on any error. */
json_t *test_hub_journal(struct test_hub *, json_int_t after);

/* Objects by topic ("case.ICS-2026-0001" -> body) from a snapshot reply,
 * and applying one event to such a map (tombstones remove). */
json_t *test_snapshot_objects(json_t *snapshot);
void    test_apply_event(json_t *objects, const char *topic, json_t *body);

/* JSON lookups by dotted path ("error.code", "timeline.0.action"; a number
 * indexes an array): the value or NULL, its string or NULL, its integer
 * or -1 when it is not one. */
json_t     *test_jget(json_t *root, const char *path);
const char *test_jstr(json_t *root, const char *path);
json_int_t  test_jint(json_t *root, const char *path);
/* The object in ARRAY whose KEY is the string VALUE, or NULL; and how many
 * there are. */
json_t     *test_jfind(json_t *array, const char *key, const char *value);
size_t      test_jcount(json_t *array, const char *key, const char *value);

/* A PUSH socket on the ingest endpoint, and raw multi-frame sends. */
void   *test_hub_push(struct test_hub *);
int     test_send_frames(void *sock, const void *const *data, const size_t *sizes, int n);
int     test_push(void *push, const char *topic, const char *body);

/* A SUB socket on the events endpoint for PREFIX ("" for all), returned
 * only once a heartbeat has arrived, so the subscription is live. */
void   *test_hub_sub(struct test_hub *, const char *prefix);
/* Next message on SUB within TIMEOUT_MS: 0 with topic and body (caller
 * frees both), -1 on timeout. Heartbeats are skipped if SKIP_HB. */
int     test_sub_recv(void *sub, char **topic, json_t **body, int timeout_ms, int skip_hb);
/* Skip events until one whose topic starts with PREFIX (heartbeats are
 * skipped unless PREFIX names them): 0 with *BODY (and *TOPIC if TOPIC is
 * not NULL), -1 on timeout. */
int     test_sub_wait(void *sub, const char *prefix, char **topic, json_t **body,
            int timeout_ms);

/* Sockets the harness owns: test_hub_own() registers one (and returns it;
 * NULL passes through), test_hub_close() closes and forgets it, and
 * test_hub_cleanup() closes whatever a failed test left open. */
void   *test_hub_own(struct test_hub *, void *sock);
void    test_hub_close(struct test_hub *, void *sock);
/* Owned control sockets, connected: a DEALER and a REQ. */
void   *test_hub_dealer(struct test_hub *);
void   *test_hub_req(struct test_hub *);
/* A request ["request", {op, id, user, ...ARGS}] (ARGS stolen, may be NULL). */
int     test_send_request(void *sock, const char *user, const char *op, const char *id,
            json_t *args);
/* The next message within TIMEOUT_MS whose last two frames are "reply" and
 * a JSON object: 0 and *REPLY, -1 on timeout. *NFRAMES (if not NULL) gets
 * the number of frames it came in. */
int     test_recv_reply(void *sock, json_t **reply, int *nframes, int timeout_ms);

/* Run watchctl with the hub's endpoints and ARGS (NULL-terminated), INPUT
 * on stdin (NULL: empty). *OUT and *ERR (if not NULL) get its stdout and
 * stderr (caller frees). Its exit code, or -1 if it did not exit by
 * itself within 30 s or died of a signal. */
int     test_watchctl(struct test_hub *, const char *const *args, const char *input,
            char **out, char **err);
/* Start watchctl with ARGS in the background with its stdout on a pipe
 * (*OUT_FD, caller closes); the child is owned. Its pid or -1. */
pid_t   test_watchctl_spawn(struct test_hub *, const char *const *args, int *out_fd);
/* Send SIG to owned child PID and reap it within TIMEOUT_MS: its exit code,
 * or -1 (killed by a signal or did not exit in time). */
int     test_kid_stop(struct test_hub *, pid_t, int sig, int timeout_ms);
/* Reap PID (any child) within TIMEOUT_MS: its wait status, or -1 (it is
 * then SIGKILLed and reaped). */
int     test_reap_within(pid_t pid, int timeout_ms);
/* A process's memory figure from /proc/PID/status in kB ("VmRSS",
 * "VmHWM"), or -1. */
long    test_proc_kb(pid_t pid, const char *field);
/* The CPU time PID has used (utime + stime, all its threads) in seconds,
 * or -1 once it is gone. */
double  test_proc_cpu_s(pid_t pid);
/* End a checker (watchctl follow --check, from test_watchctl_spawn, its
 * output on FD): SIGTERM, then it must exit 0 saying it is equal to the
 * hub's snapshot at SEQ; fails the test otherwise. */
void    test_checker_end(struct test_hub *, pid_t checker, int fd, json_int_t seq);
/* What a checker said at its end: its summary line and its counts. */
struct test_checker_summary {
	char line[512];
	unsigned long long applied, gaps, snapshots, dups;
};
/* test_checker_end, and what the checker said into *OUT. */
void    test_checker_end_summary(struct test_hub *, pid_t checker, int fd, json_int_t seq,
            struct test_checker_summary *out);

#endif
