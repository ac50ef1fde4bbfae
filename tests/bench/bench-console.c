/*
 * bench-console: what the console costs the terminal and the machine, and
 * how fast it answers a key, while the hub publishes a stream and a burst.
 *
 * A real watchd (quiet, on ipc:// in a temporary directory) and a real
 * watchfloor in a pseudo-terminal of 120x40 (the grid layout), read back
 * through libvterm by the test harness. This process is the terminal: its
 * main thread reads the pty all the time, counting the bytes the console
 * writes, and types the keys; a producer thread pushes incidents to the hub.
 * The phases, in order:
 *
 *   idle:   no traffic; the console still redraws its clock and the ages
 *           once a second. Bytes/s and CPU; then key-press-to-screen
 *           latency (the baseline for the burst's).
 *   steady: RATE incidents/s over a bounded set of REFS cases (the first
 *           pass opens them, later ones update them: a new summary every
 *           time, a new level every fourth report). Bytes/s and CPU after
 *           a warm-up.
 *   burst:  ROUNDS bursts of BURST incidents each, pushed as fast as the
 *           pusher can send. The first round opens BURST new cases; each
 *           later one sends every one of them its next report, so the list
 *           stays the same length (with --burst-update every round updates
 *           the steady cases instead). A round is over when the console's
 *           top line shows the hub's last seq. While it lasts, keys: the
 *           latency from writing the key to the pty until the screen shows
 *           its effect, median and p99 over all rounds (one 20,000 burst
 *           lasts under a second, too short for many samples at a typist's
 *           pace). And the console's CPU, its frames (distinct seqs on its
 *           top line), its bytes, when it showed the hub's last seq, and
 *           whether it had to resynchronise.
 *   tail:   the same stream and bursts followed by `watchctl tail` (stdout
 *           drained, nothing drawn) instead of the console: what receiving
 *           and decoding the events costs without a screen.
 *
 * The key is '2' then '1' (focus on the teams panel, then back on the
 * cases): the effect is exactly the two panel titles swapping their
 * style, which the harness reads cell by cell. The console always draws
 * under its frame cap (--fps, 20 by default), so a key can wait for the
 * next frame slot.
 *
 * CPU is utime + stime from /proc/PID/stat (all threads, clock ticks).
 * Everything is reported, nothing about time is judged: the exit status is
 * 1 only when the console fails to show what the hub published (its seq or
 * its case count stays wrong, it dies, a key never takes effect), or does
 * not quit cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench-msgs.h"
#include "test-hub.h"
#include "test-term.h"

#define BENCH_ROWS 40
#define BENCH_COLS 120
#define BENCH_USER "mori"               /* a lead in the demo roster */
#define BENCH_KEY_DEADLINE_MS 10000     /* a key slower than this is a timeout */
#define BENCH_SETTLE_DEADLINE_MS 30000  /* a key lost for good: a failure */
#define BENCH_CATCHUP_MS 120000         /* the console must reach the hub's seq */
#define BENCH_STALL_MS 20000            /* the hub taking nothing for this long */
#define BENCH_MAX_SEQS 100000           /* top-line seqs remembered in a burst */

struct bench_opts {
	double idle_s, steady_s, warm_s;
	double rate;      /* steady incidents a second */
	size_t refs;      /* cases the steady stream cycles over */
	size_t burst;     /* incidents in a burst */
	int rounds;       /* bursts, one after the other */
	int burst_update; /* bursts update the steady cases instead of opening new ones */
	int keys;         /* key samples at most, idle and over the bursts each */
	int tail;         /* also measure watchctl tail */
	int fps;          /* the console's --fps; 0: its default */
};



static struct bench_msg *
bench_make_stream(const char *prefix, size_t n, size_t refs, size_t pass0, uint64_t *seed)
{
	struct bench_msg *msgs = calloc(n > 0 ? n : 1, sizeof *msgs);

	if (msgs == NULL) {
		fprintf(stderr, "bench-console: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < n; i++)
		bench_make_msg(&msgs[i], prefix, i, refs, pass0, 4, seed);
	return msgs;
}

static void
bench_free_stream(struct bench_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(msgs[i].body);
	free(msgs);
}

/* ------------------------------------------------------------------ */
/* Small helpers. */

static double
ms_between(int64_t a, int64_t b)
{
	return (double)(b - a) / 1e6;
}

/* CPU time of this process: the terminal emulator (libvterm) and the pusher. */
static double
self_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile P (0-100) of N values, sorted in place. */
static double
percentile(double *v, int n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	int rank = (int)ceil(p / 100.0 * n);
	return v[rank < 1 ? 0 : rank > n ? n - 1 : rank - 1];
}

static double
median(double *v, int n)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long long
jnum(json_t *obj, const char *path)
{
	json_int_t v = test_jint(obj, path);

	return (long long)v;
}

/* ------------------------------------------------------------------ */
/* The producer thread: pushes a stream at a rate or as fast as it can,
 * then asks the hub until it has taken everything and its seq is still,
 * and publishes that seq for the main thread, which is busy being the
 * terminal. */

struct producer {
	pthread_t thread;
	struct test_hub *h;
	void *sock;
	const struct bench_msg *msgs;
	size_t n;
	double rate;            /* messages a second; 0: as fast as possible */
	long long received0;    /* the hub's ingest.received before */
	int64_t first_ns, last_ns;
	int stats_calls;        /* control requests this thread made */
	_Atomic int failed;
	_Atomic int64_t hub_done_ns; /* first stats that showed all N taken */
	_Atomic int64_t final_seq;   /* the hub's seq after the last one; 0 until known */
};

static void
producer_sleep_until(int64_t t)
{
	int64_t left = t - bench_now_ns();

	if (left > 0) {
		struct timespec ts = { (time_t)(left / 1000000000), (long)(left % 1000000000) };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* Ask the hub until it has received all N and its seq stays the same
 * between two answers: every event is then committed and published. */
static int
producer_await_hub(struct producer *p)
{
	long long last_seq = -1, last_received = -1;
	int64_t progress = bench_now_ns();

	for (;;) {
		json_t *st = test_hub_stats(p->h);
		p->stats_calls++;
		if (st == NULL || !json_is_true(json_object_get(st, "ok"))) {
			fprintf(stderr, "bench-console: the hub did not answer the stats op\n");
			json_decref(st);
			return -1;
		}
		long long received = jnum(st, "ingest.received") - p->received0;
		long long seq = jnum(st, "seq");
		json_decref(st);
		if (received >= (long long)p->n) {
			if (atomic_load(&p->hub_done_ns) == 0)
				atomic_store(&p->hub_done_ns, bench_now_ns());
			if (seq == last_seq) {
				atomic_store(&p->final_seq, (int64_t)seq);
				return 0;
			}
		}
		if (received != last_received || seq != last_seq)
			progress = bench_now_ns();
		else if (bench_now_ns() - progress > (int64_t)BENCH_STALL_MS * 1000000) {
			fprintf(stderr, "bench-console: the hub took %lld of %zu messages and "
			    "then nothing for %d s\n", received, p->n, BENCH_STALL_MS / 1000);
			return -1;
		}
		last_seq = seq;
		last_received = received;
		producer_sleep_until(bench_now_ns() + 20 * 1000000);
	}
}

static void *
producer_main(void *arg)
{
	struct producer *p = arg;
	static const char topic[] = "incident";

	p->first_ns = bench_now_ns();
	for (size_t i = 0; i < p->n; i++) {
		if (p->rate > 0)
			producer_sleep_until(p->first_ns + (int64_t)((double)i * 1e9 / p->rate));
		if (zmq_send(p->sock, topic, sizeof topic - 1, ZMQ_SNDMORE) < 0 ||
		    zmq_send(p->sock, p->msgs[i].body, p->msgs[i].size, 0) < 0) {
			fprintf(stderr, "bench-console: push %zu: %s\n", i, zmq_strerror(errno));
			p->failed = 1;
			return NULL;
		}
	}
	p->last_ns = bench_now_ns();
	if (producer_await_hub(p) != 0)
		p->failed = 1;
	return NULL;
}

/* Start pushing MSGS at RATE (0: flat out) on a PUSH the harness owns.
 * The socket moves to the thread: its creation is the barrier ZeroMQ asks. */
static int
producer_start(struct producer *p, struct test_hub *h, const struct bench_msg *msgs,
    size_t n, double rate)
{
	json_t *st = test_hub_stats(h);
	int hwm = 0;

	memset(p, 0, sizeof *p);
	if (st == NULL) {
		fprintf(stderr, "bench-console: the hub did not answer the stats op\n");
		return -1;
	}
	p->received0 = jnum(st, "ingest.received");
	p->stats_calls = 1;
	json_decref(st);
	p->h = h;
	p->msgs = msgs;
	p->n = n;
	p->rate = rate;
	p->sock = test_hub_own(h, test_hub_push(h));
	/* A flood must not block on the high-water mark: the hub is the
	 * bottleneck being measured, not libzmq's queue. */
	if (rate <= 0)
		zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (pthread_create(&p->thread, NULL, producer_main, p) != 0) {
		fprintf(stderr, "bench-console: cannot start the producer thread\n");
		return -1;
	}
	return 0;
}

static int
producer_join(struct producer *p)
{
	pthread_join(p->thread, NULL);
	test_hub_close(p->h, p->sock);
	p->sock = NULL;
	return p->failed ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The console in its terminal. */

struct usage {
	int64_t ns;
	uint64_t bytes;
	double console, hub, self;
};

/* A title cell's look: what changes when its panel takes the focus. */
struct look {
	int bold, reverse, fg, bg;
	unsigned rgb_fg, rgb_bg;
};

struct bench {
	struct test_hub h;
	struct test_term *t;
	pid_t pid;
	char log[400];
	int cases_row, cases_col, teams_row, teams_col;
	struct look focused, unfocused;
	int focus_teams;          /* where the last key put the focus */
	uint64_t seed;            /* for the gaps between keys */

	/* What the top line showed, while recording (a burst). */
	int recording;
	int64_t *seq_at_ns;
	long long *seqs;
	size_t nseqs;
	int saw_resync;           /* "resyncing" or "DISCONNECTED" on the top line */
	_Atomic int64_t *final_seq; /* the hub's last seq of the burst, 0 until known */
	int caught_up;            /* the top line has shown it */
	struct usage changed;     /* the clocks when the top line's seq last changed */
	struct usage caught;      /* the clocks when it first showed the last seq */
	int dead;                 /* the console closed its terminal */
};

/* The seq on the top line ("seq 1234  lag 0"), or -1. */
static long long
screen_seq(struct bench *b)
{
	const char *row = test_term_row(b->t, 0), *p = strstr(row, " seq ");

	return p != NULL ? strtoll(p + 5, NULL, 10) : -1;
}

/* The count in the cases panel's title ("1 Open cases (300)"), or -1. */
static long long
screen_open_cases(struct bench *b)
{
	const char *row = test_term_row(b->t, b->cases_row), *p = strstr(row, "Open cases (");

	return p != NULL ? strtoll(p + 12, NULL, 10) : -1;
}

static struct look
screen_look(struct bench *b, int row, int col)
{
	struct test_term_cell c;
	struct look l = { 0, 0, -2, -2, 0, 0 };

	if (test_term_cell(b->t, row, col, &c) == 0) {
		l.bold = c.bold;
		l.reverse = c.reverse;
		l.fg = c.fg.is_default ? -1 : c.fg.index;
		l.bg = c.bg.is_default ? -1 : c.bg.index;
		l.rgb_fg = (unsigned)c.fg.red << 16 | (unsigned)c.fg.green << 8 | c.fg.blue;
		l.rgb_bg = (unsigned)c.bg.red << 16 | (unsigned)c.bg.green << 8 | c.bg.blue;
	}
	return l;
}

static int
look_equal(struct look a, struct look b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static struct usage
bench_usage(struct bench *b)
{
	struct usage u = { bench_now_ns(), test_term_bytes(b->t), test_proc_cpu_s(b->pid),
		test_proc_cpu_s(b->h.pid), self_cpu_s() };

	return u;
}

/* Note what the top line shows now; in a burst, every new seq and when,
 * and the clocks the first time it shows the hub's last seq. */
static void
bench_observe(struct bench *b)
{
	if (!b->recording)
		return;
	const char *row = test_term_row(b->t, 0);
	if (strstr(row, "resyncing") != NULL || strstr(row, "DISCONNECTED") != NULL)
		b->saw_resync = 1;
	long long seq = screen_seq(b);
	if (seq >= 0 && (b->nseqs == 0 || seq != b->seqs[b->nseqs - 1]) &&
	    b->nseqs < BENCH_MAX_SEQS) {
		b->changed = bench_usage(b);
		b->seqs[b->nseqs] = seq;
		b->seq_at_ns[b->nseqs++] = b->changed.ns;
	}
	/* The hub's last seq may become known after the screen showed it:
	 * then the clocks of that change are the ones. */
	int64_t final = b->final_seq != NULL ? atomic_load(b->final_seq) : 0;
	if (!b->caught_up && final > 0 && seq >= final) {
		b->caught = b->changed;
		b->caught_up = 1;
	}
}

static void
bench_fail_screen(struct bench *b, const char *what)
{
	fprintf(stderr, "bench-console: %s\n", what);
	test_term_dump(b->t, stderr);
}

/* Read the pty until DEADLINE, or until PRED holds (NULL: never). 0 if
 * PRED came true, 1 at the deadline, -1 if the console closed the pty. */
static int
bench_pump_until(struct bench *b, int64_t deadline, int (*pred)(struct bench *, void *),
    void *arg)
{
	for (;;) {
		if (pred != NULL && pred(b, arg))
			return 0;
		int64_t left = deadline - bench_now_ns();
		if (left <= 0)
			return 1;
		long n = test_term_pump(b->t, (int)((left + 999999) / 1000000));
		if (n < 0) {
			if (!b->dead)
				bench_fail_screen(b, "the console closed its terminal");
			b->dead = 1;
			return -1;
		}
		if (n > 0)
			bench_observe(b);
	}
}

static int
bench_pump_ms(struct bench *b, double ms)
{
	return bench_pump_until(b, bench_now_ns() + (int64_t)(ms * 1e6), NULL, NULL) < 0 ? -1 : 0;
}

static int
pred_seq_at_least(struct bench *b, void *arg)
{
	return screen_seq(b) >= *(long long *)arg;
}

/* The focus is where the last key put it: the two titles have swapped. */
static int
pred_focus(struct bench *b, void *arg)
{
	int teams = *(int *)arg;
	struct look c = screen_look(b, b->cases_row, b->cases_col);
	struct look t = screen_look(b, b->teams_row, b->teams_col);

	return look_equal(teams ? t : c, b->focused) && look_equal(teams ? c : t, b->unfocused);
}

static int
pred_ready(struct bench *b, void *arg)
{
	const char *top = test_term_row(b->t, 0);

	(void)arg;
	return strstr(top, "CONNECTED") != NULL && strstr(top, "DISCONNECTED") == NULL &&
	    strstr(top, "resyncing") == NULL && test_term_find(b->t, "1 Open cases (", NULL,
	    NULL) == 0 && test_term_find(b->t, "2 Team dispatch (", NULL, NULL) == 0 &&
	    test_term_find(b->t, "STALE", NULL, NULL) != 0;
}

/*
 * One key-press-to-screen sample: type '2' or '1', whichever moves the
 * focus, and read the pty until both titles show it. The time runs from
 * just before the write to the pty until libvterm has the change. A key
 * slower than BENCH_KEY_DEADLINE_MS counts as a timeout (its latency is
 * that deadline); one that never takes effect is a failure.
 */
static int
bench_key_sample(struct bench *b, double *ms, int *timeouts)
{
	int target = !b->focus_teams;
	char key = target ? '2' : '1';
	int64_t t0 = bench_now_ns();

	if (test_term_send(b->t, &key, 1) != 0)
		return -1;
	int rc = bench_pump_until(b, t0 + (int64_t)BENCH_KEY_DEADLINE_MS * 1000000, pred_focus,
	    &target);
	*ms = ms_between(t0, bench_now_ns());
	if (rc == 1) {
		(*timeouts)++;
		rc = bench_pump_until(b, bench_now_ns() + (int64_t)BENCH_SETTLE_DEADLINE_MS * 1000000,
		    pred_focus, &target);
	}
	if (rc != 0) {
		if (rc > 0)
			bench_fail_screen(b, "a focus key never took effect");
		return -1;
	}
	b->focus_teams = target;
	return 0;
}

/* Pause like a fast typist: 50-150 ms from one change on screen to the
 * next key, at random so the keys do not fall into step with the frames. */
static int
bench_key_gap(struct bench *b)
{
	return bench_pump_ms(b, 50 + (double)(bench_rand(&b->seed) % 100001) / 1000.0);
}

/* Start the hub and the console, and wait until the console is live with
 * the cases panel drawn; find the two titles the focus key swaps. */
static int
bench_open(struct bench *b, const struct bench_opts *o)
{
	char fps[16];

	snprintf(fps, sizeof fps, "%d", o->fps);
	if (test_hub_init(&b->h, "bench-console") != 0 ||
	    (b->h.quiet = 1, test_hub_start(&b->h, NULL)) != 0) {
		fprintf(stderr, "bench-console: cannot start watchd\n");
		test_hub_dump_log(&b->h);
		return -1;
	}
	snprintf(b->log, sizeof b->log, "%s/console.log", b->h.dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--events", b->h.events, "--control",
		b->h.control, "--user", BENCH_USER, "--log", b->log,
		o->fps > 0 ? "--fps" : NULL, fps, NULL };
	int64_t t0 = bench_now_ns();
	if ((b->t = test_term_spawn(BENCH_ROWS, BENCH_COLS, argv, NULL)) == NULL)
		return -1;
	b->pid = test_term_pid(b->t);
	if (bench_pump_until(b, t0 + 20000LL * 1000000, pred_ready, NULL) != 0) {
		bench_fail_screen(b, "the console never showed CONNECTED and its panels");
		return -1;
	}
	printf("console ready ms: %.0f (CONNECTED, panels drawn)\n", ms_between(t0, bench_now_ns()));
	if (test_term_find(b->t, "1 Open cases (", &b->cases_row, &b->cases_col) != 0 ||
	    test_term_find(b->t, "2 Team dispatch (", &b->teams_row, &b->teams_col) != 0)
		return -1;
	/* The cases panel has the focus at start. */
	b->focused = screen_look(b, b->cases_row, b->cases_col);
	b->unfocused = screen_look(b, b->teams_row, b->teams_col);
	if (look_equal(b->focused, b->unfocused)) {
		bench_fail_screen(b, "the focused and unfocused panel titles look the same");
		return -1;
	}
	return 0;
}

/* Wait until the top line shows SEQ (the hub's), and check the cases
 * panel counts OPEN cases. */
static int
bench_check(struct bench *b, long long seq, long long open, const char *phase)
{
	const char *name = phase != NULL ? phase : "burst";
	char what[200];

	if (bench_pump_until(b, bench_now_ns() + (int64_t)BENCH_CATCHUP_MS * 1000000,
	    pred_seq_at_least, &seq) != 0) {
		snprintf(what, sizeof what, "%s: the top line never reached the hub's seq %lld",
		    name, seq);
		bench_fail_screen(b, what);
		return -1;
	}
	if (screen_seq(b) != seq) {
		snprintf(what, sizeof what, "%s: the top line shows seq %lld, past the hub's %lld",
		    name, screen_seq(b), seq);
		bench_fail_screen(b, what);
		return -1;
	}
	/* The count follows the seq in the same frame, but let a frame pass. */
	int64_t end = bench_now_ns() + 2000LL * 1000000;
	while (screen_open_cases(b) != open && bench_now_ns() < end)
		if (bench_pump_ms(b, 50) != 0)
			break;
	if (screen_open_cases(b) != open) {
		snprintf(what, sizeof what, "%s: the cases panel counts %lld open cases, not %lld",
		    name, screen_open_cases(b), open);
		bench_fail_screen(b, what);
		return -1;
	}
	if (phase != NULL) {
		printf("%s console shows seq: %lld (the hub's)\n", phase, seq);
		printf("%s open cases on screen: %lld\n", phase, open);
	}
	return 0;
}

/* The hub's stats now, or NULL after saying why. */
static json_t *
bench_stats(struct bench *b)
{
	json_t *st = test_hub_stats(&b->h);

	if (st == NULL || !json_is_true(json_object_get(st, "ok"))) {
		fprintf(stderr, "bench-console: the hub did not answer the stats op\n");
		json_decref(st);
		return NULL;
	}
	return st;
}

/* Lines of the console's log saying the sync left the live state. */
static int
bench_log_resyncs(const struct bench *b)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(b->log, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "sync: syncing") != NULL || strstr(line, "sync: disconnected") != NULL)
			n++;
	fclose(f);
	return n;
}

/* ------------------------------------------------------------------ */
/* The phases. */


/* The figures the summary repeats. */
struct results {
	double idle_bps, idle_cpu, idle_key_med, idle_key_p99;
	double steady_bps, steady_cpu, tail_steady_cpu;
	double burst_key_med, burst_key_p99, burst_cpu, burst_cpu_s, burst_done_ms;
	double tail_burst_cpu_s, tail_burst_done_ms;
	int burst_keys;
};

/* Key samples of one phase. */
struct keys {
	double *ms;
	int n, max, timeouts;
};

/* Take key samples while GO_ON (NULL: always) says so, up to K->max. */
static int
keys_take(struct bench *b, struct keys *k, int (*go_on)(struct bench *, void *), void *arg)
{
	while (k->n < k->max && (go_on == NULL || go_on(b, arg))) {
		if (bench_key_gap(b) != 0)
			return -1;
		/* Only keys typed while it still holds count. */
		if (go_on != NULL && !go_on(b, arg))
			break;
		if (bench_key_sample(b, &k->ms[k->n], &k->timeouts) != 0)
			return -1;
		k->n++;
	}
	return 0;
}

/* Put the focus back on the cases, as it was at the start. */
static int
keys_home(struct bench *b)
{
	double ms;
	int timeouts = 0;

	if (!b->focus_teams)
		return 0;
	return bench_key_gap(b) != 0 || bench_key_sample(b, &ms, &timeouts) != 0 ? -1 : 0;
}

static void
keys_report(const char *phase, struct keys *k, double *med, double *p99)
{
	double max = percentile(k->ms, k->n, 100);

	*p99 = percentile(k->ms, k->n, 99);
	*med = median(k->ms, k->n);
	printf("%s key samples: %d (timeouts over %d ms: %d)\n", phase, k->n,
	    BENCH_KEY_DEADLINE_MS, k->timeouts);
	printf("%s key latency median ms: %.1f\n", phase, *med);
	printf("%s key latency p99 ms: %.1f\n", phase, *p99);
	printf("%s key latency max ms: %.1f\n", phase, max);
}

static int
bench_idle(struct bench *b, const struct bench_opts *o, struct results *r)
{
	struct keys k = { calloc((size_t)o->keys, sizeof (double)), 0, o->keys, 0 };

	/* Let the start-up frames and the first clock ticks pass. */
	if (bench_pump_ms(b, 1500) != 0)
		goto fail;
	struct usage u0 = bench_usage(b);
	if (bench_pump_ms(b, o->idle_s * 1000) != 0)
		goto fail;
	struct usage u1 = bench_usage(b);
	double secs = (double)(u1.ns - u0.ns) / 1e9;
	r->idle_bps = (double)(u1.bytes - u0.bytes) / secs;
	r->idle_cpu = (u1.console - u0.console) / secs * 100;
	printf("idle seconds: %.1f\n", secs);
	printf("idle bytes written: %llu\n", (unsigned long long)(u1.bytes - u0.bytes));
	printf("idle bytes/s: %.0f\n", r->idle_bps);
	printf("idle cpu %%: %.2f\n", r->idle_cpu);
	printf("idle hub cpu %%: %.2f\n", (u1.hub - u0.hub) / secs * 100);
	if (keys_take(b, &k, NULL, NULL) != 0 || keys_home(b) != 0)
		goto fail;
	keys_report("idle", &k, &r->idle_key_med, &r->idle_key_p99);
	free(k.ms);
	return 0;
fail:
	free(k.ms);
	return -1;
}

static int
bench_steady(struct bench *b, const struct bench_opts *o, const struct bench_msg *msgs,
    size_t n, long long open, struct results *r)
{
	struct producer p;

	if (producer_start(&p, &b->h, msgs, n, o->rate) != 0)
		return -1;
	int rc = bench_pump_ms(b, o->warm_s * 1000);
	struct usage u0 = bench_usage(b);
	if (rc == 0)
		rc = bench_pump_ms(b, o->steady_s * 1000);
	struct usage u1 = bench_usage(b);
	/* Keep being the terminal while the last messages go out. */
	while (rc == 0 && atomic_load(&p.final_seq) == 0 && !p.failed)
		rc = bench_pump_ms(b, 20);
	if (producer_join(&p) != 0 || rc != 0)
		return -1;
	double secs = (double)(u1.ns - u0.ns) / 1e9;
	r->steady_bps = (double)(u1.bytes - u0.bytes) / secs;
	r->steady_cpu = (u1.console - u0.console) / secs * 100;
	printf("steady events pushed: %zu in %.1f s (%.0f/s)\n", n,
	    (double)(p.last_ns - p.first_ns) / 1e9,
	    (double)n / ((double)(p.last_ns - p.first_ns) / 1e9));
	printf("steady measured seconds: %.1f (after %.1f s of warm-up)\n", secs, o->warm_s);
	printf("steady bytes/s: %.0f\n", r->steady_bps);
	printf("steady bytes per event: %.1f\n", r->steady_bps / o->rate);
	printf("steady cpu %%: %.2f\n", r->steady_cpu);
	printf("steady hub cpu %%: %.2f\n", (u1.hub - u0.hub) / secs * 100);
	printf("steady emulator cpu %%: %.2f (this process: libvterm and the pusher)\n",
	    (u1.self - u0.self) / secs * 100);
	return bench_check(b, (long long)atomic_load(&p.final_seq), open, "steady");
}

/*
 * The messages of burst round ROUND. In the default mode the first round
 * opens BURST new cases and each later round sends every one of them its
 * next report, so the case list stays the same length from round to
 * round; with --burst-update every round updates the steady cases.
 */
static struct bench_msg *
burst_stream(const struct bench_opts *o, const char *prefix, int round, size_t pass0,
    uint64_t *seed)
{
	if (o->burst_update)
		return bench_make_stream("WATCH", o->burst, o->refs,
		    pass0 + (size_t)round * ((o->burst + o->refs - 1) / o->refs), seed);
	return bench_make_stream(prefix, o->burst, round == 0 ? 0 : o->burst, (size_t)round,
	    seed);
}

/* Keys go on while the console has not yet shown the hub's last seq. */
static int
burst_going_on(struct bench *b, void *arg)
{
	struct producer *p = arg;
	long long final = (long long)atomic_load(&p->final_seq);

	return final == 0 || screen_seq(b) < final;
}

/* What the rounds of a burst add up to. */
struct burst_sum {
	double secs, cpu_s, hub_cpu_s, self_cpu_s;
	double *done_ms, *behind_ms;
	uint64_t bytes;
	size_t frames;
	long long events, console_requests;
	int rounds, log_resyncs, saw_resync;
};

/*
 * One round: push o->burst incidents flat out and take key samples until
 * the console's top line shows the hub's last seq; then check the screen
 * and add the round's figures to SUM.
 */
static int
bench_burst_round(struct bench *b, const struct bench_opts *o, int round,
    const struct bench_msg *msgs, long long open, struct keys *k, struct burst_sum *sum)
{
	struct producer p;
	json_t *before = bench_stats(b), *after = NULL;
	int rc = -1, keys0 = k->n, resyncs0 = bench_log_resyncs(b);

	if (before == NULL)
		return -1;
	b->nseqs = 0;
	b->saw_resync = 0;
	b->caught_up = 0;
	b->recording = 1;
	bench_observe(b); /* seqs[0]: the top line before the round */
	struct usage u0 = bench_usage(b);
	if (producer_start(&p, &b->h, msgs, o->burst, 0) != 0)
		goto out;
	b->final_seq = &p.final_seq;
	int keys = keys_take(b, k, burst_going_on, &p);
	/* Out of keys, or the console caught up first: read on until the
	 * hub's last seq is known and shown. */
	while (keys == 0 && atomic_load(&p.final_seq) == 0 && !p.failed)
		if (bench_pump_ms(b, 20) != 0)
			break;
	long long final = (long long)atomic_load(&p.final_seq);
	if (keys == 0 && !p.failed && !b->dead) {
		if (bench_pump_until(b, bench_now_ns() + (int64_t)BENCH_CATCHUP_MS * 1000000,
		    pred_seq_at_least, &final) != 0)
			bench_fail_screen(b, "burst: the top line never reached the hub's last seq");
		bench_observe(b);
	}
	b->recording = 0;
	b->final_seq = NULL;
	if (producer_join(&p) != 0 || keys != 0 || !b->caught_up ||
	    (after = bench_stats(b)) == NULL)
		goto out;

	/* When the top line first showed the hub's last seq: every seq it
	 * showed before is a frame (seqs[0] was there before the round). */
	size_t frames = b->nseqs > 0 ? b->nseqs - 1 : 0;
	int64_t done_ns = b->caught.ns;
	for (size_t i = 1; i < b->nseqs; i++) {
		if (b->seqs[i] >= final) {
			done_ns = b->seq_at_ns[i];
			frames = i;
			break;
		}
	}
	const struct usage *u1 = &b->caught;
	/* Every stats call counts itself: the other control requests are the
	 * console's own, a snapshot or a replay to repair a gap. */
	long long requests = jnum(after, "control.requests") - jnum(before, "control.requests") -
	    1 - p.stats_calls;
	int resyncs = bench_log_resyncs(b) - resyncs0;
	double done_ms = ms_between(p.first_ns, done_ns);
	sum->secs += (double)(u1->ns - u0.ns) / 1e9;
	sum->cpu_s += u1->console - u0.console;
	sum->hub_cpu_s += u1->hub - u0.hub;
	sum->self_cpu_s += u1->self - u0.self;
	sum->bytes += u1->bytes - u0.bytes;
	sum->frames += frames;
	sum->events += jnum(after, "events_published") - jnum(before, "events_published");
	sum->console_requests += requests;
	sum->log_resyncs += resyncs;
	sum->saw_resync |= b->saw_resync;
	double hub_ms = ms_between(p.first_ns, atomic_load(&p.hub_done_ns));
	sum->done_ms[sum->rounds] = done_ms;
	sum->behind_ms[sum->rounds++] = done_ms - hub_ms;
	printf("burst round %d: push ms %.0f, hub done ms %.0f, console done ms %.0f, "
	    "console cpu s %.2f, frames %zu, bytes %llu, key samples %d, resync %s\n",
	    round + 1, ms_between(p.first_ns, p.last_ns), hub_ms, done_ms,
	    u1->console - u0.console, frames, (unsigned long long)(u1->bytes - u0.bytes),
	    k->n - keys0, requests > 0 || b->saw_resync || resyncs > 0 ? "yes" : "no");
	fflush(stdout);
	rc = bench_check(b, final, open, NULL);
out:
	b->recording = 0;
	b->final_seq = NULL;
	json_decref(before);
	json_decref(after);
	return rc;
}

static int
bench_burst(struct bench *b, const struct bench_opts *o, size_t pass0, long long open,
    struct results *r)
{
	struct keys k = { calloc((size_t)o->keys, sizeof (double)), 0, o->keys, 0 };
	struct burst_sum sum;
	uint64_t seed = 0xb0257;
	int rc = -1;

	memset(&sum, 0, sizeof sum);
	sum.done_ms = calloc((size_t)o->rounds, sizeof *sum.done_ms);
	sum.behind_ms = calloc((size_t)o->rounds, sizeof *sum.behind_ms);
	b->seqs = calloc(BENCH_MAX_SEQS, sizeof *b->seqs);
	b->seq_at_ns = calloc(BENCH_MAX_SEQS, sizeof *b->seq_at_ns);
	if (!o->burst_update)
		open += (long long)o->burst;
	for (int round = 0; round < o->rounds; round++) {
		struct bench_msg *msgs = burst_stream(o, "BURST", round, pass0, &seed);
		int failed = bench_burst_round(b, o, round, msgs, open, &k, &sum) != 0;
		bench_free_stream(msgs, o->burst);
		if (failed)
			goto out;
	}
	if (keys_home(b) != 0)
		goto out;
	printf("burst open cases on screen: %lld\n", open);
	printf("burst rounds: %d of %zu incidents (%s)\n", o->rounds, o->burst,
	    o->burst_update ? "each updates the steady cases" : o->rounds > 1 ?
	    "the first opens new cases, each later one updates them" :
	    "each incident opens a new case");
	printf("burst hub events: %lld (case and sector events published, all rounds)\n",
	    sum.events);
	r->burst_done_ms = median(sum.done_ms, sum.rounds);
	printf("burst console done ms, median of rounds: %.0f (first push until its top "
	    "line shows the hub's last seq)\n", r->burst_done_ms);
	printf("burst console behind hub ms, median of rounds: %.0f (after the hub's stats "
	    "showed every message taken)\n", median(sum.behind_ms, sum.rounds));
	printf("burst console events/s: %.0f\n", (double)sum.events / sum.secs);
	printf("burst frames/s: %.1f (distinct seqs on the top line)\n",
	    (double)sum.frames / sum.secs);
	printf("burst bytes/s: %.0f\n", (double)sum.bytes / sum.secs);
	printf("burst bytes per frame: %.0f\n",
	    sum.frames > 0 ? (double)sum.bytes / (double)sum.frames : 0);
	r->burst_cpu_s = sum.cpu_s / sum.rounds;
	r->burst_cpu = sum.cpu_s / sum.secs * 100;
	printf("burst cpu seconds per round: %.2f\n", r->burst_cpu_s);
	printf("burst cpu us per event: %.1f\n", sum.cpu_s * 1e6 / (double)sum.events);
	printf("burst cpu %%: %.1f\n", r->burst_cpu);
	printf("burst hub cpu %%: %.1f\n", sum.hub_cpu_s / sum.secs * 100);
	printf("burst emulator cpu %%: %.1f (this process: libvterm and the pusher)\n",
	    sum.self_cpu_s / sum.secs * 100);
	printf("burst resync: %s (console control requests %lld; top line showed "
	    "resyncing/DISCONNECTED: %s; sync state changes in its log: %d)\n",
	    sum.console_requests > 0 || sum.saw_resync || sum.log_resyncs > 0 ? "yes" : "no",
	    sum.console_requests, sum.saw_resync ? "yes" : "no", sum.log_resyncs);
	keys_report("burst", &k, &r->burst_key_med, &r->burst_key_p99);
	r->burst_keys = k.n;
	rc = 0;
out:
	free(b->seqs);
	free(b->seq_at_ns);
	b->seqs = NULL;
	b->seq_at_ns = NULL;
	free(sum.done_ms);
	free(sum.behind_ms);
	free(k.ms);
	return rc;
}

/* 'q' with nothing in flight quits at once: the exit status must be 0. */
static int
bench_quit(struct bench *b)
{
	if (test_term_send_str(b->t, "q") != 0)
		return -1;
	int status = test_term_wait(b->t, 10000);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-console: the console did not quit cleanly (status %d)\n",
		    status);
		return -1;
	}
	printf("console quit: exit status 0\n");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The baseline without drawing: watchctl tail, its stdout drained. */

/* Read and drop what tail wrote, waiting up to TIMEOUT_MS for the first
 * bytes: how many, or -1 once it has closed its stdout. */
static long
tail_drain(int fd, int timeout_ms)
{
	char buf[65536];
	int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
	long got = 0;
	ssize_t r;

	for (;;) {
		while ((r = read(fd, buf, sizeof buf)) > 0)
			got += r;
		if (r == 0 && got == 0)
			return -1;
		if (got > 0 || bench_now_ns() >= deadline)
			return got;
		usleep(2000);
	}
}

/* Drain tail until the hub has taken everything and tail has written
 * nothing for 200 ms: when it went quiet, or 0 if it died. */
static int64_t
tail_until_quiet(int fd, struct producer *p)
{
	int64_t quiet_since = 0;

	for (;;) {
		long n = tail_drain(fd, 10);
		if (n < 0)
			return 0;
		if (n > 0 || (atomic_load(&p->final_seq) == 0 && !p->failed))
			quiet_since = 0;
		else if (quiet_since == 0)
			quiet_since = bench_now_ns();
		else if (bench_now_ns() - quiet_since > 200 * 1000000)
			return quiet_since;
	}
}

static int
bench_tail(struct bench *b, const struct bench_opts *o, const struct bench_msg *steady,
    size_t nsteady, size_t pass0, struct results *r)
{
	const char *args[] = { "tail", NULL };
	struct producer p;
	uint64_t seed = 0x7a11;
	double burst_secs = 0, burst_cpu = 0, *done_ms = calloc((size_t)o->rounds, sizeof *done_ms);
	int fd = -1;
	pid_t pid = test_watchctl_spawn(&b->h, args, &fd);

	if (pid < 0) {
		fprintf(stderr, "bench-console: cannot start watchctl tail\n");
		free(done_ms);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* Its first line (a heartbeat) says the subscription is live. */
	if (tail_drain(fd, 5000) <= 0) {
		fprintf(stderr, "bench-console: watchctl tail printed nothing in 5 s\n");
		goto fail;
	}
	if (producer_start(&p, &b->h, steady, nsteady, o->rate) != 0)
		goto fail;
	int64_t t = bench_now_ns() + (int64_t)(o->warm_s * 1e9);
	while (bench_now_ns() < t)
		tail_drain(fd, 20);
	double c0 = test_proc_cpu_s(pid);
	int64_t t0 = bench_now_ns();
	t = t0 + (int64_t)(o->steady_s * 1e9);
	while (bench_now_ns() < t)
		tail_drain(fd, 20);
	double c1 = test_proc_cpu_s(pid);
	double secs = (double)(bench_now_ns() - t0) / 1e9;
	int quiet = tail_until_quiet(fd, &p) != 0;
	if (producer_join(&p) != 0 || !quiet)
		goto fail;
	r->tail_steady_cpu = (c1 - c0) / secs * 100;
	printf("tail steady cpu %%: %.2f\n", r->tail_steady_cpu);

	for (int round = 0; round < o->rounds; round++) {
		struct bench_msg *msgs = burst_stream(o, "TAILB", round, pass0, &seed);
		c0 = test_proc_cpu_s(pid);
		int started = producer_start(&p, &b->h, msgs, o->burst, 0) == 0;
		int64_t done_ns = started ? tail_until_quiet(fd, &p) : 0;
		c1 = test_proc_cpu_s(pid);
		int joined = started && producer_join(&p) == 0;
		bench_free_stream(msgs, o->burst);
		if (!joined || done_ns == 0)
			goto fail;
		done_ms[round] = ms_between(p.first_ns, done_ns);
		burst_secs += (double)(done_ns - p.first_ns) / 1e9;
		burst_cpu += c1 - c0;
	}
	r->tail_burst_cpu_s = burst_cpu / o->rounds;
	r->tail_burst_done_ms = median(done_ms, o->rounds);
	printf("tail burst done ms, median of rounds: %.0f (its output went quiet)\n",
	    r->tail_burst_done_ms);
	printf("tail burst cpu seconds per round: %.2f\n", r->tail_burst_cpu_s);
	printf("tail burst cpu %%: %.1f\n", burst_cpu / burst_secs * 100);
	test_kid_stop(&b->h, pid, SIGTERM, 5000);
	close(fd);
	free(done_ms);
	return 0;
fail:
	fprintf(stderr, "bench-console: watchctl tail did not follow the stream\n");
	test_kid_stop(&b->h, pid, SIGKILL, 5000);
	close(fd);
	free(done_ms);
	return -1;
}

/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: bench-console [-i IDLE] [-s STEADY] [-r RATE] [-b BURST] [-n ROUNDS]\n"
	    "                     [-k KEYS] [--refs K] [--burst-update] [--fps N] [--no-tail]\n"
	    "                     [--quick]\n"
	    "\n"
	    "Runs watchd and the watchfloor console in a 120x40 pseudo-terminal and\n"
	    "reports the bytes the console writes to the terminal, its CPU and its\n"
	    "key-press-to-screen latency: idle, under a steady stream, and during\n"
	    "bursts; then the same through watchctl tail (no drawing). Exits 1 only\n"
	    "if the console fails to show what the hub published, never because of\n"
	    "the time.\n"
	    "\n"
	    "  -i SECONDS      idle measurement (default 10)\n"
	    "  -s SECONDS      steady measurement, after a 3 s warm-up (default 15)\n"
	    "  -r RATE         steady incidents a second (default 200)\n"
	    "  -b N            incidents in a burst (default 20000)\n"
	    "  -n ROUNDS       bursts, one after the other (default 10)\n"
	    "  -k N            key samples at most, idle and over the bursts (default 100)\n"
	    "  --refs K        cases the steady stream cycles over (default 300)\n"
	    "  --burst-update  bursts update the steady cases (default: the first\n"
	    "                  opens new cases, later ones update those)\n"
	    "  --fps N         pass --fps N to the console (default: its own, 20)\n"
	    "  --no-tail       skip the watchctl tail baseline\n"
	    "  --quick         a small run that checks only correctness (the smoke test)\n", f);
}


/* A number option of this program (bench_num_arg). */
#define NUM(opt, min, max) bench_num_arg("bench-console", (opt), optarg, (min), (max), 0)

int
main(int argc, char **argv)
{
	enum { OPT_REFS = 256, OPT_BURST_UPDATE, OPT_FPS, OPT_NO_TAIL, OPT_QUICK };
	static const struct option longopts[] = {
		{ "refs", required_argument, NULL, OPT_REFS },
		{ "burst-update", no_argument, NULL, OPT_BURST_UPDATE },
		{ "fps", required_argument, NULL, OPT_FPS },
		{ "no-tail", no_argument, NULL, OPT_NO_TAIL },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { 10, 15, 3, 200, 300, 20000, 10, 0, 100, 1, 0 };
	int c;

	while ((c = getopt_long(argc, argv, "i:s:r:b:n:k:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o.idle_s = NUM("-i", 1, 3600); break;
		case 's': o.steady_s = NUM("-s", 1, 3600); break;
		case 'r': o.rate = NUM("-r", 1, 100000); break;
		case 'b': o.burst = (size_t)NUM("-b", 1, 10000000); break;
		case 'n': o.rounds = (int)NUM("-n", 1, 1000); break;
		case 'k': o.keys = (int)NUM("-k", 1, 100000); break;
		case OPT_REFS: o.refs = (size_t)NUM("--refs", 1, 1000000); break;
		case OPT_BURST_UPDATE: o.burst_update = 1; break;
		case OPT_FPS: o.fps = (int)NUM("--fps", 1, 120); break;
		case OPT_NO_TAIL: o.tail = 0; break;
		case OPT_QUICK:
			o.idle_s = 2;
			o.steady_s = 2;
			o.warm_s = 1;
			o.refs = 50;
			o.burst = 2000;
			o.rounds = 2;
			o.keys = 10;
			o.tail = 0;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	/* The steady streams are built before any timing; each burst round's
	 * messages just before the round. The tail's steady stream carries
	 * later reports of the same cases, so that each is still a change. */
	uint64_t seed = 0x5eed2026;
	size_t nsteady = (size_t)(o.rate * (o.warm_s + o.steady_s));
	size_t steady_passes = (nsteady + o.refs - 1) / o.refs;
	size_t burst_passes = o.burst_update ?
	    (size_t)o.rounds * ((o.burst + o.refs - 1) / o.refs) : 0;
	struct bench_msg *steady = bench_make_stream("WATCH", nsteady, o.refs, 0, &seed);
	struct bench_msg *tail_steady = o.tail ? bench_make_stream("WATCH", nsteady, o.refs,
	    steady_passes + burst_passes, &seed) : NULL;
	struct bench_msg *sample = burst_stream(&o, "BURST", 0, steady_passes, &seed);
	size_t min = SIZE_MAX, max = 0, total = 0;
	for (size_t i = 0; i < nsteady + o.burst; i++) {
		size_t s = i < nsteady ? steady[i].size : sample[i - nsteady].size;
		total += s;
		min = s < min ? s : min;
		max = s > max ? s : max;
	}
	bench_free_stream(sample, o.burst);

	printf("screen: %dx%d\n", BENCH_COLS, BENCH_ROWS);
	printf("transport: ipc://\n");
	printf("console fps cap: %d\n", o.fps > 0 ? o.fps : 20);
	printf("steady: %.0f incidents/s over %zu cases, %.0f s measured after %.0f s of "
	    "warm-up\n", o.rate, o.refs, o.steady_s, o.warm_s);
	printf("burst: %d rounds of %zu incidents pushed flat out (%s)\n", o.rounds, o.burst,
	    o.burst_update ? "updates of the steady cases" :
	    "new cases, then updates of them");
	printf("body bytes: min %zu, mean %.0f, max %zu\n", min,
	    (double)total / (double)(nsteady + o.burst), max);
	fflush(stdout);

	struct bench b;
	struct results r;
	memset(&b, 0, sizeof b);
	memset(&r, 0, sizeof r);
	b.seed = 0x6b657973;
	int failed = 1;
	long long open0;

	if (bench_open(&b, &o) != 0 || (open0 = screen_open_cases(&b)) < 0)
		goto out;
	if (bench_idle(&b, &o, &r) != 0)
		goto out;
	fflush(stdout);
	if (bench_steady(&b, &o, steady, nsteady, open0 + (long long)o.refs, &r) != 0)
		goto out;
	fflush(stdout);
	if (bench_burst(&b, &o, steady_passes, open0 + (long long)o.refs, &r) != 0)
		goto out;
	fflush(stdout);
	if (bench_quit(&b) != 0)
		goto out;
	if (o.tail && bench_tail(&b, &o, tail_steady, nsteady, 2 * steady_passes + burst_passes,
	    &r) != 0)
		goto out;

	printf("steady bytes/s: %.0f\n", r.steady_bps);
	printf("steady/idle bytes ratio: %.1f\n", r.idle_bps > 0 ? r.steady_bps / r.idle_bps : 0);
	printf("idle key latency median ms: %.1f\n", r.idle_key_med);
	printf("idle key latency p99 ms: %.1f\n", r.idle_key_p99);
	printf("burst key latency median ms: %.1f\n", r.burst_key_med);
	printf("burst key latency p99 ms: %.1f (%d samples)\n", r.burst_key_p99, r.burst_keys);
	printf("burst/idle key latency median ratio: %.1f\n",
	    r.idle_key_med > 0 ? r.burst_key_med / r.idle_key_med : 0);
	printf("burst/idle key latency p99 ratio: %.1f\n",
	    r.idle_key_p99 > 0 ? r.burst_key_p99 / r.idle_key_p99 : 0);
	printf("burst console done ms: %.0f\n", r.burst_done_ms);
	printf("idle cpu %%: %.2f\n", r.idle_cpu);
	printf("steady cpu %%: %.2f\n", r.steady_cpu);
	printf("burst cpu %%: %.1f\n", r.burst_cpu);
	if (o.tail) {
		printf("console/tail steady cpu ratio: %.1f\n",
		    r.tail_steady_cpu > 0 ? r.steady_cpu / r.tail_steady_cpu : 0);
		printf("console/tail burst cpu ratio: %.1f\n",
		    r.tail_burst_cpu_s > 0 ? r.burst_cpu_s / r.tail_burst_cpu_s : 0);
	}
	failed = 0;
out:
	if (failed && b.h.log[0] != '\0')
		test_hub_dump_log(&b.h);
	test_term_free(b.t);
	test_hub_cleanup(&b.h); /* closes the PUSH sockets, stops tail and the hub */
	bench_free_stream(steady, nsteady);
	if (o.tail)
		bench_free_stream(tail_steady, nsteady);
	if (failed) {
		fprintf(stderr, "bench-console: FAILED (a correctness check, not the time)\n");
		return 1;
	}
	return 0;
}
