/*
 * A real watchd whose database lives on a small tmpfs that fills up. While
 * the filesystem is full the hub must refuse changes with store_full (its
 * sentence naming the database and the lack of space), say "store": "full"
 * in its heartbeats and stats, keep serving reads, and lose nothing it
 * acknowledged before; once the filler is deleted it must accept again by
 * itself, and after a clean stop the database must pass integrity_check
 * and hold every acknowledged report exactly once.
 *
 * Needs root (mount -t tmpfs): without it, or if the mount fails, the
 * program exits 77, which ctest reports as skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-time.h"
#include "test-console.h"

#define WAIT TEST_HUB_WAIT_MS
#define RECOVER_MS 20000 /* upper bound for accepting again once space is back */
#define NBEFORE 12       /* reports acknowledged before the disk fills */
#define TMPFS_SIZE "size=2m"

struct fault {
	struct test_hub *h;
	struct console_fx consoles; /* a console watching, on the same hub */
	char mnt[280];
	char filler[300];
	int mounted;
};

static int
setup(void **state)
{
	struct fault *f = calloc(1, sizeof *f);
	void *hs;

	if (f == NULL || test_hub_fixture_setup(&hs, "fault-disk-full") != 0)
		return -1;
	f->h = hs;
	f->consoles.h = f->h;
	snprintf(f->mnt, sizeof f->mnt, "%s/small", f->h->dir);
	snprintf(f->filler, sizeof f->filler, "%s/filler", f->mnt);
	if (mkdir(f->mnt, 0700) != 0 ||
	    mount("tmpfs", f->mnt, "tmpfs", 0, TMPFS_SIZE ",mode=0700") != 0) {
		fprintf(stderr, "cannot mount a tmpfs on %s: %s\n", f->mnt, strerror(errno));
		return -1;
	}
	f->mounted = 1;
	/* The database, its WAL and shm on the small filesystem. */
	snprintf(f->h->db, sizeof f->h->db, "%s/hub.db", f->mnt);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fault *f = *state;
	void *hs = f->h;

	for (int i = 0; i < MAX_CONSOLES; i++)
		test_term_free(f->consoles.t[i]);
	/* The hub holds files on the tmpfs: stop it before unmounting. */
	if (test_hub_running(f->h))
		test_hub_stop(f->h, SIGKILL);
	if (f->mounted && umount2(f->mnt, MNT_DETACH) != 0)
		fprintf(stderr, "cannot unmount %s: %s\n", f->mnt, strerror(errno));
	test_hub_fixture_teardown(&hs);
	free(f);
	return 0;
}

/* Write a filler file until the filesystem has no space left. */
static void
fill(const char *path)
{
	static char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t size = sizeof block;

	assert_true(fd >= 0);
	memset(block, 'x', sizeof block);
	/* Smaller and smaller writes take the last partial blocks too. */
	while (size > 0) {
		ssize_t w = write(fd, block, size);
		if (w < 0) {
			assert_int_equal(errno, ENOSPC);
			size /= 2;
		}
	}
	close(fd);
}

static json_t *
incident(const char *ref, int i)
{
	char title[64];

	snprintf(title, sizeof title, "Disk-full drill report %d", i);
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:i}}", "topic", "incident", "body",
	    "ref", ref, "title", title, "org", "Lakeside Water", "sector", "water", "level", 2);
}

/* A heartbeat on SUB whose "store" is WANT, within TIMEOUT_MS: 0 or -1. */
static int
wait_heartbeat_store(void *sub, const char *want, int timeout_ms)
{
	int64_t end = bus_time_mono_ms() + timeout_ms;

	while (bus_time_mono_ms() < end) {
		json_t *hb;
		if (test_sub_wait(sub, "hub.heartbeat", NULL, &hb, (int)(end - bus_time_mono_ms()))
		    != 0)
			return -1;
		const char *store = test_jstr(hb, "store");
		int match = store != NULL && strcmp(store, want) == 0;
		json_decref(hb);
		if (match)
			return 0;
	}
	return -1;
}

/* Every acknowledged ref must be on exactly one case of the snapshot. */
static void
assert_refs_in_snapshot(json_t *snap, char refs[][32], int n)
{
	json_t *cases = json_object_get(snap, "cases");

	for (int i = 0; i < n; i++) {
		if (test_jcount(cases, "ref", refs[i]) != 1)
			fail_msg("acknowledged report %s is on %zu cases, not 1", refs[i],
			    test_jcount(cases, "ref", refs[i]));
	}
}

/* One integer from SQL on DB; the test fails if it cannot be read. */
static sqlite3_int64
sql_int(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	sqlite3_int64 v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (arg != NULL)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
test_disk_full_refuses_then_recovers(void **state)
{
	struct fault *f = *state;
	struct test_hub *h = f->h;
	char refs[NBEFORE + 1][32];
	int nrefs = 0;
	json_t *r;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_sub(h, "hub.");
	assert_non_null(sub);
	void *consoles = &f->consoles;
	struct test_term *t = console_spawn(&consoles, 0, 24, 110, "mori", NULL);
	EXPECT_ROW(t, 0, " CONNECTED ");

	/* Acknowledged reports: each ok reply means committed. */
	for (int i = 0; i < NBEFORE; i++) {
		snprintf(refs[nrefs], sizeof refs[nrefs], "drill-%02d", i);
		test_hub_ok_(h, "chen", "report", incident(refs[nrefs], i));
		nrefs++;
	}
	json_t *before = test_hub_snapshot(h);
	assert_non_null(before);
	json_int_t seq_before = test_jint(before, "seq");
	assert_true(seq_before > 0);
	json_t *stats = test_hub_stats(h);
	assert_non_null(stats);
	assert_string_equal(test_jstr(stats, "store"), "ok");
	json_decref(stats);

	/* Fill the filesystem; the next change cannot be committed. Its reply
	 * (the commit that finds the disk full) or the refusal that follows
	 * must be store_full, with a sentence naming the database. */
	fill(f->filler);
	r = test_hub_call(h, "chen", "report", incident("never-stored", 99));
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(test_jstr(r, "error.code"), "store_full");
	const char *msg = test_jstr(r, "error.message");
	assert_non_null(msg);
	assert_non_null(strstr(msg, h->db));
	assert_non_null(strstr(msg, "no space left"));
	json_decref(r);

	/* Every change is refused now, a command as well as a report. */
	r = test_hub_call(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "dams",
	    "level", 2));
	assert_non_null(r);
	assert_string_equal(test_jstr(r, "error.code"), "store_full");
	json_decref(r);
	r = test_hub_call(h, "chen", "report", incident("never-stored", 99));
	assert_non_null(r);
	assert_string_equal(test_jstr(r, "error.code"), "store_full");
	json_decref(r);

	/* Consoles are told: heartbeats say "store": "full", and the top line
	 * says so while the data stays on screen, still live. */
	assert_int_equal(wait_heartbeat_store(sub, "full", WAIT), 0);
	EXPECT_ROW(t, 0, " JOURNAL FULL: the hub refuses changes ");
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT(t, "Open cases (12)");

	/* An ingest message is refused and counted under store_full. */
	stats = test_hub_stats(h);
	assert_non_null(stats);
	assert_string_equal(test_jstr(stats, "store"), "full");
	json_int_t refused = test_jint(stats, "ingest.rejected_by_reason.store_full");
	assert_true(refused >= 1); /* the report refused above */
	json_decref(stats);
	void *push = test_hub_push(h);
	assert_non_null(push);
	assert_int_equal(test_push(push, "incident", "{\"ref\":\"pushed-while-full\","
	    "\"title\":\"Pushed while full\",\"org\":\"Acme\",\"sector\":\"energy\"}"), 0);
	int64_t end = bus_time_mono_ms() + WAIT;
	json_int_t now_refused = refused;
	while (now_refused == refused && bus_time_mono_ms() < end) {
		stats = test_hub_stats(h);
		assert_non_null(stats);
		now_refused = test_jint(stats, "ingest.rejected_by_reason.store_full");
		json_decref(stats);
		if (now_refused == refused)
			usleep(50 * 1000);
	}
	assert_int_equal(now_refused, refused + 1);

	/* Reads still work, and show exactly what was committed: the state
	 * went back to the database, nothing uncommitted shows. */
	json_t *during = test_hub_snapshot(h);
	assert_non_null(during);
	assert_int_equal(test_jint(during, "seq"), seq_before);
	assert_refs_in_snapshot(during, refs, nrefs);
	assert_int_equal(test_jcount(json_object_get(during, "cases"), "ref", "never-stored"), 0);
	json_t *a = test_snapshot_objects(before), *b = test_snapshot_objects(during);
	test_assert_same_objects(a, "before the disk filled", b, "while it is full");
	json_decref(a);
	json_decref(b);
	json_decref(during);
	json_t *journal = test_hub_journal(h, 0);
	assert_non_null(journal);
	assert_int_equal((json_int_t)json_array_size(journal), seq_before);
	json_decref(journal);

	/* Space comes back: the hub accepts again by itself (the same ref
	 * resent until it is ok), and says so in its heartbeats. */
	assert_int_equal(unlink(f->filler), 0);
	snprintf(refs[nrefs], sizeof refs[nrefs], "after-full");
	end = bus_time_mono_ms() + RECOVER_MS;
	int ok = 0;
	while (!ok && bus_time_mono_ms() < end) {
		r = test_hub_call(h, "chen", "report", incident(refs[nrefs], 100));
		assert_non_null(r);
		ok = json_is_true(json_object_get(r, "ok"));
		if (!ok) {
			assert_string_equal(test_jstr(r, "error.code"), "store_full");
			usleep(100 * 1000);
		}
		json_decref(r);
	}
	assert_true(ok);
	nrefs++;
	assert_int_equal(wait_heartbeat_store(sub, "ok", WAIT), 0);
	EXPECT_GONE(t, "JOURNAL FULL");
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "dams",
	    "level", 2));
	json_t *last = test_hub_snapshot(h);
	assert_non_null(last);
	assert_refs_in_snapshot(last, refs, nrefs);
	test_hub_close(h, sub);
	test_hub_close(h, push);

	/* A clean stop; the database is sound and holds every acknowledged
	 * report exactly once, and nothing refused. */
	assert_int_equal(test_hub_stop_clean(h), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	const char *one_case = "SELECT COUNT(*) FROM objects o JOIN journal j ON j.seq = o.seq "
	    "WHERE o.kind = 'case' AND json_extract(j.body, '$.ref') = ?";
	const char *in_journal = "SELECT COUNT(*) FROM journal "
	    "WHERE json_extract(body, '$.ref') = ?";
	for (int i = 0; i < nrefs; i++) {
		if (sql_int(db, one_case, refs[i]) != 1)
			fail_msg("acknowledged report %s is not on exactly one stored case", refs[i]);
		/* Each was sent once (or resent identically): one event. */
		if (sql_int(db, in_journal, refs[i]) != 1)
			fail_msg("acknowledged report %s has %lld journal events, not 1", refs[i],
			    (long long)sql_int(db, in_journal, refs[i]));
	}
	assert_int_equal(sql_int(db, in_journal, "never-stored"), 0);
	assert_int_equal(sql_int(db, in_journal, "pushed-while-full"), 0);
	/* The sequence has no gap and no reuse: refused batches left none. */
	assert_int_equal(sql_int(db, "SELECT COUNT(*) FROM journal", NULL),
	    sql_int(db, "SELECT MAX(seq) FROM journal", NULL));
	sqlite3_close(db);

	/* And a hub restarted on it has the state the last one had. */
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *again = test_hub_snapshot(h);
	assert_non_null(again);
	a = test_snapshot_objects(last);
	b = test_snapshot_objects(again);
	test_assert_same_objects(a, "before the restart", b, "after the restart");
	assert_int_equal(test_jint(again, "seq"), test_jint(last, "seq"));
	json_decref(a);
	json_decref(b);
	json_decref(again);
	json_decref(last);
	json_decref(before);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* Can this process mount a tmpfs? Only then can the tests run. */
static int
can_mount(void)
{
	char dir[] = "/tmp/watchfloor-fault-probe-XXXXXX";
	int ok;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: mounting a small tmpfs needs root\n");
		return 0;
	}
	if (mkdtemp(dir) == NULL)
		return 0;
	ok = mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0;
	if (!ok)
		fprintf(stderr, "skipped: cannot mount a tmpfs: %s\n", strerror(errno));
	else
		umount2(dir, MNT_DETACH);
	rmdir(dir);
	return ok;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_disk_full_refuses_then_recovers, setup,
		    teardown),
	};

	if (!can_mount())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
