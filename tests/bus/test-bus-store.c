/* The SQLite store (bus/bus-store.c) on a real file in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
count_object(const char *kind, const char *id, const char *body, void *arg)
{
	(void)kind;
	(void)id;
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
