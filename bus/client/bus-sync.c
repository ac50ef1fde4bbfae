#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-codec.h"
#include "bus-json.h"
#include "bus-log.h"
#include "bus-replica.h"
#include "bus-sock.h"
#include "bus-sync.h"
#include "bus-time.h"
#include "xmalloc.h"

#define SYNC_QUEUE_MAX  200000        /* events held while syncing */
#define SYNC_EVENT_MAX  (1024 * 1024) /* bytes in one event body */
#define SYNC_REPLAY_PAGE 1000
#define SYNC_RETRY_MS   100           /* a snapshot not sent, asked again */
/* A gap of more events than this is closed with a new snapshot, not by
 * replaying: a snapshot costs what the floor holds, a replay what was
 * missed. A console frozen through a 40,000-event storm took dozens of
 * replay pages, over 8 s on a loaded machine (test-fault-stop). */
#define SYNC_REPAIR_MAX (10 * SYNC_REPLAY_PAGE)

enum req_kind { REQ_USER, REQ_SNAPSHOT, REQ_REPLAY };

struct sync_req {
	char id[32];
	enum req_kind kind;
	unsigned generation; /* internal requests: the sync round they serve */
	int64_t deadline;
	bus_sync_reply_cb cb;
	void *arg;
	struct bus_replica *into; /* bus_sync_snapshot: where the objects go */
};

struct queued {
	char *topic;
	json_t *body;
	int64_t seq;
};

struct bus_sync {
	struct bus_sync_config cfg;
	struct bus_replica *replica;
	bus_sync_changed_cb changed;
	void *changed_arg;

	void *sub_z, *ctl_z;
	struct bus_sock *sub, *ctl;
	struct event *watchdog; /* fires when the hub has been silent too long */
	struct event *expiry;   /* fires when the oldest request times out */
	struct event *retry;    /* a snapshot that could not be sent yet */

	struct bus_sync_status status;
	int want_snapshot;      /* a snapshot request is in flight */
	struct queued *queue;
	size_t nqueue, queue_cap;
	int queue_overflow;

	struct sync_req *reqs;
	size_t nreqs, reqs_cap;
	long next_id;
	/* Bumped when the hub restarts or goes silent: answers to snapshots
	 * and replays asked for before then describe another hub's state. */
	unsigned generation;
};

static void sync_request_snapshot(struct bus_sync *);
static void sync_start_repair(struct bus_sync *);

static void
sync_notify(struct bus_sync *s)
{
	s->changed(s->changed_arg);
}

static void
sync_set_state(struct bus_sync *s, enum bus_sync_state state, const char *why)
{
	if (s->status.state != state || strcmp(s->status.why, why) != 0)
		log_info("sync: %s (%s)", state == BUS_SYNC_LIVE ? "live" :
		    state == BUS_SYNC_SYNCING ? "syncing" : "disconnected", why);
	s->status.state = state;
	snprintf(s->status.why, sizeof s->status.why, "%s", why);
	sync_notify(s);
}

/* ------------------------------------------------------------------ */
/* Requests on the control socket. */

static void
sync_arm_expiry(struct bus_sync *s)
{
	int64_t first = INT64_MAX, now = bus_time_mono_ms();

	for (size_t i = 0; i < s->nreqs; i++)
		if (s->reqs[i].deadline < first)
			first = s->reqs[i].deadline;
	if (first == INT64_MAX) {
		event_del(s->expiry);
		return;
	}
	int64_t wait = first > now ? first - now : 0;
	struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000 };
	evtimer_add(s->expiry, &tv);
}

static void sync_internal_reply(struct bus_sync *, enum req_kind, int ok, json_t *reply,
    struct bus_replica *objects);

/* A snapshot reply's objects (NULL: it had none) into INTO, at the
 * reply's seq; -1 and a reason if the reply has no seq. */
static int
sync_take_snapshot(struct bus_replica *into, struct bus_replica *objects, json_t *reply,
    char **cause)
{
	json_t *seq = json_object_get(reply, "seq");
	struct bus_replica *none = NULL;

	if (!json_is_integer(seq)) {
		xasprintf(cause, "snapshot without a seq");
		return -1;
	}
	if (objects == NULL)
		objects = none = bus_replica_new();
	bus_replica_set_seq(objects, json_integer_value(seq));
	bus_replica_swap(into, objects);
	bus_replica_free(none);
	return 0;
}

/* Finish request I: take it off the list, then call whoever waits.
 * OBJECTS: those of a snapshot reply (see sync_ctl_msg), or NULL. */
static void
sync_finish(struct bus_sync *s, size_t i, int ok, const char *code, const char *msg,
    json_t *reply, struct bus_replica *objects)
{
	struct sync_req r = s->reqs[i];
	char *cause = NULL;

	s->reqs[i] = s->reqs[--s->nreqs];
	sync_arm_expiry(s);
	if (r.kind != REQ_USER && r.generation != s->generation)
		return; /* a stale round's answer: its state is not this hub's */
	if (r.kind != REQ_USER) {
		sync_internal_reply(s, r.kind, ok, reply, objects);
		return;
	}
	if (ok && r.into != NULL && sync_take_snapshot(r.into, objects, reply, &cause) != 0) {
		ok = 0;
		code = "invalid";
		msg = cause;
	}
	if (r.cb != NULL)
		r.cb(r.arg, ok, code, msg, reply);
	free(cause);
}

static void
sync_expire(evutil_socket_t fd, short what, void *arg)
{
	struct bus_sync *s = arg;
	int64_t now = bus_time_mono_ms();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < s->nreqs;) {
		if (s->reqs[i].deadline <= now)
			sync_finish(s, i, 0, "timeout", "No answer from the hub in time; "
			    "the command may or may not have been carried out.", NULL, NULL);
		else
			i++;
	}
	sync_arm_expiry(s);
}

static int
sync_send(struct bus_sync *s, enum req_kind kind, const char *op, json_t *args,
    bus_sync_reply_cb cb, void *arg)
{
	json_t *req = args != NULL ? args : json_object();
	struct sync_req *r;

	if (s->nreqs == s->reqs_cap) {
		s->reqs_cap = s->reqs_cap ? s->reqs_cap * 2 : 16;
		s->reqs = xrealloc(s->reqs, s->reqs_cap * sizeof *s->reqs);
	}
	r = &s->reqs[s->nreqs];
	snprintf(r->id, sizeof r->id, "c%ld", s->next_id++);
	r->kind = kind;
	r->generation = s->generation;
	r->cb = cb;
	r->arg = arg;
	r->into = NULL;
	r->deadline = bus_time_mono_ms() + s->cfg.request_timeout_ms;
	json_object_set_new(req, "op", json_string(op));
	json_object_set_new(req, "id", json_string(r->id));
	json_object_set_new(req, "user", json_string(s->cfg.user));
	char *body = bus_codec_encode(req);
	json_decref(req);
	struct bus_frame f[2] = { { "request", 7 }, { body, strlen(body) } };
	/* IMMEDIATE is set: with no hub connected this fails at once instead
	 * of queueing a command to run whenever a hub appears. */
	int rc = bus_sock_send(s->ctl_z, f, 2, ZMQ_DONTWAIT);
	int err = errno;
	free(body);
	bus_sock_rearm(s->ctl);
	if (rc != 0) {
		log_debug("sync: %s not sent: %s", op, zmq_strerror(err));
		return -1;
	}
	s->nreqs++;
	sync_arm_expiry(s);
	return 0;
}

/* Send a request for the console (a command, or a read such as timeline).
 * CB is called once, with the reply, a refusal, or a timeout. */
int
bus_sync_request(struct bus_sync *s, const char *op, json_t *args, bus_sync_reply_cb cb,
    void *arg)
{
	if (sync_send(s, REQ_USER, op, args, cb, arg) != 0) {
		if (cb != NULL)
			cb(arg, 0, "not_connected", "Not connected to the hub; nothing was "
			    "sent.", NULL);
		return -1;
	}
	return 0;
}

/* Ask for a snapshot to be loaded into INTO (a replica of the caller's,
 * such as the checker's fresh copy); CB hears when it is there. */
int
bus_sync_snapshot(struct bus_sync *s, struct bus_replica *into, bus_sync_reply_cb cb,
    void *arg)
{
	if (s->cfg.case_tail > 0)
		bus_replica_set_tail(into, (size_t)s->cfg.case_tail);
	if (bus_sync_request(s, "snapshot", NULL, cb, arg) != 0)
		return -1;
	s->reqs[s->nreqs - 1].into = into;
	return 0;
}

int
bus_sync_in_flight(const struct bus_sync *s)
{
	int n = 0;

	for (size_t i = 0; i < s->nreqs; i++)
		n += s->reqs[i].kind == REQ_USER;
	return n;
}

/* Drop the callbacks of requests made with ARG (its owner is going away). */
void
bus_sync_forget(struct bus_sync *s, void *arg)
{
	for (size_t i = 0; i < s->nreqs; i++) {
		if (s->reqs[i].arg == arg) {
			s->reqs[i].cb = NULL;
			s->reqs[i].into = NULL;
		}
	}
}

struct sync_stage {
	const struct bus_sync *s;
	struct bus_replica *objects;
};

/* An object of a snapshot's lists, as the reply is parsed. */
static void
sync_stage(void *arg, size_t list, json_t *obj)
{
	struct sync_stage *st = arg;

	if (st->objects == NULL) {
		st->objects = bus_replica_new();
		if (st->s->cfg.case_tail > 0)
			bus_replica_set_tail(st->objects, (size_t)st->s->cfg.case_tail);
	}
	bus_replica_add(st->objects, (enum bus_kind)list, obj);
}

/*
 * A reply. A snapshot's objects are decoded one by one as the text is
 * parsed, into a replica of their own, so that ten thousand cases never
 * stand as one jansson tree; the request's owner swaps them in.
 */
static void
sync_ctl_msg(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct bus_sync *s = arg;
	struct sync_stage stage = { s, NULL };
	char *cause = NULL;
	json_t *reply;

	if (truncated || n != 2 || frames[0].size != 5 || memcmp(frames[0].data, "reply", 5) != 0)
		return;
	reply = bus_codec_load_lists(frames[1].data, frames[1].size, bus_kind_lists,
	    sync_stage, &stage, &cause);
	if (reply == NULL) {
		log_warn("sync: a reply the console cannot read: %s", cause);
		free(cause);
	}
	const char *id = json_string_value(json_object_get(reply, "id"));
	for (size_t i = 0; id != NULL && i < s->nreqs; i++) {
		if (strcmp(s->reqs[i].id, id) != 0)
			continue;
		json_t *err = json_object_get(reply, "error");
		sync_finish(s, i, json_is_true(json_object_get(reply, "ok")),
		    json_string_value(json_object_get(err, "code")),
		    json_string_value(json_object_get(err, "message")), reply, stage.objects);
		break;
	}
	bus_replica_free(stage.objects);
	json_decref(reply);
}

/* ------------------------------------------------------------------ */
/* Applying events in order. */

static void
queue_clear(struct bus_sync *s)
{
	for (size_t i = 0; i < s->nqueue; i++) {
		free(s->queue[i].topic);
		json_decref(s->queue[i].body);
	}
	s->nqueue = 0;
	s->queue_overflow = 0;
}

static void
queue_push(struct bus_sync *s, const char *topic, json_t *body, int64_t seq)
{
	if (s->nqueue >= SYNC_QUEUE_MAX) {
		/* Too far behind to catch up event by event: a snapshot will. */
		queue_clear(s);
		s->queue_overflow = 1;
		return;
	}
	if (s->nqueue == s->queue_cap) {
		s->queue_cap = s->queue_cap ? s->queue_cap * 2 : 256;
		s->queue = xrealloc(s->queue, s->queue_cap * sizeof *s->queue);
	}
	s->queue[s->nqueue].topic = xstrdup(topic);
	s->queue[s->nqueue].body = json_incref(body);
	s->queue[s->nqueue].seq = seq;
	s->nqueue++;
}

/* Apply an event if it is the next one. 1 applied, 0 old (dropped),
 * -1 it is ahead: there is a gap before it. */
static int
sync_apply(struct bus_sync *s, const char *topic, json_t *body, int64_t seq)
{
	int64_t have = bus_replica_seq(s->replica);
	char *cause = NULL;

	if (seq <= have) {
		s->status.dropped_dups++;
		return 0;
	}
	if (seq != have + 1)
		return -1;
	if (bus_replica_apply(s->replica, topic, body, &cause) != 0) {
		/* An event we cannot read still takes its place in the order. */
		log_warn("sync: seq %lld: %s", (long long)seq, cause);
		free(cause);
		bus_replica_set_seq(s->replica, seq);
	}
	s->status.events_applied++;
	return 1;
}

/* Apply what was queued, in order. Returns -1 if a gap remains. */
static int
sync_drain_queue(struct bus_sync *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->nqueue; i++) {
		if (sync_apply(s, s->queue[i].topic, s->queue[i].body, s->queue[i].seq) < 0) {
			rc = -1;
			break;
		}
		free(s->queue[i].topic);
		json_decref(s->queue[i].body);
	}
	if (i > 0 && i < s->nqueue)
		memmove(s->queue, s->queue + i, (s->nqueue - i) * sizeof *s->queue);
	s->nqueue -= i;
	return rc;
}

/* After a snapshot or a replay page: catch up with the queue, or keep
 * repairing, or declare the replica live. */
static void
sync_settle(struct bus_sync *s)
{
	if (s->queue_overflow) {
		sync_request_snapshot(s);
		return;
	}
	if (sync_drain_queue(s) != 0 || s->status.hub_seq > bus_replica_seq(s->replica)) {
		sync_start_repair(s);
		return;
	}
	s->status.repairing = 0;
	if (s->status.state != BUS_SYNC_LIVE)
		sync_set_state(s, BUS_SYNC_LIVE, "in step with the hub");
	else
		sync_notify(s);
}

static void
sync_request_snapshot(struct bus_sync *s)
{
	if (s->want_snapshot)
		return;
	s->status.repairing = 0;
	if (sync_send(s, REQ_SNAPSHOT, "snapshot", NULL, NULL, NULL) == 0) {
		s->want_snapshot = 1;
	} else if (!evtimer_pending(s->retry, NULL)) {
		/* The control connection is not up yet (the first heartbeat can
		 * come before it): try again shortly, not at the next heartbeat. */
		struct timeval tv = { 0, SYNC_RETRY_MS * 1000 };
		evtimer_add(s->retry, &tv);
	}
	if (s->status.state == BUS_SYNC_LIVE)
		sync_set_state(s, BUS_SYNC_SYNCING, "taking a new snapshot");
}

static void
sync_retry(evutil_socket_t fd, short what, void *arg)
{
	struct bus_sync *s = arg;

	(void)fd;
	(void)what;
	if (s->status.state == BUS_SYNC_SYNCING && !s->want_snapshot)
		sync_request_snapshot(s);
}

static void
sync_start_repair(struct bus_sync *s)
{
	if (s->status.repairing || s->want_snapshot)
		return;
	if (s->status.hub_seq - bus_replica_seq(s->replica) > SYNC_REPAIR_MAX) {
		log_info("sync: %lld events behind the hub (at %lld): a new snapshot, not a "
		    "replay", (long long)(s->status.hub_seq - bus_replica_seq(s->replica)),
		    (long long)s->status.hub_seq);
		sync_set_state(s, BUS_SYNC_SYNCING, "far behind; taking a new snapshot");
		sync_request_snapshot(s);
		return;
	}
	json_t *args = json_pack("{s:I, s:i}", "after", (json_int_t)bus_replica_seq(s->replica),
	    "limit", SYNC_REPLAY_PAGE);
	if (sync_send(s, REQ_REPLAY, "replay", args, NULL, NULL) != 0) {
		sync_request_snapshot(s);
		return;
	}
	log_info("sync: repairing a gap: replaying after seq %lld (the hub is at %lld)",
	    (long long)bus_replica_seq(s->replica), (long long)s->status.hub_seq);
	s->status.repairing = 1;
	sync_notify(s);
}

static void
sync_internal_reply(struct bus_sync *s, enum req_kind kind, int ok, json_t *reply,
    struct bus_replica *objects)
{
	char *cause = NULL;

	if (kind == REQ_SNAPSHOT) {
		const char *hub = json_string_value(json_object_get(reply, "hub"));
		s->want_snapshot = 0;
		if (ok && hub != NULL && s->status.hub_id[0] != '\0' &&
		    strcmp(hub, s->status.hub_id) != 0) {
			/* Taken from the hub before a restart: ask the new one. */
			sync_request_snapshot(s);
			return;
		}
		if (!ok || sync_take_snapshot(s->replica, objects, reply, &cause) != 0) {
			log_warn("sync: snapshot failed: %s", cause ? cause : "no answer");
			free(cause);
			/* The next heartbeat tries again. */
			sync_set_state(s, BUS_SYNC_SYNCING, "snapshot failed; retrying");
			return;
		}
		s->status.snapshots++;
		s->queue_overflow = 0;
		sync_settle(s);
		return;
	}
	/* A replay page. */
	s->status.repairing = 0;
	json_t *events = json_object_get(reply, "events");
	if (!ok || !json_is_array(events)) {
		sync_request_snapshot(s);
		return;
	}
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		json_t *body = json_object_get(ev, "body");
		const char *topic = json_string_value(json_object_get(ev, "topic"));
		if (topic == NULL || sync_apply(s, topic, body,
		    json_integer_value(json_object_get(body, "seq"))) < 0) {
			/* The journal itself has a hole: only a snapshot helps. */
			sync_request_snapshot(s);
			return;
		}
	}
	s->status.gaps_repaired++;
	sync_settle(s);
}

/* ------------------------------------------------------------------ */
/* The events socket. */

static void
sync_heard(struct bus_sync *s)
{
	struct timeval tv = { s->cfg.heartbeat_timeout_ms / 1000,
		(s->cfg.heartbeat_timeout_ms % 1000) * 1000 };

	s->status.heard_mono_ms = bus_time_mono_ms();
	evtimer_add(s->watchdog, &tv);
}

static void
sync_heartbeat(struct bus_sync *s, json_t *hb)
{
	const char *hub = json_string_value(json_object_get(hb, "hub"));
	int64_t seq = json_integer_value(json_object_get(hb, "seq"));
	int restarted = hub != NULL && s->status.hub_id[0] != '\0' &&
	    strcmp(hub, s->status.hub_id) != 0;
	/* Hubs older than the field send none: their store is "ok". */
	const char *store = json_string_value(json_object_get(hb, "store"));
	int full = store != NULL && strcmp(store, "full") == 0;

	int demo = json_is_true(json_object_get(hb, "demo"));

	sync_heard(s);
	if (full != s->status.store_full || demo != s->status.demo) {
		s->status.store_full = full;
		s->status.demo = demo;
		sync_notify(s);
	}
	if (hub != NULL)
		snprintf(s->status.hub_id, sizeof s->status.hub_id, "%s", hub);
	s->status.hub_seq = seq;
	if (restarted || seq < bus_replica_seq(s->replica)) {
		/* A new hub process, or one behind us (restored from an older
		 * database): what we hold or queued may not be its state. */
		queue_clear(s);
		s->generation++;
		s->want_snapshot = 0;
		s->status.repairing = 0;
		sync_set_state(s, BUS_SYNC_SYNCING, restarted ? "the hub restarted; "
		    "resynchronising" : "the hub is behind us; resynchronising");
		sync_request_snapshot(s);
		return;
	}
	switch (s->status.state) {
	case BUS_SYNC_DISCONNECTED:
		if (bus_replica_seq(s->replica) > 0 && !s->queue_overflow) {
			/* The same hub came back: replay what we missed. */
			sync_set_state(s, BUS_SYNC_SYNCING, "the hub is back; catching up");
			sync_start_repair(s);
		} else {
			sync_set_state(s, BUS_SYNC_SYNCING, "taking a snapshot");
			sync_request_snapshot(s);
		}
		break;
	case BUS_SYNC_SYNCING:
		if (!s->want_snapshot && !s->status.repairing)
			sync_request_snapshot(s);
		break;
	case BUS_SYNC_LIVE:
		/* Events we never got: the heartbeat is ahead of us. */
		if (seq > bus_replica_seq(s->replica) && s->nqueue == 0)
			sync_start_repair(s);
		else
			sync_notify(s); /* lag and the clock of the last heartbeat */
		break;
	}
}

static void
sync_event_msg(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct bus_sync *s = arg;
	char topic[BUS_MAX_TOPIC + 1];
	json_t *body;

	if (truncated || n != 2 || frames[0].size == 0 || frames[0].size > BUS_MAX_TOPIC ||
	    frames[1].size > SYNC_EVENT_MAX)
		return;
	memcpy(topic, frames[0].data, frames[0].size);
	topic[frames[0].size] = '\0';
	/* The fast decoder for the common case; jansson for anything else. */
	body = bus_json_try(frames[1].data, frames[1].size);
	if (body == NULL)
		body = json_loadb(frames[1].data, frames[1].size, 0, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return;
	}
	if (strcmp(topic, BUS_HEARTBEAT_TOPIC) == 0) {
		sync_heartbeat(s, body);
		json_decref(body);
		return;
	}
	int64_t seq = json_integer_value(json_object_get(body, "seq"));
	sync_heard(s);
	/* An event proves the hub got that far, sooner than its next
	 * heartbeat says so: how far behind a gap leaves us. */
	if (seq > s->status.hub_seq)
		s->status.hub_seq = seq;
	if (s->status.state == BUS_SYNC_LIVE && !s->status.repairing && s->nqueue == 0) {
		int rc = sync_apply(s, topic, body, seq);
		if (rc < 0) {
			queue_push(s, topic, body, seq);
			sync_start_repair(s);
		} else if (rc > 0)
			sync_notify(s);
	} else
		queue_push(s, topic, body, seq);
	json_decref(body);
}

static void
sync_silent(evutil_socket_t fd, short what, void *arg)
{
	struct bus_sync *s = arg;

	(void)fd;
	(void)what;
	s->status.repairing = 0;
	s->want_snapshot = 0;
	s->generation++;
	queue_clear(s);
	sync_set_state(s, BUS_SYNC_DISCONNECTED, "no heartbeat from the hub");
}

/* ------------------------------------------------------------------ */

struct bus_sync *
bus_sync_new(struct event_base *base, void *zctx, const struct bus_sync_config *cfg,
    struct bus_replica *replica, bus_sync_changed_cb changed, void *arg, char **cause)
{
	struct bus_sync *s = xcalloc(1, sizeof *s);
	struct bus_sock_opts sub = { .type = ZMQ_SUB, .endpoint = cfg->events,
		.maxmsgsize = SYNC_EVENT_MAX, .curve = cfg->curve };
	struct bus_sock_opts ctl = { .type = ZMQ_DEALER, .endpoint = cfg->control,
		.maxmsgsize = -1, .curve = cfg->curve };
	int one = 1, zero = 0, hwm = cfg->rcvhwm > 0 ? cfg->rcvhwm : SYNC_QUEUE_MAX;

	s->cfg = *cfg;
	if (s->cfg.heartbeat_timeout_ms <= 0)
		s->cfg.heartbeat_timeout_ms = 3000;
	if (s->cfg.request_timeout_ms <= 0)
		s->cfg.request_timeout_ms = 10000;
	s->replica = replica;
	/* Events as well as snapshots: the replica keeps as many entries. */
	if (s->cfg.case_tail > 0)
		bus_replica_set_tail(replica, (size_t)s->cfg.case_tail);
	s->changed = changed;
	s->changed_arg = arg;
	s->status.state = BUS_SYNC_DISCONNECTED;
	snprintf(s->status.why, sizeof s->status.why, "waiting for the hub");

	sub.endpoint = NULL; /* options first, then connect */
	if ((s->sub_z = bus_sock_open(zctx, &sub, cause)) == NULL)
		goto fail;
	zmq_setsockopt(s->sub_z, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s->sub_z, ZMQ_SUBSCRIBE, "", 0);
	zmq_setsockopt(s->sub_z, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_connect(s->sub_z, cfg->events) != 0) {
		xasprintf(cause, "cannot connect to %s: %s", cfg->events, zmq_strerror(errno));
		goto fail;
	}
	ctl.endpoint = NULL;
	if ((s->ctl_z = bus_sock_open(zctx, &ctl, cause)) == NULL)
		goto fail;
	zmq_setsockopt(s->ctl_z, ZMQ_IMMEDIATE, &one, sizeof one);
	zmq_setsockopt(s->ctl_z, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_connect(s->ctl_z, cfg->control) != 0) {
		xasprintf(cause, "cannot connect to %s: %s", cfg->control, zmq_strerror(errno));
		goto fail;
	}
	/* 100 events a turn (a few ms): a key pressed during a burst waits
	 * for at most one such turn. */
	s->sub = bus_sock_watch(base, s->sub_z, 100, sync_event_msg, s);
	s->ctl = bus_sock_watch(base, s->ctl_z, 100, sync_ctl_msg, s);
	s->watchdog = evtimer_new(base, sync_silent, s);
	s->expiry = evtimer_new(base, sync_expire, s);
	s->retry = evtimer_new(base, sync_retry, s);
	return s;
fail:
	bus_sync_free(s);
	return NULL;
}

void
bus_sync_free(struct bus_sync *s)
{
	if (s == NULL)
		return;
	/* Whoever waits for an answer hears that none will come; the sync's
	 * own requests just end. */
	for (size_t i = 0; i < s->nreqs; i++) {
		if (s->reqs[i].kind == REQ_USER && s->reqs[i].cb != NULL)
			s->reqs[i].cb(s->reqs[i].arg, 0, "closing", "The console closed before "
			    "the hub answered.", NULL);
	}
	s->nreqs = 0;
	bus_sock_unwatch(s->sub);
	bus_sock_unwatch(s->ctl);
	if (s->watchdog != NULL)
		event_free(s->watchdog);
	if (s->expiry != NULL)
		event_free(s->expiry);
	if (s->retry != NULL)
		event_free(s->retry);
	if (s->sub_z != NULL)
		zmq_close(s->sub_z);
	if (s->ctl_z != NULL)
		zmq_close(s->ctl_z);
	queue_clear(s);
	free(s->queue);
	free(s->reqs);
	free(s);
}

const struct bus_sync_status *
bus_sync_status(const struct bus_sync *s)
{
	return &s->status;
}
