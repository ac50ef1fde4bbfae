/* ZeroMQ sockets under libevent (bus/wire/bus-sock.c), on real ipc://
 * sockets in a temporary directory and a real event loop. ZMQ_FD is
 * edge-triggered: whatever reads ZMQ_EVENTS (a recv, a send, zmq_poll)
 * spends the edge, and messages already queued then never wake the loop
 * again. What the hub and console depend on is that such messages are
 * still delivered, a budget at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-codec.h"
#include "bus-sock.h"

#define DEADLINE_MS 3000 /* for what must arrive; a failure, not a pass */
#define QUIET_MS    200  /* for what must not arrive */

struct fixture {
	char dir[64];
	void *zctx;
	struct event_base *base;
	struct event *deadline;
	int timed_out;
	/* What a test opened, closed at teardown even when an assertion ended
	 * the test early: zmq_ctx_term waits for every socket. */
	void *socks[8];
	struct bus_sock *watches[8];
};

/* What the callback saw. */
#define SEEN_MAX 64
struct seen {
	struct fixture *f;
	struct bus_sock *sock;
	size_t count, want;
	size_t nframes[SEEN_MAX];
	int truncated[SEEN_MAX];
	char first[SEEN_MAX][32];   /* the first frame, as text */
	char last[SEEN_MAX][32];    /* the last frame kept, as text */
	size_t last_size[SEEN_MAX];
	char meta[SEEN_MAX][16];    /* "Socket-Type" of the sender */
	int srcfd[SEEN_MAX];
	int break_after;            /* loopbreak at this count (0: at WANT) */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/watchfloor-sock-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->zctx = zmq_ctx_new();
	f->base = event_base_new();
	if (f->zctx == NULL || f->base == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	for (int i = 0; i < 8; i++) {
		bus_sock_unwatch(f->watches[i]);
		if (f->socks[i] != NULL)
			zmq_close(f->socks[i]);
	}
	if (f->deadline != NULL)
		event_free(f->deadline);
	event_base_free(f->base);
	zmq_ctx_term(f->zctx);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
endpoint(struct fixture *f, const char *name, char *out, size_t len)
{
	snprintf(out, len, "ipc://%s/%s", f->dir, name);
}

static void *
track(struct fixture *f, void *z)
{
	assert_non_null(z);
	for (int i = 0; i < 8; i++) {
		if (f->socks[i] == NULL) {
			f->socks[i] = z;
			return z;
		}
	}
	fail_msg("too many sockets");
	return NULL;
}

static void
close_sock(struct fixture *f, void *z)
{
	for (int i = 0; i < 8; i++) {
		if (f->socks[i] == z)
			f->socks[i] = NULL;
	}
	zmq_close(z);
}

static struct bus_sock *
watch(struct fixture *f, void *z, int budget, bus_sock_cb cb, void *arg)
{
	struct bus_sock *ws = bus_sock_watch(f->base, z, budget, cb, arg);

	for (int i = 0; i < 8; i++) {
		if (f->watches[i] == NULL) {
			f->watches[i] = ws;
			return ws;
		}
	}
	fail_msg("too many watches");
	return NULL;
}

static void
unwatch(struct fixture *f, struct bus_sock *ws)
{
	for (int i = 0; i < 8; i++) {
		if (f->watches[i] == ws)
			f->watches[i] = NULL;
	}
	bus_sock_unwatch(ws);
}

static void *
open_sock(struct fixture *f, int type, const char *name, int bind)
{
	char ep[128];
	char *cause = NULL;
	struct bus_sock_opts o = { .type = type, .endpoint = ep, .bind = bind };

	endpoint(f, name, ep, sizeof ep);
	void *z = bus_sock_open(f->zctx, &o, &cause);
	if (z == NULL)
		fail_msg("open %s: %s", ep, cause);
	track(f, z);
	/* Blocking calls in the test end, rather than hang the suite. */
	int ms = DEADLINE_MS;
	zmq_setsockopt(z, ZMQ_RCVTIMEO, &ms, sizeof ms);
	zmq_setsockopt(z, ZMQ_SNDTIMEO, &ms, sizeof ms);
	return z;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	(void)fd;
	(void)what;
	f->timed_out = 1;
	event_base_loopbreak(f->base);
}

/* Run the loop until a callback breaks it or MS pass. */
static void
run_loop(struct fixture *f, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (f->deadline == NULL)
		f->deadline = evtimer_new(f->base, on_deadline, f);
	f->timed_out = 0;
	evtimer_add(f->deadline, &tv);
	event_base_dispatch(f->base);
	evtimer_del(f->deadline);
}

static void
copy_frame(char out[32], const struct bus_frame *fr)
{
	size_t n = fr->size < 31 ? fr->size : 31;

	memcpy(out, fr->data, n);
	out[n] = '\0';
}

static void
on_message(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct seen *s = arg;
	size_t i = s->count++;

	if (i < SEEN_MAX) {
		s->nframes[i] = n;
		s->truncated[i] = truncated;
		s->first[i][0] = s->last[i][0] = '\0';
		if (n > 0) {
			copy_frame(s->first[i], &frames[0]);
			copy_frame(s->last[i], &frames[n - 1]);
			s->last_size[i] = frames[n - 1].size;
		}
		const char *t = bus_sock_meta(s->sock, "Socket-Type");
		snprintf(s->meta[i], sizeof s->meta[i], "%s", t != NULL ? t : "");
		s->srcfd[i] = bus_sock_srcfd(s->sock);
	}
	if (s->count == (s->break_after > 0 ? (size_t)s->break_after : s->want))
		event_base_loopbreak(s->f->base);
}

static void
send_text(void *z, int nframes, const char *tag)
{
	struct bus_frame fr[16];
	char text[16][32];

	assert_true(nframes <= 16);
	for (int i = 0; i < nframes; i++) {
		snprintf(text[i], sizeof text[i], "%s/%d", tag, i);
		fr[i].data = text[i];
		fr[i].size = strlen(text[i]);
	}
	assert_int_equal(bus_sock_send(z, fr, (size_t)nframes, 0), 0);
}

/* Wait, without an event loop, until Z has input: this reads ZMQ_EVENTS,
 * so afterwards the edge is spent and ZMQ_FD will not wake a loop. */
static void
wait_readable(void *z)
{
	zmq_pollitem_t it = { z, 0, ZMQ_POLLIN, 0 };

	assert_int_equal(zmq_poll(&it, 1, DEADLINE_MS), 1);
}

static void
test_open_options(void **state)
{
	struct fixture *f = *state;
	char ep[128];
	char *cause = NULL;
	int64_t max;
	int v;
	size_t len;

	endpoint(f, "opts", ep, sizeof ep);
	struct bus_sock_opts o = { .type = ZMQ_PULL, .endpoint = ep, .bind = 1,
		.rcvhwm = 77, .sndhwm = 55, .handshake_ms = 1234 };
	void *z = bus_sock_open(f->zctx, &o, &cause);
	if (z != NULL)
		track(f, z);
	assert_non_null(z);
	assert_null(cause);
	/* The default frame limit is BUS_MAX_MSG, on every socket from outside. */
	len = sizeof max;
	assert_int_equal(zmq_getsockopt(z, ZMQ_MAXMSGSIZE, &max, &len), 0);
	assert_int_equal(max, BUS_MAX_MSG);
	len = sizeof v;
	zmq_getsockopt(z, ZMQ_RCVHWM, &v, &len);
	assert_int_equal(v, 77);
	zmq_getsockopt(z, ZMQ_SNDHWM, &v, &len);
	assert_int_equal(v, 55);
	zmq_getsockopt(z, ZMQ_HANDSHAKE_IVL, &v, &len);
	assert_int_equal(v, 1234);
	/* A bounded linger: closing never hangs on a peer that is gone. */
	zmq_getsockopt(z, ZMQ_LINGER, &v, &len);
	assert_int_equal(v, 1000);
	zmq_getsockopt(z, ZMQ_TYPE, &v, &len);
	assert_int_equal(v, ZMQ_PULL);
	close_sock(f, z);

	/* -1 is no limit; a number is that limit. */
	o.maxmsgsize = -1;
	o.endpoint = NULL;
	z = bus_sock_open(f->zctx, &o, &cause);
	if (z != NULL)
		track(f, z);
	assert_non_null(z);
	len = sizeof max;
	zmq_getsockopt(z, ZMQ_MAXMSGSIZE, &max, &len);
	assert_int_equal(max, -1);
	close_sock(f, z);
	o.maxmsgsize = 4096;
	z = bus_sock_open(f->zctx, &o, &cause);
	if (z != NULL)
		track(f, z);
	assert_non_null(z);
	zmq_getsockopt(z, ZMQ_MAXMSGSIZE, &max, &len);
	assert_int_equal(max, 4096);
	close_sock(f, z);

	/* Failures say what could not be done, and where. */
	char nowhere[160];
	snprintf(nowhere, sizeof nowhere, "ipc://%s/no-such-dir/x", f->dir);
	o.endpoint = nowhere;
	void *bad = bus_sock_open(f->zctx, &o, &cause);
	if (bad != NULL)
		track(f, bad);
	assert_null(bad);
	assert_non_null(cause);
	if (strncmp(cause, "cannot bind ", 12) != 0 || strstr(cause, nowhere) == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
	cause = NULL;
	o.endpoint = "bogus://nowhere";
	o.bind = 0;
	bad = bus_sock_open(f->zctx, &o, &cause);
	if (bad != NULL)
		track(f, bad);
	assert_null(bad);
	assert_non_null(cause);
	if (strstr(cause, "cannot connect to bogus://nowhere") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
}

static void
test_send_recv(void **state)
{
	struct fixture *f = *state;
	void *pull = open_sock(f, ZMQ_PULL, "sr", 1);
	void *push = open_sock(f, ZMQ_PUSH, "sr", 0);
	struct bus_frame fr[BUS_SOCK_MAX_FRAMES];
	zmq_msg_t msgs[BUS_SOCK_MAX_FRAMES];
	size_t n = 99;
	int truncated = 99;

	/* Nothing waiting: EAGAIN at once, nothing to release. */
	assert_int_equal(bus_sock_recv(pull, fr, msgs, BUS_SOCK_MAX_FRAMES, &n, &truncated,
	    ZMQ_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(n, 0);

	/* Frames keep their bounds and order, empty ones included. */
	struct bus_frame out[3] = { { "request", 7 }, { "", 0 }, { "{\"op\":\"stats\"}", 14 } };
	assert_int_equal(bus_sock_send(push, out, 3, 0), 0);
	assert_int_equal(bus_sock_recv(pull, fr, msgs, BUS_SOCK_MAX_FRAMES, &n, &truncated, 0),
	    0);
	assert_int_equal(n, 3);
	assert_int_equal(truncated, 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(fr[i].size, out[i].size);
		assert_memory_equal(fr[i].data, out[i].data, out[i].size);
	}
	bus_sock_recv_done(msgs, n);

	/* Frames beyond MAX are read and dropped, and said so; the message
	 * after it is whole (the dropped frames did not spill into it). */
	send_text(push, 5, "five");
	send_text(push, 2, "two");
	assert_int_equal(bus_sock_recv(pull, fr, msgs, 2, &n, &truncated, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(truncated, 1);
	assert_memory_equal(fr[0].data, "five/0", 6);
	assert_memory_equal(fr[1].data, "five/1", 6);
	bus_sock_recv_done(msgs, n);
	assert_int_equal(bus_sock_recv(pull, fr, msgs, 2, &n, &truncated, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(truncated, 0);
	assert_memory_equal(fr[0].data, "two/0", 5);
	assert_memory_equal(fr[1].data, "two/1", 5);
	bus_sock_recv_done(msgs, n);
	/* Exactly MAX frames is not truncated. */
	send_text(push, BUS_SOCK_MAX_FRAMES, "max");
	assert_int_equal(bus_sock_recv(pull, fr, msgs, BUS_SOCK_MAX_FRAMES, &n, &truncated, 0),
	    0);
	assert_int_equal(n, BUS_SOCK_MAX_FRAMES);
	assert_int_equal(truncated, 0);
	bus_sock_recv_done(msgs, n);

	close_sock(f, push);
	close_sock(f, pull);
}

/* Multi-frame messages reach the callback whole, in order, with what the
 * hub asks of them during the call (metadata, the connection's fd). */
static void
test_watch_delivers(void **state)
{
	struct fixture *f = *state;
	void *pull = open_sock(f, ZMQ_PULL, "watch", 1);
	void *push = open_sock(f, ZMQ_PUSH, "watch", 0);
	struct seen s = { .f = f, .want = 3 };

	s.sock = watch(f, pull, 100, on_message, &s);
	assert_ptr_equal(bus_sock_zmq(s.sock), pull);
	/* Outside a callback there is no message to ask about. */
	assert_null(bus_sock_meta(s.sock, "Socket-Type"));
	assert_int_equal(bus_sock_srcfd(s.sock), -1);
	assert_null(bus_sock_meta(NULL, "Socket-Type"));

	send_text(push, 2, "a");
	send_text(push, 1, "b");
	send_text(push, 4, "c");
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.nframes[0], 2);
	assert_string_equal(s.first[0], "a/0");
	assert_string_equal(s.last[0], "a/1");
	assert_int_equal(s.nframes[1], 1);
	assert_string_equal(s.first[1], "b/0");
	assert_int_equal(s.nframes[2], 4);
	assert_string_equal(s.last[2], "c/3");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s.truncated[i], 0);
		assert_string_equal(s.meta[i], "PUSH");
		assert_true(s.srcfd[i] >= 0);
	}

	/* More frames than a message may have: the first MAX, flagged. */
	s.want = 4;
	send_text(push, BUS_SOCK_MAX_FRAMES + 3, "big");
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 4);
	assert_int_equal(s.nframes[3], BUS_SOCK_MAX_FRAMES);
	assert_int_equal(s.truncated[3], 1);
	assert_string_equal(s.last[3], "big/7");

	/* Unwatched, nothing more is delivered. */
	unwatch(f, s.sock);
	bus_sock_unwatch(NULL);
	send_text(push, 1, "after");
	run_loop(f, QUIET_MS);
	assert_true(f->timed_out);
	assert_int_equal(s.count, 4);

	close_sock(f, push);
	close_sock(f, pull);
}

/* Messages queued before the watch began, with the edge already spent,
 * are delivered though nothing new arrives. */
static void
test_watch_takes_what_is_queued(void **state)
{
	struct fixture *f = *state;
	void *pull = open_sock(f, ZMQ_PULL, "queued", 1);
	void *push = open_sock(f, ZMQ_PUSH, "queued", 0);
	struct seen s = { .f = f, .want = 5 };

	for (int i = 0; i < 5; i++)
		send_text(push, 2, "q");
	wait_readable(pull);
	s.sock = watch(f, pull, 100, on_message, &s);
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 5);
	unwatch(f, s.sock);
	close_sock(f, push);
	close_sock(f, pull);
}

/*
 * One wake-up delivers at most BUDGET messages; the rest come on later
 * turns without any new message to wake the loop. inproc:// here, not
 * ipc://, because only inproc makes every message sent queued at the
 * receiver when zmq_send returns: the test must know that more than a
 * budget is waiting.
 */
static void
test_budget_per_wakeup(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	struct bus_sock_opts po = { .type = ZMQ_PULL, .endpoint = "inproc://budget", .bind = 1 };
	struct bus_sock_opts so = { .type = ZMQ_PUSH, .endpoint = "inproc://budget" };
	void *pull = bus_sock_open(f->zctx, &po, &cause);
	if (pull != NULL)
		track(f, pull);
	void *push = bus_sock_open(f->zctx, &so, &cause);
	if (push != NULL)
		track(f, push);
	struct seen s = { .f = f, .want = 10, .break_after = 1 };

	assert_non_null(pull);
	assert_non_null(push);
	for (int i = 0; i < 10; i++)
		send_text(push, 1, "m");
	s.sock = watch(f, pull, 3, on_message, &s);
	/* The first message breaks the loop; the drain it is part of still
	 * runs to its end, and that end is the budget. */
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 3);
	/* The rest, a budget a turn, with nothing new sent. */
	s.break_after = 0;
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 10);
	unwatch(f, s.sock);
	close_sock(f, push);
	close_sock(f, pull);
}

/* The same on ipc://, as the hub's sockets are: whatever arrives in
 * whatever batches, a budget of 1 still delivers every message. */
static void
test_budget_of_one_ipc(void **state)
{
	struct fixture *f = *state;
	void *pull = open_sock(f, ZMQ_PULL, "one", 1);
	void *push = open_sock(f, ZMQ_PUSH, "one", 0);
	struct seen s = { .f = f, .want = 20 };

	s.sock = watch(f, pull, 1, on_message, &s);
	for (int i = 0; i < 20; i++)
		send_text(push, 2, "p");
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 20);
	unwatch(f, s.sock);
	close_sock(f, push);
	close_sock(f, pull);
}

/*
 * After anything else reads the socket's events (a send, zmq_poll), the
 * edge is spent: a reply already queued does not wake the loop, and
 * bus_sock_rearm is what delivers it. The first half shows the edge is
 * really spent here, so that the second half is a test of rearm.
 */
static void
test_rearm_after_spent_edge(void **state)
{
	struct fixture *f = *state;
	void *router = open_sock(f, ZMQ_ROUTER, "ctl", 1);
	void *dealer = open_sock(f, ZMQ_DEALER, "ctl", 0);
	struct seen s = { .f = f, .want = 1 };
	struct bus_frame fr[BUS_SOCK_MAX_FRAMES];
	zmq_msg_t msgs[BUS_SOCK_MAX_FRAMES];
	size_t n;
	int truncated;

	s.sock = watch(f, dealer, 100, on_message, &s);
	send_text(dealer, 2, "req");
	bus_sock_rearm(s.sock);
	/* The hub's part: the request, with the routing id, and a reply. */
	assert_int_equal(bus_sock_recv(router, fr, msgs, BUS_SOCK_MAX_FRAMES, &n, &truncated, 0),
	    0);
	assert_int_equal(n, 3);
	assert_memory_equal(fr[1].data, "req/0", 5);
	struct bus_frame reply[3] = { fr[0], { "reply", 5 }, { "{\"ok\":true}", 11 } };
	assert_int_equal(bus_sock_send(router, reply, 3, 0), 0);
	bus_sock_recv_done(msgs, n);

	wait_readable(dealer);
	run_loop(f, QUIET_MS);
	assert_true(f->timed_out);
	assert_int_equal(s.count, 0);

	bus_sock_rearm(s.sock);
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.nframes[0], 2);
	assert_string_equal(s.first[0], "reply");
	assert_string_equal(s.meta[0], "ROUTER");
	/* Nothing queued: rearm schedules nothing, and delivers nothing. */
	bus_sock_rearm(s.sock);
	run_loop(f, QUIET_MS);
	assert_true(f->timed_out);
	assert_int_equal(s.count, 1);

	unwatch(f, s.sock);
	close_sock(f, dealer);
	close_sock(f, router);
}

/* A frame over the socket's limit is cut off by libzmq at the connection:
 * it never reaches the callback. */
static void
test_maxmsgsize(void **state)
{
	struct fixture *f = *state;
	char ep[128];
	char *cause = NULL;
	struct seen s = { .f = f, .want = 1 };

	endpoint(f, "max", ep, sizeof ep);
	struct bus_sock_opts o = { .type = ZMQ_PULL, .endpoint = ep, .bind = 1,
		.maxmsgsize = 1024 };
	void *pull = bus_sock_open(f->zctx, &o, &cause);
	if (pull != NULL)
		track(f, pull);
	assert_non_null(pull);
	void *push = open_sock(f, ZMQ_PUSH, "max", 0);
	s.sock = watch(f, pull, 100, on_message, &s);

	char big[1025];
	memset(big, 'x', sizeof big);
	struct bus_frame over = { big, sizeof big }, at = { big, 1024 };
	assert_int_equal(bus_sock_send(push, &at, 1, 0), 0);
	run_loop(f, DEADLINE_MS);
	assert_false(f->timed_out);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.last_size[0], 1024);

	s.want = 2;
	assert_int_equal(bus_sock_send(push, &over, 1, 0), 0);
	run_loop(f, QUIET_MS);
	assert_true(f->timed_out);
	assert_int_equal(s.count, 1);

	unwatch(f, s.sock);
	close_sock(f, push);
	close_sock(f, pull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_takes_what_is_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_per_wakeup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_of_one_ipc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_after_spent_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maxmsgsize, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
