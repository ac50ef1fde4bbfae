/*
 * The console's side of the wire: it keeps a bus_replica equal to the hub's
 * state and carries the console's commands.
 *
 * It follows the ZeroMQ Guide's Clone pattern. Subscribe to everything;
 * at the first heartbeat (the subscription is then live) ask for a
 * snapshot, queueing events meanwhile; load the snapshot and apply the
 * queued events newer than it. From then on every event must carry the
 * next seq: a gap (or a heartbeat ahead of us) is repaired with the
 * "replay" op, a new hub id (the hub restarted) or a failed repair with a
 * new snapshot. No heartbeat for heartbeat_timeout_ms means DISCONNECTED:
 * the replica is stale until the hub is heard again and resync is done.
 */
#ifndef BUS_SYNC_H
#define BUS_SYNC_H

#include <stdint.h>

#include "bus-codec.h"

struct event_base;
struct json_t;
struct bus_replica;
struct bus_sync;

enum bus_sync_state {
	BUS_SYNC_DISCONNECTED, /* never heard the hub, or it went silent */
	BUS_SYNC_SYNCING,      /* waiting for a snapshot or a repair */
	BUS_SYNC_LIVE,         /* the replica follows the hub event by event */
};

struct bus_sync_status {
	enum bus_sync_state state;
	int repairing;            /* replaying a gap while LIVE */
	char hub_id[BUS_HUB_ID_LEN + 1]; /* "" until the first heartbeat */
	int64_t hub_seq;          /* seq in the last heartbeat */
	int64_t heard_mono_ms;    /* when the hub was last heard (monotonic) */
	int store_full;           /* the last heartbeat said "store": "full" */
	int demo;                 /* the last heartbeat said "demo": true */
	char why[128];            /* what the last state change was about */
	uint64_t events_applied, gaps_repaired, snapshots, dropped_dups;
};

struct bus_sync_config {
	const char *events, *control;
	const char *user;
	int heartbeat_timeout_ms; /* default 3000 */
	int request_timeout_ms;   /* default 10000 */
	int rcvhwm;               /* events the SUB socket holds; default 200000 */
	const struct bus_curve *curve; /* NULL: no CURVE */
	int case_tail;            /* timeline entries kept per case; 0: all the
	                           * hub sends (the snapshot asks for all: the hub
	                           * sends them fastest as it published them) */
};

/* Something changed: the replica (see bus_replica_take_changes) or the
 * connection status. Called from the loop, never from a signal. */
typedef void (*bus_sync_changed_cb)(void *arg);
/* The hub's answer to a request: OK, and if not, its code and sentence;
 * REPLY is the whole reply (NULL on timeout or when it could not be sent). */
typedef void (*bus_sync_reply_cb)(void *arg, int ok, const char *code,
    const char *message, struct json_t *reply);

struct bus_sync *bus_sync_new(struct event_base *, void *zctx,
    const struct bus_sync_config *, struct bus_replica *, bus_sync_changed_cb,
    void *arg, char **cause);
void bus_sync_free(struct bus_sync *);
const struct bus_sync_status *bus_sync_status(const struct bus_sync *);
int  bus_sync_request(struct bus_sync *, const char *op, struct json_t *args,
         bus_sync_reply_cb, void *arg);
/* A snapshot loaded into INTO, then CB (REPLY holds all but its objects). */
int  bus_sync_snapshot(struct bus_sync *, struct bus_replica *into, bus_sync_reply_cb,
         void *arg);
int  bus_sync_in_flight(const struct bus_sync *);
/* Drop callbacks (and snapshot targets) of requests made with ARG. */
void bus_sync_forget(struct bus_sync *, void *arg);

#endif
