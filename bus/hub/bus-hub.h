/*
 * The hub (watchd, or embedded in a console): ingest PULL, events PUB and
 * control ROUTER on one libevent loop, the state, and the store.
 *
 * Data flow per loop turn: socket callbacks validate input and apply it to
 * the state, which queues events with the next sequence numbers; control
 * replies are queued too. Then the owner of the loop calls bus_hub_flush(),
 * which commits the queued events to SQLite in one transaction, then
 * publishes them, then sends the replies. That order is the contract:
 * nothing is published that is not committed, and an "ok" reply means the
 * change is durable and already on its way to every subscriber.
 */
#ifndef BUS_HUB_H
#define BUS_HUB_H

#include <stdint.h>

#include "bus-endpoint.h"

struct event_base;
struct bus_hub;

struct bus_hub_config {
	const char *ingest, *events, *control;
	const char *db;
	const char *synchronous;  /* "normal" (default) or "full" */
	int wal_limit_mib;        /* the most SQLite's WAL may hold, in MiB */
	int heartbeat_ms;         /* hub heartbeat period */
	int sensor_interval_ms;   /* expected sensor heartbeat period */
	int sensor_misses;        /* silent intervals before a sensor is down */
	int alert_window_ms;      /* an alert holds its level this long, then one
	                           * level less each window after */
	int drain_budget;         /* messages per socket per loop turn */
	int pub_hwm;              /* events queued per slow subscriber */
	/* CURVE: the hub's secret key file, and the allow file of client keys
	 * (bus-keys.h). Without a key the hub trusts the local machine. */
	const char *curve_key;
	const char *allow;
	int handshake_ms;         /* a connection's handshake must end within */
	int control_rate;         /* requests a second per connection, burst twice */
	/* A demo floor: made-up traffic is welcome (bus-demo). The database
	 * remembers it, so a demo never becomes a live floor, nor a live
	 * floor's database a demo's. */
	int demo;
};

struct bus_op;

void bus_hub_config_defaults(struct bus_hub_config *);
struct bus_hub *bus_hub_new(struct event_base *, void *zctx,
    const struct bus_hub_config *, char **cause);
void    bus_hub_flush(struct bus_hub *);
void    bus_hub_free(struct bus_hub *);
int64_t bus_hub_seq(const struct bus_hub *);
/* 1 if the floor is a demo (--demo now, or when the database was made). */
int     bus_hub_demo(const struct bus_hub *);
/* Connections on the events socket now: each console, tail and follower
 * has one (the console that hosts the hub too). */
int     bus_hub_followers(const struct bus_hub *);
/* Read the allow file again (SIGHUP): 0, or -1 with *cause (every error,
 * one a line), the keys in force then unchanged. */
int     bus_hub_reload_keys(struct bus_hub *, char **cause);
/* Does the hub answer OP itself? Else its state does (bus_state_answers). */
int     bus_hub_answers(const struct bus_op *);

#endif
