#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-log.h"
#include "bus-store.h"
#include "bus-time.h"
#include "xmalloc.h"

/* 2 added the audit table: an older watchd, which would accept commands
 * without recording them, refuses a database of version 2. 3 made the
 * timeline append-only as well: an older watchd, which would let its
 * timeline be rewritten, refuses a database of version 3. */
#define STORE_SCHEMA_VERSION 3
#define STORE_SCHEMA_VERSION_TEXT "3"

/*
 * The write-ahead log (the database's -wal file) stays under a limit, LIMIT
 * bytes (bus_store_open; watchd --wal-limit, 64 MiB by default). Every
 * commit appends the pages it changed to the WAL; a checkpoint copies them
 * into the database file; once every page is copied and no reader still
 * needs the WAL, the next commit writes it again from the start ("resets"
 * it), and PRAGMA journal_size_limit cuts the file back to LIMIT/16, so that
 * a burst leaves no big file behind. Copying the last pages and the fsync
 * of the database that must come before a reset cannot overlap a commit,
 * so under sustained load someone has to make the hub wait for them once a
 * cycle; everything else runs beside the hub:
 *
 *  - A checkpointer thread with its own connection runs PASSIVE checkpoints,
 *    which never wait for the hub's writes nor make them wait, whenever a
 *    commit leaves the WAL at LIMIT/16 (CKPT_WAKE_DIV) or more. Its
 *    connection reads the database before its first checkpoint: one that
 *    has never read it does not know the database is in WAL mode, and its
 *    checkpoints do nothing (SQLITE_OK with a log of -1 frames), which the
 *    open checks. Each pass's counts are judged: passes that copy nothing
 *    new while pages wait mean a reader holds an old snapshot, and the log
 *    says so.
 *  - Passes rarely end between two commits under load, so the WAL does not
 *    reset by itself. When a commit leaves it at LIMIT/4 (CKPT_LOOP_DIV),
 *    the loop copies what the thread has not yet (usually the last commit
 *    or two) and fsyncs, and the thread starts no pass before the next
 *    commit, which resets the WAL: one short wait a cycle. If the thread's
 *    pass is under way then, the loop does not wait for it but takes the
 *    next commit's turn, which the thread leaves to it; from LIMIT/2
 *    (CKPT_MUST_DIV) on, it waits. The limit holds as long as one turn's
 *    transaction is under half of it (a turn of a thousand incident
 *    updates writes up to about 9 MB).
 *  - When the hub has committed nothing for CKPT_QUIET_MS, the thread copies
 *    what is left and truncates the file to nothing (TRUNCATE), giving up at
 *    once rather than wait for anyone: an idle hub's WAL takes no space.
 *  - At open, before anything is written, the hub copies and truncates the
 *    WAL that a killed hub (kill -9, a crash) left; at a clean stop, closing
 *    the last connection copies what is left (little) and removes the file.
 *
 * No read of the hub's keeps a read transaction open: every statement is
 * reset as soon as its rows are read, so the hub never pins a snapshot the
 * WAL has to keep. Another process that does (a long read in the sqlite3
 * shell) stops the WAL from resetting until it ends: the WAL then grows
 * past its limit, and the log says why.
 */
#define CKPT_WAKE_DIV 16
#define CKPT_LOOP_DIV 4
#define CKPT_MUST_DIV 2
#define CKPT_QUIET_MS 1000
#define CKPT_STUCK_PASSES 3 /* passes without progress before it is logged */
#define WAL_HEADER 32        /* SQLite's WAL file header ... */
#define WAL_FRAME_HEADER 24  /* ... and the header of each page in it */

#define AUDIT_COLUMNS "id, ts, person, role, op, case_id, team, outcome, message, args"
#define AUDIT_APPEND_ONLY "SELECT RAISE(ABORT, 'the audit trail is append-only');"
#define TIMELINE_APPEND_ONLY "SELECT RAISE(ABORT, 'the case timeline is append-only');"

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
	"  BEGIN " AUDIT_APPEND_ONLY " END;"
	/* The timeline is the floor's record of every case (schema 3): the
	 * same rule, and an entry's place (case_id, n) is taken once. */
	"CREATE TRIGGER IF NOT EXISTS timeline_no_update BEFORE UPDATE ON timeline "
	"  BEGIN " TIMELINE_APPEND_ONLY " END;"
	"CREATE TRIGGER IF NOT EXISTS timeline_no_delete BEFORE DELETE ON timeline "
	"  BEGIN " TIMELINE_APPEND_ONLY " END;"
	"CREATE TRIGGER IF NOT EXISTS timeline_no_replace BEFORE INSERT ON timeline "
	"  WHEN EXISTS (SELECT 1 FROM timeline WHERE case_id = NEW.case_id AND n = NEW.n) "
	"  BEGIN " TIMELINE_APPEND_ONLY " END;";

/* Something a checkpoint found, for the loop to log: the checkpointer
 * thread leaves the log, which the loop writes, alone (bus-log.c). */
struct store_note {
	int pending;
	enum bus_log_level level;
	char text[400];
};

struct bus_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	int in_txn;
	int full; /* the last write failed for lack of space */

	/* WAL sizes in pages: the checkpointer is woken at wake_pages, the
	 * loop checkpoints at loop_pages, and waits for the thread's pass to do
	 * so at must_pages. */
	int wake_pages, loop_pages, must_pages;

	int locks_ready;
	sqlite3 *ckpt_db;        /* the checkpointer's own connection */
	pthread_t ckpt_thread;
	int ckpt_started;
	pthread_mutex_t ckpt_lock; /* the fields below, up to ckpt_run */
	pthread_cond_t ckpt_wake;
	int ckpt_wanted, ckpt_stop;
	int ckpt_dirty;            /* committed since the last quiet checkpoint */
	int ckpt_hold;             /* the loop copied all: no pass until it commits */
	int ckpt_yield;            /* the loop wants the next checkpoint */
	int64_t ckpt_last_commit;  /* monotonic ms */
	struct store_note note;

	/* One checkpoint at a time, the thread's or the loop's, and what the
	 * last one found (under ckpt_run). */
	pthread_mutex_t ckpt_run;
	int last_log, last_ckpt, stuck_passes;
};

static void store_note(struct bus_store *, enum bus_log_level, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Keep a line for the loop to log; a warning is not replaced by an info. */
static void
store_note(struct bus_store *st, enum bus_log_level level, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&st->ckpt_lock);
	if (!st->note.pending || level >= st->note.level) {
		va_start(ap, fmt);
		vsnprintf(st->note.text, sizeof st->note.text, fmt, ap);
		va_end(ap);
		st->note.level = level;
		st->note.pending = 1;
	}
	pthread_mutex_unlock(&st->ckpt_lock);
}

/* Log the kept line, if any: in the loop's thread only. */
static void
store_log_note(struct bus_store *st)
{
	struct store_note n;

	pthread_mutex_lock(&st->ckpt_lock);
	n = st->note;
	st->note.pending = 0;
	pthread_mutex_unlock(&st->ckpt_lock);
	if (n.pending)
		bus_log(n.level, "%s", n.text);
}

/* Judge a checkpoint's counts (under ckpt_run): NLOG pages in the WAL,
 * NCKPT of them copied into the database. */
static void
store_progress(struct bus_store *st, int nlog, int nckpt)
{
	if (nlog < 0) {
		store_note(st, BUS_LOG_WARN, "checkpoint: the connection does not see the "
		    "database's WAL, so nothing was copied");
		return;
	}
	/* Done, more copied than last time, or the WAL was reset meanwhile. */
	int progressed = nckpt == nlog || nckpt > st->last_ckpt || nlog < st->last_log;

	st->last_log = nlog;
	st->last_ckpt = nckpt;
	if (progressed) {
		if (st->stuck_passes >= CKPT_STUCK_PASSES)
			store_note(st, BUS_LOG_INFO, "checkpoint: copying again (%d of the WAL's "
			    "%d pages copied)", nckpt, nlog);
		st->stuck_passes = 0;
	} else if (++st->stuck_passes == CKPT_STUCK_PASSES) {
		store_note(st, BUS_LOG_WARN, "checkpoint: no progress in %d passes, %d of the "
		    "WAL's %d pages copied: a reader (another process with a read open on the "
		    "database) holds an old snapshot, and until it ends the WAL cannot start "
		    "again and grows past its limit", CKPT_STUCK_PASSES, nckpt, nlog);
	}
}

/* One checkpoint of MODE on DB (the loop's or the thread's connection),
 * the caller holding ckpt_run: SQLITE_OK, SQLITE_BUSY or an error; *NLOG
 * and *NCKPT as sqlite3_wal_checkpoint_v2() gives them. */
static int
store_checkpoint_run(struct bus_store *st, sqlite3 *db, int mode, int *nlog, int *nckpt)
{
	*nlog = *nckpt = -1;
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, mode, nlog, nckpt);
	/* BUSY: another process is checkpointing, or (TRUNCATE) the hub is
	 * writing or someone reading; a later commit tries again. */
	if (rc == SQLITE_OK)
		store_progress(st, *nlog, *nckpt);
	else if (rc != SQLITE_BUSY)
		store_note(st, BUS_LOG_WARN, "checkpoint: %s", sqlite3_errmsg(db));
	return rc;
}

/* The same, waiting for a checkpoint under way to end first. */
static int
store_checkpoint(struct bus_store *st, sqlite3 *db, int mode, int *nlog, int *nckpt)
{
	pthread_mutex_lock(&st->ckpt_run);
	int rc = store_checkpoint_run(st, db, mode, nlog, nckpt);
	pthread_mutex_unlock(&st->ckpt_run);
	return rc;
}

static void *
store_checkpointer(void *arg)
{
	struct bus_store *st = arg;
	int nlog, nckpt;

	pthread_mutex_lock(&st->ckpt_lock);
	for (;;) {
		int quiet = 0;
		while (!st->ckpt_wanted && !st->ckpt_stop && !quiet) {
			if (!st->ckpt_dirty) {
				pthread_cond_wait(&st->ckpt_wake, &st->ckpt_lock);
				continue;
			}
			int64_t due = st->ckpt_last_commit + CKPT_QUIET_MS;
			if (bus_time_mono_ms() >= due) {
				quiet = 1;
				break;
			}
			struct timespec ts = { (time_t)(due / 1000), (long)(due % 1000) * 1000000 };
			pthread_cond_timedwait(&st->ckpt_wake, &st->ckpt_lock, &ts);
		}
		if (st->ckpt_stop)
			break;
		st->ckpt_wanted = 0;
		if (quiet)
			st->ckpt_dirty = 0;
		pthread_mutex_unlock(&st->ckpt_lock);

		pthread_mutex_lock(&st->ckpt_run);
		/* The loop may have copied everything meanwhile (its next commit
		 * starts the WAL again only if no checkpoint is under way then), or
		 * want to copy the rest itself at its next commit. */
		pthread_mutex_lock(&st->ckpt_lock);
		int held = (st->ckpt_hold || st->ckpt_yield) && !quiet;
		pthread_mutex_unlock(&st->ckpt_lock);
		/* PASSIVE never waits for the hub's writes nor makes them wait. */
		if (!held && store_checkpoint_run(st, st->ckpt_db, SQLITE_CHECKPOINT_PASSIVE,
		    &nlog, &nckpt) == SQLITE_OK && quiet && nckpt == nlog) {
			/* Quiet, and everything copied: truncating is then quick, and
			 * with no busy handler on this connection it gives up at once
			 * rather than hold the hub's next write while it waits for a
			 * reader. */
			store_checkpoint_run(st, st->ckpt_db, SQLITE_CHECKPOINT_TRUNCATE, &nlog,
			    &nckpt);
		}
		pthread_mutex_unlock(&st->ckpt_run);
		pthread_mutex_lock(&st->ckpt_lock);
	}
	pthread_mutex_unlock(&st->ckpt_lock);
	return NULL;
}

/* Called by SQLite in the loop after each commit with the WAL's size in
 * pages. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct bus_store *st = arg;
	int nlog, nckpt, done = 0, yield = 0;

	(void)name;
	if (pages >= st->loop_pages) {
		/* Near the limit: copy what the thread has not, so that the next
		 * commit starts the WAL again, and keep the thread from starting a
		 * pass before that commit. While the thread's pass is under way the
		 * loop leaves it be and tries again at the next commit, which the
		 * thread leaves to it; only at must_pages does it wait. */
		int locked = pages >= st->must_pages ? pthread_mutex_lock(&st->ckpt_run) == 0 :
		    pthread_mutex_trylock(&st->ckpt_run) == 0;
		if (locked) {
			done = store_checkpoint_run(st, db, SQLITE_CHECKPOINT_PASSIVE, &nlog,
			    &nckpt) == SQLITE_OK && nckpt == nlog;
			pthread_mutex_lock(&st->ckpt_lock);
			st->ckpt_hold = done;
			pthread_mutex_unlock(&st->ckpt_lock);
			pthread_mutex_unlock(&st->ckpt_run);
		}
		yield = !locked;
	}
	int wanted = pages >= st->wake_pages && !done && !yield;
	pthread_mutex_lock(&st->ckpt_lock);
	st->ckpt_hold = done;
	st->ckpt_yield = yield;
	st->ckpt_last_commit = bus_time_mono_ms();
	if (!st->ckpt_dirty || wanted) {
		st->ckpt_dirty = 1;
		st->ckpt_wanted |= wanted;
		pthread_cond_signal(&st->ckpt_wake);
	}
	pthread_mutex_unlock(&st->ckpt_lock);
	store_log_note(st);
	return SQLITE_OK;
}

/* The checkpointer's connection, proved to see the WAL, and its thread. */
static int
store_start_checkpointer(struct bus_store *st, const char *path, char **cause)
{
	int nlog, nckpt;

	if (sqlite3_open_v2(path, &st->ckpt_db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		xasprintf(cause, "cannot open database %s for checkpoints: %s", path,
		    st->ckpt_db != NULL ? sqlite3_errmsg(st->ckpt_db) : "out of memory");
		return -1;
	}
	/* Read first: a connection learns that the database is in WAL mode
	 * from its first read, and until then its checkpoints do nothing. */
	sqlite3_busy_timeout(st->ckpt_db, 5000);
	int rc = sqlite3_exec(st->ckpt_db, "SELECT COUNT(*) FROM sqlite_master", NULL, NULL,
	    NULL);
	if (rc == SQLITE_OK)
		rc = store_checkpoint(st, st->ckpt_db, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		xasprintf(cause, "cannot read database %s for checkpoints: %s", path,
		    sqlite3_errmsg(st->ckpt_db));
		return -1;
	}
	if (rc == SQLITE_OK && nlog < 0) {
		xasprintf(cause, "cannot checkpoint database %s: its checkpoint connection does "
		    "not see the WAL", path);
		return -1;
	}
	store_log_note(st);
	sqlite3_busy_timeout(st->ckpt_db, 0);
	if (pthread_create(&st->ckpt_thread, NULL, store_checkpointer, st) != 0) {
		xasprintf(cause, "cannot start the checkpoint thread");
		return -1;
	}
	st->ckpt_started = 1;
	return 0;
}

/* The WAL's limit in pages of PAGE_SIZE bytes, and the sizes derived from
 * it; -1 with *CAUSE if LIMIT is too small to work with. */
static int
store_set_limit(struct bus_store *st, int64_t limit, char **cause)
{
	sqlite3_stmt *s;
	int page_size = 4096;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			page_size = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	int64_t frame = page_size + WAL_FRAME_HEADER;
	int64_t pages = (limit - WAL_HEADER) / frame;
	/* Room for a few pages between the sizes that act on it. */
	int64_t least = WAL_HEADER + 2 * CKPT_WAKE_DIV * frame;
	if (limit < least) {
		xasprintf(cause, "the WAL limit must be at least %lld KiB with pages of %d "
		    "bytes, not %lld bytes", (long long)(least + 1023) / 1024, page_size,
		    (long long)limit);
		return -1;
	}
	if (pages > INT32_MAX)
		pages = INT32_MAX;
	st->wake_pages = (int)(pages / CKPT_WAKE_DIV);
	st->loop_pages = (int)(pages / CKPT_LOOP_DIV);
	st->must_pages = (int)(pages / CKPT_MUST_DIV);
	/* A WAL started again is cut back to the size the thread wakes at. */
	char *pragma = xprintf("PRAGMA journal_size_limit=%lld",
	    (long long)(WAL_HEADER + st->wake_pages * frame));
	int rc = sqlite3_exec(st->db, pragma, NULL, NULL, NULL);
	free(pragma);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "cannot limit the WAL: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* Copy into the database and truncate a WAL that a killed hub left, before
 * the hub writes anything: its size is whatever that run had reached. */
static void
store_checkpoint_at_open(struct bus_store *st, const char *path)
{
	int nlog, nckpt, left, copied;
	/* PASSIVE first, for the count (TRUNCATE reports the WAL it leaves:
	 * none). */
	int rc = store_checkpoint(st, st->db, SQLITE_CHECKPOINT_PASSIVE, &left, &copied);

	if (rc == SQLITE_OK)
		rc = store_checkpoint(st, st->db, SQLITE_CHECKPOINT_TRUNCATE, &nlog, &nckpt);
	if (rc != SQLITE_OK)
		log_warn("store: cannot checkpoint the WAL of %s at start (%s); it is "
		    "checkpointed as the hub runs", path, sqlite3_errmsg(st->db));
	else if (left > 0)
		log_info("store: copied the %d pages left in the WAL of %s into it", left, path);
	store_log_note(st);
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
 * WAL_LIMIT is the most the WAL may hold, in bytes (see the top).
 */
struct bus_store *
bus_store_open(const char *path, const char *synchronous, int64_t wal_limit,
    char **cause)
{
	struct bus_store *st = xcalloc(1, sizeof *st);
	pthread_condattr_t attr;
	char *pragma;
	int version = 0;
	sqlite3_stmt *s;

	pthread_mutex_init(&st->ckpt_lock, NULL);
	pthread_mutex_init(&st->ckpt_run, NULL);
	/* The quiet timer counts in monotonic time, as bus_time_mono_ms(). */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&st->ckpt_wake, &attr);
	pthread_condattr_destroy(&attr);
	st->locks_ready = 1;

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
	if (store_set_limit(st, wal_limit, cause) != 0)
		goto fail;
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
	store_checkpoint_at_open(st, path);
	/* IF NOT EXISTS throughout: a database of an older version gets what
	 * it lacks (the audit table, the timeline's triggers) and keeps
	 * everything it has. */
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
	}
	if (st->ckpt_db != NULL)
		sqlite3_close(st->ckpt_db);
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* The last connection to close checkpoints what is left of the WAL
	 * (little: the checkpointer kept up) and removes it. */
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warn("closing database: %s", sqlite3_errmsg(st->db));
	if (st->locks_ready) {
		store_log_note(st);
		pthread_mutex_destroy(&st->ckpt_lock);
		pthread_mutex_destroy(&st->ckpt_run);
		pthread_cond_destroy(&st->ckpt_wake);
	}
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

/* The database itself, for tests that damage it on purpose. */
sqlite3 *
bus_store_db(struct bus_store *st)
{
	return st->db;
}

/*
 * The allow-list's keys (bus-keys), in the table curve_keys, made the
 * first time the keys are read: a hub that never turns CURVE on has none.
 * Rare statements, so prepared each time; a write outside a batch
 * commits at once.
 */
static const char keys_schema[] =
	"CREATE TABLE IF NOT EXISTS curve_keys (key TEXT PRIMARY KEY, person TEXT NOT NULL, "
	"role TEXT NOT NULL, sockets TEXT NOT NULL, topics TEXT NOT NULL, "
	"revoked INTEGER NOT NULL, changed_at INTEGER NOT NULL)";
static const char keys_select[] =
	"SELECT key, person, role, sockets, topics, revoked, changed_at FROM curve_keys";
static const char keys_upsert[] =
	"INSERT INTO curve_keys (key, person, role, sockets, topics, revoked, changed_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO UPDATE SET "
	"person = ?2, role = ?3, sockets = ?4, topics = ?5, revoked = ?6, changed_at = ?7";

int
bus_store_keys(struct bus_store *st, bus_store_key_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;

	if (sqlite3_exec(st->db, keys_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, keys_select, -1, &s, NULL) != SQLITE_OK) {
		xasprintf(cause, "keys: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct bus_store_key_row row = {
			(const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1),
			(const char *)sqlite3_column_text(s, 2),
			(const char *)sqlite3_column_text(s, 3),
			(const char *)sqlite3_column_text(s, 4),
			sqlite3_column_int(s, 5), sqlite3_column_int64(s, 6),
		};
		if (row.key == NULL || row.person == NULL || row.role == NULL ||
		    row.sockets == NULL || row.topics == NULL)
			continue; /* NOT NULL columns: only a damaged file has these */
		if (cb(&row, arg) != 0)
			break;
	}
	sqlite3_finalize(s);
	return 0;
}

int
bus_store_put_key(struct bus_store *st, const struct bus_store_key_row *row, char **cause)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, keys_upsert, -1, &s, NULL) != SQLITE_OK) {
		xasprintf(cause, "keys: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	sqlite3_bind_text(s, 1, row->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, row->person, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, row->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, row->sockets, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, row->topics, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, row->revoked);
	sqlite3_bind_int64(s, 7, row->changed_at);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "keys: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}
