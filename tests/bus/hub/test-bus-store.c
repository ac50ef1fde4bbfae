/* The SQLite store (bus/hub/bus-store.c) on a real file in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-log.h"
#include "bus-store.h"
#include "bus-time.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	strcpy(f->dir, "/tmp/watchfloor-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/hub.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct bus_store *
open_store(struct fixture *f)
{
	char *cause = NULL;
	struct bus_store *st = bus_store_open(f->path, "normal", BUS_STORE_WAL_LIMIT, &cause);

	if (st == NULL)
		fail_msg("open: %s", cause);
	return st;
}

static char last_body[256];

static int
count_object(const char *kind, const char *id, const char *body, size_t len, void *arg)
{
	(void)kind;
	(void)id;
	assert_int_equal(len, strlen(body));
	snprintf(last_body, sizeof last_body, "%s", body);
	(*(int *)arg)++;
	return 0;
}

static int
collect_text(const char *text, void *arg)
{
	char *out = arg;

	strcat(out, text);
	strcat(out, ";");
	return 0;
}

struct collected {
	int64_t seqs[16];
	int n;
};

static int
collect_event(int64_t seq, const char *topic, const char *body, void *arg)
{
	struct collected *c = arg;
	(void)topic;
	(void)body;
	c->seqs[c->n++] = seq;
	return 0;
}

static void
test_commit_survives_reopen(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;
	int n = 0;

	assert_int_equal(bus_store_last_seq(st), 0);
	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_event(st, 1, 1000, "case.A", "{\"id\":\"A\"}", &cause), 0);
	assert_int_equal(bus_store_put_object(st, "case", "A", 1, &cause), 0);
	assert_int_equal(bus_store_put_event(st, 2, 1001, "case.A", "{\"id\":\"A\",\"v\":2}", &cause), 0);
	assert_int_equal(bus_store_put_object(st, "case", "A", 2, &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	bus_store_close(st);

	st = open_store(f);
	assert_int_equal(bus_store_last_seq(st), 2);
	assert_int_equal(bus_store_load(st, count_object, &n, &cause), 0);
	assert_int_equal(n, 1); /* one object, at its latest state */
	assert_string_equal(last_body, "{\"id\":\"A\",\"v\":2}");
	bus_store_close(st);
}

static void
test_rollback_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;
	int n = 0;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_event(st, 1, 1000, "case.A", "{}", &cause), 0);
	assert_int_equal(bus_store_put_object(st, "case", "A", 1, &cause), 0);
	bus_store_rollback(st);
	assert_int_equal(bus_store_last_seq(st), 0);
	assert_int_equal(bus_store_load(st, count_object, &n, &cause), 0);
	assert_int_equal(n, 0);
	bus_store_close(st);
}

static void
test_duplicate_seq_fails_the_batch(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_event(st, 1, 1000, "a", "{}", &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	/* A sequence number is never reused: the store refuses it. */
	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_event(st, 1, 1000, "b", "{}", &cause), -1);
	assert_non_null(strstr(cause, "writing the journal"));
	free(cause);
	bus_store_rollback(st);
	assert_int_equal(bus_store_last_seq(st), 1);
	bus_store_close(st);
}

static void
test_replay_pages_in_order(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	struct collected c = { { 0 }, 0 };
	char *cause = NULL;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	for (int i = 1; i <= 10; i++)
		assert_int_equal(bus_store_put_event(st, i, 1000 + i, "t", "{}", &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	assert_int_equal(bus_store_replay(st, 3, 4, collect_event, &c, &cause), 0);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(c.seqs[i], 4 + i);
	bus_store_close(st);
}

static void
test_delete_and_meta(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;
	int64_t v = 0;
	int n = 0;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_event(st, 1, 1000, "staff.mori", "{}", &cause), 0);
	assert_int_equal(bus_store_put_object(st, "staff", "mori", 1, &cause), 0);
	assert_int_equal(bus_store_meta_set(st, "k", 42, &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_delete_object(st, "staff", "mori", &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	assert_int_equal(bus_store_load(st, count_object, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bus_store_meta_get(st, "k", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(bus_store_meta_get(st, "missing", &v), -1);
	bus_store_close(st);
}

static void
test_timeline_pages(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL, out[256] = "";

	assert_int_equal(bus_store_begin(st, &cause), 0);
	for (int i = 1; i <= 5; i++) {
		char entry[16];
		snprintf(entry, sizeof entry, "e%d", i);
		assert_int_equal(bus_store_put_timeline(st, "ICS-1", i, 1000 + i, entry, &cause), 0);
	}
	assert_int_equal(bus_store_put_timeline(st, "ICS-2", 1, 1000, "other", &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	assert_int_equal(bus_store_timeline(st, "ICS-1", 1, 3, collect_text, out, &cause), 0);
	assert_string_equal(out, "e2;e3;e4;");
	/* An entry's place in its timeline is written once. */
	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_timeline(st, "ICS-1", 5, 2000, "again", &cause), -1);
	free(cause);
	bus_store_rollback(st);
	bus_store_close(st);
}

static void
test_bad_settings_refused(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;

	assert_null(bus_store_open(f->path, "sometimes", BUS_STORE_WAL_LIMIT, &cause));
	assert_non_null(strstr(cause, "synchronous must be"));
	free(cause);
	cause = NULL;
	assert_null(bus_store_open("/nonexistent-dir/x/hub.db", "normal", BUS_STORE_WAL_LIMIT,
	    &cause));
	assert_non_null(strstr(cause, "cannot open database"));
	free(cause);
	cause = NULL;
	assert_null(bus_store_open(f->path, "normal", 4096, &cause));
	assert_non_null(strstr(cause, "the WAL limit must be at least 129 KiB with pages of "
	    "4096 bytes, not 4096 bytes"));
	free(cause);
}

static void
put_audit(struct bus_store *st, int64_t ts, const char *case_id, const char *message)
{
	struct bus_store_audit_row row = { 0, ts, "mori", "lead", "ack", case_id, NULL,
		message != NULL ? "forbidden" : "ok", message, "{}" };
	char *cause = NULL;

	if (bus_store_put_audit(st, &row, &cause) != 0)
		fail_msg("put_audit: %s", cause);
}

/* "id:case:message;" for each row. */
static int
collect_audit(const struct bus_store_audit_row *row, void *arg)
{
	char *out = arg;

	sprintf(out + strlen(out), "%lld:%s:%s;", (long long)row->id,
	    row->case_id != NULL ? row->case_id : "-", row->message != NULL ? row->message : "-");
	return 0;
}

static void
audit_query(struct bus_store *st, int64_t since, const char *case_id, int64_t after,
    int limit, const char *want)
{
	char out[512] = "", *cause = NULL;

	assert_int_equal(bus_store_audit(st, since, case_id, after, limit, collect_audit, out,
	    &cause), 0);
	assert_string_equal(out, want);
}

static void
test_audit_filters(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	put_audit(st, 1000, "A", NULL);
	put_audit(st, 1001, "B", "No.");
	put_audit(st, 1002, NULL, NULL);
	put_audit(st, 1003, "A", NULL);
	put_audit(st, 1004, "B", NULL);
	put_audit(st, 1005, "A", "Not now.");
	assert_int_equal(bus_store_commit(st, &cause), 0);
	audit_query(st, INT64_MIN, NULL, 0, 100,
	    "1:A:-;2:B:No.;3:-:-;4:A:-;5:B:-;6:A:Not now.;");
	audit_query(st, 1003, NULL, 0, 100, "4:A:-;5:B:-;6:A:Not now.;");
	audit_query(st, INT64_MIN, "A", 0, 100, "1:A:-;4:A:-;6:A:Not now.;");
	audit_query(st, INT64_MIN, "A", 1, 1, "4:A:-;");
	audit_query(st, 1002, "B", 0, 100, "5:B:-;");
	audit_query(st, INT64_MIN, "C", 0, 100, "");
	audit_query(st, INT64_MIN, NULL, 2, 2, "3:-:-;4:A:-;");
	/* A row rolled back with its batch is not there. */
	assert_int_equal(bus_store_begin(st, &cause), 0);
	put_audit(st, 2000, "A", NULL);
	bus_store_rollback(st);
	audit_query(st, 1005, NULL, 0, 100, "6:A:Not now.;");
	bus_store_close(st);
}

/* Any connection's UPDATE, DELETE or REPLACE is refused by the database. */
static void
test_audit_append_only(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	static const char *const attempts[] = {
		"UPDATE audit SET message = NULL",
		"DELETE FROM audit WHERE id = 2",
		"DELETE FROM audit",
		"INSERT OR REPLACE INTO audit(id, ts, person, role, op, outcome, args) "
		"VALUES (1, 0, 'x', 'lead', 'ack', 'ok', '{}')",
	};
	char *cause = NULL;
	sqlite3 *db;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	put_audit(st, 1000, "A", NULL);
	put_audit(st, 1001, "B", "No.");
	assert_int_equal(bus_store_commit(st, &cause), 0);
	bus_store_close(st);

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
		char *err = NULL;
		assert_int_equal(sqlite3_exec(db, attempts[i], NULL, NULL, &err), SQLITE_CONSTRAINT);
		assert_string_equal(err, "the audit trail is append-only");
		sqlite3_free(err);
	}
	sqlite3_close(db);
	st = open_store(f);
	audit_query(st, INT64_MIN, NULL, 0, 100, "1:A:-;2:B:No.;");
	bus_store_close(st);
}

static const char *const timeline_attempts[] = {
	"UPDATE timeline SET entry = 'rewritten'",
	"UPDATE timeline SET ts = 0 WHERE case_id = 'ICS-1' AND n = 2",
	"DELETE FROM timeline WHERE case_id = 'ICS-1' AND n = 1",
	"DELETE FROM timeline",
	"INSERT OR REPLACE INTO timeline(case_id, n, ts, entry) VALUES ('ICS-1', 1, 0, 'x')",
	"REPLACE INTO timeline(case_id, n, ts, entry) VALUES ('ICS-1', 2, 0, 'x')",
	"INSERT INTO timeline(case_id, n, ts, entry) VALUES ('ICS-1', 2, 0, 'x') "
	"ON CONFLICT(case_id, n) DO UPDATE SET entry = 'x'",
};

/* Every one of timeline_attempts fails on DB with the sentence, and the
 * timeline is still "e1;e2;". */
static void
assert_timeline_refuses(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof timeline_attempts / sizeof timeline_attempts[0]; i++) {
		char *err = NULL;
		int rc = sqlite3_exec(db, timeline_attempts[i], NULL, NULL, &err);
		if (rc != SQLITE_CONSTRAINT || err == NULL ||
		    strcmp(err, "the case timeline is append-only") != 0)
			fail_msg("%s: rc %d (%s); expected the append-only refusal",
			    timeline_attempts[i], rc, err != NULL ? err : "no message");
		sqlite3_free(err);
	}
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(entry, ';') FROM "
	    "(SELECT entry FROM timeline ORDER BY case_id, n)", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "e1;e2");
	sqlite3_finalize(s);
}

/* Any connection's UPDATE, DELETE or REPLACE of a timeline entry is
 * refused by the database, as the audit trail's. */
static void
test_timeline_append_only(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;
	sqlite3 *db;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	assert_int_equal(bus_store_put_timeline(st, "ICS-1", 1, 1000, "e1", &cause), 0);
	assert_int_equal(bus_store_put_timeline(st, "ICS-1", 2, 1001, "e2", &cause), 0);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	bus_store_close(st);

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_timeline_refuses(db);
	sqlite3_close(db);
}

/* A database as version 2 made it (the audit trail append-only, the
 * timeline not) gets the timeline's triggers at open and version 3; a
 * newer version than this one is refused. */
static void
test_timeline_locked_in_version_2_database(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, out[64] = "";
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "PRAGMA journal_mode=WAL;"
	    "CREATE TABLE journal (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	    "  topic TEXT NOT NULL, body TEXT NOT NULL);"
	    "CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
	    "  PRIMARY KEY (kind, id)) WITHOUT ROWID;"
	    "CREATE TABLE timeline (case_id TEXT NOT NULL, n INTEGER NOT NULL,"
	    "  ts INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (case_id, n)) WITHOUT ROWID;"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,"
	    "  person TEXT NOT NULL, role TEXT NOT NULL, op TEXT NOT NULL, case_id TEXT,"
	    "  team TEXT, outcome TEXT NOT NULL, message TEXT, args TEXT NOT NULL);"
	    "CREATE INDEX audit_case ON audit(case_id);"
	    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	    "CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit"
	    "  WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	    "INSERT INTO timeline VALUES ('ICS-1', 1, 1000, 'e1');"
	    "INSERT INTO timeline VALUES ('ICS-1', 2, 1001, 'e2');"
	    "INSERT INTO timeline VALUES ('ICS-1', 3, 1002, 'e3');"
	    "PRAGMA user_version=2;", NULL, NULL, NULL), SQLITE_OK);
	/* Version 2 let anyone rewrite the timeline. */
	assert_int_equal(sqlite3_exec(db, "DELETE FROM timeline WHERE n = 3", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	struct bus_store *st = open_store(f);
	assert_int_equal(bus_store_timeline(st, "ICS-1", 0, 10, collect_text, out, &cause), 0);
	assert_string_equal(out, "e1;e2;");
	bus_store_close(st);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	assert_timeline_refuses(db);
	/* What a later watchd might make: this one refuses it. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=4", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(bus_store_open(f->path, "normal", BUS_STORE_WAL_LIMIT, &cause));
	assert_non_null(strstr(cause, "has schema version 4; this watchd knows version 3"));
	free(cause);
}

/* ------------------------------------------------------------------ */
/* The WAL's limit. */

#define SMALL_WAL_LIMIT (256 * 1024)

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void
wal_path(const struct fixture *f, char *out, size_t len)
{
	snprintf(out, len, "%s-wal", f->path);
}

/* One batch like a busy turn's: EVENTS events of about 400 bytes, their
 * objects and a timeline entry each. */
static void
commit_batch(struct bus_store *st, int64_t *seq, int events)
{
	char body[512], topic[32], id[16], *cause = NULL;

	if (bus_store_begin(st, &cause) != 0)
		fail_msg("begin: %s", cause);
	for (int i = 0; i < events; i++) {
		int64_t n = ++*seq;
		snprintf(id, sizeof id, "C-%lld", (long long)(n % 500));
		snprintf(topic, sizeof topic, "case.%s", id);
		snprintf(body, sizeof body, "{\"id\":\"%s\",\"seq\":%lld,\"summary\":\"%0380d\"}",
		    id, (long long)n, 0);
		if (bus_store_put_event(st, n, 1000 + n, topic, body, &cause) != 0 ||
		    bus_store_put_object(st, "case", id, n, &cause) != 0 ||
		    bus_store_put_timeline(st, id, n, 1000 + n, "{\"action\":\"updated\"}",
		    &cause) != 0)
			fail_msg("batch: %s", cause);
	}
	if (bus_store_commit(st, &cause) != 0)
		fail_msg("commit: %s", cause);
}

/*
 * Commit after commit, the -wal file never grows past the limit: the
 * checkpoints copy the pages into the database and the WAL starts again.
 * (Without working checkpoints it grows by every commit: 3,000 of these
 * make about 40 MB.) The file is looked at after every commit.
 */
static void
test_wal_stays_under_its_limit(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, wal[160];
	struct bus_store *st = bus_store_open(f->path, "normal", SMALL_WAL_LIMIT, &cause);
	long long largest = 0;
	int64_t seq = 0;

	if (st == NULL)
		fail_msg("open: %s", cause);
	wal_path(f, wal, sizeof wal);
	for (int i = 0; i < 3000; i++) {
		commit_batch(st, &seq, 8);
		long long size = file_size(wal);
		if (size > largest)
			largest = size;
		if (size > SMALL_WAL_LIMIT)
			fail_msg("after commit %d the -wal file is %lld bytes, over its limit of %d",
			    i + 1, size, SMALL_WAL_LIMIT);
	}
	print_message("# largest -wal file %lld bytes (limit %d); database %lld bytes\n",
	    largest, SMALL_WAL_LIMIT, file_size(f->path));
	assert_int_equal(bus_store_last_seq(st), seq);
	bus_store_close(st);
	/* All of it is in the database. */
	st = open_store(f);
	assert_int_equal(bus_store_last_seq(st), seq);
	bus_store_close(st);
}

/*
 * The checkpointer thread itself copies pages into the database: a WAL past
 * the size that wakes it (a sixteenth of the limit) but short of the
 * quarter at which the loop would checkpoint reaches the database file,
 * with no more commits, within a deadline.
 */
static void
test_checkpointer_copies_on_its_own(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, wal[160];
	struct bus_store *st = bus_store_open(f->path, "normal", SMALL_WAL_LIMIT, &cause);
	int64_t seq = 0;

	if (st == NULL)
		fail_msg("open: %s", cause);
	wal_path(f, wal, sizeof wal);
	long long db0 = file_size(f->path);
	commit_batch(st, &seq, 20);
	long long frames = (file_size(wal) - 32) / (4096 + 24);
	long long limit_frames = (SMALL_WAL_LIMIT - 32) / (4096 + 24);
	if (frames < limit_frames / 16 || frames >= limit_frames / 4)
		fail_msg("the commit left %lld pages in the WAL, not from %lld to %lld", frames,
		    limit_frames / 16, limit_frames / 4 - 1);
	int64_t deadline = bus_time_mono_ms() + 10000;
	while (file_size(f->path) <= db0 && bus_time_mono_ms() < deadline)
		usleep(10 * 1000);
	if (file_size(f->path) <= db0)
		fail_msg("the database is still %lld bytes: the checkpointer copied nothing "
		    "of the WAL's %lld pages", db0, frames);
	bus_store_close(st);
}

/*
 * A hub killed (kill -9) leaves its WAL as it was; the next open copies it
 * into the database and truncates it before anything else is written.
 */
static void
test_open_checkpoints_a_killed_hubs_wal(void **state)
{
	struct fixture *f = *state;
	char wal[160], *cause = NULL;
	int status;

	wal_path(f, wal, sizeof wal);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A writer that never checkpoints, killed with its WAL. */
		struct bus_store *st = bus_store_open(f->path, "normal", BUS_STORE_WAL_LIMIT,
		    &cause);
		int64_t seq = 0;
		sqlite3 *db = st != NULL ? bus_store_db(st) : NULL;
		if (db == NULL || sqlite3_wal_hook(db, NULL, NULL) == NULL)
			_exit(2);
		for (int i = 0; i < 200; i++)
			commit_batch(st, &seq, 8);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	long long left = file_size(wal);
	assert_true(left > SMALL_WAL_LIMIT);

	struct bus_store *st = bus_store_open(f->path, "normal", SMALL_WAL_LIMIT, &cause);
	if (st == NULL)
		fail_msg("open: %s", cause);
	long long now = file_size(wal);
	print_message("# -wal file %lld bytes after the kill, %lld after the open\n", left, now);
	if (now > SMALL_WAL_LIMIT)
		fail_msg("the open left the -wal file at %lld bytes, over its limit of %d", now,
		    SMALL_WAL_LIMIT);
	assert_int_equal(bus_store_last_seq(st), 200 * 8);
	bus_store_close(st);
}

/*
 * A reader that holds an old snapshot (another process's open read) keeps
 * the WAL from starting again: the checkpoints' lack of progress is logged
 * with the reason, and once the reader ends the WAL comes back within its
 * limit.
 */
static void
test_reader_holding_the_wal_is_logged(void **state)
{
	struct fixture *f = *state;
	char wal[160], logpath[160], *cause = NULL;
	int64_t seq = 0;
	sqlite3 *reader;

	wal_path(f, wal, sizeof wal);
	snprintf(logpath, sizeof logpath, "%s/store.log", f->dir);
	assert_int_equal(bus_log_open(logpath, 0, &cause), 0);
	struct bus_store *st = bus_store_open(f->path, "normal", SMALL_WAL_LIMIT, &cause);
	if (st == NULL)
		fail_msg("open: %s", cause);
	commit_batch(st, &seq, 8);
	assert_int_equal(sqlite3_open_v2(f->path, &reader, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT COUNT(*) FROM journal;", NULL, NULL,
	    NULL), SQLITE_OK);
	for (int i = 0; i < 100; i++)
		commit_batch(st, &seq, 8);
	long long pinned = file_size(wal);
	assert_true(pinned > SMALL_WAL_LIMIT);

	assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(reader);
	for (int i = 0; i < 100; i++)
		commit_batch(st, &seq, 8);
	long long after = file_size(wal);
	print_message("# -wal file %lld bytes while a reader held it, %lld after (limit %d)\n",
	    pinned, after, SMALL_WAL_LIMIT);
	assert_true(after <= SMALL_WAL_LIMIT);
	bus_store_close(st);
	bus_log_close();

	FILE *lf = fopen(logpath, "r");
	char line[1024];
	int warned = 0, again = 0;
	assert_non_null(lf);
	while (fgets(line, sizeof line, lf) != NULL) {
		if (strstr(line, "warn: checkpoint: no progress in 3 passes") != NULL &&
		    strstr(line, "holds an old snapshot") != NULL) {
			print_message("# logged: %s", strchr(line, ' ') + 1);
			warned = 1;
		}
		again |= strstr(line, "info: checkpoint: copying again") != NULL;
	}
	fclose(lf);
	if (!warned || !again)
		fail_msg("the log (%s) does not say that a reader held the WAL (%d) and that "
		    "checkpoints went on after it (%d)", logpath, warned, again);
}

static int
stop_at_first_object(const char *kind, const char *id, const char *body, size_t len,
    void *arg)
{
	(void)kind;
	(void)id;
	(void)body;
	(void)len;
	(void)arg;
	return 1;
}

static int
stop_at_first_event(int64_t seq, const char *topic, const char *body, void *arg)
{
	(void)seq;
	(void)topic;
	(void)body;
	(void)arg;
	return 1;
}

static int
stop_at_first_text(const char *text, void *arg)
{
	(void)text;
	(void)arg;
	return 1;
}

static int
stop_at_first_audit(const struct bus_store_audit_row *row, void *arg)
{
	(void)row;
	(void)arg;
	return 1;
}

/* No statement of the store's is left in the middle of its rows. */
static void
assert_no_read_open(struct bus_store *st, const char *after)
{
	sqlite3 *db = bus_store_db(st);

	for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s != NULL;
	    s = sqlite3_next_stmt(db, s)) {
		if (sqlite3_stmt_busy(s))
			fail_msg("after %s, '%s' still holds a read open", after, sqlite3_sql(s));
	}
	assert_true(sqlite3_get_autocommit(db));
}

/*
 * A statement left unreset keeps a read transaction, whose snapshot the
 * WAL cannot start again past: every read of the store, stopped early by
 * its callback or not, ends its statement.
 */
static void
test_reads_leave_no_snapshot_open(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL, out[512] = "";
	int64_t seq = 0, v;
	int n = 0;

	commit_batch(st, &seq, 20);
	assert_int_equal(bus_store_begin(st, &cause), 0);
	put_audit(st, 1000, "C-1", NULL);
	put_audit(st, 1001, "C-1", NULL);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	assert_no_read_open(st, "the writes");

	assert_int_equal(bus_store_last_seq(st), seq);
	assert_no_read_open(st, "bus_store_last_seq");
	bus_store_meta_get(st, "nothing", &v);
	assert_no_read_open(st, "bus_store_meta_get");
	assert_int_equal(bus_store_load(st, count_object, &n, &cause), 0);
	assert_no_read_open(st, "bus_store_load");
	assert_int_equal(bus_store_load(st, stop_at_first_object, NULL, &cause), -1);
	assert_no_read_open(st, "bus_store_load stopped early");
	assert_int_equal(bus_store_replay(st, 0, 100, stop_at_first_event, NULL, &cause), 0);
	assert_no_read_open(st, "bus_store_replay stopped early");
	assert_int_equal(bus_store_timeline(st, "C-1", 0, 100, collect_text, out, &cause), 0);
	assert_int_equal(bus_store_timeline(st, "C-1", 0, 100, stop_at_first_text, NULL,
	    &cause), 0);
	assert_no_read_open(st, "bus_store_timeline");
	assert_int_equal(bus_store_audit(st, INT64_MIN, "C-1", 0, 100, stop_at_first_audit, NULL,
	    &cause), 0);
	assert_int_equal(bus_store_audit(st, INT64_MIN, NULL, 0, 100, stop_at_first_audit, NULL,
	    &cause), 0);
	assert_no_read_open(st, "bus_store_audit");
	bus_store_close(st);
}

/*
 * What the hub reads at every start (bus_store_load, bus_store_last_seq)
 * must not grow with the journal: the load looks each object's body up by
 * its seq, the journal's key, and the last seq is the key's end. No
 * statement the store prepares scans the journal or a timeline (the only
 * scan is the load's, of the objects), or sorts in a temporary b-tree.
 */
static void
test_no_statement_scans_the_journal(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	sqlite3 *db = bus_store_db(st);
	int nstmt = 0, load_searches = 0;

	for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s != NULL;
	    s = sqlite3_next_stmt(db, s)) {
		char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(s));
		sqlite3_stmt *plan;
		nstmt++;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &plan, NULL), SQLITE_OK);
		while (sqlite3_step(plan) == SQLITE_ROW) {
			const char *row = (const char *)sqlite3_column_text(plan, 3);
			if ((strncmp(row, "SCAN ", 5) == 0 && strcmp(row, "SCAN o") != 0) ||
			    strstr(row, "TEMP B-TREE") != NULL)
				fail_msg("'%s' plans '%s'", sqlite3_sql(s), row);
			if (strcmp(row, "SEARCH j USING INTEGER PRIMARY KEY (rowid=?)") == 0)
				load_searches++;
		}
		sqlite3_finalize(plan);
		sqlite3_free(sql);
	}
	assert_true(nstmt > 10);
	assert_int_equal(load_searches, 1);
	bus_store_close(st);
}

/* Loading two objects and the last seq of a 3,000-event journal takes a
 * few steps of SQLite's machine, not thousands. */
static void
test_load_reads_objects_not_the_journal(void **state)
{
	struct fixture *f = *state;
	struct bus_store *st = open_store(f);
	char *cause = NULL;
	int n = 0;

	assert_int_equal(bus_store_begin(st, &cause), 0);
	for (int i = 1; i <= 3000; i++) {
		const char *id = i % 2 ? "A" : "B";
		char topic[16];
		snprintf(topic, sizeof topic, "case.%s", id);
		assert_int_equal(bus_store_put_event(st, i, 1000 + i, topic, "{}", &cause), 0);
		assert_int_equal(bus_store_put_object(st, "case", id, i, &cause), 0);
	}
	assert_int_equal(bus_store_commit(st, &cause), 0);
	bus_store_close(st);

	st = open_store(f);
	sqlite3 *db = bus_store_db(st);
	assert_int_equal(bus_store_load(st, count_object, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bus_store_last_seq(st), 3000);
	int steps = 0, scanned = 0;
	for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s != NULL;
	    s = sqlite3_next_stmt(db, s)) {
		steps += sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 0);
		scanned += sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
	}
	assert_true(scanned <= 2); /* the two objects */
	assert_true(steps < 200);
	bus_store_close(st);
}

/* A database as version 1 made it (no audit table) gets the table and
 * keeps what it had. */
static void
test_audit_added_to_old_database(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	char *cause = NULL;
	int n = 0;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "PRAGMA journal_mode=WAL;"
	    "CREATE TABLE journal (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	    "  topic TEXT NOT NULL, body TEXT NOT NULL);"
	    "CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
	    "  PRIMARY KEY (kind, id)) WITHOUT ROWID;"
	    "CREATE TABLE timeline (case_id TEXT NOT NULL, n INTEGER NOT NULL,"
	    "  ts INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (case_id, n)) WITHOUT ROWID;"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	    "INSERT INTO journal VALUES (1, 1000, 'case.A', '{\"id\":\"A\"}');"
	    "INSERT INTO objects VALUES ('case', 'A', 1);"
	    "PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct bus_store *st = open_store(f);
	assert_int_equal(bus_store_last_seq(st), 1);
	assert_int_equal(bus_store_load(st, count_object, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bus_store_begin(st, &cause), 0);
	put_audit(st, 1000, "A", NULL);
	assert_int_equal(bus_store_commit(st, &cause), 0);
	audit_query(st, INT64_MIN, NULL, 0, 100, "1:A:-;");
	bus_store_close(st);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_seq_fails_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_pages_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeline_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_settings_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_added_to_old_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeline_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeline_locked_in_version_2_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_stays_under_its_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpointer_copies_on_its_own, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_checkpoints_a_killed_hubs_wal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reads_leave_no_snapshot_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_holding_the_wal_is_logged, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_statement_scans_the_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_reads_objects_not_the_journal, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
