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

#define BUS_HEARTBEAT_TOPIC "hub.heartbeat"

struct bus_hub_config {
	const char *ingest, *events, *control;
	const char *db;
	const char *synchronous;  /* "normal" (default) or "full" */
	int heartbeat_ms;         /* hub heartbeat period */
	int sensor_interval_ms;   /* expected sensor heartbeat period */
	int sensor_misses;        /* silent intervals before a sensor is down */
	int alert_window_ms;      /* how long an alert raises its sector's level */
	int drain_budget;         /* messages per socket per loop turn */
	int pub_hwm;              /* events queued per slow subscriber */
};

void bus_hub_config_defaults(struct bus_hub_config *);
struct bus_hub *bus_hub_new(struct event_base *, void *zctx,
    const struct bus_hub_config *, char **cause);
void    bus_hub_flush(struct bus_hub *);
void    bus_hub_free(struct bus_hub *);
int64_t bus_hub_seq(const struct bus_hub *);

#endif
