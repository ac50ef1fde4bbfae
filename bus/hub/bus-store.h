/*
 * The hub's SQLite file: the journal of every published event (seq, time,
 * topic, body); the current state of every object, as the seq of the event
 * that last set it (each body is stored once, in the journal); every case's
 * whole timeline and the audit trail of control requests (both
 * append-only: the database's own triggers refuse to change or delete a
 * row); and a few counters in a meta table. A batch of changes is
 * written in one transaction; the hub publishes only after the commit
 * returns. Checkpoints keep SQLite's write-ahead log under a limit without
 * holding up the commits (bus-store.c).
 */
#ifndef BUS_STORE_H
#define BUS_STORE_H

#include <stddef.h>
#include <stdint.h>

struct bus_store;

/* BODY is LEN bytes and valid only during the call. */
typedef int (*bus_store_object_cb)(const char *kind, const char *id,
    const char *body, size_t len, void *arg);
typedef int (*bus_store_event_cb)(int64_t seq, const char *topic,
    const char *body, void *arg);
typedef int (*bus_store_row_cb)(const char *text, void *arg);

/* One row of the audit trail: who asked for what, and the hub's answer. */
struct bus_store_audit_row {
	int64_t id;          /* given by the store; ignored when writing */
	int64_t ts;          /* ms since the epoch */
	const char *person;
	const char *role;
	const char *op;
	const char *case_id; /* NULL when the request names no case */
	const char *team;    /* NULL when it names no team */
	const char *outcome; /* "ok" or the refusal's error code */
	const char *message; /* the refusal's sentence; NULL when ok */
	const char *args;    /* the request's arguments as compact JSON */
};
typedef int (*bus_store_audit_cb)(const struct bus_store_audit_row *, void *arg);

/* A key of the CURVE allow-list added or revoked by op (bus-keys). */
struct bus_store_key_row {
	const char *key;
	const char *person;
	const char *role;
	const char *sockets;  /* "ingest,events" */
	const char *topics;   /* prefixes; "" for any */
	int revoked;
	int64_t changed_at;   /* ms since the epoch */
};
typedef int (*bus_store_key_cb)(const struct bus_store_key_row *, void *arg);

/* The most the WAL (the database's -wal file) may hold by default, in
 * bytes. A store takes any limit from 32 pages up (129 KiB with SQLite's
 * default pages of 4 KiB). */
#define BUS_STORE_WAL_LIMIT (64LL * 1024 * 1024)

struct bus_store *bus_store_open(const char *path, const char *synchronous,
                      int64_t wal_limit, char **cause);
void    bus_store_close(struct bus_store *);
int64_t bus_store_last_seq(struct bus_store *);
int     bus_store_load(struct bus_store *, bus_store_object_cb, void *, char **cause);
int     bus_store_replay(struct bus_store *, int64_t after, int limit,
            bus_store_event_cb, void *, char **cause);
int     bus_store_meta_get(struct bus_store *, const char *key, int64_t *value);
int     bus_store_timeline(struct bus_store *, const char *case_id, int64_t after,
            int limit, bus_store_row_cb, void *, char **cause);
int     bus_store_audit(struct bus_store *, int64_t since_ms, const char *case_id,
            int64_t after, int limit, bus_store_audit_cb, void *, char **cause);

int  bus_store_begin(struct bus_store *, char **cause);
int  bus_store_put_event(struct bus_store *, int64_t seq, int64_t ts_ms,
         const char *topic, const char *body, char **cause);
int  bus_store_put_object(struct bus_store *, const char *kind, const char *id,
         int64_t seq, char **cause);
int  bus_store_put_timeline(struct bus_store *, const char *case_id, int64_t n,
         int64_t ts_ms, const char *entry, char **cause);
int  bus_store_delete_object(struct bus_store *, const char *kind, const char *id,
         char **cause);
int  bus_store_put_audit(struct bus_store *, const struct bus_store_audit_row *,
         char **cause);
int  bus_store_meta_set(struct bus_store *, const char *key, int64_t value,
         char **cause);
int  bus_store_commit(struct bus_store *, char **cause);
void bus_store_rollback(struct bus_store *);
int  bus_store_full(const struct bus_store *);
int  bus_store_keys(struct bus_store *, bus_store_key_cb, void *, char **cause);
int  bus_store_put_key(struct bus_store *, const struct bus_store_key_row *, char **cause);
int  bus_store_probe(struct bus_store *, int64_t now_ms, char **cause);

/* Tests only: the SQLite handle, to damage or inspect a file on purpose.
 * Nothing in the hub reaches past this interface. */
struct sqlite3 *bus_store_db(struct bus_store *);

#endif
