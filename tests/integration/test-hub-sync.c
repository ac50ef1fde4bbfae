/*
 * The console's sync engine (bus/client/bus-sync.c) against a real watchd: the
 * Clone pattern at start, gap repair when the subscription drops events,
 * and resync across a hub restart. The replica must end equal to a fresh
 * snapshot every time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-domain.h"
#include "bus-hub.h"
#include "bus-replica.h"
#include "bus-sync.h"
#include "bus-time.h"
#include "test-hub.h"

struct follower {
	struct event_base *base;
	struct bus_replica *replica;
	struct bus_sync *sync;
	int changes;
};

/* What teardown stops if a test fails: a copy, since the test's own
 * follower is on its stack, and a failed assertion has left that frame. */
static struct follower active;
static int is_active;

static void
on_changed(void *arg)
{
	((struct follower *)arg)->changes++;
}

static void
follower_start(struct follower *f, struct test_hub *h, int rcvhwm, int case_tail)
{
	struct bus_sync_config cfg = { h->events, h->control, "test", 3000, 5000, rcvhwm, NULL,
		case_tail };
	char *cause = NULL;

	memset(f, 0, sizeof *f);
	f->base = event_base_new();
	f->replica = bus_replica_new();
	f->sync = bus_sync_new(f->base, h->zctx, &cfg, f->replica, on_changed, f, &cause);
	if (f->sync == NULL)
		fail_msg("sync: %s", cause);
	active = *f;
	is_active = 1;
}

static void
follower_stop(struct follower *f)
{
	bus_sync_free(f->sync);
	bus_replica_free(f->replica);
	event_base_free(f->base);
	if (f->sync == active.sync)
		is_active = 0;
}

/* A hub in this process and a second follower, for the test that needs
 * them; freed by teardown even when an assertion fails. */
static struct bus_hub *inproc_hub;
static struct follower second;

/* A failed assertion leaves the follower's sockets open; the context
 * cannot end until they are closed. */
static int
teardown(void **state)
{
	bus_sync_free(second.sync);
	bus_replica_free(second.replica);
	memset(&second, 0, sizeof second);
	bus_hub_free(inproc_hub);
	inproc_hub = NULL;
	if (is_active)
		follower_stop(&active);
	return test_hub_fixture_teardown(state);
}

/* Run the follower's loop until it is live at the hub's seq (as the hub's
 * stats say) or the deadline passes. */
static int
follower_catch_up(struct follower *f, struct test_hub *h, int timeout_ms)
{
	int64_t deadline = bus_time_mono_ms() + timeout_ms;
	json_t *stats = test_hub_stats(h);
	json_int_t want = test_jint(stats, "seq");

	json_decref(stats);
	while (bus_time_mono_ms() < deadline) {
		struct timeval tv = { 0, 50000 };
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
		const struct bus_sync_status *st = bus_sync_status(f->sync);
		if (st->state == BUS_SYNC_LIVE && !st->repairing &&
		    bus_replica_seq(f->replica) >= want)
			return 0;
	}
	return -1;
}

/* The replica holds exactly the snapshot's cases, with the same seqs. */
static void
assert_replica_equals_hub(struct follower *f, struct test_hub *h)
{
	json_t *snap = test_hub_snapshot(h);
	size_t i;
	json_t *c;

	assert_int_equal(bus_replica_seq(f->replica), test_jint(snap, "seq"));
	assert_int_equal(bus_replica_count(f->replica, BUS_KIND_CASE),
	    json_array_size(json_object_get(snap, "cases")));
	json_array_foreach(json_object_get(snap, "cases"), i, c) {
		const struct bus_case *mine = bus_replica_find(f->replica, BUS_KIND_CASE,
		    test_jstr(c, "id"));
		if (mine == NULL)
			fail_msg("case %s missing from the replica", test_jstr(c, "id"));
		assert_int_equal(mine->seq, test_jint(c, "seq"));
		assert_int_equal(mine->level, test_jint(c, "level"));
	}
	assert_int_equal(bus_replica_count(f->replica, BUS_KIND_TEAM),
	    json_array_size(json_object_get(snap, "teams")));
	json_decref(snap);
}

static void
push_incidents(struct test_hub *h, void *push, int from, int n)
{
	char body[256];

	for (int i = from; i < from + n; i++) {
		snprintf(body, sizeof body, "{\"title\":\"Incident %d\",\"org\":\"Org %d\","
		    "\"sector\":\"energy\",\"level\":%d,\"ref\":\"sync-%d\"}", i, i % 7, 1 + i % 4,
		    i % 300);
		assert_int_equal(test_push(push, "incident", body), 0);
	}
	(void)h;
}

TEST_HUB_SETUP("sync")

static void
test_clone_at_start_and_live_after(void **state)
{
	struct test_hub *h = *state;
	struct follower f;
	assert_int_equal(test_hub_start(h, NULL), 0);
	void *push = test_hub_own(h, test_hub_push(h));

	push_incidents(h, push, 0, 200); /* history before the console starts */
	follower_start(&f, h, 0, 0);
	assert_int_equal(follower_catch_up(&f, h, 10000), 0);
	assert_replica_equals_hub(&f, h);
	assert_true(bus_sync_status(f.sync)->snapshots >= 1);
	push_incidents(h, push, 200, 300); /* live updates, some of the same refs */
	assert_int_equal(follower_catch_up(&f, h, 10000), 0);
	assert_replica_equals_hub(&f, h);
	follower_stop(&f);
	test_hub_passed(h);
}

/*
 * A hub that queues 50 events for F, and F's socket 50: a burst of N
 * incidents while F is not reading must overflow both. Returns once the
 * hub has taken them all (F has read none of them), for F to catch up.
 */
static void
burst_while_not_reading(struct test_hub *h, struct follower *f, int n)
{
	const char *const small_queue[] = { "--pub-hwm", "50", NULL };
	assert_int_equal(test_hub_start(h, small_queue), 0);
	void *push = test_hub_own(h, test_hub_push(h));

	follower_start(f, h, 50, 0);
	assert_int_equal(follower_catch_up(f, h, 10000), 0);
	push_incidents(h, push, 0, n);
	for (int i = 0; i < 400; i++) {
		json_t *st = test_hub_stats(h);
		json_int_t accepted = test_jint(st, "ingest.accepted");
		json_decref(st);
		if (accepted >= n)
			break;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void
test_dropped_events_are_replayed(void **state)
{
	struct test_hub *h = *state;
	struct follower f;

	burst_while_not_reading(h, &f, 3000);
	assert_int_equal(follower_catch_up(&f, h, 20000), 0);
	assert_true(bus_sync_status(f.sync)->gaps_repaired >= 1);
	assert_replica_equals_hub(&f, h);
	follower_stop(&f);
	test_hub_passed(h);
}

/* Far behind (more than ten replay pages missed), a follower takes a new
 * snapshot instead of replaying page after page: what the floor holds,
 * not what was missed. */
static void
test_far_behind_takes_a_snapshot(void **state)
{
	struct test_hub *h = *state;
	struct follower f;

	burst_while_not_reading(h, &f, 15000);
	assert_int_equal(follower_catch_up(&f, h, 20000), 0);
	/* It may replay the first small gaps while the burst comes in; once
	 * far behind, the second snapshot (replaying all the way, it would
	 * take none). */
	assert_true(bus_sync_status(f.sync)->snapshots >= 2);
	assert_replica_equals_hub(&f, h);
	follower_stop(&f);
	test_hub_passed(h);
}

static void
test_resync_after_restart(void **state)
{
	struct test_hub *h = *state;
	struct follower f;
	assert_int_equal(test_hub_start(h, NULL), 0);
	void *push = test_hub_own(h, test_hub_push(h));

	follower_start(&f, h, 0, 0);
	push_incidents(h, push, 0, 100);
	assert_int_equal(follower_catch_up(&f, h, 10000), 0);
	char hub_before[17];
	snprintf(hub_before, sizeof hub_before, "%s", bus_sync_status(f.sync)->hub_id);

	assert_int_equal(test_hub_stop(h, SIGKILL) != -1, 1);
	/* Silence: the follower must say it is disconnected. */
	int64_t deadline = bus_time_mono_ms() + 6000;
	while (bus_sync_status(f.sync)->state != BUS_SYNC_DISCONNECTED &&
	    bus_time_mono_ms() < deadline) {
		struct timeval tv = { 0, 100000 };
		event_base_loopexit(f.base, &tv);
		event_base_dispatch(f.base);
	}
	assert_int_equal(bus_sync_status(f.sync)->state, BUS_SYNC_DISCONNECTED);

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *push2 = test_hub_own(h, test_hub_push(h));
	push_incidents(h, push2, 100, 100);
	assert_int_equal(follower_catch_up(&f, h, 15000), 0);
	assert_string_not_equal(bus_sync_status(f.sync)->hub_id, hub_before);
	assert_replica_equals_hub(&f, h);
	follower_stop(&f);
	test_hub_passed(h);
}

/* Run the loop shared with the hub in this process, as watchd does (a
 * turn, then the hub's batch), until SYNC is live or 10 s pass. */
static void
run_with_hub(struct event_base *base, struct bus_sync *sync)
{
	int64_t deadline = bus_time_mono_ms() + 10000;

	while (bus_sync_status(sync)->state != BUS_SYNC_LIVE && bus_time_mono_ms() < deadline) {
		struct timeval tv = { 0, 50000 };
		event_base_loopexit(base, &tv);
		event_base_loop(base, EVLOOP_ONCE);
		bus_hub_flush(inproc_hub);
	}
}

/*
 * A new subscriber is heard at once: the hub sends a heartbeat when a
 * subscription reaches it, so a console syncs without waiting for the
 * periodic one. Here the period is ten minutes (a hub in this process),
 * so a follower that goes live did so on the subscription's heartbeat.
 */
static void
test_new_subscriber_heard_at_once(void **state)
{
	struct test_hub *h = *state;
	struct bus_hub_config cfg;
	struct follower f, *g = &second;
	char *cause = NULL;

	bus_hub_config_defaults(&cfg);
	cfg.ingest = h->ingest;
	cfg.events = h->events;
	cfg.control = h->control;
	cfg.db = h->db;
	cfg.heartbeat_ms = 600000;
	follower_start(&f, h, 0, 0);
	inproc_hub = bus_hub_new(f.base, h->zctx, &cfg, &cause);
	if (inproc_hub == NULL)
		fail_msg("hub: %s", cause);
	run_with_hub(f.base, f.sync);
	if (bus_sync_status(f.sync)->state != BUS_SYNC_LIVE)
		fail_msg("not live: %s", bus_sync_status(f.sync)->why);
	assert_int_equal(bus_replica_count(f.replica, BUS_KIND_SECTOR), BUS_NSECTORS);
	/* A second subscriber, later, is welcomed too; the first is unmoved. */
	uint64_t snapshots = bus_sync_status(f.sync)->snapshots;
	struct bus_sync *first = active.sync;
	struct bus_sync_config gc = { h->events, h->control, "test", 3000, 5000, 0, NULL, 0 };
	g->replica = bus_replica_new();
	g->sync = bus_sync_new(f.base, h->zctx, &gc, g->replica, on_changed, g, &cause);
	if (g->sync == NULL)
		fail_msg("sync: %s", cause);
	run_with_hub(f.base, g->sync);
	assert_int_equal(bus_sync_status(g->sync)->state, BUS_SYNC_LIVE);
	assert_int_equal(bus_sync_status(f.sync)->snapshots, snapshots);
	assert_int_equal(bus_sync_status(f.sync)->state, BUS_SYNC_LIVE);
	bus_sync_free(g->sync);
	bus_replica_free(g->replica);
	memset(g, 0, sizeof *g);
	bus_hub_free(inproc_hub);
	inproc_hub = NULL;
	assert_ptr_equal(active.sync, first);
	follower_stop(&f);
	test_hub_passed(h);
}

/* A console keeping 4 timeline entries a case (as watchfloor does) keeps
 * 4 whether a case came in its snapshot or in a live event: the newest,
 * ending at the case's count. */
static void
test_kept_tail_for_snapshot_and_events(void **state)
{
	struct test_hub *h = *state;
	struct follower f;
	assert_int_equal(test_hub_start(h, NULL), 0);
	void *push = test_hub_own(h, test_hub_push(h));

	push_incidents(h, push, 0, 900); /* refs repeat: three reports a case */
	follower_start(&f, h, 0, 4);
	assert_int_equal(follower_catch_up(&f, h, 10000), 0);
	push_incidents(h, push, 900, 900); /* live: three more a case */
	assert_int_equal(follower_catch_up(&f, h, 10000), 0);
	assert_replica_equals_hub(&f, h);
	size_t n = bus_replica_count(f.replica, BUS_KIND_CASE), full = 0;
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct bus_case *c = bus_replica_at(f.replica, BUS_KIND_CASE, i);
		assert_true(c->ntimeline <= 4);
		assert_true(c->ntimeline > 0);
		assert_int_equal(c->timeline[c->ntimeline - 1].n, c->timeline_count);
		full += c->timeline_count > 4 && c->ntimeline == 4;
	}
	assert_int_equal(full, n); /* every case has six entries now, four kept */
	follower_stop(&f);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_subscriber_heard_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_at_start_and_live_after, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kept_tail_for_snapshot_and_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dropped_events_are_replayed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_far_behind_takes_a_snapshot, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resync_after_restart, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
