#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "bus-log.h"
#include "bus-store.h"
#include "xmalloc.h"

/* 2 added the audit table: an older watchd, which would accept commands
 * without recording them, refuses a database of version 2. */
#define STORE_SCHEMA_VERSION 2
#define STORE_SCHEMA_VERSION_TEXT "2"

/*
 * WAL checkpoints copy committed pages into the database file and fsync it:
 * work that would stall the hub's loop. A checkpointer thread with its own
 * connection does it instead, woken when the WAL passes CKPT_PAGES pages.
 * If it ever falls far behind, the loop checkpoints itself at
 * CKPT_HARD_PAGES so that the WAL cannot grow without bound.
 */
#define CKPT_PAGES      4000
#define CKPT_HARD_PAGES 100000

#define AUDIT_COLUMNS "id, ts, person, role, op, case_id, team, outcome, message, args"
#define AUDIT_APPEND_ONLY "SELECT RAISE(ABORT, 'the audit trail is append-only');"

/* Every statement the hub runs more than once is prepared once here. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_PUT_EVENT,
	STMT_PUT_OBJECT,
	STMT_PUT_TIMELINE,
	STMT_TIMELINE,
	STMT_DELETE_OBJECT,
	STMT_META_SET,
	STMT_META_GET,
	STMT_LAST_SEQ,
	STMT_REPLAY,
	STMT_LOAD,
	STMT_PUT_AUDIT,
	STMT_AUDIT,
	STMT_AUDIT_CASE,
	STMT_COUNT
};

static const char *const store_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_PUT_EVENT] = "INSERT INTO journal(seq, ts, topic, body) VALUES (?, ?, ?, ?)",
	[STMT_PUT_OBJECT] = "INSERT INTO objects(kind, id, seq) VALUES (?, ?, ?) "
	                    "ON CONFLICT(kind, id) DO UPDATE SET seq = excluded.seq",
	[STMT_PUT_TIMELINE] = "INSERT INTO timeline(case_id, n, ts, entry) VALUES (?, ?, ?, ?)",
	[STMT_TIMELINE] = "SELECT entry FROM timeline WHERE case_id = ? AND n > ? "
	                  "ORDER BY n LIMIT ?",
	[STMT_DELETE_OBJECT] = "DELETE FROM objects WHERE kind = ? AND id = ?",
	[STMT_META_SET] = "INSERT INTO meta(key, value) VALUES (?, ?) "
	                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[STMT_META_GET] = "SELECT value FROM meta WHERE key = ?",
	[STMT_LAST_SEQ] = "SELECT COALESCE(MAX(seq), 0) FROM journal",
	[STMT_REPLAY] = "SELECT seq, topic, body FROM journal WHERE seq > ? "
	                "ORDER BY seq LIMIT ?",
	[STMT_LOAD] = "SELECT o.kind, o.id, j.body FROM objects o "
	              "JOIN journal j ON j.seq = o.seq ORDER BY o.kind, o.id",
	[STMT_PUT_AUDIT] = "INSERT INTO audit(ts, person, role, op, case_id, team, outcome, "
	                   "message, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* The same numbered parameters in both, so one binding serves. */
	[STMT_AUDIT] = "SELECT " AUDIT_COLUMNS " FROM audit WHERE id > ?1 AND ts >= ?2 "
	               "ORDER BY id LIMIT ?3",
	[STMT_AUDIT_CASE] = "SELECT " AUDIT_COLUMNS " FROM audit WHERE case_id = ?4 AND "
	                    "id > ?1 AND ts >= ?2 ORDER BY id LIMIT ?3",
};

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS journal ("
	"  seq INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  topic TEXT NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS objects ("
	"  kind TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS timeline ("
	"  case_id TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  entry TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, n)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta ("
	"  key TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL) WITHOUT ROWID;"
	/* AUTOINCREMENT: an id is never given twice, so a row removed behind
	 * the triggers' back leaves a gap. */
	"CREATE TABLE IF NOT EXISTS audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts INTEGER NOT NULL,"
	"  person TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  op TEXT NOT NULL,"
	"  case_id TEXT,"
	"  team TEXT,"
	"  outcome TEXT NOT NULL,"
	"  message TEXT,"
	"  args TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS audit_case ON audit(case_id);"
	/* Append-only for every connection, not only the hub's. REPLACE
	 * deletes without firing delete triggers (unless recursive triggers
	 * are on), so an insert may not take an id that is in use either. */
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
	"  BEGIN " AUDIT_APPEND_ONLY " END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
	"  BEGIN " AUDIT_APPEND_ONLY " END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_replace BEFORE INSERT ON audit "
	"  WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id) "
	"  BEGIN " AUDIT_APPEND_ONLY " END;";

struct bus_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	int in_txn;
	int full; /* the last write failed for lack of space */

	sqlite3 *ckpt_db;        /* the checkpointer's own connection */
	pthread_t ckpt_thread;
	int ckpt_started;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_wake;
	int ckpt_wanted, ckpt_stop; /* under ckpt_lock */
};

static void *
store_checkpointer(void *arg)
{
	struct bus_store *st = arg;

	pthread_mutex_lock(&st->ckpt_lock);
	for (;;) {
		while (!st->ckpt_wanted && !st->ckpt_stop)
			pthread_cond_wait(&st->ckpt_wake, &st->ckpt_lock);
		if (st->ckpt_stop)
			break;
		st->ckpt_wanted = 0;
		pthread_mutex_unlock(&st->ckpt_lock);
		/* PASSIVE never blocks the hub's writes. */
		if (sqlite3_wal_checkpoint_v2(st->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL) != SQLITE_OK)
			log_warn("checkpoint: %s", sqlite3_errmsg(st->ckpt_db));
		pthread_mutex_lock(&st->ckpt_lock);
	}
	pthread_mutex_unlock(&st->ckpt_lock);
	return NULL;
}

/* Called by SQLite after each commit with the WAL's size in pages. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct bus_store *st = arg;

	if (pages >= CKPT_HARD_PAGES) {
		log_warn("checkpoint: WAL at %d pages; checkpointing in the loop", pages);
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	} else if (pages >= CKPT_PAGES && st->ckpt_started) {
		pthread_mutex_lock(&st->ckpt_lock);
		st->ckpt_wanted = 1;
		pthread_cond_signal(&st->ckpt_wake);
		pthread_mutex_unlock(&st->ckpt_lock);
	}
	return SQLITE_OK;
}

static int
store_start_checkpointer(struct bus_store *st, const char *path, char **cause)
{
	if (sqlite3_open_v2(path, &st->ckpt_db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		xasprintf(cause, "cannot open database %s for checkpoints: %s", path,
		    st->ckpt_db != NULL ? sqlite3_errmsg(st->ckpt_db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(st->ckpt_db, 5000);
	pthread_mutex_init(&st->ckpt_lock, NULL);
	pthread_cond_init(&st->ckpt_wake, NULL);
	if (pthread_create(&st->ckpt_thread, NULL, store_checkpointer, st) != 0) {
		xasprintf(cause, "cannot start the checkpoint thread");
		return -1;
	}
	st->ckpt_started = 1;
	return 0;
}

static int
store_fail(struct bus_store *st, const char *what, char **cause)
{
	int err = sqlite3_system_errno(st->db);

	/* Read now: the rollback that follows a failed write resets them. */
	st->full = sqlite3_errcode(st->db) == SQLITE_FULL || err == ENOSPC || err == EDQUOT;
	xasprintf(cause, "%s: %s", what, sqlite3_errmsg(st->db));
	return -1;
}

/* Run a prepared statement that returns no rows, then reset it. */
static int
store_step_done(struct bus_store *st, enum store_stmt which, const char *what,
    char **cause)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, what, cause);
	return 0;
}

/*
 * Open (or create) the store at PATH. SYNCHRONOUS is SQLite's setting:
 * "normal" survives a crash of the hub; "full" also survives power loss.
 */
struct bus_store *
bus_store_open(const char *path, const char *synchronous, char **cause)
{
	struct bus_store *st = xcalloc(1, sizeof *st);
	char *pragma;
	int version = 0;
	sqlite3_stmt *s;

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "cannot open database %s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (strcmp(synchronous, "normal") != 0 && strcmp(synchronous, "full") != 0 &&
	    strcmp(synchronous, "extra") != 0) {
		xasprintf(cause, "synchronous must be normal, full or extra, not '%s'",
		    synchronous);
		goto fail;
	}
	pragma = xprintf("PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
	    "PRAGMA wal_autocheckpoint=0;", synchronous);
	int rc = sqlite3_exec(st->db, pragma, NULL, NULL, NULL);
	free(pragma);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "cannot set up database %s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			version = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (version > STORE_SCHEMA_VERSION) {
		xasprintf(cause, "database %s has schema version %d; this watchd knows "
		    "version %d and older", path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	/* IF NOT EXISTS throughout: a database of an older version gets what
	 * it lacks (the audit table) and keeps everything it has. */
	if (sqlite3_exec(st->db, store_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, "PRAGMA user_version=" STORE_SCHEMA_VERSION_TEXT, NULL, NULL,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "cannot create tables in %s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	for (int i = 0; i < STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->stmt[i], NULL) != SQLITE_OK) {
			xasprintf(cause, "cannot prepare '%s': %s", store_sql[i],
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	if (store_start_checkpointer(st, path, cause) != 0)
		goto fail;
	sqlite3_wal_hook(st->db, store_wal_hook, st);
	return st;
fail:
	bus_store_close(st);
	return NULL;
}

void
bus_store_close(struct bus_store *st)
{
	if (st == NULL)
		return;
	if (st->ckpt_started) {
		pthread_mutex_lock(&st->ckpt_lock);
		st->ckpt_stop = 1;
		pthread_cond_signal(&st->ckpt_wake);
		pthread_mutex_unlock(&st->ckpt_lock);
		pthread_join(st->ckpt_thread, NULL);
		pthread_mutex_destroy(&st->ckpt_lock);
		pthread_cond_destroy(&st->ckpt_wake);
	}
	/* The last connection to close checkpoints the whole WAL. */
	if (st->ckpt_db != NULL)
		sqlite3_close(st->ckpt_db);
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warn("closing database: %s", sqlite3_errmsg(st->db));
	free(st);
}

/* The highest sequence number written: the journal's primary key index
 * answers this without reading the journal. */
int64_t
bus_store_last_seq(struct bus_store *st)
{
	sqlite3_stmt *s = st->stmt[STMT_LAST_SEQ];
	int64_t seq = 0;

	if (sqlite3_step(s) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return seq;
}

int
bus_store_meta_get(struct bus_store *st, const char *key, int64_t *value)
{
	sqlite3_stmt *s = st->stmt[STMT_META_GET];
	int found = 0;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*value = sqlite3_column_int64(s, 0);
		found = 1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found ? 0 : -1;
}

/* Call CB for every stored object; stops at the first non-zero return. */
int
bus_store_load(struct bus_store *st, bus_store_object_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_LOAD];
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(s, 2);
		stop = cb((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), body,
		    (size_t)sqlite3_column_bytes(s, 2), arg);
	}
	sqlite3_reset(s);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, "loading state", cause);
	return stop ? -1 : 0;
}

/* Call CB for up to LIMIT journal events after seq AFTER, in order. */
int
bus_store_replay(struct bus_store *st, int64_t after, int limit,
    bus_store_event_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_REPLAY];
	int rc, stop = 0;

	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		stop = cb(sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2), arg);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, "reading the journal", cause);
	return 0;
}

int
bus_store_begin(struct bus_store *st, char **cause)
{
	if (store_step_done(st, STMT_BEGIN, "beginning a transaction", cause) != 0)
		return -1;
	st->in_txn = 1;
	return 0;
}

int
bus_store_put_event(struct bus_store *st, int64_t seq, int64_t ts_ms,
    const char *topic, const char *body, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_PUT_EVENT];

	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, ts_ms);
	sqlite3_bind_text(s, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, body, -1, SQLITE_STATIC);
	return store_step_done(st, STMT_PUT_EVENT, "writing the journal", cause);
}

/* The object KIND/ID now stands at journal event SEQ. */
int
bus_store_put_object(struct bus_store *st, const char *kind, const char *id,
    int64_t seq, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_PUT_OBJECT];

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, seq);
	return store_step_done(st, STMT_PUT_OBJECT, "writing state", cause);
}

int
bus_store_put_timeline(struct bus_store *st, const char *case_id, int64_t n,
    int64_t ts_ms, const char *entry, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_PUT_TIMELINE];

	sqlite3_bind_text(s, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, n);
	sqlite3_bind_int64(s, 3, ts_ms);
	sqlite3_bind_text(s, 4, entry, -1, SQLITE_STATIC);
	return store_step_done(st, STMT_PUT_TIMELINE, "writing a timeline", cause);
}

/* Call CB with up to LIMIT timeline entries of CASE_ID after entry AFTER. */
int
bus_store_timeline(struct bus_store *st, const char *case_id, int64_t after, int limit,
    bus_store_row_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_TIMELINE];
	int rc, stop = 0;

	sqlite3_bind_text(s, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int(s, 3, limit);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = cb((const char *)sqlite3_column_text(s, 0), arg);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, "reading a timeline", cause);
	return 0;
}

/* Bind TEXT, or NULL when there is none. */
static void
store_bind_text(sqlite3_stmt *s, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Append one row to the audit trail (in the batch's transaction); the
 * store gives it its id. */
int
bus_store_put_audit(struct bus_store *st, const struct bus_store_audit_row *row,
    char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_PUT_AUDIT];

	sqlite3_bind_int64(s, 1, row->ts);
	store_bind_text(s, 2, row->person);
	store_bind_text(s, 3, row->role);
	store_bind_text(s, 4, row->op);
	store_bind_text(s, 5, row->case_id);
	store_bind_text(s, 6, row->team);
	store_bind_text(s, 7, row->outcome);
	store_bind_text(s, 8, row->message);
	store_bind_text(s, 9, row->args);
	return store_step_done(st, STMT_PUT_AUDIT, "writing the audit trail", cause);
}

/*
 * Call CB with up to LIMIT audit rows with an id above AFTER, a time at or
 * after SINCE_MS and, unless CASE_ID is NULL, that case, in id order.
 */
int
bus_store_audit(struct bus_store *st, int64_t since_ms, const char *case_id,
    int64_t after, int limit, bus_store_audit_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s = st->stmt[case_id != NULL ? STMT_AUDIT_CASE : STMT_AUDIT];
	int rc, stop = 0;

	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, since_ms);
	sqlite3_bind_int(s, 3, limit);
	if (case_id != NULL)
		sqlite3_bind_text(s, 4, case_id, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct bus_store_audit_row row = {
			sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
			(const char *)sqlite3_column_text(s, 2),
			(const char *)sqlite3_column_text(s, 3),
			(const char *)sqlite3_column_text(s, 4),
			(const char *)sqlite3_column_text(s, 5),
			(const char *)sqlite3_column_text(s, 6),
			(const char *)sqlite3_column_text(s, 7),
			(const char *)sqlite3_column_text(s, 8),
			(const char *)sqlite3_column_text(s, 9),
		};
		stop = cb(&row, arg);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, "reading the audit trail", cause);
	return 0;
}

int
bus_store_delete_object(struct bus_store *st, const char *kind, const char *id,
    char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_DELETE_OBJECT];

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	return store_step_done(st, STMT_DELETE_OBJECT, "deleting state", cause);
}

int
bus_store_meta_set(struct bus_store *st, const char *key, int64_t value, char **cause)
{
	sqlite3_stmt *s = st->stmt[STMT_META_SET];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, value);
	return store_step_done(st, STMT_META_SET, "writing meta", cause);
}

int
bus_store_commit(struct bus_store *st, char **cause)
{
	if (store_step_done(st, STMT_COMMIT, "committing", cause) != 0) {
		bus_store_rollback(st);
		return -1;
	}
	st->in_txn = 0;
	st->full = 0;
	return 0;
}

/* 1 if the last write failed because the filesystem has no space left
 * (SQLITE_FULL, ENOSPC or EDQUOT); a commit that succeeds clears it. */
int
bus_store_full(const struct bus_store *st)
{
	return st->full;
}

/*
 * Whether a transaction can be committed again: write the time of this
 * check under meta key "space_checked_at" in a transaction of its own.
 * A read proves nothing, since only a write needs new pages.
 */
int
bus_store_probe(struct bus_store *st, int64_t now_ms, char **cause)
{
	if (bus_store_begin(st, cause) != 0)
		return -1;
	if (bus_store_meta_set(st, "space_checked_at", now_ms, cause) != 0) {
		bus_store_rollback(st);
		return -1;
	}
	return bus_store_commit(st, cause);
}

/* Undo an open transaction; harmless when SQLite already rolled it back. */
void
bus_store_rollback(struct bus_store *st)
{
	if (!st->in_txn)
		return;
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_step(st->stmt[STMT_ROLLBACK]);
	sqlite3_reset(st->stmt[STMT_ROLLBACK]);
	st->in_txn = 0;
}

/* The database itself, for modules that keep a table of their own in it
 * (bus-keys). Their writes outside a batch commit at once. */
sqlite3 *
bus_store_db(struct bus_store *st)
{
	return st->db;
}
