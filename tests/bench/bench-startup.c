/*
 * bench-startup: how long the console takes to show a full floor, and the
 * hub to restart on a long journal, each against the same on an empty hub
 * measured in the same run; and the peak memory (VmHWM) of each.
 *
 *   console: a hub filled with C open cases (10,000 unless --cases) and a
 *            journal of E events (100,000 unless --events): C incidents
 *            open the cases, then reports cycle over them (each changes
 *            the summary, every fourth the level) until the hub's seq
 *            reaches E. The real watchfloor in a 120x40 pty is timed from
 *            spawn until its first full screen: the top line CONNECTED
 *            (not STALE, not resyncing) at the hub's seq, both panel titles
 *            drawn and the cases panel counting C open cases. Against the
 *            same on an empty hub (its new database: no cases, the demo
 *            roster and teams). Rounds alternate empty, full.
 *   restart: a database whose journal holds J events (1,000,000 unless
 *            --journal), filled the same way over K cases (2,000 unless
 *            --restart-cases), then stopped cleanly (WAL checkpointed).
 *            watchd is timed from fork+exec until it answers whoami,
 *            against an empty database (a hub started once and stopped);
 *            the CPU time its main thread took until then is read too.
 *            The hub opens its sockets only after loading its store, so
 *            the bench waits for the control socket's file (1 ms polls)
 *            before it asks: no ZeroMQ reconnect interval in the figure.
 *            With --keep DIR the filled database is DIR/hub.db and stays
 *            there; a later run with the same DIR reuses it instead of
 *            filling again (DIR/fill.txt says what it holds), after one
 *            untimed start that brings its pages into the page cache.
 *
 * Everything goes through the real hub's ingest: the databases are what a
 * floor would have, not generated beside the product's code. The fill
 * rates are printed too (the big journal takes a while).
 *
 * Checks (exit 1): every message accepted, the console reaches the full
 * screen and quits with q and status 0, the hub answers after a restart
 * with the seq it had. The time is reported, never judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench-msgs.h"
#include "test-hub.h"
#include "test-term.h"

#define STARTUP_ROWS 40
#define STARTUP_COLS 120
#define STARTUP_USER "mori"
#define STARTUP_WAIT_MS 120000 /* upper bound for one start-up, never a measure */

struct startup_opts {
	size_t cases, events, journal, restart_cases;
	int rounds, console, restart;
	const char *keep; /* where the restart's filled database is kept, or NULL */
};

static double
ms_since(int64_t t0)
{
	return (double)(bench_now_ns() - t0) / 1e6;
}

static double
maxof(const double *v, int n)
{
	double m = 0;

	for (int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static long long
jnum(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(obj, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static long long
file_bytes(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* ------------------------------------------------------------------ */
/* Filling a hub through its ingest. */

/* Wait until the hub has taken SENT messages since RECEIVED0 and its seq
 * holds still: its seq, or -1 (a refusal, or no progress for 30 s). */
static long long
fill_settle(struct test_hub *h, long long received0, size_t sent)
{
	long long last_seq = -1, last_received = -1;
	int64_t last_progress = bench_now_ns();

	for (;;) {
		json_t *st = test_hub_stats(h);
		long long received = jnum(st, "ingest", "received") - received0;
		long long rejected = jnum(st, "ingest", "rejected");
		long long seq = jnum(st, "seq", NULL);
		json_decref(st);
		if (rejected != 0) {
			fprintf(stderr, "bench-startup: the hub refused %lld messages\n", rejected);
			return -1;
		}
		if (received >= (long long)sent && seq == last_seq)
			return seq;
		if (received != last_received || seq != last_seq)
			last_progress = bench_now_ns();
		else if (bench_now_ns() - last_progress > 30000LL * 1000000) {
			fprintf(stderr, "bench-startup: the hub took %lld of %zu messages and "
			    "stopped\n", received, sent);
			return -1;
		}
		last_seq = seq;
		last_received = received;
		struct timespec ts = { 0, 100 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/*
 * Fill the running hub H: CASES incidents open cases PREFIX-nnnnnnn, then
 * reports cycle over them until the hub's seq is at least EVENTS. Sends in
 * batches of what is still missing (each message is at least one event),
 * so the seq ends at EVENTS or a little over. The final seq, or -1.
 */
static long long
fill(struct test_hub *h, const char *prefix, size_t cases, size_t events, size_t *sent)
{
	void *push = test_hub_own(h, test_hub_push(h));
	json_t *st = test_hub_stats(h);
	long long received0 = jnum(st, "ingest", "received"), seq = jnum(st, "seq", NULL);
	uint64_t seed = 0x5eed2026;
	int hwm = 0;
	size_t i = 0;

	json_decref(st);
	zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
	*sent = 0;
	while (i < cases || seq < (long long)events) {
		size_t batch = (long long)events > seq ? (size_t)((long long)events - seq) : 0;
		if (i < cases && batch < cases - i)
			batch = cases - i;
		/* Settle now and then, so the pusher never runs far ahead. */
		if (batch > 200000)
			batch = 200000;
		for (size_t k = 0; k < batch; k++, i++) {
			struct bench_msg m;
			bench_make_msg(&m, prefix, i, cases, 0, 4, &seed);
			int rc = test_push(push, "incident", m.body);
			free(m.body);
			if (rc != 0) {
				fprintf(stderr, "bench-startup: push: %s\n", zmq_strerror(errno));
				return -1;
			}
		}
		*sent = i;
		if ((seq = fill_settle(h, received0, i)) < 0)
			return -1;
	}
	test_hub_close(h, push);
	return seq;
}

/* ------------------------------------------------------------------ */
/* Hub restart. */

/* Start watchd on H's database (quiet) and time it until it answers
 * whoami: the milliseconds, or -1. */
static double
hub_start_timed(struct test_hub *h)
{
	const char *argv[64];
	char sockpath[400];
	const char *prefix = "ipc://";
	struct stat sb;

	test_hub_argv(h, NULL, 0, argv, 64);
	snprintf(sockpath, sizeof sockpath, "%s", h->control + strlen(prefix));
	unlink(sockpath); /* a stale file would let the wait through early */
	int64_t t0 = bench_now_ns();
	if (test_hub_spawn(h, argv) < 0)
		return -1;
	int64_t deadline = t0 + (int64_t)STARTUP_WAIT_MS * 1000000;
	while (bench_now_ns() < deadline) {
		int status;
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			return -1;
		}
		if (stat(sockpath, &sb) != 0) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		json_t *r = test_hub_call_timeout(h, "bench", "whoami", NULL, 1000);
		if (r != NULL) {
			json_decref(r);
			return ms_since(t0);
		}
	}
	return -1;
}

/* The CPU time PID's main thread has run, in ms (/proc/PID/schedstat),
 * or -1. */
static double
proc_cpu_ms(pid_t pid)
{
	char path[64];
	unsigned long long ns;
	FILE *f;
	int n;

	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%llu", &ns);
	fclose(f);
	return n == 1 ? (double)ns / 1e6 : -1;
}

/* One restart of H, whose journal ends at SEQ: its time, the CPU time its
 * main thread took until then (the load is all there), and its peak RSS. */
static int
restart_once(struct test_hub *h, long long seq, double *ms, double *cpu_ms, double *rss_mb,
    double *stop_ms)
{
	if ((*ms = hub_start_timed(h)) < 0) {
		fprintf(stderr, "bench-startup: watchd did not answer after a restart\n");
		test_hub_dump_log(h);
		return -1;
	}
	*cpu_ms = proc_cpu_ms(h->pid);
	*rss_mb = (double)test_proc_kb(h->pid, "VmHWM") / 1024.0;
	json_t *st = test_hub_stats(h);
	long long now = jnum(st, "seq", NULL);
	json_decref(st);
	if (now != seq) {
		fprintf(stderr, "bench-startup: after a restart the hub's seq is %lld, not %lld\n",
		    now, seq);
		return -1;
	}
	int64_t t0 = bench_now_ns();
	if (test_hub_stop_clean(h) != 0)
		return -1;
	*stop_ms = ms_since(t0);
	return 0;
}

/* What a kept database holds (DIR/fill.txt): 0 and its journal's seq and
 * cases, or -1 when there is none. */
static int
kept_read(const char *dir, long long *seq, size_t *cases)
{
	char path[400];
	FILE *f;
	int n;

	snprintf(path, sizeof path, "%s/fill.txt", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "journal %lld cases %zu", seq, cases);
	fclose(f);
	return n == 2 ? 0 : -1;
}

static int
kept_write(const char *dir, long long seq, size_t cases)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/fill.txt", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "journal %lld cases %zu\n", seq, cases);
	return fclose(f);
}

/*
 * The restart's filled database in H, whose journal then ends at *SEQ:
 * filled through the ingest and stopped cleanly, or, with --keep, reused
 * from an earlier run when DIR holds one. 0 or -1.
 */
static int
restart_fill(struct test_hub *h, const struct startup_opts *o, long long *seq)
{
	size_t sent = 0, kept_cases;
	long long kept_seq;

	if (o->keep != NULL) {
		if (mkdir(o->keep, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "bench-startup: cannot make %s: %s\n", o->keep,
			    strerror(errno));
			return -1;
		}
		snprintf(h->db, sizeof h->db, "%s/hub.db", o->keep);
		if (file_bytes(h->db) > 0 && kept_read(o->keep, &kept_seq, &kept_cases) == 0) {
			if (kept_cases != o->restart_cases || kept_seq < (long long)o->journal) {
				fprintf(stderr, "bench-startup: %s holds a journal of %lld events "
				    "over %zu cases, not %zu over %zu: remove it, or give those\n",
				    o->keep, kept_seq, kept_cases, o->journal, o->restart_cases);
				return -1;
			}
			/* Untimed: the first start after a fill finds the pages in
			 * the page cache too. */
			json_t *st;
			if (test_hub_start(h, NULL) != 0 || (st = test_hub_stats(h)) == NULL)
				return -1;
			*seq = jnum(st, "seq", NULL);
			json_decref(st);
			if (test_hub_stop_clean(h) != 0)
				return -1;
			printf("restart: reusing %s (journal %lld events over %zu cases), one "
			    "untimed start to warm the page cache\n", h->db, *seq, kept_cases);
			if (*seq != kept_seq) {
				fprintf(stderr, "bench-startup: %s is at seq %lld, %s/fill.txt says "
				    "%lld\n", h->db, *seq, o->keep, kept_seq);
				return -1;
			}
			return 0;
		}
		/* Whatever a fill cut short left there would be reused as a fill. */
		char path[400];
		const char *sfx[] = { "", "-wal", "-shm" };
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof path, "%s%s", h->db, sfx[i]);
			unlink(path);
		}
	}

	printf("restart: filling a journal of %zu events over %zu cases...\n", o->journal,
	    o->restart_cases);
	fflush(stdout);
	int64_t t0 = bench_now_ns();
	if (test_hub_start(h, NULL) != 0 ||
	    (*seq = fill(h, "RESTART", o->restart_cases, o->journal, &sent)) < 0)
		return -1;
	double fill_s = ms_since(t0) / 1000.0;
	double fill_rss = (double)test_proc_kb(h->pid, "VmHWM") / 1024.0;
	/* The whole WAL is checkpointed at a clean stop: more than the
	 * harness's 10 s for a big journal on a slow disk. */
	int64_t s0 = bench_now_ns();
	int status = test_hub_terminate(h, STARTUP_WAIT_MS);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-startup: the filled hub did not stop cleanly\n");
		return -1;
	}
	double fill_stop_ms = ms_since(s0);
	printf("restart fill: %zu messages, journal %lld events, %.1f s (%.0f events/s), "
	    "hub peak RSS while filling %.1f MB, clean stop %.0f ms\n", sent, *seq, fill_s,
	    (double)*seq / fill_s, fill_rss, fill_stop_ms);
	if (o->keep != NULL && kept_write(o->keep, *seq, o->restart_cases) != 0) {
		fprintf(stderr, "bench-startup: cannot write %s/fill.txt\n", o->keep);
		return -1;
	}
	return 0;
}

static int
bench_restart(const struct startup_opts *o)
{
	struct test_hub empty, full;
	double *ms[2], *cpu[2], *rss[2], *stop[2];
	long long seq[2] = { 0, 0 };
	int rc = -1;

	for (int k = 0; k < 2; k++) {
		ms[k] = calloc((size_t)o->rounds, sizeof *ms[k]);
		cpu[k] = calloc((size_t)o->rounds, sizeof *cpu[k]);
		rss[k] = calloc((size_t)o->rounds, sizeof *rss[k]);
		stop[k] = calloc((size_t)o->rounds, sizeof *stop[k]);
	}
	if (test_hub_init(&empty, "bench-restart-empty") != 0 ||
	    test_hub_init(&full, "bench-restart-full") != 0)
		return -1;
	empty.quiet = full.quiet = 1;

	/* The empty database: what a hub writes when it starts the first time. */
	json_t *st;
	if (test_hub_start(&empty, NULL) != 0 || (st = test_hub_stats(&empty)) == NULL)
		goto out;
	seq[0] = jnum(st, "seq", NULL);
	json_decref(st);
	if (test_hub_stop_clean(&empty) != 0)
		goto out;

	if (restart_fill(&full, o, &seq[1]) != 0)
		goto out;
	char wal[400];
	snprintf(wal, sizeof wal, "%s-wal", full.db);
	printf("restart db size: empty %lld bytes, full %lld bytes (+ WAL %lld)\n",
	    file_bytes(empty.db), file_bytes(full.db), file_bytes(wal));
	fflush(stdout);

	for (int r = 0; r < o->rounds; r++) {
		for (int k = 0; k < 2; k++) {
			struct test_hub *h = k ? &full : &empty;
			if (restart_once(h, seq[k], &ms[k][r], &cpu[k][r], &rss[k][r],
			    &stop[k][r]) != 0)
				goto out;
			printf("round %d restart %s: answered in %.1f ms (main thread CPU %.1f ms), "
			    "peak RSS %.1f MB, clean stop %.1f ms\n", r + 1, k ? "full" : "empty",
			    ms[k][r], cpu[k][r], rss[k][r], stop[k][r]);
			fflush(stdout);
		}
	}
	double rss_e = maxof(rss[0], o->rounds), rss_f = maxof(rss[1], o->rounds);
	double me = bench_median(ms[0], o->rounds), mf = bench_median(ms[1], o->rounds);
	printf("restart empty median ms: %.1f (journal %lld events)\n", me, seq[0]);
	printf("restart full median ms: %.1f (journal %lld events, %zu cases)\n", mf, seq[1],
	    o->restart_cases);
	printf("restart hub peak RSS MB: empty %.1f, full %.1f\n", rss_e, rss_f);
	printf("restart clean stop median ms: empty %.1f, full %.1f\n",
	    bench_median(stop[0], o->rounds), bench_median(stop[1], o->rounds));
	/* CPU time is what a shared machine disturbs least: a second reading
	 * of the same start-ups, not the target's measure. */
	double ce = bench_median(cpu[0], o->rounds), cf = bench_median(cpu[1], o->rounds);
	printf("restart main thread CPU median ms: empty %.1f, full %.1f, ratio %.2f\n", ce, cf,
	    cf / ce);
	printf("restart full/empty ratio: %.2f (target: within 3)\n", mf / me);
	rc = 0;
out:
	for (int k = 0; k < 2; k++) {
		free(ms[k]);
		free(cpu[k]);
		free(rss[k]);
		free(stop[k]);
	}
	if (rc != 0) {
		test_hub_dump_log(&empty);
		test_hub_dump_log(&full);
	}
	test_hub_cleanup(&empty);
	test_hub_cleanup(&full);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Console start-up. */

struct full_screen {
	long long seq, open;
};

/* The first full screen: live at the hub's seq, both panels drawn, the
 * cases panel counting the open cases there are. */
static int
pred_full(struct test_term *t, void *arg)
{
	const struct full_screen *want = arg;
	const char *top = test_term_row(t, 0), *p;
	int row;

	if (strstr(top, "CONNECTED") == NULL || strstr(top, "DISCONNECTED") != NULL ||
	    strstr(top, "resyncing") != NULL || (p = strstr(top, " seq ")) == NULL ||
	    strtoll(p + 5, NULL, 10) != want->seq)
		return 0;
	if (test_term_find(t, "STALE", NULL, NULL) == 0 ||
	    test_term_find(t, "2 Team dispatch (", NULL, NULL) != 0 ||
	    test_term_find(t, "1 Open cases (", &row, NULL) != 0)
		return 0;
	p = strstr(test_term_row(t, row), "Open cases (");
	return p != NULL && strtoll(p + 12, NULL, 10) == want->open;
}

/* One console start-up against H: the time to the full screen, and its
 * peak RSS a second later (what it holds once settled). */
static int
console_once(struct test_hub *h, const struct full_screen *want, double *ms, double *rss_mb,
    double *rss_ready_mb)
{
	char log[400];

	snprintf(log, sizeof log, "%s/console.log", h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--events", h->events, "--control", h->control,
		"--user", STARTUP_USER, "--log", log, NULL };
	int64_t t0 = bench_now_ns();
	struct test_term *t = test_term_spawn(STARTUP_ROWS, STARTUP_COLS, argv, NULL);
	if (t == NULL)
		return -1;
	if (test_term_wait_for(t, pred_full, (void *)want, STARTUP_WAIT_MS,
	    "the full screen: CONNECTED at seq %lld, %lld open cases", want->seq,
	    want->open) != 0) {
		test_term_free(t);
		return -1;
	}
	*ms = ms_since(t0);
	*rss_ready_mb = (double)test_proc_kb(test_term_pid(t), "VmHWM") / 1024.0;
	int64_t settle = bench_now_ns() + 1000LL * 1000000;
	while (bench_now_ns() < settle)
		test_term_pump(t, 50);
	*rss_mb = (double)test_proc_kb(test_term_pid(t), "VmHWM") / 1024.0;
	int status;
	if (test_term_send_str(t, "q") != 0 || (status = test_term_wait(t, 10000)) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-startup: the console did not quit cleanly with q\n");
		test_term_free(t);
		return -1;
	}
	test_term_free(t);
	return 0;
}

static int
bench_console(const struct startup_opts *o)
{
	struct test_hub empty, full;
	struct full_screen want[2];
	double *ms[2], *rss[2], *rss_ready[2];
	int rc = -1;
	size_t sent = 0;

	for (int k = 0; k < 2; k++) {
		ms[k] = calloc((size_t)o->rounds, sizeof *ms[k]);
		rss[k] = calloc((size_t)o->rounds, sizeof *rss[k]);
		rss_ready[k] = calloc((size_t)o->rounds, sizeof *rss_ready[k]);
	}
	if (test_hub_init(&empty, "bench-start-empty") != 0 ||
	    test_hub_init(&full, "bench-start-full") != 0)
		return -1;
	empty.quiet = full.quiet = 1;
	json_t *st;
	if (test_hub_start(&empty, NULL) != 0 || (st = test_hub_stats(&empty)) == NULL)
		goto out;
	want[0].seq = jnum(st, "seq", NULL);
	want[0].open = 0;
	json_decref(st);

	printf("console: filling a hub with %zu open cases and %zu journal events...\n",
	    o->cases, o->events);
	fflush(stdout);
	int64_t t0 = bench_now_ns();
	if (test_hub_start(&full, NULL) != 0 ||
	    (want[1].seq = fill(&full, "START", o->cases, o->events, &sent)) < 0)
		goto out;
	want[1].open = (long long)o->cases;
	double fill_s = ms_since(t0) / 1000.0;
	printf("console fill: %zu messages, journal %lld events, %.1f s (%.0f events/s), hub "
	    "peak RSS %.1f MB\n", sent, want[1].seq, fill_s, (double)want[1].seq / fill_s,
	    (double)test_proc_kb(full.pid, "VmHWM") / 1024.0);
	fflush(stdout);

	for (int r = 0; r < o->rounds; r++) {
		for (int k = 0; k < 2; k++) {
			if (console_once(k ? &full : &empty, &want[k], &ms[k][r], &rss[k][r],
			    &rss_ready[k][r]) != 0)
				goto out;
			printf("round %d console %s: full screen in %.1f ms, peak RSS %.1f MB at "
			    "the full screen, %.1f MB a second later\n", r + 1, k ? "full" : "empty",
			    ms[k][r], rss_ready[k][r], rss[k][r]);
			fflush(stdout);
		}
	}
	double me = bench_median(ms[0], o->rounds), mf = bench_median(ms[1], o->rounds);
	printf("console empty median ms: %.1f (0 cases, journal %lld events)\n", me, want[0].seq);
	printf("console full median ms: %.1f (%lld cases, journal %lld events)\n", mf,
	    want[1].open, want[1].seq);
	printf("console peak RSS MB: empty %.1f, full %.1f (target with %zu cases: under 64)\n",
	    maxof(rss[0], o->rounds), maxof(rss[1], o->rounds), o->cases);
	printf("console hub peak RSS MB: empty %.1f, full %.1f\n",
	    (double)test_proc_kb(empty.pid, "VmHWM") / 1024.0,
	    (double)test_proc_kb(full.pid, "VmHWM") / 1024.0);
	printf("console full/empty ratio: %.2f (target: within 5)\n", mf / me);
	if (test_hub_stop_clean(&empty) == 0 && test_hub_stop_clean(&full) == 0)
		rc = 0;
out:
	for (int k = 0; k < 2; k++) {
		free(ms[k]);
		free(rss[k]);
		free(rss_ready[k]);
	}
	if (rc != 0) {
		test_hub_dump_log(&empty);
		test_hub_dump_log(&full);
	}
	test_hub_cleanup(&empty);
	test_hub_cleanup(&full);
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: bench-startup [--quick] [-r ROUNDS] [--cases C] [--events E]\n"
	    "                     [--journal J] [--restart-cases K] [--keep DIR]\n"
	    "                     [--no-console] [--no-restart]\n"
	    "\n"
	    "Times the console from spawn to its first full screen on a hub with C open\n"
	    "cases and E journal events, and watchd from exec to its first answer on a\n"
	    "J-event journal, each against an empty hub in the same run; prints the\n"
	    "times, the ratios and the peak RSS. Exits 1 only if a check fails.\n"
	    "\n"
	    "  -r ROUNDS          start-ups of each kind (default 3)\n"
	    "  --cases C          open cases for the console (default 10000)\n"
	    "  --events E         journal events for the console (default 100000)\n"
	    "  --journal J        journal events for the restart (default 1000000)\n"
	    "  --restart-cases K  cases the restart journal is over (default 2000)\n"
	    "  --keep DIR         keep the restart's filled database in DIR (made if\n"
	    "                     missing); a later run with DIR reuses it, no fill\n"
	    "  --quick            the smoke run: 200 cases, 1000 events, 1000, 50, 1 round\n"
	    "  --no-console, --no-restart  skip one of the two\n", f);
}


/* A number option of this program (bench_num_arg). */
#define NUM(opt, min, max) bench_num_arg("bench-startup", (opt), optarg, (min), (max), 1)

int
main(int argc, char **argv)
{
	enum { OPT_CASES = 256, OPT_EVENTS, OPT_JOURNAL, OPT_RCASES, OPT_QUICK, OPT_NOCON,
		OPT_NORESTART, OPT_KEEP };
	static const struct option longopts[] = {
		{ "cases", required_argument, NULL, OPT_CASES },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "journal", required_argument, NULL, OPT_JOURNAL },
		{ "restart-cases", required_argument, NULL, OPT_RCASES },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "no-console", no_argument, NULL, OPT_NOCON },
		{ "no-restart", no_argument, NULL, OPT_NORESTART },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct startup_opts o = { 10000, 100000, 1000000, 2000, 3, 1, 1, NULL };
	int c;

	while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.rounds = (int)NUM("-r", 1, 100); break;
		case OPT_CASES: o.cases = (size_t)NUM("--cases", 1, 10000000); break;
		case OPT_EVENTS: o.events = (size_t)NUM("--events", 1, 100000000); break;
		case OPT_JOURNAL: o.journal = (size_t)NUM("--journal", 1, 100000000); break;
		case OPT_RCASES: o.restart_cases = (size_t)NUM("--restart-cases", 1, 10000000);
			break;
		case OPT_QUICK:
			o.cases = 200;
			o.events = 1000;
			o.journal = 1000;
			o.restart_cases = 50;
			o.rounds = 1;
			break;
		case OPT_NOCON: o.console = 0; break;
		case OPT_NORESTART: o.restart = 0; break;
		case OPT_KEEP: o.keep = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	printf("rounds: %d (empty and full alternate)\n", o.rounds);
	fflush(stdout);
	if (o.console && bench_console(&o) != 0) {
		fprintf(stderr, "bench-startup: FAILED (a correctness check, not the time)\n");
		return 1;
	}
	if (o.restart && bench_restart(&o) != 0) {
		fprintf(stderr, "bench-startup: FAILED (a correctness check, not the time)\n");
		return 1;
	}
	return 0;
}
