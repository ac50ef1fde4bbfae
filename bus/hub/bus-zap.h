/*
 * The ZAP handler (ZeroMQ RFC 27): libzmq asks it, over
 * inproc://zeromq.zap.01, about every client that completes a CURVE
 * handshake with one of the hub's sockets, and the client gets in only on
 * a "200". Without a handler libzmq lets every client in, so the hub
 * starts this before it binds anything and refuses to start if it cannot.
 *
 * The answer comes from the allow-list (bus-keys): the key must be
 * allowed and allowed on the socket asking (the ZAP domain: ingest,
 * events or control). The User-Id it hands libzmq is the key itself, so
 * that every message on the connection carries it (zmq_msg_gets) and the
 * hub can look the sender up again, as the list stands then.
 */
#ifndef BUS_ZAP_H
#define BUS_ZAP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bus_keys;
struct bus_zap;

struct bus_zap_stats {
	uint64_t allowed, denied, malformed;
};

struct bus_zap *bus_zap_new(struct event_base *, void *zctx, const struct bus_keys *,
    char **cause);
void bus_zap_free(struct bus_zap *);
const struct bus_zap_stats *bus_zap_stats(const struct bus_zap *);

/* The ZAP domain of each of the hub's sockets. */
unsigned bus_zap_domain_socket(const char *domain, size_t len);

#endif
