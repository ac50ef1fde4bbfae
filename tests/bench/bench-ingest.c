/*
 * bench-ingest: the hub's durable ingest rate against raw libzmq.
 *
 * The same N pre-built incident messages (topic "incident", a JSON body of
 * 200-300 bytes) go through two paths, in rounds that alternate so that a
 * noisy, shared machine hurts both alike:
 *
 *   raw:  PUSH -> PULL on ipc:// inside this process; timed from the first
 *         send until the PULL has received all N.
 *   hub:  PUSH -> a real watchd (started by the test harness on ipc://, with
 *         a fresh database) -> validate, sequence, commit to SQLite, publish
 *         -> a SUB here; timed from the first send until the SUB has the
 *         case event of the N-th message. Every event is durable (committed)
 *         before the hub publishes it, so this is a durable rate.
 *
 * In both paths a thread pushes as fast as it can (SNDHWM 0: sends never
 * block) while the main thread receives, so the rate is the receiving
 * end's. The hub run checks what it gets: exactly N case events, global
 * seqs strictly increasing with no gap, the last case carrying the last
 * message's ref, and the hub's counters (all accepted, none rejected).
 * A failed check exits 1; the time is reported, never judged.
 *
 * Modes: "unique" (the headline) gives every message a new ref, so each
 * opens a case; "update" cycles over a bounded set of refs (N/10 unless
 * --refs), so after the first pass each message updates an existing case.
 * An update changes the level and the summary, because a resend that
 * changes nothing produces no event.
 *
 * --curve runs both paths encrypted: the hub with --key and --allow (one
 * allow-listed key, which the pusher, the SUB and the harness's stats
 * requests all use), and the raw PULL as a CURVE server with the raw PUSH
 * as its client, so the ratio still compares like with like. The raw PULL
 * has no ZAP handler (the hub asks its ZAP thread once per connection,
 * not per message). --curve=both runs each round plain and then with
 * CURVE, and prints what CURVE costs each path as the ratio of medians
 * taken in the same run.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-codec.h"
#include "bus-curve.h"
#include "bus-hub.h"
#include "bench-msgs.h"
#include "test-hub.h"

#define BENCH_STALL_MS 20000 /* no progress for this long is a failure */

enum bench_mode { MODE_UNIQUE, MODE_UPDATE };


enum { CURVE_OFF, CURVE_ONLY, CURVE_BOTH };

struct bench_opts {
	size_t n;
	int rounds;
	enum bench_mode mode;
	size_t refs; /* distinct refs in update mode */
	int curve;   /* CURVE_OFF, CURVE_ONLY (both paths encrypted), CURVE_BOTH */
};

/* --curve: the hub's key pair and the one client key the allow file names. */
struct bench_keys {
	char hub_key[400];     /* the hub's secret key file, for --key */
	char allow[400];       /* the allow file, for --allow */
	struct bus_curve hub;    /* the hub's (the raw PULL's) keys */
	struct bus_curve client; /* the pusher's, the SUB's and the stats requests' */
};

static struct bench_keys keys;

/* One round of the hub path: the rate and what the hub said about it. */
struct hub_result {
	double rate;
	uint64_t events, case_events, commits;
	long peak_rss_kb;
	long long db_bytes;
};

static const char *const topic_incident = "incident";

/* Message I: unique mode opens a case per message; update mode cycles
 * over o->refs cases, moving each one's level on with every report. */
static void
bench_ingest_msg(struct bench_msg *m, size_t i, const struct bench_opts *o, uint64_t *seed)
{
	bench_make_msg(m, o->mode == MODE_UNIQUE ? "BENCH-U" : "BENCH-R", i,
	    o->mode == MODE_UNIQUE ? 0 : o->refs, 0, 1, seed);
}

/* ------------------------------------------------------------------ */
/* Small helpers. */

/*
 * The ceiling: the hub's own decoding and validation (jansson parse plus
 * the field table) of every message, in this thread, with nothing else.
 * No hub built on jansson can take messages faster than this.
 */
static int
bench_decode(const struct bench_msg *msgs, size_t n, double *rate)
{
	int64_t t0 = bench_now_ns();

	for (size_t i = 0; i < n; i++) {
		struct bus_frame f[2] = { { "incident", 8 }, { msgs[i].body, msgs[i].size } };
		char topic[BUS_MAX_TOPIC + 1];
		json_t *body = NULL;
		char *cause = NULL;
		int class = bus_codec_decode(f, 2, topic, &body, &cause);
		if (class == BUS_REJECT_NONE)
			class = bus_codec_check_ingest(topic, body, &cause);
		json_decref(body);
		if (class != BUS_REJECT_NONE) {
			fprintf(stderr, "bench-ingest: message %zu refused: %s\n", i, cause);
			free(cause);
			return -1;
		}
	}
	*rate = (double)n * 1e9 / (double)(bench_now_ns() - t0);
	return 0;
}

/*
 * The top-level "seq" of an event body, read without building a JSON tree:
 * the receiver shares two cores with the hub, and a full parse of every
 * event would slow down the thing being measured.
 */
static int
body_seq(const char *p, size_t n, long long *seq)
{
	int depth = 0, expect_key = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '"') {
			size_t start = ++i;
			while (i < n && p[i] != '"')
				i += p[i] == '\\' ? 2 : 1;
			if (i >= n)
				return -1;
			if (depth == 1 && expect_key && i - start == 3 &&
			    memcmp(p + start, "seq", 3) == 0) {
				char *end;
				while (++i < n && (p[i] == ':' || p[i] == ' '))
					;
				if (i >= n)
					return -1;
				errno = 0;
				*seq = strtoll(p + i, &end, 10);
				return end == p + i || errno != 0 ? -1 : 0;
			}
			expect_key = 0;
		} else if (c == '{' || c == '[') {
			depth++;
			expect_key = c == '{' && depth == 1;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',' && depth == 1) {
			expect_key = 1;
		}
	}
	return -1;
}

/* A field of a /proc/PID/status line such as "VmHWM:  1234 kB", or -1. */
static long long
file_bytes(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* ------------------------------------------------------------------ */
/* The pushing thread, shared by both paths. */

struct pusher {
	pthread_t thread;
	void *sock;
	const struct bench_msg *msgs;
	size_t n;
	int64_t first_ns, last_ns;
	int failed;
};

static void *
pusher_main(void *arg)
{
	struct pusher *p = arg;

	p->first_ns = bench_now_ns();
	for (size_t i = 0; i < p->n; i++) {
		if (zmq_send(p->sock, topic_incident, strlen(topic_incident), ZMQ_SNDMORE) < 0 ||
		    zmq_send(p->sock, p->msgs[i].body, p->msgs[i].size, 0) < 0) {
			fprintf(stderr, "bench-ingest: push %zu: %s\n", i, zmq_strerror(errno));
			p->failed = 1;
			break;
		}
	}
	p->last_ns = bench_now_ns();
	return NULL;
}

/* Sockets move to the thread: its creation is the full barrier ZeroMQ asks. */
static void
pusher_start(struct pusher *p, void *sock, const struct bench_msg *msgs, size_t n)
{
	int hwm = 0;

	memset(p, 0, sizeof *p);
	p->sock = sock;
	p->msgs = msgs;
	p->n = n;
	zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (pthread_create(&p->thread, NULL, pusher_main, p) != 0) {
		fprintf(stderr, "bench-ingest: cannot start the pushing thread\n");
		exit(2);
	}
}

/* ------------------------------------------------------------------ */
/* Raw libzmq: PUSH -> PULL over ipc:// with the hub's PULL settings. */

/* --curve: the PULL a CURVE server with the hub's keys, the PUSH its client. */
static int
bench_raw_curve(void *pull, void *push)
{
	int one = 1;
	char *cause = NULL;

	if (zmq_setsockopt(pull, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(pull, ZMQ_CURVE_SECRETKEY, keys.hub.secret_key, BUS_CURVE_KEY_LEN) != 0) {
		fprintf(stderr, "bench-ingest: raw: CURVE server: %s\n", zmq_strerror(errno));
		return -1;
	}
	if (bus_curve_client(push, &keys.client, &cause) != 0) {
		fprintf(stderr, "bench-ingest: raw: CURVE client: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* --curve: the hub's key, the client's key, and the allow file naming the
 * client (as a lead: it publishes, subscribes and asks for stats), in DIR. */
static int
bench_keys_make(const char *dir)
{
	char prefix[320], pub[BUS_CURVE_KEY_LEN + 1], path[400], *cause = NULL;
	struct bus_curve hub;
	FILE *f;

	if (bus_curve_available(&cause) != 0)
		goto fail;
	snprintf(prefix, sizeof prefix, "%s/hub", dir);
	snprintf(keys.hub_key, sizeof keys.hub_key, "%s.key", prefix);
	if (bus_curve_keygen(prefix, pub, &cause) != 0 ||
	    bus_curve_load_secret(keys.hub_key, &keys.hub, &cause) != 0)
		goto fail;
	hub = keys.hub;
	snprintf(prefix, sizeof prefix, "%s/bench", dir);
	snprintf(path, sizeof path, "%s.key", prefix);
	if (bus_curve_keygen(prefix, pub, &cause) != 0 ||
	    bus_curve_load_secret(path, &keys.client, &cause) != 0)
		goto fail;
	memcpy(keys.client.server_key, hub.public_key, sizeof keys.client.server_key);
	snprintf(keys.allow, sizeof keys.allow, "%s/allow", dir);
	if ((f = fopen(keys.allow, "w")) == NULL) {
		fprintf(stderr, "bench-ingest: %s: %s\n", keys.allow, strerror(errno));
		return -1;
	}
	fprintf(f, "%s bench lead\n", keys.client.public_key);
	return fclose(f) == 0 ? 0 : -1;
fail:
	fprintf(stderr, "bench-ingest: CURVE keys: %s\n", cause);
	free(cause);
	return -1;
}

/* A CURVE client socket of TYPE on ENDPOINT with the client's key (a SUB
 * subscribes to everything), or NULL. */
static void *
bench_curve_socket(struct test_hub *h, int type, const char *endpoint, int linger)
{
	void *s = test_hub_own(h, zmq_socket(h->zctx, type));
	char *cause = NULL;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	if (bus_curve_client(s, &keys.client, &cause) != 0) {
		fprintf(stderr, "bench-ingest: CURVE client: %s\n", cause);
		free(cause);
		return NULL;
	}
	if (type == ZMQ_SUB)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(s, endpoint) != 0) {
		fprintf(stderr, "bench-ingest: %s: %s\n", endpoint, zmq_strerror(errno));
		return NULL;
	}
	return s;
}

static int
bench_raw(struct test_hub *raw, const struct bench_msg *msgs, size_t n, int curve, double *rate)
{
	char ep[400];
	void *pull = test_hub_own(raw, zmq_socket(raw->zctx, ZMQ_PULL));
	void *push = test_hub_own(raw, zmq_socket(raw->zctx, ZMQ_PUSH));
	int64_t maxsize = BUS_MAX_MSG, end_ns = 0, last_progress;
	int timeout = 1000, linger = 0, rc = -1;
	size_t got = 0;
	struct pusher p;
	zmq_msg_t m;

	/* Same limits as the hub's ingest socket (bus_sock_open). */
	snprintf(ep, sizeof ep, "ipc://%s/raw", raw->dir);
	zmq_setsockopt(pull, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
	zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
	if (curve && bench_raw_curve(pull, push) != 0) {
		test_hub_close(raw, pull);
		test_hub_close(raw, push);
		return -1;
	}
	if (zmq_bind(pull, ep) != 0 || zmq_connect(push, ep) != 0) {
		fprintf(stderr, "bench-ingest: raw: %s: %s\n", ep, zmq_strerror(errno));
		test_hub_close(raw, pull);
		test_hub_close(raw, push);
		return -1;
	}
	pusher_start(&p, push, msgs, n);
	zmq_msg_init(&m);
	last_progress = bench_now_ns();
	while (got < n) {
		if (zmq_msg_recv(&m, pull, 0) < 0) {
			if (errno == EAGAIN &&
			    bench_now_ns() - last_progress < (int64_t)BENCH_STALL_MS * 1000000)
				continue;
			fprintf(stderr, "bench-ingest: raw: stalled at %zu of %zu messages: %s\n",
			    got, n, zmq_strerror(errno));
			goto out;
		}
		/* Check the frames arrive whole, as the hub would need them. */
		int topic_ok = zmq_msg_size(&m) == strlen(topic_incident) && zmq_msg_more(&m);
		if (!topic_ok || zmq_msg_recv(&m, pull, 0) < 0 ||
		    zmq_msg_size(&m) != msgs[got].size) {
			fprintf(stderr, "bench-ingest: raw: message %zu arrived damaged\n", got);
			goto out;
		}
		got++;
		last_progress = bench_now_ns();
	}
	end_ns = bench_now_ns();
	rc = 0;
out:
	zmq_msg_close(&m);
	pthread_join(p.thread, NULL);
	test_hub_close(raw, push);
	test_hub_close(raw, pull);
	if (rc == 0 && p.failed)
		rc = -1;
	if (rc == 0)
		*rate = (double)n / ((double)(end_ns - p.first_ns) / 1e9);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The hub. */

/* The hub's log without its per-message debug records (-v, from the
 * harness), which would bury the reason under N lines. */
static void
dump_log_brief(const struct test_hub *h)
{
	char line[1024];
	unsigned long skipped = 0;
	int shown = 0;
	FILE *f = fopen(h->log, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s (debug records left out) ----\n", h->log);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, " debug: ") != NULL || shown >= 200)
			skipped++;
		else {
			fputs(line, stderr);
			shown++;
		}
	}
	fprintf(stderr, "---- end of log; %lu lines not shown ----\n", skipped);
	fclose(f);
}

/* The hub's "stats" reply, or NULL after saying why. */
static json_t *
hub_stats(struct test_hub *h)
{
	json_t *r = test_hub_stats(h);

	if (r == NULL || !json_is_true(json_object_get(r, "ok"))) {
		fprintf(stderr, "bench-ingest: the hub did not answer the stats op\n");
		json_decref(r);
		return NULL;
	}
	return r;
}

static long long
jnum(json_t *obj, const char *path1, const char *path2)
{
	json_t *v = json_object_get(obj, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/*
 * Whether the hub, quiet for a second, has taken all N messages and
 * published up to LAST: then nothing more is coming and waiting is useless.
 */
static int
hub_finished(struct test_hub *h, json_t *before, size_t n, long long last)
{
	json_t *now = test_hub_stats(h);
	int done = jnum(now, "ingest", "received") - jnum(before, "ingest", "received") >=
	    (long long)n && jnum(now, "seq", NULL) == last;

	json_decref(now);
	return done;
}

/*
 * Receive events until the case event of the N-th message. Every event's
 * seq must be the previous one plus one: the hub publishes each committed
 * event once, in order, and this SUB drops nothing (RCVHWM 0).
 */
static int
hub_receive(struct test_hub *h, void *sub, size_t n, json_t *before,
    struct hub_result *res, char **last_case)
{
	long long last = jnum(before, "seq", NULL), seq;
	int64_t last_progress = bench_now_ns();
	zmq_msg_t t, b;
	int rc = -1;

	zmq_msg_init(&t);
	zmq_msg_init(&b);
	while (res->case_events < n) {
		if (zmq_msg_recv(&t, sub, 0) < 0) {
			int timeout = errno == EAGAIN;
			int finished = timeout && hub_finished(h, before, n, last);
			if (timeout && !finished &&
			    bench_now_ns() - last_progress < (int64_t)BENCH_STALL_MS * 1000000)
				continue;
			fprintf(stderr, "bench-ingest: hub: %llu of %zu case events, last seq %lld; "
			    "%s\n", (unsigned long long)res->case_events, n, last, finished ?
			    "the hub has taken every message and has published nothing since" :
			    "no event for too long");
			goto out;
		}
		if (!zmq_msg_more(&t) || zmq_msg_recv(&b, sub, 0) < 0) {
			fprintf(stderr, "bench-ingest: hub: an event without a body\n");
			goto out;
		}
		const char *topic = zmq_msg_data(&t);
		size_t tlen = zmq_msg_size(&t);
		if (tlen == strlen(BUS_HEARTBEAT_TOPIC) &&
		    memcmp(topic, BUS_HEARTBEAT_TOPIC, tlen) == 0)
			continue;
		if (body_seq(zmq_msg_data(&b), zmq_msg_size(&b), &seq) != 0) {
			fprintf(stderr, "bench-ingest: hub: event %.*s has no seq\n", (int)tlen,
			    topic);
			goto out;
		}
		if (seq != last + 1) {
			fprintf(stderr, "bench-ingest: hub: event %.*s has seq %lld after %lld "
			    "(%s)\n", (int)tlen, topic, seq, last,
			    seq <= last ? "not increasing" : "events missing");
			goto out;
		}
		last = seq;
		res->events++;
		if (tlen > 5 && memcmp(topic, "case.", 5) == 0) {
			if (++res->case_events == n)
				*last_case = strndup(zmq_msg_data(&b), zmq_msg_size(&b));
		}
		last_progress = bench_now_ns();
	}
	rc = 0;
out:
	zmq_msg_close(&t);
	zmq_msg_close(&b);
	return rc;
}

/* The last case event must be the last message's case. */
static int
hub_check_last(const char *body, const struct bench_msg *m)
{
	json_t *c = json_loads(body, 0, NULL);
	json_t *sent = json_loadb(m->body, m->size, 0, NULL);
	int ok = c != NULL && sent != NULL;

	for (const char *const *f = (const char *const[]){ "ref", "title", "org",
	    "sector", "level", "summary", NULL }; ok && *f != NULL; f++) {
		if (!json_equal(json_object_get(c, *f), json_object_get(sent, *f))) {
			fprintf(stderr, "bench-ingest: hub: the last case has %s different "
			    "from the last message's\n", *f);
			ok = 0;
		}
	}
	json_decref(c);
	json_decref(sent);
	return ok ? 0 : -1;
}

/* The stats op's figures must say: every message accepted, none refused. */
static int
hub_check_stats(json_t *before, json_t *after, size_t n)
{
	long long received = jnum(after, "ingest", "received") - jnum(before, "ingest", "received");
	long long accepted = jnum(after, "ingest", "accepted") - jnum(before, "ingest", "accepted");
	long long rejected = jnum(after, "ingest", "rejected");
	long long failures = jnum(after, "store_failures", NULL);

	if (received != (long long)n || accepted != (long long)n || rejected != 0 ||
	    failures != 0) {
		fprintf(stderr, "bench-ingest: hub: received %lld, accepted %lld, rejected "
		    "%lld, store failures %lld; expected %zu, %zu, 0, 0\n", received, accepted,
		    rejected, failures, n, n);
		return -1;
	}
	return 0;
}

static int
bench_hub(int round, const struct bench_msg *msgs, size_t n, int curve, struct hub_result *res)
{
	const char *const curve_args[] = { "--key", keys.hub_key, "--allow", keys.allow, NULL };
	struct test_hub h;
	json_t *before = NULL, *after = NULL;
	void *sub = NULL, *push = NULL;
	char *last_case = NULL;
	int hwm = 0, timeout = 1000, rc = -1;
	struct pusher p;
	int64_t end_ns;

	memset(res, 0, sizeof *res);
	/* Without -v: a production hub does not log every message. */
	if (test_hub_init(&h, "bench") != 0)
		return -1;
	h.quiet = 1;
	h.curve = curve ? &keys.client : NULL; /* the harness's stats requests */
	if (test_hub_start(&h, curve ? curve_args : NULL) != 0) {
		fprintf(stderr, "bench-ingest: cannot start watchd\n");
		test_hub_dump_log(&h);
		test_hub_cleanup(&h);
		return -1;
	}
	if (curve) {
		json_t *hb = NULL;
		sub = bench_curve_socket(&h, ZMQ_SUB, h.events, 0);
		if (sub == NULL || test_sub_wait(sub, BUS_HEARTBEAT_TOPIC, NULL, &hb,
		    TEST_HUB_WAIT_MS) != 0) {
			fprintf(stderr, "bench-ingest: no heartbeat from watchd with CURVE\n");
			goto out;
		}
		json_decref(hb);
	} else if ((sub = test_hub_own(&h, test_hub_sub(&h, ""))) == NULL) {
		fprintf(stderr, "bench-ingest: no heartbeat from watchd\n");
		goto out;
	}
	/* Keep every event: a SUB over its high-water mark drops silently. */
	zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	if ((before = hub_stats(&h)) == NULL)
		goto out;

	push = curve ? bench_curve_socket(&h, ZMQ_PUSH, h.ingest, 2000) :
	    test_hub_own(&h, test_hub_push(&h));
	if (push == NULL)
		goto out;
	pusher_start(&p, push, msgs, n);
	int received = hub_receive(&h, sub, n, before, res, &last_case);
	end_ns = bench_now_ns();
	pthread_join(p.thread, NULL);
	if (received != 0 || p.failed)
		goto out;
	res->rate = (double)n / ((double)(end_ns - p.first_ns) / 1e9);

	if ((after = hub_stats(&h)) == NULL)
		goto out;
	char *text = json_dumps(after, JSON_COMPACT);
	printf("round %d hub stats: %s\n", round, text);
	free(text);
	res->commits = (uint64_t)(jnum(after, "commits", NULL) - jnum(before, "commits", NULL));
	res->peak_rss_kb = test_proc_kb(h.pid, "VmHWM");
	if (hub_check_stats(before, after, n) != 0 || hub_check_last(last_case, &msgs[n - 1]) != 0)
		goto out;

	/* A clean stop checkpoints the WAL: what is left is the database. */
	if (test_hub_stop_clean(&h) != 0)
		goto out;
	char wal[400];
	snprintf(wal, sizeof wal, "%s-wal", h.db);
	res->db_bytes = file_bytes(h.db) + file_bytes(wal);
	rc = 0;
out:
	if (rc != 0)
		dump_log_brief(&h);
	free(last_case);
	json_decref(before);
	json_decref(after);
	test_hub_cleanup(&h); /* closes the owned PUSH and SUB */
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: bench-ingest [-n N] [-r ROUNDS] [--mode unique|update] [--refs K] [--curve[=both]]\n"
	    "\n"
	    "Pushes N incidents through a running watchd (validated, committed,\n"
	    "published, received by a SUB) and the same messages through raw libzmq\n"
	    "PUSH -> PULL, ROUNDS times each, interleaved; prints events/s and the\n"
	    "hub/raw ratio of the medians. Exits 1 only if events go missing or\n"
	    "messages are refused, never because of the time.\n"
	    "\n"
	    "  -n N          messages per run (default 100000)\n"
	    "  -r ROUNDS     runs of each path (default 3)\n"
	    "  --mode unique every message opens a new case (default)\n"
	    "  --mode update refs cycle over K cases: each later message updates one\n"
	    "  --refs K      cases in update mode (default N/10: ten reports a case)\n"
	    "  --curve       both paths with CURVE (the hub with --key and --allow)\n"
	    "  --curve=both  each round plain and then with CURVE, and the CURVE/plain\n"
	    "                ratios of the medians\n", f);
}

static size_t
count_arg(const char *opt, const char *v, size_t min, size_t max)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || x < min || x > max) {
		fprintf(stderr, "bench-ingest: %s takes a number from %zu to %zu, not '%s'\n",
		    opt, min, max, v);
		exit(2);
	}
	return (size_t)x;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "refs", required_argument, NULL, 'k' },
		{ "curve", optional_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { 100000, 3, MODE_UNIQUE, 0, 0 };
	int c;

	while ((c = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.n = count_arg("-n", optarg, 1, 100000000); break;
		case 'r': o.rounds = (int)count_arg("-r", optarg, 1, 100); break;
		case 'c':
			if (optarg == NULL)
				o.curve = CURVE_ONLY;
			else if (strcmp(optarg, "both") == 0)
				o.curve = CURVE_BOTH;
			else {
				fprintf(stderr, "bench-ingest: --curve takes nothing or =both\n");
				return 2;
			}
			break;
		case 'k': o.refs = count_arg("--refs", optarg, 1, 100000000); break;
		case 'm':
			if (strcmp(optarg, "unique") == 0)
				o.mode = MODE_UNIQUE;
			else if (strcmp(optarg, "update") == 0)
				o.mode = MODE_UPDATE;
			else {
				fprintf(stderr, "bench-ingest: --mode is unique or update\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (o.refs == 0)
		o.refs = o.n / 10 > 0 ? o.n / 10 : 1;
	if (o.refs > o.n)
		o.refs = o.n;
	signal(SIGPIPE, SIG_IGN);

	struct bench_msg *msgs = calloc(o.n, sizeof *msgs);
	uint64_t seed = 0x5eed2026, total = 0;
	size_t min = SIZE_MAX, max = 0;
	if (msgs == NULL) {
		fprintf(stderr, "bench-ingest: out of memory\n");
		return 2;
	}
	for (size_t i = 0; i < o.n; i++) {
		bench_ingest_msg(&msgs[i], i, &o, &seed);
		total += msgs[i].size;
		min = msgs[i].size < min ? msgs[i].size : min;
		max = msgs[i].size > max ? msgs[i].size : max;
	}

	printf("messages: %zu\n", o.n);
	printf("rounds: %d\n", o.rounds);
	if (o.mode == MODE_UNIQUE)
		printf("mode: unique (every message opens a new case)\n");
	else
		printf("mode: update (refs cycle over %zu cases: %zu opened, %zu updates)\n",
		    o.refs, o.refs, o.n - o.refs);
	printf("transport: ipc://%s\n", o.curve == CURVE_BOTH ? ", plain then with CURVE, each "
	    "round" : o.curve ? " with CURVE (both paths)" : "");
	printf("body bytes: min %zu, mean %.0f, max %zu\n", min, (double)total / (double)o.n,
	    max);
	fflush(stdout);

	/* The raw path needs only a directory and a context from the harness. */
	struct test_hub raw;
	if (test_hub_init(&raw, "bench-raw") != 0) {
		fprintf(stderr, "bench-ingest: cannot make a temporary directory\n");
		return 2;
	}
	if (o.curve && bench_keys_make(raw.dir) != 0) {
		test_hub_cleanup(&raw);
		return 2;
	}
	/* One path pair, or (--curve both) plain and CURVE in the same run,
	 * alternating, so that the cost of CURVE is read on the same machine
	 * at the same moment. */
	int first = o.curve == CURVE_BOTH ? 0 : o.curve, last = o.curve == CURVE_BOTH ? 1 : o.curve;
	double *raw_rate[2], *hub_rate[2], *per_commit[2], *decode_rate;
	int failed = 0;
	long peak_rss[2] = { 0, 0 };
	long long db_bytes = 0;

	decode_rate = calloc((size_t)o.rounds, sizeof *decode_rate);
	for (int m = 0; m < 2; m++) {
		raw_rate[m] = calloc((size_t)o.rounds, sizeof *raw_rate[m]);
		hub_rate[m] = calloc((size_t)o.rounds, sizeof *hub_rate[m]);
		per_commit[m] = calloc((size_t)o.rounds, sizeof *per_commit[m]);
	}
	for (int r = 0; r < o.rounds && !failed; r++) {
		if (bench_decode(msgs, o.n, &decode_rate[r]) != 0) {
			failed = 1;
			break;
		}
		printf("round %d decode-only events/s: %.0f\n", r + 1, decode_rate[r]);
		for (int m = first; m <= last && !failed; m++) {
			const char *how = o.curve == CURVE_BOTH ? (m ? " (CURVE)" : " (plain)") : "";
			struct hub_result res;
			if (bench_raw(&raw, msgs, o.n, m, &raw_rate[m][r]) != 0) {
				failed = 1;
				break;
			}
			printf("round %d raw%s events/s: %.0f\n", r + 1, how, raw_rate[m][r]);
			fflush(stdout);
			if (bench_hub(r + 1, msgs, o.n, m, &res) != 0) {
				failed = 1;
				break;
			}
			hub_rate[m][r] = res.rate;
			per_commit[m][r] = res.commits ? (double)res.events / (double)res.commits : 0;
			peak_rss[m] = res.peak_rss_kb > peak_rss[m] ? res.peak_rss_kb : peak_rss[m];
			db_bytes = res.db_bytes;
			printf("round %d hub%s events/s: %.0f\n", r + 1, how, hub_rate[m][r]);
			printf("round %d hub%s events received: %llu (%llu case, %llu sector)\n", r + 1,
			    how, (unsigned long long)res.events, (unsigned long long)res.case_events,
			    (unsigned long long)(res.events - res.case_events));
			printf("round %d hub%s commits: %llu\n", r + 1, how,
			    (unsigned long long)res.commits);
			printf("round %d hub%s events per commit: %.1f\n", r + 1, how, per_commit[m][r]);
			printf("round %d hub%s peak RSS: %ld kB\n", r + 1, how, res.peak_rss_kb);
			printf("round %d hub%s db size: %lld bytes (%.0f per message)\n", r + 1, how,
			    res.db_bytes, (double)res.db_bytes / (double)o.n);
			fflush(stdout);
		}
	}
	test_hub_cleanup(&raw);
	for (size_t i = 0; i < o.n; i++)
		free(msgs[i].body);
	free(msgs);
	if (!failed) {
		double dec_med = bench_median(decode_rate, o.rounds);
		printf("decode-only median events/s: %.0f\n", dec_med);
		for (int m = first; m <= last; m++) {
			const char *how = o.curve == CURVE_BOTH ? (m ? " (CURVE)" : " (plain)") : "";
			double raw_med = bench_median(raw_rate[m], o.rounds);
			double hub_med = bench_median(hub_rate[m], o.rounds);
			printf("raw%s median events/s: %.0f\n", how, raw_med);
			printf("hub%s median events/s: %.0f\n", how, hub_med);
			printf("hub%s median events per commit: %.1f\n", how,
			    bench_median(per_commit[m], o.rounds));
			printf("hub%s peak RSS: %ld kB\n", how, peak_rss[m]);
			printf("decode-only/raw%s ratio: %.3f (the ceiling of any jansson-based hub)\n",
			    how, dec_med / raw_med);
			printf("hub/decode-only%s ratio: %.3f\n", how, hub_med / dec_med);
			printf("hub/raw%s ratio: %.3f\n", how, hub_med / raw_med);
		}
		printf("hub db size: %lld bytes\n", db_bytes);
		if (o.curve == CURVE_BOTH)
			printf("CURVE/plain ratio: raw %.3f, hub %.3f\n",
			    bench_median(raw_rate[1], o.rounds) / bench_median(raw_rate[0], o.rounds),
			    bench_median(hub_rate[1], o.rounds) / bench_median(hub_rate[0], o.rounds));
	}
	for (int m = 0; m < 2; m++) {
		free(raw_rate[m]);
		free(hub_rate[m]);
		free(per_commit[m]);
	}
	free(decode_rate);
	if (failed) {
		fprintf(stderr, "bench-ingest: FAILED (a correctness check, not the time)\n");
		return 1;
	}
	return 0;
}
