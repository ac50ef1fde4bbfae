/*
 * bench-fanout: the hub publishing to many subscribers, against raw libzmq
 * PUB -> SUB with the same messages.
 *
 * S subscribers (50 unless -s) in this process, each a SUB on ipc:// with
 * the console's receive queue (RCVHWM 200,000 unless --rcvhwm), read by
 * one thread that polls them all. Two paths, in rounds that alternate:
 *
 *   hub:  a pusher thread sends N incidents (new cases, the same realistic
 *         bodies as bench-ingest) to a real watchd (quiet, fresh database);
 *         the hub validates, commits and publishes every event once to its
 *         XPUB, which copies it to every subscriber. Timed from the first
 *         push until every subscriber has the hub's last seq (or has
 *         stalled). The first hub round keeps a copy of every event one
 *         subscriber received: topic and body, as published.
 *   raw:  a thread publishes those very events (the same count, topics and
 *         sizes) on a plain PUB with the hub's send queue (SNDHWM 100,000)
 *         to the same number of SUBs. Timed from the first send until every
 *         subscriber has the last message (or has stalled).
 *
 * Figures: events/s delivered per subscriber (events one subscriber got
 * over the time), the total over all subscribers, and gaps: events a
 * subscriber should have had and did not (the hub's seqs are checked one
 * by one; raw messages carry a counter). Gaps are reported, not failed:
 * a PUB drops for a subscriber whose queue is full, by design, and that is
 * what this measures. The smoke run (-n 300 -s 50) fails only if a
 * subscriber got nothing, or the hub refused a message.
 *
 * The subscribers share one thread and two cores with the hub (or the raw
 * publisher), so the per-subscriber rate is a floor for what separate
 * consoles on separate machines would see; both paths pay it alike.
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
#include <time.h>
#include <zmq.h>

#include "bus-codec.h"
#include "bus-hub.h"
#include "bench-msgs.h"
#include "test-hub.h"

#define FANOUT_STALL_MS 3000  /* no subscriber progress this long: round over */
#define FANOUT_HUB_HWM 100000 /* the hub's events queue per subscriber (pub-hwm) */
#define FANOUT_MAX_SUBS 1000

struct fanout_opts {
	size_t n;
	int subs, rounds, rcvhwm;
};

/* One subscriber's count in a round. */
struct sub_state {
	void *sock;
	long long last;   /* last seq (hub) or counter (raw) received */
	uint64_t got;
	int done;
};

/* An event as the hub published it, for the raw path to send again. */
struct recorded {
	char *topic, *body;
	size_t tlen, blen;
};

struct round_result {
	double per_sub_rate; /* events/s one subscriber received, median of subs */
	double elapsed_s;
	uint64_t expected;   /* events each subscriber should have */
	uint64_t gaps;       /* summed over subscribers */
	uint64_t min_got, max_got;
};

/* The top-level "seq" of an event body without a JSON parse (the receiving
 * thread must not be the bottleneck): the hub writes it as "seq":N. */
static long long
body_seq(const char *p, size_t n)
{
	static const char key[] = "\"seq\":";
	size_t k = sizeof key - 1;

	for (size_t i = 0; i + k < n; i++) {
		if (memcmp(p + i, key, k) == 0)
			return strtoll(p + i + k, NULL, 10);
	}
	return -1;
}

static long long
jnum(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(obj, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* S SUBs on ENDPOINT, subscribed to everything, with RCVHWM. */
static int
subs_open(struct test_hub *h, struct sub_state *s, int n, const char *endpoint, int rcvhwm)
{
	int zero = 0;

	for (int i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof s[i]);
		s[i].sock = zmq_socket(h->zctx, ZMQ_SUB);
		zmq_setsockopt(s[i].sock, ZMQ_LINGER, &zero, sizeof zero);
		zmq_setsockopt(s[i].sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
		zmq_setsockopt(s[i].sock, ZMQ_SUBSCRIBE, "", 0);
		if (zmq_connect(s[i].sock, endpoint) != 0) {
			fprintf(stderr, "bench-fanout: %s: %s\n", endpoint, zmq_strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
subs_close(struct sub_state *s, int n)
{
	for (int i = 0; i < n; i++) {
		if (s[i].sock != NULL)
			zmq_close(s[i].sock);
		s[i].sock = NULL;
	}
}

/* Read one whole message from S without waiting: 1 with its two frames in
 * T and B, 0 if none is there. */
static int
read_now(void *s, zmq_msg_t *t, zmq_msg_t *b)
{
	if (zmq_msg_recv(t, s, ZMQ_DONTWAIT) < 0)
		return 0;
	if (!zmq_msg_more(t) || zmq_msg_recv(b, s, 0) < 0)
		zmq_msg_init_size(b, 0);
	return 1;
}

/*
 * Until every subscriber has had a message (SEND is called every 10 ms:
 * the raw path sends one, the hub has heartbeats): a SUB's subscription
 * reaches the PUB some time after connect, and what it sends before is
 * lost to that subscriber. 0, or -1 after 10 s.
 */
static int
subs_wait_live(struct sub_state *s, int n, void (*send)(void *), void *arg)
{
	int64_t end = bench_now_ns() + 10000LL * 1000000;
	int live = 0;
	zmq_msg_t t, b;

	zmq_msg_init(&t);
	zmq_msg_init(&b);
	while (live < n && bench_now_ns() < end) {
		if (send != NULL)
			send(arg);
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
		for (int i = 0; i < n; i++) {
			while (read_now(s[i].sock, &t, &b)) {
				if (!s[i].done) {
					s[i].done = 1;
					live++;
				}
			}
		}
	}
	zmq_msg_close(&t);
	zmq_msg_close(&b);
	for (int i = 0; i < n; i++)
		s[i].done = 0;
	return live == n ? 0 : -1;
}

/*
 * Read every subscriber until each has LAST (for the hub: its seq; the raw
 * path: the message counter), or nobody has made progress for a while.
 * FIRST is the first expected number; what a subscriber misses counts as
 * gaps. RECORD (may be NULL) gets subscriber 0's events, for the raw path.
 * Skips heartbeats. T0 is when the sending began: the result's clock.
 */
static void
subs_receive(struct sub_state *s, int n, long long first, long long (*last_of)(void *),
    void *arg, int raw, struct recorded **record, size_t *nrecord, int64_t t0,
    struct round_result *res)
{
	zmq_pollitem_t *items = calloc((size_t)n, sizeof *items);
	int64_t last_progress = bench_now_ns(), *done_ns = calloc((size_t)n, sizeof *done_ns);
	size_t cap = 0;
	int ndone = 0;
	zmq_msg_t t, b;

	for (int i = 0; i < n; i++) {
		items[i].socket = s[i].sock;
		items[i].events = ZMQ_POLLIN;
		s[i].last = first - 1;
	}
	zmq_msg_init(&t);
	zmq_msg_init(&b);
	long long last = last_of(arg);
	int64_t next_check = bench_now_ns();
	while (ndone < n) {
		/* The hub's last seq is known once it has taken everything: ask
		 * (a stats request) every 50 ms at most, not per message. */
		if (last < 0 && bench_now_ns() >= next_check) {
			last = last_of(arg);
			next_check = bench_now_ns() + 50 * 1000000;
		}
		if (zmq_poll(items, n, 50) <= 0 &&
		    bench_now_ns() - last_progress > (int64_t)FANOUT_STALL_MS * 1000000)
			break;
		for (int i = 0; i < n; i++) {
			/* A bounded drain, so every subscriber is read in turn. */
			for (int k = 0; k < 256 && read_now(s[i].sock, &t, &b); k++) {
				const char *topic = zmq_msg_data(&t);
				size_t tlen = zmq_msg_size(&t);
				if (tlen == strlen(BUS_HEARTBEAT_TOPIC) &&
				    memcmp(topic, BUS_HEARTBEAT_TOPIC, tlen) == 0)
					continue;
				long long seq;
				if (raw)
					memcpy(&seq, zmq_msg_data(&b), sizeof seq);
				else
					seq = body_seq(zmq_msg_data(&b), zmq_msg_size(&b));
				if (seq <= s[i].last)
					continue; /* the raw path's liveness messages */
				s[i].got++;
				s[i].last = seq;
				last_progress = bench_now_ns();
				if (i == 0 && record != NULL) {
					if (*nrecord == cap) {
						cap = cap ? cap * 2 : 4096;
						*record = realloc(*record, cap * sizeof **record);
					}
					struct recorded *r = &(*record)[(*nrecord)++];
					r->tlen = tlen;
					r->blen = zmq_msg_size(&b);
					r->topic = malloc(tlen);
					r->body = malloc(r->blen);
					memcpy(r->topic, topic, tlen);
					memcpy(r->body, zmq_msg_data(&b), r->blen);
				}
			}
			if (!s[i].done && last >= 0 && s[i].last >= last) {
				s[i].done = 1;
				done_ns[i] = bench_now_ns();
				ndone++;
			}
		}
	}
	/* The clock stops when the last subscriber got its last event; a
	 * subscriber that never got it stalled, and stops it at the stall. */
	int64_t end = 0;
	for (int i = 0; i < n; i++)
		end = done_ns[i] > end ? done_ns[i] : end;
	if (ndone < n)
		end = last_progress;
	last = last_of(arg);
	res->elapsed_s = (double)(end - t0) / 1e9;
	res->expected = (uint64_t)(last - first + 1);
	res->gaps = 0;
	res->min_got = UINT64_MAX;
	res->max_got = 0;
	double *rates = calloc((size_t)n, sizeof *rates);
	for (int i = 0; i < n; i++) {
		res->gaps += res->expected - s[i].got;
		res->min_got = s[i].got < res->min_got ? s[i].got : res->min_got;
		res->max_got = s[i].got > res->max_got ? s[i].got : res->max_got;
		rates[i] = (double)s[i].got / res->elapsed_s;
	}
	res->per_sub_rate = bench_median(rates, n);
	free(rates);
	zmq_msg_close(&t);
	zmq_msg_close(&b);
	free(items);
	free(done_ns);
}

/* ------------------------------------------------------------------ */
/* The hub. */

struct pusher {
	pthread_t thread;
	void *sock;
	const struct bench_msg *msgs;
	size_t n;
	int failed;
};

static void *
pusher_main(void *arg)
{
	struct pusher *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		if (zmq_send(p->sock, "incident", 8, ZMQ_SNDMORE) < 0 ||
		    zmq_send(p->sock, p->msgs[i].body, p->msgs[i].size, 0) < 0) {
			p->failed = 1;
			break;
		}
	}
	return NULL;
}

/* The hub's seq once it has taken all N messages, else -1. */
struct hub_done {
	struct test_hub *h;
	long long received0;
	size_t n;
	long long last; /* cached once known */
};

static long long
hub_last(void *arg)
{
	struct hub_done *d = arg;

	if (d->last >= 0)
		return d->last;
	json_t *st = test_hub_stats(d->h);
	long long seq = -1;
	if (jnum(st, "ingest", "received") - d->received0 >= (long long)d->n)
		seq = jnum(st, "seq", NULL);
	json_decref(st);
	/* Taken, but maybe not all committed: settle on a seq that holds. */
	if (seq >= 0) {
		json_t *again = test_hub_stats(d->h);
		if (jnum(again, "seq", NULL) == seq)
			d->last = seq;
		json_decref(again);
	}
	return d->last;
}

static int
bench_hub(const struct fanout_opts *o, const struct bench_msg *msgs, struct recorded **record,
    size_t *nrecord, struct round_result *res, long *rss_kb)
{
	struct test_hub h;
	struct sub_state *s = calloc((size_t)o->subs, sizeof *s);
	struct pusher p;
	int hwm = 0, rc = -1;

	if (test_hub_init(&h, "bench-fanout") != 0)
		return -1;
	h.quiet = 1;
	if (test_hub_start(&h, NULL) != 0) {
		fprintf(stderr, "bench-fanout: cannot start watchd\n");
		test_hub_dump_log(&h);
		goto out;
	}
	if (subs_open(&h, s, o->subs, h.events, o->rcvhwm) != 0)
		goto out;
	/* The hub's heartbeats prove every subscription is live. */
	if (subs_wait_live(s, o->subs, NULL, NULL) != 0) {
		fprintf(stderr, "bench-fanout: not every subscriber got a heartbeat\n");
		goto out;
	}
	json_t *before = test_hub_stats(&h);
	struct hub_done d = { &h, jnum(before, "ingest", "received"), o->n, -1 };
	long long first = jnum(before, "seq", NULL) + 1;
	json_decref(before);

	memset(&p, 0, sizeof p);
	p.sock = test_hub_own(&h, test_hub_push(&h));
	p.msgs = msgs;
	p.n = o->n;
	zmq_setsockopt(p.sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	int64_t t0 = bench_now_ns();
	if (pthread_create(&p.thread, NULL, pusher_main, &p) != 0)
		goto out;
	subs_receive(s, o->subs, first, hub_last, &d, 0, record, nrecord, t0, res);
	pthread_join(p.thread, NULL);

	json_t *after = test_hub_stats(&h);
	long long accepted = jnum(after, "ingest", "accepted") - d.received0;
	*rss_kb = test_proc_kb(h.pid, "VmHWM");
	json_decref(after);
	if (p.failed || accepted != (long long)o->n || d.last < 0) {
		fprintf(stderr, "bench-fanout: hub: %lld of %zu messages accepted\n", accepted,
		    o->n);
		goto out;
	}
	rc = 0;
out:
	subs_close(s, o->subs);
	free(s);
	if (rc != 0)
		test_hub_dump_log(&h);
	test_hub_cleanup(&h);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Raw libzmq PUB -> SUBs with the hub's events, each body prefixed by
 * its number (8 bytes, replacing the start of the body: same size). */

struct publisher {
	pthread_t thread;
	void *sock;
	const struct recorded *ev;
	size_t n;
	int failed;
};

static void *
publisher_main(void *arg)
{
	struct publisher *p = arg;
	char *buf = malloc(65536);

	for (size_t i = 0; i < p->n; i++) {
		const struct recorded *r = &p->ev[i];
		long long seq = (long long)i + 1;
		size_t len = r->blen < sizeof seq ? sizeof seq : r->blen;
		if (len > 65536)
			len = 65536;
		memcpy(buf, r->body, len < r->blen ? len : r->blen);
		memcpy(buf, &seq, sizeof seq);
		if (zmq_send(p->sock, r->topic, r->tlen, ZMQ_SNDMORE) < 0 ||
		    zmq_send(p->sock, buf, len, 0) < 0) {
			p->failed = 1;
			break;
		}
	}
	free(buf);
	return NULL;
}

/* Liveness: a message numbered 0, which the receivers skip. */
static void
raw_hello(void *sock)
{
	long long zero = 0;

	zmq_send(sock, "hello", 5, ZMQ_SNDMORE);
	zmq_send(sock, &zero, sizeof zero, 0);
}

static long long
raw_last(void *arg)
{
	return (long long)*(size_t *)arg;
}

static int
bench_raw(const struct fanout_opts *o, struct test_hub *raw, const struct recorded *ev,
    size_t n, struct round_result *res)
{
	struct sub_state *s = calloc((size_t)o->subs, sizeof *s);
	void *pub = zmq_socket(raw->zctx, ZMQ_PUB);
	int hwm = FANOUT_HUB_HWM, zero = 0, rc = -1;
	char ep[400];
	struct publisher p;

	snprintf(ep, sizeof ep, "ipc://%s/fanout", raw->dir);
	zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_bind(pub, ep) != 0) {
		fprintf(stderr, "bench-fanout: raw: %s: %s\n", ep, zmq_strerror(errno));
		goto out;
	}
	if (subs_open(raw, s, o->subs, ep, o->rcvhwm) != 0)
		goto out;
	if (subs_wait_live(s, o->subs, (void (*)(void *))raw_hello, pub) != 0) {
		fprintf(stderr, "bench-fanout: raw: not every subscriber is live\n");
		goto out;
	}
	memset(&p, 0, sizeof p);
	p.sock = pub;
	p.ev = ev;
	p.n = n;
	int64_t t0 = bench_now_ns();
	/* The socket moves to the thread: its creation is the barrier. */
	if (pthread_create(&p.thread, NULL, publisher_main, &p) != 0)
		goto out;
	subs_receive(s, o->subs, 1, raw_last, &n, 1, NULL, NULL, t0, res);
	pthread_join(p.thread, NULL);
	rc = p.failed ? -1 : 0;
out:
	subs_close(s, o->subs);
	zmq_close(pub);
	free(s);
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: bench-fanout [-n N] [-s SUBS] [-r ROUNDS] [--rcvhwm H]\n"
	    "\n"
	    "Pushes N incidents through a running watchd to SUBS subscribers, and the\n"
	    "very events the hub published through raw libzmq PUB -> SUBs; prints\n"
	    "events/s per subscriber, the hub/raw ratio and the gaps. Exits 1 only if\n"
	    "the hub refuses messages or a subscriber gets nothing, never for the time.\n"
	    "\n"
	    "  -n N        incidents per hub round (default 20000)\n"
	    "  -s SUBS     subscribers (default 50)\n"
	    "  -r ROUNDS   rounds of each path (default 3)\n"
	    "  --rcvhwm H  each SUB's receive queue (default 200000, the console's;\n"
	    "              0: unbounded)\n", f);
}


/* A number option of this program (bench_num_arg). */
#define NUM(opt, min, max) bench_num_arg("bench-fanout", (opt), optarg, (min), (max), 1)

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rcvhwm", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fanout_opts o = { 20000, 50, 3, 200000 };
	int c;

	while ((c = getopt_long(argc, argv, "n:s:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.n = (size_t)NUM("-n", 1, 10000000); break;
		case 's': o.subs = (int)NUM("-s", 1, FANOUT_MAX_SUBS); break;
		case 'r': o.rounds = (int)NUM("-r", 1, 100); break;
		case 'H': o.rcvhwm = (int)NUM("--rcvhwm", 0, 100000000); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	struct bench_msg *msgs = calloc(o.n, sizeof *msgs);
	uint64_t seed = 0x5eed2026;
	for (size_t i = 0; i < o.n; i++)
		bench_make_msg(&msgs[i], "FAN", i, 0, 0, 1, &seed);

	printf("incidents per hub round: %zu (each opens a case)\n", o.n);
	printf("subscribers: %d (one thread, ipc://, RCVHWM %d)\n", o.subs, o.rcvhwm);
	printf("rounds: %d\n", o.rounds);
	fflush(stdout);

	struct test_hub raw;
	if (test_hub_init(&raw, "bench-fanout-raw") != 0)
		return 2;
	double *hub_rate = calloc((size_t)o.rounds, sizeof *hub_rate);
	double *raw_rate = calloc((size_t)o.rounds, sizeof *raw_rate);
	struct recorded *ev = NULL;
	size_t nev = 0;
	uint64_t hub_gaps = 0, raw_gaps = 0, events = 0;
	long rss = 0;
	int failed = 0;

	for (int r = 0; r < o.rounds && !failed; r++) {
		struct round_result res;
		long rss_kb = 0;

		memset(&res, 0, sizeof res);
		if (bench_hub(&o, msgs, r == 0 ? &ev : NULL, &nev, &res, &rss_kb) != 0 ||
		    res.min_got == 0) {
			fprintf(stderr, "bench-fanout: hub round %d failed\n", r + 1);
			failed = 1;
			break;
		}
		hub_rate[r] = res.per_sub_rate;
		hub_gaps += res.gaps;
		events = res.expected;
		rss = rss_kb > rss ? rss_kb : rss;
		printf("round %d hub: %llu events each, %.3f s, events/s per subscriber %.0f, "
		    "total %.0f, got min %llu max %llu, gaps %llu, hub peak RSS %ld kB\n", r + 1,
		    (unsigned long long)res.expected, res.elapsed_s, res.per_sub_rate,
		    res.per_sub_rate * o.subs, (unsigned long long)res.min_got,
		    (unsigned long long)res.max_got, (unsigned long long)res.gaps, rss_kb);
		fflush(stdout);

		memset(&res, 0, sizeof res);
		if (bench_raw(&o, &raw, ev, nev, &res) != 0 || res.min_got == 0) {
			fprintf(stderr, "bench-fanout: raw round %d failed\n", r + 1);
			failed = 1;
			break;
		}
		raw_rate[r] = res.per_sub_rate;
		raw_gaps += res.gaps;
		printf("round %d raw: %llu events each, %.3f s, events/s per subscriber %.0f, "
		    "total %.0f, got min %llu max %llu, gaps %llu\n", r + 1,
		    (unsigned long long)res.expected, res.elapsed_s, res.per_sub_rate,
		    res.per_sub_rate * o.subs, (unsigned long long)res.min_got,
		    (unsigned long long)res.max_got, (unsigned long long)res.gaps);
		fflush(stdout);
	}
	test_hub_cleanup(&raw);
	uint64_t bytes = 0;
	for (size_t i = 0; i < nev; i++) {
		bytes += nev ? ev[i].blen : 0;
		free(ev[i].topic);
		free(ev[i].body);
	}
	free(ev);
	for (size_t i = 0; i < o.n; i++)
		free(msgs[i].body);
	free(msgs);
	if (failed) {
		fprintf(stderr, "bench-fanout: FAILED (a correctness check, not the time)\n");
		return 1;
	}
	double hub_med = bench_median(hub_rate, o.rounds), raw_med = bench_median(raw_rate, o.rounds);
	printf("events per subscriber per round: %llu (mean body %.0f bytes)\n",
	    (unsigned long long)events, nev ? (double)bytes / (double)nev : 0);
	printf("hub median events/s per subscriber: %.0f (all %d: %.0f)\n", hub_med, o.subs,
	    hub_med * o.subs);
	printf("raw median events/s per subscriber: %.0f (all %d: %.0f)\n", raw_med, o.subs,
	    raw_med * o.subs);
	printf("hub gaps: %llu over %d rounds x %d subscribers\n", (unsigned long long)hub_gaps,
	    o.rounds, o.subs);
	printf("raw gaps: %llu over %d rounds x %d subscribers\n", (unsigned long long)raw_gaps,
	    o.rounds, o.subs);
	printf("hub peak RSS: %ld kB\n", rss);
	printf("hub/raw ratio: %.3f\n", hub_med / raw_med);
	free(hub_rate);
	free(raw_rate);
	return 0;
}
