/* The SQLite store (bus/bus-store.c) on a real file in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "bus-store.h"

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
	struct bus_store *st = bus_store_open(f->path, "normal", &cause);

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

	assert_null(bus_store_open(f->path, "sometimes", &cause));
	assert_non_null(strstr(cause, "synchronous must be"));
	free(cause);
	cause = NULL;
	assert_null(bus_store_open("/nonexistent-dir/x/hub.db", "normal", &cause));
	assert_non_null(strstr(cause, "cannot open database"));
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
 * keeps what it had; a newer version than this one is refused. */
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
	assert_int_equal(sqlite3_column_int(s, 0), 2);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(bus_store_open(f->path, "normal", &cause));
	assert_non_null(strstr(cause, "has schema version 3; this watchd knows version 2"));
	free(cause);
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
		cmocka_unit_test_setup_teardown(test_no_statement_scans_the_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_reads_objects_not_the_journal, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
