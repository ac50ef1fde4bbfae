/*
 * The headless replica checker (bus-checker.h). The sync tells it after
 * every change; it checks contiguity then, from the sync's own counters
 * and the replica's seq, so that a sync that skipped or repeated an event
 * is caught even though the replica cannot tell. Finishing asks for a
 * snapshot; if the replica is not at the snapshot's seq yet it waits for
 * it, and if it has gone past (the hub is still busy) it asks again.
 */
#include <event2/event.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-checker.h"
#include "bus-replica.h"
#include "bus-sync.h"
#include "bus-time.h"
#include "xmalloc.h"

enum check_phase { CHECK_FOLLOWING, CHECK_ASKING, CHECK_WAITING, CHECK_DONE };

struct bus_checker {
	struct bus_replica *replica;
	struct bus_sync *sync;
	bus_checker_say_cb say;
	void *say_arg;

	/* Contiguity: where the last change left the replica and the sync. */
	int64_t seq;
	uint64_t applied, snapshots;
	enum bus_sync_state state;

	long divergences;
	char verdict[300];

	/* Finishing. */
	enum check_phase phase;
	struct bus_replica *fresh;  /* the hub's snapshot, when waiting for it */
	int64_t deadline_ms;
	int asked;
	struct event *timer;        /* the settle deadline */
};

static void __attribute__((format(printf, 2, 3)))
check_say(struct bus_checker *c, const char *fmt, ...)
{
	char line[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (c->say != NULL)
		c->say(c->say_arg, line);
}

static void __attribute__((format(printf, 2, 3)))
check_diverged(struct bus_checker *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (c->divergences++ == 0)
		snprintf(c->verdict, sizeof c->verdict, "DIVERGED: %s", why);
	check_say(c, "divergence: %s", why);
}

static void check_ask(struct bus_checker *);

/* Compare with the snapshot taken, now that the replica is at its seq. */
static void
check_compare(struct bus_checker *c)
{
	char why[256];

	if (bus_replica_diff(c->replica, c->fresh, why, sizeof why) != 0)
		check_diverged(c, "at seq %lld: %s", (long long)bus_replica_seq(c->fresh), why);
	else if (c->divergences == 0)
		snprintf(c->verdict, sizeof c->verdict, "equal to the hub's snapshot at seq %lld",
		    (long long)bus_replica_seq(c->fresh));
	bus_replica_free(c->fresh);
	c->fresh = NULL;
	c->phase = CHECK_DONE;
	evtimer_del(c->timer);
}

/* Where the replica stands against the snapshot in hand. */
static void
check_progress(struct bus_checker *c)
{
	if (c->phase != CHECK_WAITING)
		return;
	int64_t mine = bus_replica_seq(c->replica), theirs = bus_replica_seq(c->fresh);
	if (mine == theirs)
		check_compare(c);
	else if (mine > theirs) {
		/* The hub moved on while we caught up: a newer snapshot. */
		bus_replica_free(c->fresh);
		c->fresh = NULL;
		check_ask(c);
	}
}

static void
on_snapshot(void *arg, int ok, const char *code, const char *message, json_t *reply)
{
	struct bus_checker *c = arg;

	(void)code;
	(void)reply;
	if (c->phase != CHECK_ASKING)
		return;
	if (!ok) {
		check_say(c, "snapshot for the check failed: %s", message);
		bus_replica_free(c->fresh);
		c->fresh = NULL;
		c->phase = CHECK_FOLLOWING; /* asked again at the next change */
		return;
	}
	c->phase = CHECK_WAITING;
	check_progress(c);
}

static void
check_ask(struct bus_checker *c)
{
	c->phase = CHECK_ASKING;
	c->asked++;
	c->fresh = bus_replica_new();
	bus_sync_snapshot(c->sync, c->fresh, on_snapshot, c);
}

/* After every change the sync made: contiguity, then the finish. */
static void
on_changed(void *arg)
{
	struct bus_checker *c = arg;
	const struct bus_sync_status *st = bus_sync_status(c->sync);
	int64_t seq = bus_replica_seq(c->replica);

	if (st->state != c->state) {
		check_say(c, "%s: %s", st->state == BUS_SYNC_LIVE ? "live" :
		    st->state == BUS_SYNC_SYNCING ? "syncing" : "disconnected", st->why);
		c->state = st->state;
	}
	/* Between snapshots the replica moves on only by events it applied. */
	if (st->snapshots == c->snapshots) {
		int64_t moved = seq - c->seq;
		uint64_t applied = st->events_applied - c->applied;
		if (moved < 0)
			check_diverged(c, "seq went back from %lld to %lld without a snapshot",
			    (long long)c->seq, (long long)seq);
		else if ((uint64_t)moved != applied)
			check_diverged(c, "seq moved %lld to %lld but %llu events were applied: "
			    "an event was skipped or applied twice", (long long)c->seq,
			    (long long)seq, (unsigned long long)applied);
	}
	c->seq = seq;
	c->applied = st->events_applied;
	c->snapshots = st->snapshots;
	bus_replica_take_changes(c->replica);

	if (c->phase == CHECK_FOLLOWING && c->deadline_ms != 0 &&
	    st->state == BUS_SYNC_LIVE && !st->repairing)
		check_ask(c);
	check_progress(c);
}

static void
on_settle_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bus_checker *c = arg;

	(void)fd;
	(void)what;
	if (c->phase == CHECK_DONE)
		return;
	check_diverged(c, "the replica (seq %lld) did not catch up with the hub (seq %lld) in "
	    "time to be compared", (long long)bus_replica_seq(c->replica),
	    (long long)bus_sync_status(c->sync)->hub_seq);
	bus_sync_forget(c->sync, c); /* a snapshot may be on its way into c->fresh */
	bus_replica_free(c->fresh);
	c->fresh = NULL;
	c->phase = CHECK_DONE;
}

struct bus_checker *
bus_checker_new(struct event_base *base, void *zctx, const struct bus_sync_config *cfg,
    bus_checker_say_cb say, void *arg, char **cause)
{
	struct bus_checker *c = xcalloc(1, sizeof *c);

	c->say = say;
	c->say_arg = arg;
	c->state = BUS_SYNC_DISCONNECTED;
	c->replica = bus_replica_new();
	c->timer = evtimer_new(base, on_settle_timeout, c);
	snprintf(c->verdict, sizeof c->verdict, "not compared");
	c->sync = bus_sync_new(base, zctx, cfg, c->replica, on_changed, c, cause);
	if (c->sync == NULL) {
		bus_checker_free(c);
		return NULL;
	}
	return c;
}

void
bus_checker_free(struct bus_checker *c)
{
	if (c == NULL)
		return;
	bus_sync_free(c->sync);
	bus_replica_free(c->replica);
	bus_replica_free(c->fresh);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

void
bus_checker_finish(struct bus_checker *c, int settle_ms)
{
	struct timeval tv = { settle_ms / 1000, (settle_ms % 1000) * 1000 };

	if (c->deadline_ms != 0)
		return;
	c->deadline_ms = bus_time_mono_ms() + settle_ms;
	evtimer_add(c->timer, &tv);
	const struct bus_sync_status *st = bus_sync_status(c->sync);
	if (st->state == BUS_SYNC_LIVE && !st->repairing)
		check_ask(c);
}

int
bus_checker_done(const struct bus_checker *c)
{
	return c->phase == CHECK_DONE;
}

long
bus_checker_divergences(const struct bus_checker *c)
{
	return c->divergences;
}

void
bus_checker_summary(const struct bus_checker *c, char *buf, size_t size)
{
	const struct bus_sync_status *st = bus_sync_status(c->sync);

	snprintf(buf, size, "hub %s seq %lld: %llu events applied, %llu gaps repaired, %llu "
	    "snapshots, %llu duplicates dropped; %s", st->hub_id[0] ? st->hub_id : "?",
	    (long long)bus_replica_seq(c->replica), (unsigned long long)st->events_applied,
	    (unsigned long long)st->gaps_repaired, (unsigned long long)st->snapshots,
	    (unsigned long long)st->dropped_dups, c->verdict);
}
