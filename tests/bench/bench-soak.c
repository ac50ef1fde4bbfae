/*
 * bench-soak: a floor left running. What grows per hour, and whether
 * anything is left behind or lost, while a hub takes about 200 events/s of
 * mixed demo traffic, three consoles follow it and one of them is dropped
 * and restarted every minute.
 *
 * Who runs:
 *   hub:       a real watchd --demo (quiet, ipc:// in a temporary
 *              directory, a new database; --wal-limit if given), started
 *              as a measured hub (no ASan quarantine in its RSS).
 *   traffic:   watchctl simulate --rate R --speed X --duration D --seed S:
 *              incidents as acknowledged reports, intel, sensor alerts and
 *              heartbeats, and cases worked through their lifecycle. With
 *              the defaults (rate 90, speed 4) the hub's seq moves by about
 *              200 a second once the lifecycles are under way (each report
 *              brings five or so commands, and most inputs make more than
 *              one event); the rate is measured from the seq and printed.
 *   producer:  this process, on a DEALER: `report` ops with unique refs at
 *              a steady rate (3 a second), each an incident that opens a
 *              case; it counts the acks (ok replies naming the case).
 *   consoles:  three real watchfloor in ptys (120x40 mori, 80x24 okafor,
 *              120x40 tanaka), read all the time through libvterm so that
 *              none ever blocks on its terminal. The third is dropped every
 *              --restart-every seconds (60): the pty's master is closed
 *              under it, as a dropped SSH link does; it must be gone within
 *              2 s, its pid and its process group with it, and a new one
 *              is started that must show CONNECTED at the hub's seq again.
 *
 * Once a second: the hub's seq (a stats request on a DEALER of its own,
 * kept open, so the sampling adds no connections), the hub's and the
 * consoles' VmRSS, the sizes of the database and of its -wal; the -wal's
 * size four times a second too, against the bound in force.
 *
 * At the end: the producer stops and collects its last replies, simulate
 * must end by itself (its --duration), the consoles are given time to show
 * the hub's seq, and every acknowledged ref must be in the hub's snapshot
 * with the case its ack named; the consoles quit with q (status 0), the hub
 * stops cleanly, is started again on the same database, and the refs are
 * checked once more against what it recovered. Last, any child of this
 * process still there is a leftover (found by ppid in /proc, ended by pid).
 *
 * Figures, per hour extrapolated ((last - first) / elapsed * 3600), over
 * the whole run and over its second half (the first half includes the
 * floor filling up): hub RSS, database, -wal, the two consoles that stay,
 * and the restarted console as each incarnation was when it was dropped.
 *
 * Exit status 1 only on the counts, never on time: leftover processes,
 * acknowledged reports lost, a -wal above the bound, a restarted console
 * that did not come back, a console that died or did not quit cleanly.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench-msgs.h"
#include "bus-store.h"
#include "test-hub.h"
#include "test-term.h"
#include "test-valgrind.h"

#define SOAK_NCON 3
#define SOAK_DROPPED 2           /* the console slot that is dropped and restarted */
#define SOAK_GONE_MS 2000        /* a dropped console must be gone within */
#define SOAK_BACK_MS 30000       /* upper bound for a console to show the floor */
#define SOAK_END_MS 15000        /* upper bound for each step of the end */
#define SOAK_STOP_MS 60000       /* a clean stop checkpoints the whole -wal */
#define SOAK_WAL_EVERY_MS 250    /* -wal size samples */
#define SOAK_SAMPLE_MS 1000      /* everything else */
#define SOAK_MAX_RESTARTS 4096
#define SOAK_MB (1024.0 * 1024.0)

struct soak_opts {
	double duration_s;   /* the traffic's length */
	double rate, speed;  /* watchctl simulate's */
	double reports;      /* acknowledged reports a second */
	double restart_s;    /* the dropped console's period */
	unsigned long long seed;
	int wal_limit_mib;   /* 0: the hub's default */
};

/* One sample of everything, SOAK_SAMPLE_MS apart. */
struct soak_sample {
	double t;                 /* seconds since the traffic started */
	long long seq;            /* the hub's, -1 if stats did not answer */
	long hub_kb;              /* VmRSS */
	long con_kb[SOAK_NCON];   /* VmRSS, -1 while that console is not live */
	long long db, wal;        /* bytes */
};

enum soak_con_state { CON_LIVE, CON_GONE_WAIT, CON_BACK_WAIT, CON_DEAD };

struct soak_console {
	const char *user;
	int rows, cols;
	struct test_term *t;
	pid_t pid;
	enum soak_con_state state;
	int64_t since_ns;      /* when the state began */
	long long want_seq;    /* CON_BACK_WAIT: the hub's seq when it started */
	int incarnation;
};

/* What the restarts of the dropped console gave. */
struct soak_restart {
	double at_s;          /* when it was dropped */
	double gone_ms;       /* hangup to reaped, -1 if it was not gone in time */
	double back_ms;       /* spawn to the floor shown, -1 if it never was */
	long rss_kb;          /* VmRSS just before the drop */
	int status;           /* its wait status, -1 if it had to be killed */
};

struct soak_producer {
	void *dealer;
	json_t *acked;        /* ref -> the case id its ack named */
	unsigned long sent, refused;
	size_t next;          /* the next report's number */
	int64_t due_ns;
	char refusal[256];    /* the first refusal's code and sentence */
};

struct soak_counts {
	int leftover;         /* processes alive after they should have ended */
	int not_back;         /* restarts whose console never showed the floor */
	int died;             /* consoles that ended on their own, or uncleanly */
	int wal_over;         /* -wal samples above the bound */
	long long wal_max;
	long long lost, lost_restart;
	int hub_unclean;      /* the hub did not stop with status 0 */
};

static volatile sig_atomic_t soak_interrupted;

static void
soak_on_signal(int sig)
{
	(void)sig;
	soak_interrupted = 1;
}

static double
soak_s(int64_t ns)
{
	return (double)ns / 1e9;
}

static long long
soak_file_bytes(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static double
soak_max(const double *v, int n)
{
	double m = -1;

	for (int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* ------------------------------------------------------------------ */
/* The hub's seq through a DEALER kept open for it. */

static long long
soak_hub_seq(void *dealer, unsigned long *n)
{
	char id[32];
	json_t *r;

	snprintf(id, sizeof id, "soak-stats-%lu", ++*n);
	if (test_send_request(dealer, "bench", "stats", id, NULL) != 0)
		return -1;
	int64_t deadline = bench_now_ns() + 2000LL * 1000000;
	while (bench_now_ns() < deadline) {
		int left = (int)((deadline - bench_now_ns()) / 1000000) + 1;
		if (test_recv_reply(dealer, &r, NULL, left) != 0)
			return -1;
		/* A late reply to an earlier request that timed out: skip it. */
		const char *rid = test_jstr(r, "id");
		long long seq = rid != NULL && strcmp(rid, id) == 0 ? test_jint(r, "seq") : -2;
		json_decref(r);
		if (seq != -2)
			return seq;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Consoles. */

/* The floor shown: CONNECTED to this hub (not a hub of its own), not
 * resyncing, nothing stale, at the hub's seq when it started or later. */
static int
soak_pred_live(struct test_term *t, void *arg)
{
	long long want = *(const long long *)arg;
	const char *top = test_term_row(t, 0), *p;

	if (strstr(top, " CONNECTED") == NULL || strstr(top, "DISCONNECTED") != NULL ||
	    strstr(top, "own hub") != NULL || strstr(top, "hub in this console") != NULL ||
	    strstr(top, "resyncing") != NULL || (p = strstr(top, " seq ")) == NULL ||
	    strtoll(p + 5, NULL, 10) < want)
		return 0;
	return test_term_find(t, "STALE", NULL, NULL) != 0;
}

static struct test_term *
soak_console_spawn(struct test_hub *h, struct soak_console *c, int slot)
{
	char log[400], asan[1024];
	const char *was = getenv("ASAN_OPTIONS");

	snprintf(log, sizeof log, "%s/console-%d-%d.log", h->dir, slot + 1, ++c->incarnation);
	/* As for the hub: no quarantine of freed memory in its RSS under
	 * AddressSanitizer (ignored without it). */
	snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%squarantine_size_mb=0",
	    was != NULL ? was : "", was != NULL && *was != '\0' ? ":" : "");
	const char *argv[] = { WATCHFLOOR_PATH, "--events", h->events, "--control", h->control,
		"--user", c->user, "--log", log, NULL };
	const char *env[] = { asan, NULL };
	c->t = test_term_spawn(c->rows, c->cols, argv, env);
	c->pid = c->t != NULL ? test_term_pid(c->t) : 0;
	c->since_ns = bench_now_ns();
	return c->t;
}

/* 1 if PID or any process of its group still exists. */
static int
soak_pid_left(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH || kill(-pid, 0) == 0 || errno != ESRCH;
}

static void
soak_describe_status(int status, char *b, size_t n)
{
	if (status < 0)
		snprintf(b, n, "killed by this benchmark");
	else if (WIFEXITED(status))
		snprintf(b, n, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(b, n, "signal %d", WTERMSIG(status));
	else
		snprintf(b, n, "wait status %d", status);
}

/* Pump every live terminal; none may block on a full pty. */
static void
soak_pump_all(struct soak_console *con)
{
	for (int i = 0; i < SOAK_NCON; i++)
		if (con[i].t != NULL)
			test_term_pump(con[i].t, 0);
}

/*
 * Move the dropped console on: gone within SOAK_GONE_MS of its hangup
 * (else a leftover, killed), then started again, then the floor shown
 * within SOAK_BACK_MS (else it did not come back). 0, or -1 if it could
 * not be started at all.
 */
static int
soak_console_step(struct test_hub *h, struct soak_console *c, int slot,
    struct soak_restart *r, long long hub_seq, struct soak_counts *k)
{
	int64_t now = bench_now_ns();
	double ms = (double)(now - c->since_ns) / 1e6;
	char how[64];

	if (c->state == CON_GONE_WAIT) {
		if (test_term_running(c->t) && ms < test_valgrind_ms(SOAK_GONE_MS))
			return 0;
		if (test_term_running(c->t)) {
			fprintf(stderr, "bench-soak: console %d (pid %d) still runs %d ms after its "
			    "terminal hung up: a leftover, killed\n", slot + 1, (int)c->pid,
			    SOAK_GONE_MS);
			k->leftover++;
			r->gone_ms = -1;
			r->status = -1;
		} else {
			r->gone_ms = ms;
			r->status = test_term_wait(c->t, 0);
		}
		test_term_free(c->t); /* kills and reaps it if it still ran */
		c->t = NULL;
		/* Reaped now: neither it nor anything of its group may remain. */
		if (soak_pid_left(c->pid)) {
			fprintf(stderr, "bench-soak: console %d's pid %d or its process group is "
			    "still there after it was reaped\n", slot + 1, (int)c->pid);
			k->leftover++;
		}
		soak_describe_status(r->status, how, sizeof how);
		if (r->gone_ms >= 0)
			printf("restart at %.0f s: console %d gone after %.0f ms (%s), RSS at the "
			    "drop %.1f MB\n", r->at_s, slot + 1, r->gone_ms, how,
			    (double)r->rss_kb / 1024.0);
		fflush(stdout);
		if (soak_console_spawn(h, c, slot) == NULL)
			return -1;
		c->want_seq = hub_seq;
		c->state = CON_BACK_WAIT;
		return 0;
	}
	if (c->state == CON_BACK_WAIT) {
		if (soak_pred_live(c->t, &c->want_seq)) {
			r->back_ms = ms;
			c->state = CON_LIVE;
			printf("restart at %.0f s: console %d back (CONNECTED at seq >= %lld) after "
			    "%.0f ms\n", r->at_s, slot + 1, c->want_seq, ms);
			fflush(stdout);
		} else if (ms >= test_valgrind_ms(SOAK_BACK_MS) || !test_term_running(c->t)) {
			fprintf(stderr, "bench-soak: the restarted console %d did not show the floor "
			    "(CONNECTED at seq >= %lld) within %d ms; its screen:\n", slot + 1,
			    c->want_seq, SOAK_BACK_MS);
			test_term_dump(c->t, stderr);
			k->not_back++;
			r->back_ms = -1;
			test_term_free(c->t);
			c->t = NULL;
			c->state = CON_DEAD;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The acknowledged producer. */

static int
soak_report_send(struct soak_producer *p)
{
	struct bench_msg m;
	uint64_t seed = 0x50a6 + p->next;
	json_error_t err;

	bench_make_msg(&m, "SOAK", p->next++, 0, 0, 4, &seed);
	json_t *body = json_loads(m.body, 0, &err);
	free(m.body);
	if (body == NULL) {
		fprintf(stderr, "bench-soak: a report of its own does not parse: %s\n", err.text);
		return -1;
	}
	/* The ref is the request's id too: the reply names it. */
	int rc = test_send_request(p->dealer, "chen", "report", m.ref,
	    json_pack("{s:s, s:o}", "topic", "incident", "body", body));
	if (rc != 0) {
		fprintf(stderr, "bench-soak: a report could not be sent: %s\n", zmq_strerror(errno));
		return -1;
	}
	p->sent++;
	return 0;
}

/* Take the replies there are, waiting up to WAIT_MS for the first. */
static void
soak_report_replies(struct soak_producer *p, int wait_ms)
{
	json_t *r;

	while (test_recv_reply(p->dealer, &r, NULL, wait_ms) == 0) {
		const char *ref = test_jstr(r, "id"), *object = test_jstr(r, "object");
		if (json_is_true(json_object_get(r, "ok")) && ref != NULL && object != NULL &&
		    strncmp(object, "case.", 5) == 0)
			json_object_set_new(p->acked, ref, json_string(object + 5));
		else {
			if (p->refused++ == 0)
				snprintf(p->refusal, sizeof p->refusal, "%s: %s",
				    test_jstr(r, "error.code") ? test_jstr(r, "error.code") : "?",
				    test_jstr(r, "error.message") ? test_jstr(r, "error.message") :
				    "(no sentence)");
		}
		json_decref(r);
		wait_ms = 1;
	}
}

/* Acknowledged refs that the hub's snapshot does not hold with the case
 * their ack named (printing the first few), or -1 without a snapshot. */
static long long
soak_lost(struct test_hub *h, json_t *acked, const char *when)
{
	json_t *snap = test_hub_snapshot(h), *cases = json_object_get(snap, "cases");
	json_t *byref = json_object(), *c, *id;
	const char *ref;
	long long lost = 0;
	size_t i;

	if (!json_is_true(json_object_get(snap, "ok")) || !json_is_array(cases)) {
		fprintf(stderr, "bench-soak: no snapshot from the hub %s\n", when);
		json_decref(snap);
		json_decref(byref);
		return -1;
	}
	json_array_foreach(cases, i, c) {
		const char *r = json_string_value(json_object_get(c, "ref"));
		if (r != NULL)
			json_object_set(byref, r, json_object_get(c, "id"));
	}
	json_object_foreach(acked, ref, id) {
		json_t *have = json_object_get(byref, ref);
		if (have != NULL && json_equal(have, id))
			continue;
		if (lost++ < 5)
			fprintf(stderr, "bench-soak: %s: ref %s was acknowledged as case %s, and the "
			    "hub has %s\n", when, ref, json_string_value(id),
			    have != NULL ? json_string_value(have) : "no case with that ref");
	}
	printf("reports checked %s: %zu acknowledged refs against %zu cases, %lld lost\n", when,
	    json_object_size(acked), json_array_size(cases), lost);
	fflush(stdout);
	json_decref(snap);
	json_decref(byref);
	return lost;
}

/* ------------------------------------------------------------------ */
/* Leftovers: children of this process that are still there. */

static int
soak_children_left(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int left = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[512], state;
		int ppid;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* pid (comm) state ppid: comm may hold anything but ends at the
		 * last parenthesis. */
		char *p = strrchr(buf, ')');
		if (p == NULL || sscanf(p + 1, " %c %d", &state, &ppid) != 2 || ppid != getpid())
			continue;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		buf[p - buf + 1] = '\0';
		fprintf(stderr, "bench-soak: a child is left: %s, state %c; ended\n", buf, state);
		left++;
		kill(pid, SIGKILL);
		test_reap_within(pid, 5000);
	}
	closedir(d);
	return left;
}

/* Everything one run holds, so that each step can be its own function and
 * soak_free() can end whatever a failure left running. */
struct soak {
	const struct soak_opts *o;
	struct test_hub h;
	struct soak_console con[SOAK_NCON];
	struct soak_producer p;
	struct soak_counts k;
	struct soak_restart *rs;
	int nrs;
	struct soak_sample *s;
	int ns, cap;
	long long wal_bound, seq0, db_stopped;
	char wal_path[400], walarg[32];
	const char *extra[8];      /* watchd's: --demo, --wal-limit */
	void *stats;               /* the DEALER the samples ask stats on */
	unsigned long nstats;
	pid_t sim;                 /* watchctl simulate, while it runs */
	int sim_fd;
	int64_t t0, end, next_sample, next_wal, next_drop, next_progress;
	size_t ncases;
	double elapsed;
	/* CPU seconds at the traffic's end: hub, console 1, console 2,
	 * simulate, this process. */
	double cpu[5];
};

/* ------------------------------------------------------------------ */
/* Figures. */

static double
soak_per_hour(double first, double last, double dt)
{
	return dt > 0 ? (last - first) / dt * 3600.0 : 0;
}

/* The first sample at or after T (with console CON live, if CON >= 0),
 * or -1. */
static int
soak_sample_at(const struct soak_sample *s, int n, double t, int con)
{
	for (int i = 0; i < n; i++)
		if (s[i].t >= t && (con < 0 || s[i].con_kb[con] >= 0))
			return i;
	return -1;
}

/* The last sample (with console CON live, if CON >= 0), or -1. */
static int
soak_sample_last(const struct soak_sample *s, int n, int con)
{
	for (int i = n - 1; i >= 0; i--)
		if (con < 0 || s[i].con_kb[con] >= 0)
			return i;
	return -1;
}

static double
soak_value(const struct soak_sample *s, int which)
{
	switch (which) {
	case 0: return (double)s->hub_kb * 1024.0;
	case 1: return (double)s->db;
	case 2: return (double)s->wal;
	default: return (double)s->con_kb[which - 3] * 1024.0;
	}
}

/* One row of the table: first, last, per hour over the whole run and
 * over its second half, in MB. */
static void
soak_row(const char *name, const struct soak_sample *s, int n, int which, double elapsed)
{
	int con = which >= 3 ? which - 3 : -1;
	int a = soak_sample_at(s, n, 0, con), b = soak_sample_last(s, n, con);
	int m = soak_sample_at(s, n, elapsed / 2, con);

	if (a < 0 || b < 0 || m < 0 || b <= a) {
		printf("%-34s %10s\n", name, "no samples");
		return;
	}
	double va = soak_value(&s[a], which), vb = soak_value(&s[b], which);
	double vm = soak_value(&s[m], which);
	printf("%-34s %10.1f %10.1f %+14.1f %+14.1f\n", name, va / SOAK_MB, vb / SOAK_MB,
	    soak_per_hour(va, vb, s[b].t - s[a].t) / SOAK_MB,
	    b > m ? soak_per_hour(vm, vb, s[b].t - s[m].t) / SOAK_MB : 0);
}

/* The table of growth per hour, and the restarted console's figures. */
static void
soak_report_growth(const struct soak *z)
{
	const struct soak_sample *s = z->s;
	const struct soak_restart *rs = z->rs;
	int n = z->ns, f = -1, l = -1;
	char name[64];

	printf("\n== figures over %.0f s (per hour: (last - first) / elapsed * 3600) ==\n",
	    z->elapsed);
	printf("%-34s %10s %10s %14s %14s\n", "MB", "first", "last", "per hour", "2nd half/h");
	soak_row("hub RSS", s, n, 0, z->elapsed);
	soak_row("database", s, n, 1, z->elapsed);
	soak_row("-wal", s, n, 2, z->elapsed);
	for (int i = 0; i < SOAK_NCON; i++) {
		if (i == SOAK_DROPPED)
			continue;
		snprintf(name, sizeof name, "console %d RSS (%s %dx%d)", i + 1, z->con[i].user,
		    z->con[i].cols, z->con[i].rows);
		soak_row(name, s, n, 3 + i, z->elapsed);
	}
	/* The restarted console as each incarnation was when dropped: its
	 * growth across incarnations is what a fresh start costs as the floor
	 * grows, not what one process leaks. */
	for (int i = 0; i < z->nrs; i++) {
		if (rs[i].rss_kb > 0) {
			l = i;
			if (f < 0)
				f = i;
		}
	}
	snprintf(name, sizeof name, "console %d RSS at each drop (%s)", SOAK_DROPPED + 1,
	    z->con[SOAK_DROPPED].user);
	if (f >= 0 && l > f)
		printf("%-34s %10.1f %10.1f %+14.1f\n", name, (double)rs[f].rss_kb / 1024.0,
		    (double)rs[l].rss_kb / 1024.0, soak_per_hour((double)rs[f].rss_kb,
		    (double)rs[l].rss_kb, rs[l].at_s - rs[f].at_s) / 1024.0);
	else
		printf("%-34s %10s\n", name, f >= 0 ? "one drop only" : "no drops");
	/* Console 1 has the same screen as the restarted one: what it holds
	 * beyond a fresh console at the last drop is what living long costs. */
	int c1 = l >= 0 ? soak_sample_at(s, n, rs[l].at_s - 1.5, 0) : -1;
	if (c1 >= 0 && s[c1].t <= rs[l].at_s)
		printf("console 1 over a fresh console 3 at the last drop (%.0f s, both 120x40): "
		    "%+.1f MB\n", rs[l].at_s, (double)(s[c1].con_kb[0] - rs[l].rss_kb) / 1024.0);
}

static void
soak_report(const struct soak *z)
{
	const struct soak_opts *o = z->o;
	const struct soak_sample *s = z->s;
	const struct soak_restart *rs = z->rs;
	const struct soak_producer *p = &z->p;
	const struct soak_counts *k = &z->k;
	int n = z->ns, nrs = z->nrs;
	double elapsed = z->elapsed;
	int a = soak_sample_at(s, n, 0, -1), b = soak_sample_last(s, n, -1);
	int m = soak_sample_at(s, n, elapsed / 2, -1);

	soak_report_growth(z);
	/* The seq may be missing from a sample whose stats timed out. */
	while (a >= 0 && a < n && s[a].seq < 0)
		a++;
	while (b > 0 && s[b].seq < 0)
		b--;
	if (a >= 0 && b > a) {
		double dt = s[b].t - s[a].t, events = (double)(s[b].seq - s[a].seq);
		printf("\nhub events/s: %.1f (seq %lld -> %lld in %.0f s)", events / dt, s[a].seq,
		    s[b].seq, dt);
		if (m > a && m < b && s[m].seq >= 0)
			printf("; second half %.1f", (double)(s[b].seq - s[m].seq) / (s[b].t - s[m].t));
		printf("\n");
		if (events > 0) {
			printf("hub RSS growth per 1,000 events: %.1f kB\n",
			    (double)(s[b].hub_kb - s[a].hub_kb) / events * 1000.0);
			printf("database growth per 1,000 events: %.1f kB (after the clean stop: "
			    "%.1f MB, %.2f kB per event)\n", (double)(s[b].db - s[a].db) / events *
			    1000.0 / 1024.0, (double)z->db_stopped / SOAK_MB,
			    (double)z->db_stopped / (double)s[b].seq / 1024.0);
		}
		if (z->ncases > 0)
			printf("cases in the hub: %zu; hub RSS growth per case: %.1f kB\n",
			    z->ncases, (double)(s[b].hub_kb - s[a].hub_kb) / (double)z->ncases);
	}
	printf("-wal: at most %.1f MB, bound %.1f MB%s; samples above it: %d\n",
	    (double)k->wal_max / SOAK_MB, (double)z->wal_bound / SOAK_MB,
	    o->wal_limit_mib > 0 ? " (--wal-limit)" : " (the hub's default)", k->wal_over);

	double gone[SOAK_MAX_RESTARTS], back[SOAK_MAX_RESTARTS];
	int ng = 0, nb = 0;
	for (int i = 0; i < nrs; i++) {
		if (rs[i].gone_ms >= 0)
			gone[ng++] = rs[i].gone_ms;
		if (rs[i].back_ms >= 0)
			back[nb++] = rs[i].back_ms;
	}
	printf("console restarts: %d; gone after the hangup (%d): median %.0f ms, max %.0f "
	    "ms; back, CONNECTED at the hub's seq (%d): median %.0f ms, max %.0f ms\n", nrs, ng,
	    ng > 0 ? bench_median(gone, ng) : 0, soak_max(gone, ng), nb,
	    nb > 0 ? bench_median(back, nb) : 0, soak_max(back, nb));
	printf("acknowledged reports: %lu sent, %zu acked, %lu refused%s%s, %lu unanswered\n",
	    p->sent, json_object_size(p->acked), p->refused, p->refused > 0 ? ", the first: " :
	    "", p->refused > 0 ? p->refusal : "",
	    p->sent - json_object_size(p->acked) - p->refused);
	/* The consoles and simulate started with the traffic or before, so
	 * their whole CPU time over the run's length is close enough. */
	printf("CPU %% of one core over the run: hub %.1f, console 1 %.1f, console 2 %.1f, "
	    "simulate %.1f, this process (three terminals, the producer) %.1f\n",
	    z->cpu[0] / elapsed * 100, z->cpu[1] / elapsed * 100, z->cpu[2] / elapsed * 100,
	    z->cpu[3] / elapsed * 100, z->cpu[4] / elapsed * 100);
	printf("\n== counts (the checks) ==\n");
	printf("leftover processes: %d (must be 0)\n", k->leftover);
	printf("acknowledged reports lost: %lld live, %lld after a hub restart (must be 0)\n",
	    k->lost, k->lost_restart);
	printf("-wal samples above the bound: %d (must be 0)\n", k->wal_over);
	printf("restarted consoles that did not come back: %d (must be 0)\n", k->not_back);
	printf("consoles that died or did not quit cleanly: %d (must be 0)\n", k->died);
	printf("hub stopped uncleanly: %d (must be 0)\n", k->hub_unclean);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */

static int
soak_init(struct soak *z, const struct soak_opts *o)
{
	static const struct soak_console con[SOAK_NCON] = {
		{ .user = "mori", .rows = 40, .cols = 120 },
		{ .user = "okafor", .rows = 24, .cols = 80 },
		{ .user = "tanaka", .rows = 40, .cols = 120 },
	};
	int i = 0;

	memset(z, 0, sizeof *z);
	z->o = o;
	memcpy(z->con, con, sizeof con);
	z->p.acked = json_object();
	z->rs = calloc(SOAK_MAX_RESTARTS, sizeof *z->rs);
	z->cap = (int)(o->duration_s * 1000 / SOAK_SAMPLE_MS) + 16;
	z->s = calloc((size_t)z->cap, sizeof *z->s);
	z->sim = -1;
	z->sim_fd = -1;
	z->wal_bound = o->wal_limit_mib > 0 ? (long long)o->wal_limit_mib << 20 :
	    BUS_STORE_WAL_LIMIT;
	z->extra[i++] = "--demo";
	if (o->wal_limit_mib > 0) {
		snprintf(z->walarg, sizeof z->walarg, "%d", o->wal_limit_mib);
		z->extra[i++] = "--wal-limit";
		z->extra[i++] = z->walarg;
	}
	z->extra[i] = NULL;
	if (z->rs == NULL || z->s == NULL || test_hub_init(&z->h, "bench-soak") != 0) {
		fprintf(stderr, "bench-soak: cannot make a temporary directory\n");
		return -1;
	}
	z->h.quiet = 1;
	snprintf(z->wal_path, sizeof z->wal_path, "%s-wal", z->h.db);
	return 0;
}

/* End whatever still runs (consoles, simulate, the hub), free the rest. */
static void
soak_free(struct soak *z)
{
	if (z->sim_fd >= 0)
		close(z->sim_fd);
	for (int i = 0; i < SOAK_NCON; i++)
		test_term_free(z->con[i].t);
	if (z->h.zctx != NULL)
		test_hub_cleanup(&z->h); /* simulate (an owned child), the hub, the sockets */
	json_decref(z->p.acked);
	free(z->rs);
	free(z->s);
}

/* The hub, its two DEALERs, and the three consoles showing its floor. */
static int
soak_setup(struct soak *z)
{
	if (test_hub_start_measured(&z->h, z->extra) != 0) {
		fprintf(stderr, "bench-soak: watchd did not start\n");
		test_hub_dump_log(&z->h);
		return -1;
	}
	z->stats = test_hub_dealer(&z->h);
	z->p.dealer = test_hub_dealer(&z->h);
	z->seq0 = soak_hub_seq(z->stats, &z->nstats);
	for (int i = 0; i < SOAK_NCON; i++) {
		if (soak_console_spawn(&z->h, &z->con[i], i) == NULL)
			return -1;
	}
	for (int i = 0; i < SOAK_NCON; i++) {
		if (test_term_wait_for(z->con[i].t, soak_pred_live, &z->seq0, SOAK_BACK_MS,
		    "console %d CONNECTED at seq >= %lld", i + 1, z->seq0) != 0) {
			fprintf(stderr, "bench-soak: console %d never showed the floor\n", i + 1);
			return -1;
		}
		z->con[i].state = CON_LIVE;
		soak_pump_all(z->con);
	}
	return 0;
}

/* watchctl simulate for the run's length; the clock starts. */
static int
soak_start_traffic(struct soak *z)
{
	const struct soak_opts *o = z->o;
	char dur[32], rate[32], speed[32], seed[32];

	snprintf(dur, sizeof dur, "%g", o->duration_s);
	snprintf(rate, sizeof rate, "%g", o->rate);
	snprintf(speed, sizeof speed, "%g", o->speed);
	snprintf(seed, sizeof seed, "%llu", o->seed);
	const char *args[] = { "simulate", "--rate", rate, "--speed", speed, "--duration", dur,
		"--seed", seed, NULL };
	printf("soak: %.0f s; watchctl simulate --rate %s --speed %s --seed %s; %.1f "
	    "acknowledged reports/s; console %d dropped every %.0f s; -wal bound %.1f MB\n",
	    o->duration_s, rate, speed, seed, o->reports, SOAK_DROPPED + 1, o->restart_s,
	    (double)z->wal_bound / SOAK_MB);
	fflush(stdout);
	z->t0 = bench_now_ns();
	z->end = z->t0 + (int64_t)(o->duration_s * 1e9);
	z->next_sample = z->next_wal = z->next_progress = z->p.due_ns = z->t0;
	z->next_drop = z->t0 + (int64_t)(o->restart_s * 1e9);
	if ((z->sim = test_watchctl_spawn(&z->h, args, &z->sim_fd)) < 0) {
		fprintf(stderr, "bench-soak: cannot start watchctl simulate\n");
		return -1;
	}
	return 0;
}

/* The -wal's size against the bound. */
static void
soak_wal_check(struct soak *z, int64_t now)
{
	long long w = soak_file_bytes(z->wal_path);

	if (w > z->k.wal_max)
		z->k.wal_max = w;
	if (w > z->wal_bound && z->k.wal_over++ == 0)
		fprintf(stderr, "bench-soak: the -wal holds %lld bytes at %.1f s, above the bound "
		    "of %lld\n", w, soak_s(now - z->t0), z->wal_bound);
}

/* One sample of everything, and now and then a progress line. */
static void
soak_sample_take(struct soak *z, int64_t now)
{
	struct soak_sample *x = &z->s[z->ns++];

	x->t = soak_s(now - z->t0);
	x->seq = soak_hub_seq(z->stats, &z->nstats);
	x->hub_kb = test_proc_kb(z->h.pid, "VmRSS");
	x->db = soak_file_bytes(z->h.db);
	x->wal = soak_file_bytes(z->wal_path);
	for (int i = 0; i < SOAK_NCON; i++)
		x->con_kb[i] = z->con[i].state == CON_LIVE ?
		    test_proc_kb(z->con[i].pid, "VmRSS") : -1;
	if (now < z->next_progress)
		return;
	z->next_progress += (int64_t)((z->o->duration_s <= 120 ? 10 : 60) * 1e9);
	const struct soak_sample *y = z->ns > 11 ? &z->s[z->ns - 11] : &z->s[0];
	char rss[SOAK_NCON][16];
	for (int i = 0; i < SOAK_NCON; i++)
		snprintf(rss[i], sizeof rss[i], x->con_kb[i] < 0 ? "-" : "%.1f",
		    (double)x->con_kb[i] / 1024);
	printf("t %4.0f s: seq %lld (%.0f/s), hub RSS %.1f MB, db %.1f MB, -wal %.1f MB, "
	    "consoles %s %s %s MB, acked %zu\n", x->t, x->seq,
	    x->t > y->t ? (double)(x->seq - y->seq) / (x->t - y->t) : 0,
	    (double)x->hub_kb / 1024, (double)x->db / SOAK_MB, (double)x->wal / SOAK_MB,
	    rss[0], rss[1], rss[2], json_object_size(z->p.acked));
	fflush(stdout);
}

/* The stable consoles must stay; the dropped one is dropped when due and
 * moved on through its restart. 0, or -1 if it could not be started. */
static int
soak_consoles_turn(struct soak *z, int64_t now)
{
	struct soak_console *c = &z->con[SOAK_DROPPED];

	for (int i = 0; i < SOAK_NCON; i++) {
		struct soak_console *d = &z->con[i];
		if (d->state != CON_LIVE || test_term_running(d->t))
			continue;
		char how[64];
		soak_describe_status(test_term_wait(d->t, 0), how, sizeof how);
		fprintf(stderr, "bench-soak: console %d ended by itself (%s); its screen:\n",
		    i + 1, how);
		test_term_dump(d->t, stderr);
		d->state = CON_DEAD;
		z->k.died++;
	}
	if (c->state == CON_LIVE && now >= z->next_drop && now < z->end &&
	    z->nrs < SOAK_MAX_RESTARTS) {
		struct soak_restart *r = &z->rs[z->nrs++];
		r->at_s = soak_s(now - z->t0);
		r->rss_kb = test_proc_kb(c->pid, "VmRSS");
		test_term_hangup(c->t);
		c->state = CON_GONE_WAIT;
		c->since_ns = now;
		z->next_drop += (int64_t)(z->o->restart_s * 1e9);
	}
	if (c->state != CON_GONE_WAIT && c->state != CON_BACK_WAIT)
		return 0;
	return soak_console_step(&z->h, c, SOAK_DROPPED, &z->rs[z->nrs - 1],
	    z->ns > 0 ? z->s[z->ns - 1].seq : z->seq0, &z->k);
}

/*
 * The run: until the traffic's end, and then until a restart under way
 * has settled. Each turn reads every terminal, sends the reports that are
 * due, takes the replies (waiting 5 ms for them: the loop's only sleep),
 * and samples when it is time.
 */
static int
soak_loop(struct soak *z)
{
	int64_t report_every = (int64_t)(1e9 / z->o->reports), now;
	struct soak_console *c = &z->con[SOAK_DROPPED];

	while ((now = bench_now_ns()) < z->end || c->state == CON_GONE_WAIT ||
	    c->state == CON_BACK_WAIT) {
		if (soak_interrupted) {
			fprintf(stderr, "bench-soak: interrupted; ending the run here\n");
			break;
		}
		soak_pump_all(z->con);
		if (now < z->end) {
			/* Steady, also after a stall of this loop: no burst of
			 * catching up that the hub's control-rate would refuse. */
			if (z->p.due_ns < now - 1000000000LL)
				z->p.due_ns = now;
			for (; z->p.due_ns <= now; z->p.due_ns += report_every)
				if (soak_report_send(&z->p) != 0)
					return -1;
		}
		soak_report_replies(&z->p, 5);
		if (now >= z->next_wal) {
			soak_wal_check(z, now);
			z->next_wal += (int64_t)SOAK_WAL_EVERY_MS * 1000000;
		}
		if (now < z->end && now >= z->next_sample && z->ns < z->cap) {
			soak_sample_take(z, now);
			z->next_sample += (int64_t)SOAK_SAMPLE_MS * 1000000;
		}
		if (soak_consoles_turn(z, now) != 0)
			return -1;
	}
	z->elapsed = soak_s((now < z->end ? now : z->end) - z->t0);
	const pid_t pids[5] = { z->h.pid, z->con[0].pid, z->con[1].pid, z->sim, getpid() };
	for (int i = 0; i < 5; i++)
		z->cpu[i] = test_proc_cpu_s(pids[i]);
	return 0;
}

/* The producer's last replies; simulate ends by itself at its --duration;
 * the consoles are given time to show the hub's seq (printed, not judged). */
static void
soak_end_traffic(struct soak *z)
{
	int64_t deadline = bench_now_ns() + (int64_t)test_valgrind_ms(SOAK_END_MS) * 1000000;
	int status = -1, behind, nlive = 0;

	while (json_object_size(z->p.acked) + z->p.refused < z->p.sent &&
	    bench_now_ns() < deadline) {
		soak_pump_all(z->con);
		soak_report_replies(&z->p, 20);
	}
	/* Cut short (SIGINT, SIGTERM): simulate is asked to end too. */
	if (soak_interrupted)
		kill(z->sim, SIGTERM);
	deadline = bench_now_ns() + (int64_t)test_valgrind_ms(SOAK_END_MS) * 1000000;
	while (bench_now_ns() < deadline) {
		soak_pump_all(z->con);
		if (waitpid(z->sim, &status, WNOHANG) == z->sim)
			break;
		status = -1;
		usleep(20000);
	}
	if (status < 0) {
		fprintf(stderr, "bench-soak: watchctl simulate (pid %d) still runs %d ms after its "
		    "--duration: a leftover, ended\n", (int)z->sim, SOAK_END_MS);
		z->k.leftover++;
		test_kid_stop(&z->h, z->sim, SIGKILL, 5000);
	} else {
		/* Reaped here: the harness must not signal that pid again. */
		for (int i = 0; i < z->h.nkids; i++)
			if (z->h.kids[i] == z->sim)
				z->h.kids[i] = z->h.kids[--z->h.nkids];
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char how[64];
			soak_describe_status(status, how, sizeof how);
			fprintf(stderr, "bench-soak: watchctl simulate ended with %s\n", how);
		}
	}
	z->sim = -1;
	close(z->sim_fd);
	z->sim_fd = -1;

	long long last = soak_hub_seq(z->stats, &z->nstats);
	for (int i = 0; i < SOAK_NCON; i++)
		nlive += z->con[i].state == CON_LIVE;
	deadline = bench_now_ns() + (int64_t)test_valgrind_ms(SOAK_END_MS) * 1000000;
	do {
		soak_pump_all(z->con);
		behind = 0;
		for (int i = 0; i < SOAK_NCON; i++)
			behind += z->con[i].state == CON_LIVE && !soak_pred_live(z->con[i].t, &last);
		if (behind > 0)
			usleep(20000);
	} while (behind > 0 && bench_now_ns() < deadline);
	printf("consoles showing the hub's seq %lld after the traffic: %d of the %d live\n",
	    last, nlive - behind, nlive);
}

/* The consoles quit with q (status 0), and nothing of theirs is left. */
static void
soak_end_consoles(struct soak *z)
{
	int status;

	for (int i = 0; i < SOAK_NCON; i++) {
		struct soak_console *c = &z->con[i];
		if (c->state != CON_LIVE)
			continue;
		if (test_term_send_str(c->t, "q") != 0 ||
		    (status = test_term_wait(c->t, SOAK_END_MS)) < 0) {
			fprintf(stderr, "bench-soak: console %d did not quit within %d ms of q: a "
			    "leftover, killed\n", i + 1, SOAK_END_MS);
			z->k.leftover++;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char how[64];
			soak_describe_status(status, how, sizeof how);
			fprintf(stderr, "bench-soak: console %d quit with %s\n", i + 1, how);
			z->k.died++;
		}
		test_term_free(c->t);
		c->t = NULL;
		if (soak_pid_left(c->pid)) {
			fprintf(stderr, "bench-soak: console %d's pid %d or its process group is "
			    "still there after it quit\n", i + 1, (int)c->pid);
			z->k.leftover++;
		}
	}
}

/* The hub stops cleanly, and what it recovers from its database still
 * holds every acknowledged report. */
static void
soak_end_hub(struct soak *z)
{
	int status = test_hub_terminate(&z->h, SOAK_STOP_MS);

	if (status < 0) {
		fprintf(stderr, "bench-soak: watchd did not stop within %d ms of SIGTERM: a "
		    "leftover, killed\n", SOAK_STOP_MS);
		z->k.leftover++;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char how[64];
		soak_describe_status(status, how, sizeof how);
		fprintf(stderr, "bench-soak: watchd stopped with %s\n", how);
		z->k.hub_unclean++;
	}
	z->db_stopped = soak_file_bytes(z->h.db);
	if (test_hub_start(&z->h, z->extra) != 0) {
		fprintf(stderr, "bench-soak: watchd did not start again on its database\n");
		z->k.lost_restart = -1;
		return;
	}
	z->k.lost_restart = soak_lost(&z->h, z->p.acked, "after a hub restart");
	if (test_hub_stop_clean(&z->h) != 0)
		z->k.hub_unclean++;
}

static int
soak_run(const struct soak_opts *o)
{
	struct soak z;
	int rc = -1;

	if (soak_init(&z, o) != 0 || soak_setup(&z) != 0 || soak_start_traffic(&z) != 0 ||
	    soak_loop(&z) != 0)
		goto out;
	soak_end_traffic(&z);
	json_t *st = test_hub_stats(&z.h);
	char *text = st != NULL ? json_dumps(st, JSON_COMPACT) : NULL;
	printf("hub stats: %s\n", text != NULL ? text : "(no reply)");
	free(text);
	json_decref(st);
	json_t *snap = test_hub_snapshot(&z.h);
	z.ncases = json_array_size(json_object_get(snap, "cases"));
	json_decref(snap);
	z.k.lost = soak_lost(&z.h, z.p.acked, "on the live hub");
	soak_end_consoles(&z);
	soak_end_hub(&z);
	z.k.leftover += soak_children_left();
	soak_report(&z);
	const struct soak_counts *k = &z.k;
	if (k->leftover == 0 && k->lost == 0 && k->lost_restart == 0 && k->wal_over == 0 &&
	    k->not_back == 0 && k->died == 0 && k->hub_unclean == 0)
		rc = 0;
out:
	soak_free(&z);
	return rc;
}

static void
usage(FILE *f)
{
	fputs("usage: bench-soak [-t SEC] [--rate N] [--speed X] [--seed S] [--reports N]\n"
	    "                  [--restart-every SEC] [--wal-limit MIB]\n"
	    "\n"
	    "A hub with about 200 events/s of demo traffic, three consoles in ptys (one\n"
	    "dropped and restarted every minute) and an acknowledged producer, for SEC\n"
	    "seconds. Prints what grows per hour (hub RSS, database, -wal, consoles) and\n"
	    "the counts; exits 1 if a process is left over, an acknowledged report is\n"
	    "lost, the -wal passes its bound, or a console does not come back.\n"
	    "\n"
	    "  -t, --duration SEC   the traffic's length (default 600)\n"
	    "  --rate N             watchctl simulate --rate (default 90)\n"
	    "  --speed X            watchctl simulate --speed (default 4)\n"
	    "  --seed S             watchctl simulate --seed (default 1)\n"
	    "  --reports N          acknowledged reports a second (default 3)\n"
	    "  --restart-every SEC  drop and restart console 3 this often (default 60)\n"
	    "  --wal-limit MIB      start watchd with --wal-limit MIB (default: its own,\n"
	    "                       64 MiB), the bound the -wal is held to\n", f);
}

#define NUM(opt, min, max, whole) bench_num_arg("bench-soak", (opt), optarg, (min), (max), (whole))

int
main(int argc, char **argv)
{
	enum { OPT_RATE = 256, OPT_SPEED, OPT_SEED, OPT_REPORTS, OPT_RESTART, OPT_WAL };
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "reports", required_argument, NULL, OPT_REPORTS },
		{ "restart-every", required_argument, NULL, OPT_RESTART },
		{ "wal-limit", required_argument, NULL, OPT_WAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct soak_opts o = { .duration_s = 600, .rate = 90, .speed = 4, .reports = 3,
		.restart_s = 60, .seed = 1, .wal_limit_mib = 0 };
	int c;

	while ((c = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.duration_s = NUM("--duration", 10, 7 * 86400, 1); break;
		case OPT_RATE: o.rate = NUM("--rate", 1, 10000, 0); break;
		case OPT_SPEED: o.speed = NUM("--speed", 0.1, 1000, 0); break;
		case OPT_SEED: o.seed = (unsigned long long)NUM("--seed", 0, 1e15, 1); break;
		case OPT_REPORTS: o.reports = NUM("--reports", 0.1, 1000, 0); break;
		case OPT_RESTART: o.restart_s = NUM("--restart-every", 5, 86400, 0); break;
		case OPT_WAL: o.wal_limit_mib = (int)NUM("--wal-limit", 1, 1024 * 1024, 1); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, soak_on_signal);
	signal(SIGTERM, soak_on_signal);
	if (soak_run(&o) != 0) {
		fprintf(stderr, "bench-soak: FAILED (a count, not the time)\n");
		return 1;
	}
	printf("bench-soak: ok\n");
	return 0;
}
