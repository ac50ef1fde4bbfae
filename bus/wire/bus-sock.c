#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-curve.h"
#include "bus-log.h"
#include "bus-sock.h"
#include "xmalloc.h"

struct bus_sock {
	void *zsock;
	struct event *readable; /* ZMQ_FD, persistent */
	struct event *resume;   /* zero timer: drain again next turn */
	int budget;
	bus_sock_cb cb;
	void *arg;
	zmq_msg_t *current;     /* the frames of the message being delivered */
	size_t ncurrent;
};

/* Create a socket with the limits every watchfloor socket has. */
void *
bus_sock_open(void *zctx, const struct bus_sock_opts *o, char **cause)
{
	void *z = zmq_socket(zctx, o->type);
	int64_t maxsize = o->maxmsgsize == 0 ? BUS_MAX_MSG : o->maxmsgsize;

	/* libzmq applies the limit to a frame as it arrives, which with CURVE
	 * is the frame plus 33 bytes of box (flags, nonce, MAC): the same
	 * frames must get through with CURVE as without. */
	if (o->curve != NULL && maxsize > 0)
		maxsize += 33;
	int linger = 1000;

	if (z == NULL) {
		xasprintf(cause, "cannot create socket: %s", zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
	zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
	if (o->sndhwm > 0)
		zmq_setsockopt(z, ZMQ_SNDHWM, &o->sndhwm, sizeof o->sndhwm);
	if (o->rcvhwm > 0)
		zmq_setsockopt(z, ZMQ_RCVHWM, &o->rcvhwm, sizeof o->rcvhwm);
	if (o->handshake_ms > 0)
		zmq_setsockopt(z, ZMQ_HANDSHAKE_IVL, &o->handshake_ms, sizeof o->handshake_ms);
	if (o->curve != NULL && (o->zap_domain != NULL ?
	    bus_curve_server(z, o->curve, o->zap_domain, cause) :
	    bus_curve_client(z, o->curve, cause)) != 0) {
		zmq_close(z);
		return NULL;
	}
	if (o->endpoint == NULL)
		return z;
	if ((o->bind ? zmq_bind(z, o->endpoint) : zmq_connect(z, o->endpoint)) != 0) {
		xasprintf(cause, "cannot %s %s: %s", o->bind ? "bind" : "connect to",
		    o->endpoint, zmq_strerror(errno));
		zmq_close(z);
		return NULL;
	}
	return z;
}

/*
 * Receive one whole message without blocking (FLAGS: ZMQ_DONTWAIT or 0).
 * MSGS is room for MAX zmq_msg_t; frames beyond MAX are read and dropped
 * and *TRUNCATED set. Returns 0, or -1 with errno (EAGAIN: nothing waiting).
 */
int
bus_sock_recv(void *z, struct bus_frame *frames, void *msgs, size_t max,
    size_t *nframes, int *truncated, int flags)
{
	zmq_msg_t *m = msgs;
	int more = 1;

	*nframes = 0;
	*truncated = 0;
	while (more) {
		zmq_msg_t spill, *cur = *nframes < max ? &m[*nframes] : &spill;
		zmq_msg_init(cur);
		if (zmq_msg_recv(cur, z, *nframes == 0 && !*truncated ? flags : 0) < 0) {
			int saved = errno;
			zmq_msg_close(cur);
			bus_sock_recv_done(msgs, *nframes);
			*nframes = 0;
			errno = saved;
			return -1;
		}
		more = zmq_msg_more(cur);
		if (cur == &spill) {
			zmq_msg_close(cur);
			*truncated = 1;
			continue;
		}
		frames[*nframes].data = zmq_msg_data(cur);
		frames[*nframes].size = zmq_msg_size(cur);
		(*nframes)++;
	}
	return 0;
}

void
bus_sock_recv_done(void *msgs, size_t nframes)
{
	zmq_msg_t *m = msgs;

	for (size_t i = 0; i < nframes; i++)
		zmq_msg_close(&m[i]);
}

int
bus_sock_send(void *z, const struct bus_frame *frames, size_t n, int flags)
{
	for (size_t i = 0; i < n; i++) {
		int more = i + 1 < n ? ZMQ_SNDMORE : 0;
		if (zmq_send(z, frames[i].data, frames[i].size, flags | more) < 0)
			return -1;
	}
	return 0;
}

static int
sock_readable(void *z)
{
	int events = 0;
	size_t len = sizeof events;

	if (zmq_getsockopt(z, ZMQ_EVENTS, &events, &len) != 0)
		return 0;
	return (events & ZMQ_POLLIN) != 0;
}

/* Drain up to the budget; if more is waiting, come back next turn. */
static void
sock_drain(struct bus_sock *s)
{
	struct bus_frame frames[BUS_SOCK_MAX_FRAMES];
	zmq_msg_t msgs[BUS_SOCK_MAX_FRAMES];
	size_t n;
	int truncated;

	for (int i = 0; i < s->budget; i++) {
		if (bus_sock_recv(s->zsock, frames, msgs, BUS_SOCK_MAX_FRAMES, &n,
		    &truncated, ZMQ_DONTWAIT) != 0) {
			if (errno != EAGAIN)
				log_warn("receive: %s", zmq_strerror(errno));
			break;
		}
		s->current = msgs;
		s->ncurrent = n;
		s->cb(frames, n, truncated, s->arg);
		s->current = NULL;
		s->ncurrent = 0;
		bus_sock_recv_done(msgs, n);
	}
	bus_sock_rearm(s);
}

static void
sock_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sock_drain(arg);
}

/* After a send on this socket (or a bounded drain), the edge may already be
 * spent: look at ZMQ_EVENTS and schedule a drain if input is waiting. */
void
bus_sock_rearm(struct bus_sock *s)
{
	static const struct timeval now = { 0, 0 };

	if (sock_readable(s->zsock))
		evtimer_add(s->resume, &now);
}

struct bus_sock *
bus_sock_watch(struct event_base *base, void *z, int budget, bus_sock_cb cb, void *arg)
{
	struct bus_sock *s = xcalloc(1, sizeof *s);
	int fd;
	size_t len = sizeof fd;

	if (zmq_getsockopt(z, ZMQ_FD, &fd, &len) != 0) {
		log_error("ZMQ_FD: %s", zmq_strerror(errno));
		abort();
	}
	s->zsock = z;
	s->budget = budget;
	s->cb = cb;
	s->arg = arg;
	s->readable = event_new(base, fd, EV_READ | EV_PERSIST, sock_event, s);
	s->resume = evtimer_new(base, sock_event, s);
	event_add(s->readable, NULL);
	/* Messages may have arrived before we watched: look once now. */
	bus_sock_rearm(s);
	return s;
}

void
bus_sock_unwatch(struct bus_sock *s)
{
	if (s == NULL)
		return;
	event_free(s->readable);
	event_free(s->resume);
	free(s);
}

void *
bus_sock_zmq(struct bus_sock *s)
{
	return s->zsock;
}

const char *
bus_sock_meta(const struct bus_sock *s, const char *property)
{
	/* A ROUTER's routing-id frame is made locally and may carry no
	 * properties: ask each frame. */
	for (size_t i = 0; s != NULL && i < s->ncurrent; i++) {
		const char *v = zmq_msg_gets(&s->current[i], property);
		if (v != NULL)
			return v;
	}
	return NULL;
}

int
bus_sock_srcfd(const struct bus_sock *s)
{
	/* ZMQ_SRCFD is deprecated in libzmq's header but kept through 4.3:
	 * it is the only way to act on one connection of a PUB socket. */
	/* A ROUTER's routing-id frame is made locally: ask each frame. */
	for (size_t i = 0; s != NULL && i < s->ncurrent; i++) {
		int fd = zmq_msg_get(&s->current[i], ZMQ_SRCFD);
		if (fd >= 0)
			return fd;
	}
	return -1;
}
