/*
 * The hub's authoritative state in memory: cases, teams, sectors, sensors,
 * intel and staff, each a JSON object whose body is exactly what the wire
 * carries (the full current state plus the seq and time of its last
 * change). Ingest and control ops change objects through the rules of
 * bus-rules; every change becomes a pending event with the next sequence
 * number. The hub commits pending events to the store, then publishes them.
 *
 * No sockets and no SQL here, so the rules are tested without either.
 */
#ifndef BUS_STATE_H
#define BUS_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct bus_op;
struct bus_store;
struct bus_state;

/* One accepted change, waiting to be committed and then published. */
struct bus_change {
	int64_t seq;
	int64_t ts;
	char *topic;  /* "<kind>.<id>" */
	char *kind;
	char *id;
	char *body;   /* the object's state (or tombstone) as compact JSON */
	int removed;
};

/* One entry of a case's timeline (the audit trail), waiting to be stored.
 * The case object carries only its most recent entries; the store keeps
 * them all, and the "timeline" op reads them back. */
struct bus_timeline_row {
	char *case_id;
	int64_t n;   /* 1-based position in the case's timeline */
	int64_t ts;
	char *entry; /* {"n","ts","who","action","text"} as compact JSON */
};

#define BUS_TIMELINE_TAIL 20 /* entries a case event carries */

/* Who asks: a person and the role the roster gives them. */
struct bus_actor {
	const char *user;
	int role;
};

/* A sensor silent for SENSOR_TIMEOUT_MS is down; an alert holds its
 * sector at its level for ALERT_WINDOW_MS, then one level less each
 * ALERT_WINDOW_MS after (bus-state.c, alert_hold()). */
struct bus_state *bus_state_new(int sensor_timeout_ms, int alert_window_ms);
void     bus_state_free(struct bus_state *);
int      bus_state_load(struct bus_state *, struct bus_store *, char **cause);
void     bus_state_seed(struct bus_state *, int64_t now);
int64_t  bus_state_seq(const struct bus_state *);
int      bus_state_role(const struct bus_state *, const char *user);

int      bus_state_ingest(struct bus_state *, const char *topic, json_t *body,
             const char *who, int64_t now, char **object);
/* An op the registry let through (bus_op_refusal), run for WHO. */
json_t  *bus_state_op(struct bus_state *, const struct bus_actor *, const struct bus_op *,
             json_t *args, int64_t now);
/* Does the state answer OP (else the hub does, bus_hub_answers)? */
int      bus_state_answers(const struct bus_op *);
void     bus_state_tick(struct bus_state *, int64_t now);
void     bus_state_settle(struct bus_state *, int64_t now);
/* The snapshot reply's text: HEAD's members (ok, id, hub; it gets the
 * seq), every object at the current seq, the newest MAX_INTEL intel
 * items, and the last TAIL entries of each case's timeline. */
char    *bus_state_snapshot(const struct bus_state *, json_t *head, size_t max_intel,
             size_t tail);
json_t  *bus_state_get(const struct bus_state *, const char *kind, const char *id);

size_t   bus_state_pending(const struct bus_state *, const struct bus_change **);
size_t   bus_state_pending_timeline(const struct bus_state *,
             const struct bus_timeline_row **);
void     bus_state_pending_clear(struct bus_state *);

#endif
