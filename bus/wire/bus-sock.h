/*
 * A ZeroMQ socket driven by libevent. ZMQ_FD is edge-triggered: it signals
 * that ZMQ_EVENTS may have changed, not that a message is waiting. So on
 * every wake-up, and after every send on the socket, we read ZMQ_EVENTS and
 * drain until it says no more, at most BUDGET messages per turn; the rest
 * waits for the next loop turn (a zero timer) so that one busy socket cannot
 * starve the others or the keyboard.
 */
#ifndef BUS_SOCK_H
#define BUS_SOCK_H

#include <stddef.h>

#include "bus-codec.h"

struct event_base;
struct bus_curve;
struct bus_sock;

#define BUS_SOCK_MAX_FRAMES 8 /* more than this and the message is refused */

/* One received message: its frames, their count, and whether more frames
 * than BUS_SOCK_MAX_FRAMES came (and were dropped). */
typedef void (*bus_sock_cb)(const struct bus_frame *, size_t nframes, int truncated,
    void *arg);

struct bus_sock_opts {
	int type;           /* ZMQ_PULL, ZMQ_PUB, ... */
	const char *endpoint;
	int bind;           /* bind, else connect */
	long long maxmsgsize; /* 0: BUS_MAX_MSG; -1: no limit */
	int sndhwm, rcvhwm;   /* 0: libzmq's default */
	/* CURVE: a client's keys and the hub's public key, or with ZAP_DOMAIN
	 * a server's keys; NULL for none (a trusted local machine). */
	const struct bus_curve *curve;
	const char *zap_domain;
	int handshake_ms;     /* 0: libzmq's default (30 s) */
};

void *bus_sock_open(void *zctx, const struct bus_sock_opts *, char **cause);
struct bus_sock *bus_sock_watch(struct event_base *, void *zsock, int budget,
    bus_sock_cb, void *arg);
void  bus_sock_unwatch(struct bus_sock *);
void  bus_sock_rearm(struct bus_sock *);
void *bus_sock_zmq(struct bus_sock *);
/* During a bus_sock_cb: a property of the message being delivered
 * ("User-Id", "Peer-Address"), or NULL. */
const char *bus_sock_meta(const struct bus_sock *, const char *property);
/* During a bus_sock_cb: the descriptor of the connection the message came
 * on, or -1. It may be closed, or reused, by the time it is acted on. */
int   bus_sock_srcfd(const struct bus_sock *);
int   bus_sock_send(void *zsock, const struct bus_frame *, size_t nframes, int flags);
int   bus_sock_recv(void *zsock, struct bus_frame *, void *msgs, size_t max,
          size_t *nframes, int *truncated, int flags);
void  bus_sock_recv_done(void *msgs, size_t nframes);

#endif
