/*
 * The console's replica of the hub's state: every case, team, sector,
 * sensor, intel item and person, as plain C structs that panels can read
 * without knowing JSON. bus-sync feeds it a snapshot and then events; each
 * event carries the full state of its object, so applying one replaces the
 * object whole, and applying it twice is harmless.
 *
 * Strings here are as the wire sent them: untrusted. Panels sanitise them
 * (bus-text) when they draw.
 */
#ifndef BUS_REPLICA_H
#define BUS_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "bus-domain.h"

struct json_t;
struct bus_replica;


struct bus_strings {
	char **v;
	size_t n;
};

struct bus_entry {        /* one timeline entry */
	int64_t n;
	int64_t ts;
	char *who, *action, *text;
};

struct bus_member {
	char *name, *role;
};

struct bus_case {
	char *id, *ref, *title, *org, *sector, *summary, *contact;
	char *status, *handler, *opened_by, *acked_by, *closed_by;
	int level;
	int onsite_requested;
	int64_t reported_at, opened_at, status_since, acked_at, closed_at;
	struct bus_strings teams;
	struct bus_entry *timeline;
	size_t ntimeline;
	int64_t timeline_count;
	int64_t seq, ts;
};

struct bus_team {
	char *id, *base, *status, *case_id, *updated_by;
	int64_t since;
	struct bus_member *members;
	size_t nmembers;
	int64_t seq, ts;
};

struct bus_sector_state {
	char *id, *name, *level_source, *level_set_by;
	int level, manual_level; /* manual_level -1: none */
	/* Why the level is what it is: "cases", "alert", "manual" or "none";
	 * for "cases" how many open cases are at the level (and the one, when
	 * there is one); for "alert" that alert's level as sent (-1: none)
	 * and its arrival. */
	char *level_reason, *level_case;
	int level_cases, alert_level;
	int64_t alert_at;
	int open_cases, teams_onsite, sensors_up, sensors_down;
	int64_t last_alert;
	int64_t seq, ts;
};

struct bus_sensor {
	char *id, *sector, *status;
	int64_t since;
	int alerts;
	int alert_level; /* -1: no alert yet */
	char *alert_signature, *alert_message, *alert_src, *alert_dst;
	int64_t alert_at;
	int64_t seq, ts;
};

struct bus_intel {
	char *id, *ref, *title, *source, *kind, *tlp, *url, *summary, *received_by;
	struct bus_strings sectors, cves;
	int64_t published, received_at;
	int64_t seq, ts;
};

struct bus_person {
	char *id, *role;
	int64_t seq, ts;
};

struct bus_replica *bus_replica_new(void);
void     bus_replica_free(struct bus_replica *);
void     bus_replica_clear(struct bus_replica *);
int      bus_replica_load(struct bus_replica *, struct json_t *snapshot, char **cause);
/* A snapshot a piece at a time (bus_codec_load_lists over bus_kind_lists):
 * one object of list K. */
void     bus_replica_add(struct bus_replica *, enum bus_kind, struct json_t *obj);
void     bus_replica_swap(struct bus_replica *, struct bus_replica *from);
/* Keep only the last TAIL entries of each case's timeline (default: all
 * an event or snapshot carries); c->timeline_count still counts them all. */
void     bus_replica_set_tail(struct bus_replica *, size_t tail);
int      bus_replica_apply(struct bus_replica *, const char *topic, struct json_t *body,
             char **cause);
int64_t  bus_replica_seq(const struct bus_replica *);
void     bus_replica_set_seq(struct bus_replica *, int64_t);
unsigned bus_replica_take_changes(struct bus_replica *);

size_t      bus_replica_count(const struct bus_replica *, enum bus_kind);
const void *bus_replica_at(const struct bus_replica *, enum bus_kind, size_t i);
const void *bus_replica_find(const struct bus_replica *, enum bus_kind, const char *id);
uint64_t    bus_replica_generation(const struct bus_replica *, enum bus_kind);
const char *bus_replica_role_of(const struct bus_replica *, const char *user);
/* 0 if MINE holds what the SNAPSHOT replica holds, field by field (intel:
 * every item of the snapshot, which has only the newest); else 1 and the
 * first difference in WHY. */
int bus_replica_diff(const struct bus_replica *mine, const struct bus_replica *snapshot,
    char *why, size_t size);

/* Timeline entries from a JSON array (a case's tail, or a "timeline"
 * reply), and their release. */
size_t   bus_replica_entries(struct json_t *array, struct bus_entry **out);
void     bus_replica_entries_free(struct bus_entry *, size_t n);

#endif
