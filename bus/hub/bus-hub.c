#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-audit.h"
#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-curve.h"
#include "bus-hub.h"
#include "bus-json.h"
#include "bus-keys.h"
#include "bus-reply.h"
#include "bus-request.h"
#include "bus-log.h"
#include "bus-ops.h"
#include "bus-schema.h"
#include "bus-sock.h"
#include "bus-state.h"
#include "bus-store.h"
#include "bus-time.h"
#include "bus-zap.h"
#include "xmalloc.h"

#define HUB_SNAPSHOT_INTEL 500 /* newest intel items in a snapshot */
#define HUB_WELCOME_MS     100 /* least time between heartbeats for newcomers */
#define HUB_REJECT_LOGS     20 /* rejection lines logged per second */
#define HUB_RATE_SLOTS    4096 /* connections whose request rate is tracked */
#define HUB_STORE_RETRY_MS 1000 /* how often a full store is tried again */

/* A control reply waiting for the batch's commit. Its text is made when
 * the op runs: a snapshot must show the state at its seq, not the state
 * after the rest of the turn. */
struct hub_reply {
	struct bus_frame envelope[2]; /* ROUTER identity, REQ's empty delimiter */
	int nenvelope;
	char *text;
	int ok;
	json_t *id;
};

/* A subscriber on the events socket, known from its subscription: the
 * connection's descriptor, its key, and the socket's inode, which no other
 * socket has while this one exists, so that a descriptor closed and
 * reused since is never mistaken for it. */
struct hub_listener {
	int fd;
	char key[BUS_CURVE_KEY_LEN + 1];
	dev_t dev;
	ino_t ino;
};
#define HUB_LISTENERS_MAX 4096

/* Counters for the "stats" op. */
struct hub_stats {
	uint64_t ingest_received;
	uint64_t ingest_accepted;
	uint64_t ingest_rejected[BUS_REJECT_NCLASSES];
	uint64_t control_requests;
	uint64_t control_refused;
	uint64_t control_malformed;
	uint64_t control_rate_limited;
	uint64_t control_key_refused;
	uint64_t events_published;
	uint64_t commits;
	uint64_t store_failures;
};

struct bus_hub {
	struct bus_hub_config cfg;
	struct event_base *base;
	void *pub;
	void *ingest_z, *control_z;
	struct bus_sock *ingest, *control;
	struct event *heartbeat;
	struct event *welcome;     /* a heartbeat soon after a new subscription */
	int64_t heartbeat_mono_ms; /* when the last heartbeat went out */
	struct bus_store *store;
	struct bus_state *state;
	int64_t committed_seq;
	/* While the store cannot commit (its filesystem is full, or the state
	 * could not be reloaded after a failed commit) the hub refuses every
	 * change, keeps serving reads, and store_retry tries again. */
	int store_full, need_reload;
	struct event *store_retry;
	char hub_id[BUS_HUB_ID_LEN + 1];
	int64_t started_at;

	struct hub_reply *replies;
	size_t nreplies, replies_cap;
	struct bus_audit *audit; /* the turn's audit rows, committed with its events */

	struct hub_stats stats;
	struct bus_log_limit reject_log;

	/* CURVE, when the hub has a key: the allow-list and its ZAP handler. */
	struct bus_curve curve;
	struct bus_keys *keys;
	struct bus_zap *zap;
	struct bus_sock *events;   /* the XPUB's subscriptions: who listens */
	/* The events socket's connections, counted from its monitor: the
	 * console that hosts the hub asks before it stops it for others. */
	void *monitor_z;
	struct bus_sock *monitor;
	int followers;
	int demo;                  /* a demo floor (bus_hub_demo) */
	struct hub_listener *listeners;
	size_t nlisteners;

	/* Each connection's request budget: a token bucket per connection
	 * (its socket's inode: clients choose their routing ids, not these),
	 * in a fixed table, so memory stays bounded whatever clients do. */
	struct hub_rate {
		int fd;
		dev_t dev;
		ino_t ino;
		double tokens;
		int64_t last_ms;
	} rates[HUB_RATE_SLOTS];
};

void
bus_hub_config_defaults(struct bus_hub_config *c)
{
	memset(c, 0, sizeof *c);
	c->ingest = BUS_DEFAULT_INGEST;
	c->events = BUS_DEFAULT_EVENTS;
	c->control = BUS_DEFAULT_CONTROL;
	c->db = "watchd.db";
	c->synchronous = "normal";
	c->wal_limit_mib = (int)(BUS_STORE_WAL_LIMIT >> 20);
	c->heartbeat_ms = 1000;
	c->sensor_interval_ms = 10000;
	c->sensor_misses = 3;
	c->alert_window_ms = 300 * 1000; /* bus-state.c alert_hold() says why */
	c->drain_budget = 1000;
	c->pub_hwm = 100000;
	c->handshake_ms = 5000;
	c->control_rate = 50;
}

int64_t
bus_hub_seq(const struct bus_hub *hub)
{
	return hub->committed_seq;
}

int
bus_hub_demo(const struct bus_hub *hub)
{
	return hub->demo;
}

int
bus_hub_followers(const struct bus_hub *hub)
{
	return hub->followers;
}

/* One event of the events socket's monitor: a frame of a 16-bit event and
 * a 32-bit value, then the endpoint. Every connection accepted is later
 * disconnected once, whatever ends it (a handshake that fails included). */
static void
hub_monitor_msg(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct bus_hub *hub = arg;
	uint16_t event;

	if (truncated || n < 1 || frames[0].size < sizeof event)
		return;
	memcpy(&event, frames[0].data, sizeof event);
	if (event == ZMQ_EVENT_ACCEPTED)
		hub->followers++;
	else if (event == ZMQ_EVENT_DISCONNECTED && hub->followers > 0)
		hub->followers--;
}

/* Watch the events socket's connections come and go. Not fatal: without
 * it the hub serves as well, and only the count is missing. */
static void
hub_monitor_start(struct bus_hub *hub, void *zctx)
{
	char name[64];

	snprintf(name, sizeof name, "inproc://watchd-events-%s", hub->hub_id);
	if (zmq_socket_monitor(hub->pub, name, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0 ||
	    (hub->monitor_z = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_connect(hub->monitor_z, name) != 0) {
		log_warn("cannot count the events socket's connections: %s",
		    zmq_strerror(zmq_errno()));
		return;
	}
	int zero = 0;
	zmq_setsockopt(hub->monitor_z, ZMQ_LINGER, &zero, sizeof zero);
	hub->monitor = bus_sock_watch(hub->base, hub->monitor_z, 100, hub_monitor_msg, hub);
}

/* Count a rejection and log it, a few lines a second under a flood. */
static void
hub_reject(struct bus_hub *hub, int class, const char *cause)
{
	hub->stats.ingest_rejected[class]++;
	if (bus_log_limited(&hub->reject_log))
		log_warn("ingest: rejected (%s): %s", bus_reject_names[class], cause);
}

/* ------------------------------------------------------------------ */
/* Who is speaking: with CURVE, the key the connection proved. */

/* The allowed key that sent the message WATCH is delivering, if it may
 * use SOCKET (and publish TOPIC) now; NULL if not. */
static const struct bus_key *
hub_sender(struct bus_hub *hub, struct bus_sock *watch, unsigned socket, const char *topic)
{
	const struct bus_key *k = bus_keys_find(hub->keys, bus_sock_meta(watch, "User-Id"));

	return k != NULL && bus_keys_may(k, socket, topic) ? k : NULL;
}

/* Which socket a descriptor is now: 0, or -1 if it is closed. */
static int
hub_socket_id(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/*
 * May the connection of the request being delivered send another now? A
 * connection gets a full bucket when its slot is free or held by a closed
 * connection (its descriptor now names another socket); one that shares
 * the slot with another descriptor takes over the bucket as it stands, so
 * that connections sharing a slot share a budget and none can refill it
 * by taking turns.
 */
static int
hub_rate_ok(struct bus_hub *hub)
{
	double rate = hub->cfg.control_rate, burst = 2.0 * rate;
	int fd = bus_sock_srcfd(hub->control);
	int64_t now = bus_time_mono_ms();
	dev_t dev;
	ino_t ino;

	if (rate <= 0 || fd < 0 || hub_socket_id(fd, &dev, &ino) != 0)
		return 1;
	struct hub_rate *r = &hub->rates[(size_t)fd % HUB_RATE_SLOTS];
	if (r->last_ms == 0 || (r->fd == fd && (r->dev != dev || r->ino != ino))) {
		r->tokens = burst;
		r->last_ms = now;
	}
	r->fd = fd;
	r->dev = dev;
	r->ino = ino;
	r->tokens += (double)(now - r->last_ms) * rate / 1000.0;
	if (r->tokens > burst)
		r->tokens = burst;
	r->last_ms = now;
	if (r->tokens < 1.0)
		return 0;
	r->tokens -= 1.0;
	return 1;
}

static void hub_send_heartbeat(struct bus_hub *);

/*
 * A new subscriber syncs at its first heartbeat (docs/PROTOCOL.md): send
 * one now instead of up to a second later, so that a console starts at
 * once. At most one each HUB_WELCOME_MS, however fast subscriptions come:
 * a subscriber cannot make the hub flood everyone with heartbeats.
 */
static void
hub_welcome(struct bus_hub *hub)
{
	int64_t wait = hub->heartbeat_mono_ms + HUB_WELCOME_MS - bus_time_mono_ms();
	struct timeval tv = { 0, wait > 0 ? (suseconds_t)wait * 1000 : 0 };

	if (!evtimer_pending(hub->welcome, NULL))
		evtimer_add(hub->welcome, &tv);
}

static void
hub_welcome_due(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hub_send_heartbeat(arg);
}

/*
 * A subscription on the events socket (XPUB): remember which key's
 * connection it came on. PUB cannot drop one subscriber, so revoking a
 * key shuts that connection's descriptor; the subscriber's library
 * reconnects and ZAP, consulted afresh, turns it away.
 */
static void
hub_events_msg(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct bus_hub *hub = arg;
	const char *key = bus_sock_meta(hub->events, "User-Id");
	int fd = bus_sock_srcfd(hub->events);

	(void)truncated;
	if (n >= 1 && frames[0].size >= 1 && *(const unsigned char *)frames[0].data == 1)
		hub_welcome(hub);
	if (hub->keys == NULL || key == NULL || fd < 0)
		return;
	struct hub_listener l = { .fd = fd };
	snprintf(l.key, sizeof l.key, "%s", key);
	if (hub_socket_id(fd, &l.dev, &l.ino) != 0)
		return;
	for (size_t i = 0; i < hub->nlisteners; i++) {
		if (hub->listeners[i].fd == fd) {
			hub->listeners[i] = l; /* the descriptor's newest connection */
			return;
		}
	}
	if (hub->nlisteners == HUB_LISTENERS_MAX) {
		/* Forget connections closed since; if none is, the oldest goes:
		 * memory stays bounded. */
		size_t kept = 0;
		for (size_t i = 0; i < hub->nlisteners; i++) {
			dev_t dev;
			ino_t ino;
			if (hub_socket_id(hub->listeners[i].fd, &dev, &ino) == 0 &&
			    dev == hub->listeners[i].dev && ino == hub->listeners[i].ino)
				hub->listeners[kept++] = hub->listeners[i];
		}
		hub->nlisteners = kept;
		if (kept == HUB_LISTENERS_MAX)
			memmove(hub->listeners, hub->listeners + 1, --hub->nlisteners * sizeof l);
	}
	hub->listeners = xrealloc(hub->listeners, (hub->nlisteners + 1) * sizeof l);
	hub->listeners[hub->nlisteners++] = l;
}

/* Cut the events connections of keys no longer allowed on the socket. */
static void
hub_cut_listeners(struct bus_hub *hub)
{
	size_t kept = 0;

	for (size_t i = 0; i < hub->nlisteners; i++) {
		struct hub_listener *l = &hub->listeners[i];
		const struct bus_key *k = bus_keys_find(hub->keys, l->key);
		dev_t dev;
		ino_t ino;
		if (k != NULL && bus_keys_may(k, BUS_SOCKET_EVENTS, NULL)) {
			hub->listeners[kept++] = *l;
			continue;
		}
		if (hub_socket_id(l->fd, &dev, &ino) == 0 && dev == l->dev && ino == l->ino) {
			shutdown(l->fd, SHUT_RDWR);
			log_info("events: key %s is no longer allowed: its connection was cut",
			    l->key);
		}
	}
	hub->nlisteners = kept;
}

/* ------------------------------------------------------------------ */
/* Ingest: the fast, unacknowledged stream. */

static void
hub_ingest_msg(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct bus_hub *hub = arg;
	char topic[BUS_MAX_TOPIC + 1];
	json_t *body = NULL;
	char *cause = NULL, *object = NULL;
	int class;

	hub->stats.ingest_received++;
	if (truncated)
		class = bus_codec_decode(frames, BUS_SOCK_MAX_FRAMES + 1, topic, &body, &cause);
	else
		class = bus_codec_decode(frames, n, topic, &body, &cause);
	if (class == BUS_REJECT_NONE)
		class = bus_codec_check_ingest(topic, body, &cause);
	const struct bus_key *k = NULL;
	if (class == BUS_REJECT_NONE && hub->keys != NULL &&
	    (k = hub_sender(hub, hub->ingest, BUS_SOCKET_INGEST, topic)) == NULL) {
		class = BUS_REJECT_KEY;
		xasprintf(&cause, "this connection's key may not publish %s (revoked, or not "
		    "one of its topics)", topic);
	}
	if (class == BUS_REJECT_NONE && (hub->store_full || hub->need_reload)) {
		class = BUS_REJECT_STORE_FULL;
		xasprintf(&cause, "%s: the database %s cannot store it (%s)", topic,
		    hub->cfg.db, hub->store_full ? "its filesystem is full" : "reload failed");
	}
	if (class != BUS_REJECT_NONE) {
		hub_reject(hub, class, cause);
		free(cause);
		json_decref(body);
		return;
	}
	/* With CURVE a report is the key's person's; else the stream's. */
	bus_state_ingest(hub->state, topic, body, k != NULL ? k->person : "ingest",
	    bus_time_now_ms(), &object);
	hub->stats.ingest_accepted++;
	log_debug("ingest: %s -> %s", topic, object);
	free(object);
	json_decref(body);
}

/* ------------------------------------------------------------------ */
/* Control: requests and replies. */

/* The store as heartbeats and stats say it: "ok", "full" (no space left)
 * or "failed" (the state could not be reloaded after a failed commit). */
static const char *
hub_store_status(const struct bus_hub *hub)
{
	return hub->store_full ? "full" : hub->need_reload ? "failed" : "ok";
}

/* The refusal of a change while the store cannot commit. */
static json_t *
hub_store_refusal(struct bus_hub *hub)
{
	if (hub->store_full)
		return bus_reply_error("store_full", "The journal is full: the filesystem "
		    "holding the database %s has no space left, so the hub refuses changes "
		    "and nothing was done. Reads still work; once space is freed the hub "
		    "accepts again by itself, and this can be sent again.", hub->cfg.db);
	return bus_reply_error("store_failed", "The hub could not bring its state back to "
	    "the database %s after a failed commit, so it refuses changes and nothing was "
	    "done; it accepts again by itself once it can.", hub->cfg.db);
}

/* Queue reply TEXT (taken) to the request with envelope ENV and ID. */
static void
hub_queue_text(struct bus_hub *hub, const struct bus_frame *env, int nenv, json_t *id,
    int ok, char *text)
{
	struct hub_reply *r;

	if (hub->nreplies == hub->replies_cap) {
		hub->replies_cap = hub->replies_cap ? hub->replies_cap * 2 : 64;
		hub->replies = xrealloc(hub->replies, hub->replies_cap * sizeof *hub->replies);
	}
	r = &hub->replies[hub->nreplies++];
	r->nenvelope = nenv;
	/* The received frames are gone after this callback: keep copies. */
	for (int i = 0; i < nenv; i++) {
		r->envelope[i].size = env[i].size;
		r->envelope[i].data = xstrndup(env[i].data, env[i].size);
	}
	r->id = json_incref(id);
	r->ok = ok;
	r->text = text;
}

static void
hub_queue_reply(struct bus_hub *hub, const struct bus_frame *env, int nenv, json_t *id,
    json_t *body)
{
	if (id != NULL)
		json_object_set(body, "id", id);
	hub_queue_text(hub, env, nenv, id, json_is_true(json_object_get(body, "ok")),
	    bus_codec_encode(body));
	json_decref(body);
}

struct replay_ctx {
	json_t *events;
	int64_t last;
};

static int
hub_replay_event(int64_t seq, const char *topic, const char *body, void *arg)
{
	struct replay_ctx *rc = arg;
	json_t *b = bus_json_loads(body, NULL);

	json_array_append_new(rc->events, json_pack("{s:s, s:o}", "topic", topic,
	    "body", b != NULL ? b : json_object()));
	rc->last = seq;
	return 0;
}

/* Events after a seq from the journal: cheap repair of a gap. */
static json_t *
hub_op_replay(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	(void)op;
	(void)who;
	struct replay_ctx rc = { json_array(), 0 };
	char *cause = NULL;
	int64_t after;
	int limit;

	after = json_integer_value(json_object_get(args, "after"));
	limit = json_object_get(args, "limit") ?
	    (int)json_integer_value(json_object_get(args, "limit")) : BUS_REPLAY_MAX;
	if (bus_store_replay(hub->store, after, limit, hub_replay_event, &rc, &cause) != 0) {
		json_t *r = bus_reply_error("store_failed", "Cannot read the journal: %s", cause);
		free(cause);
		json_decref(rc.events);
		return r;
	}
	/* "complete" says the reply reaches the last committed event. */
	return json_pack("{s:b, s:o, s:I, s:b}", "ok", 1, "events", rc.events,
	    "seq", (json_int_t)hub->committed_seq,
	    "complete", rc.last == hub->committed_seq || json_array_size(rc.events) == 0);
}

static int
hub_timeline_entry(const char *text, void *arg)
{
	json_t *e = json_loads(text, 0, NULL);

	if (e != NULL)
		json_array_append_new(arg, e);
	return 0;
}

/* A case's whole timeline (committed entries), in pages. */
static json_t *
hub_op_timeline(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	(void)op;
	(void)who;
	char *cause = NULL;
	json_t *r, *c;

	const char *id = json_string_value(json_object_get(args, "case"));
	json_t *after = json_object_get(args, "after"), *limit = json_object_get(args, "limit");
	if ((c = bus_state_get(hub->state, "case", id)) == NULL)
		return bus_reply_error("unknown_case", "There is no case %s.", id);
	json_t *entries = json_array();
	if (bus_store_timeline(hub->store, id, after ? json_integer_value(after) : 0,
	    limit ? (int)json_integer_value(limit) : BUS_REPLAY_MAX, hub_timeline_entry,
	    entries, &cause) != 0) {
		r = bus_reply_error("store_failed", "Cannot read the timeline: %s", cause);
		free(cause);
		json_decref(entries);
		return r;
	}
	return json_pack("{s:b, s:s, s:O, s:o}", "ok", 1, "case", id, "count",
	    json_object_get(c, "timeline_count"), "entries", entries);
}

/* An acknowledged ingest: the reply comes after the commit. */
static json_t *
hub_op_report(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	(void)op;
	char *cause = NULL, *object = NULL;
	const char *topic;
	json_t *body, *r;
	int class;

	topic = json_string_value(json_object_get(args, "topic"));
	body = json_object_get(args, "body");
	hub->stats.ingest_received++;
	class = bus_codec_check_ingest(topic, body, &cause);
	if (class != BUS_REJECT_NONE) {
		hub->stats.ingest_rejected[class]++;
		r = bus_reply_error("invalid", "%s", cause);
		free(cause);
		return r;
	}
	bus_state_ingest(hub->state, topic, body, who->user, bus_time_now_ms(), &object);
	hub->stats.ingest_accepted++;
	r = json_pack("{s:b, s:s}", "ok", 1, "object", object);
	free(object);
	return r;
}

static json_t *
hub_op_stats(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	(void)op;
	(void)who;
	(void)args;
	json_t *rej = json_object();

	for (int c = BUS_REJECT_FRAMES; c < BUS_REJECT_NCLASSES; c++)
		json_object_set_new(rej, bus_reject_names[c],
		    json_integer((json_int_t)hub->stats.ingest_rejected[c]));
	uint64_t rejected = 0;
	for (int c = 0; c < BUS_REJECT_NCLASSES; c++)
		rejected += hub->stats.ingest_rejected[c];
	json_t *r = json_pack("{s:b, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:o}, "
	    "s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I}",
	    "ok", 1, "hub", hub->hub_id, "seq", (json_int_t)hub->committed_seq,
	    "uptime_s", (json_int_t)((bus_time_now_ms() - hub->started_at) / 1000),
	    "ingest", "received", (json_int_t)hub->stats.ingest_received,
	    "accepted", (json_int_t)hub->stats.ingest_accepted,
	    "rejected", (json_int_t)rejected, "rejected_by_reason", rej,
	    "control", "requests", (json_int_t)hub->stats.control_requests,
	    "refused", (json_int_t)hub->stats.control_refused,
	    "malformed", (json_int_t)hub->stats.control_malformed,
	    "rate_limited", (json_int_t)hub->stats.control_rate_limited,
	    "key_refused", (json_int_t)hub->stats.control_key_refused,
	    "events_published", (json_int_t)hub->stats.events_published,
	    "commits", (json_int_t)hub->stats.commits,
	    "store_failures", (json_int_t)hub->stats.store_failures);
	json_object_set_new(r, "store", json_string(hub_store_status(hub)));
	json_object_set_new(r, "followers", json_integer(hub->followers));
	json_object_set_new(r, "demo", json_boolean(hub->demo));
	if (hub->zap != NULL) {
		const struct bus_zap_stats *z = bus_zap_stats(hub->zap);
		json_object_set_new(r, "curve", json_pack("{s:I, s:I, s:I, s:I}",
		    "keys", (json_int_t)bus_keys_count(hub->keys),
		    "handshakes_allowed", (json_int_t)z->allowed,
		    "handshakes_denied", (json_int_t)z->denied,
		    "events_listeners", (json_int_t)hub->nlisteners));
	}
	return r;
}

/* The whole state, as text (bus_state_snapshot). "tail" (optional,
 * 0..BUS_TIMELINE_TAIL) cuts each case's timeline to its last entries;
 * other fields are ignored. NULL and *REFUSAL for a bad tail. */
static char *
hub_op_snapshot(struct bus_hub *hub, json_t *args, json_t *id, json_t **refusal)
{
	json_t *tail = json_object_get(args, "tail");

	if (tail != NULL && (!json_is_integer(tail) || json_integer_value(tail) < 0 ||
	    json_integer_value(tail) > BUS_TIMELINE_TAIL)) {
		*refusal = bus_reply_error("invalid", "snapshot: tail is the number of timeline "
		    "entries each case carries, a whole number from 0 to %d", BUS_TIMELINE_TAIL);
		return NULL;
	}
	json_t *head = json_pack("{s:b, s:s}", "ok", 1, "hub", hub->hub_id);
	if (id != NULL)
		json_object_set(head, "id", id);
	char *text = bus_state_snapshot(hub->state, head, HUB_SNAPSHOT_INTEL, tail != NULL ?
	    (size_t)json_integer_value(tail) : BUS_TIMELINE_TAIL);
	json_decref(head);
	return text;
}

/* The allow-list's ops, for leads; a key that lost access loses its open
 * connections too. */
static json_t *
hub_op_keys(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	int revoked;

	if (hub->keys == NULL)
		return bus_reply_error("invalid", "%s: CURVE is off on this hub, so it has no "
		    "keys; set [curve] key in watchd.conf", op->name);
	json_t *r = bus_keys_op(hub->keys, op->name, args, &revoked);
	if (revoked)
		hub_cut_listeners(hub);
	if (json_is_true(json_object_get(r, "ok")) && op->writes)
		log_info("keys: %s by %s: %s", op->name, who->user,
		    json_string_value(json_object_get(args, "key")));
	return r;
}

/* The audit trail, for leads (bus-audit). */
static json_t *
hub_op_audit(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	(void)who;
	(void)op;
	return bus_audit_op(hub->store, args);
}

static json_t *
hub_op_whoami(struct bus_hub *hub, const struct bus_actor *who, const struct bus_op *op,
    json_t *args)
{
	(void)op;
	(void)args;
	return json_pack("{s:b, s:s, s:s, s:b}", "ok", 1, "user", who->user, "role",
	    bus_role_name(who->role), "demo", hub->demo);
}

/*
 * The ops the hub answers itself, because they need the store, the keys
 * or the hub's counters, bound to their registry entries (bus-ops); every
 * other op goes to the state's table.
 */
typedef json_t *hub_op_fn(struct bus_hub *, const struct bus_actor *, const struct bus_op *,
    json_t *args);
static const struct hub_handler {
	hub_op_fn *fn;
	/* Instead of fn: the reply made as text, with the request's id; NULL
	 * and a refusal when it is refused. */
	char *(*text)(struct bus_hub *, json_t *args, json_t *id, json_t **refusal);
} hub_handlers[BUS_NOPS] = {
	[BUS_OP_SNAPSHOT] = { NULL, hub_op_snapshot },
	[BUS_OP_REPLAY] = { hub_op_replay, NULL },
	[BUS_OP_TIMELINE] = { hub_op_timeline, NULL },
	[BUS_OP_STATS] = { hub_op_stats, NULL },
	[BUS_OP_WHOAMI] = { hub_op_whoami, NULL },
	[BUS_OP_AUDIT] = { hub_op_audit, NULL },
	[BUS_OP_REPORT] = { hub_op_report, NULL },
	[BUS_OP_KEY_ALLOW] = { hub_op_keys, NULL },
	[BUS_OP_KEY_REVOKE] = { hub_op_keys, NULL },
	[BUS_OP_KEY_LIST] = { hub_op_keys, NULL },
};

/* Does the hub answer OP itself (else the state does)? */
int
bus_hub_answers(const struct bus_op *op)
{
	return hub_handlers[op->id].fn != NULL || hub_handlers[op->id].text != NULL;
}

/*
 * One control message: [identity] [empty, from REQ only] topic body.
 * A request that cannot be parsed still gets an answer when it can be
 * routed, so that a client learns what it did wrong.
 */
static void
hub_control_msg(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct bus_hub *hub = arg;
	struct bus_request req;
	json_t *reply;
	char person[sizeof ((struct bus_key *)0)->person];
	int nenv;

	hub->stats.control_requests++;
	if (n < 1)
		return;
	nenv = n >= 2 && frames[1].size == 0 ? 2 : 1;

	/* Parsed first, so that even a refusal carries the client's id; the
	 * rate counts every message, well-formed or not. */
	int parsed = bus_request_parse(frames + nenv, n - (size_t)nenv, truncated, &req,
	    &reply) == 0;
	if (!hub_rate_ok(hub)) {
		/* Not audited: a flood would fill the trail with itself. */
		hub->stats.control_rate_limited++;
		json_decref(reply);
		reply = bus_reply_error("rate_limited", "More than %d requests a second on this "
		    "connection; nothing was done. Slow down and send it again.",
		    hub->cfg.control_rate);
		goto queue;
	}
	if (!parsed) {
		hub->stats.control_malformed++;
		goto queue;
	}
	/* With CURVE the person and role are the key's, whatever the body
	 * says; on a trusted machine, the name the client gives. */
	struct bus_actor who;
	if (hub->keys != NULL) {
		const char *key = bus_sock_meta(hub->control, "User-Id");
		const struct bus_key *k = hub_sender(hub, hub->control, BUS_SOCKET_CONTROL, NULL);
		if (k == NULL) {
			/* A key revoked while its connection was open: on record as
			 * the person it was, if the hub still knows. */
			const struct bus_key *was = bus_keys_find_revoked(hub->keys, key);
			hub->stats.control_key_refused++;
			reply = bus_reply_error("forbidden", "This connection's key is no longer "
			    "allowed (it was revoked); nothing was done.");
			snprintf(person, sizeof person, "%s", was != NULL ? was->person :
			    "revoked-key");
			who = (struct bus_actor){ person, was != NULL ? was->role : BUS_ROLE_VIEWER };
			bus_audit_add(hub->audit, &who, req.op, req.args, reply, bus_time_now_ms());
			goto queue;
		}
		/* A copy: a key op below rebuilds the list that K points into. */
		snprintf(person, sizeof person, "%s", k->person);
		who = (struct bus_actor){ person, k->role };
	} else {
		const char *name = req.user != NULL ? req.user : "anonymous";
		who = (struct bus_actor){ name, bus_state_role(hub->state, name) };
	}
	const char *user = who.user;
	const struct bus_op *op = bus_op_find(req.op);
	int writes = op == NULL || op->writes;
	if ((hub->store_full || hub->need_reload) && writes) {
		/* Not audited: the trail cannot be written either. A refused
		 * report counts as a refused ingest, as on the ingest socket. */
		if (op != NULL && op->id == BUS_OP_REPORT) {
			hub->stats.ingest_received++;
			hub->stats.ingest_rejected[BUS_REJECT_STORE_FULL]++;
		}
		hub->stats.control_refused++;
		reply = hub_store_refusal(hub);
		if (bus_log_limited(&hub->reject_log))
			log_warn("control: %s by %s refused: the store cannot commit", req.op, user);
		goto queue;
	}
	const struct hub_handler *h = op != NULL ? &hub_handlers[op->id] : NULL;
	if ((reply = bus_op_refusal(op, req.op, user, who.role, req.args)) != NULL)
		;
	else if (h->text != NULL) {
		char *text = h->text(hub, req.args, req.id, &reply);
		if (text != NULL) {
			/* A read that succeeded: neither logged nor audited. */
			hub_queue_text(hub, frames, nenv, req.id, 1, text);
			bus_request_clear(&req);
			return;
		}
	} else if (h->fn != NULL)
		reply = h->fn(hub, &who, op, req.args);
	else
		reply = bus_state_op(hub->state, &who, op, req.args, bus_time_now_ms());
	if (!json_is_true(json_object_get(reply, "ok"))) {
		hub->stats.control_refused++;
		log_info("control: %s by %s (%s) refused: %s", req.op, user,
		    bus_role_name(who.role),
		    json_string_value(json_object_get(json_object_get(reply, "error"), "message")));
	} else if (writes)
		log_info("control: %s by %s (%s) ok", req.op, user, bus_role_name(who.role));
	/* On record: every change and every refusal; not the reads consoles
	 * make all the time. The row is committed before the reply is sent. */
	if (!json_is_true(json_object_get(reply, "ok")) || writes)
		bus_audit_add(hub->audit, &who, req.op, req.args, reply, bus_time_now_ms());
queue:
	hub_queue_reply(hub, frames, nenv, req.id, reply);
	bus_request_clear(&req);
}

/* ------------------------------------------------------------------ */
/* The batch: commit, then publish, then reply. */

static void
hub_publish(struct bus_hub *hub, const char *topic, const char *body)
{
	struct bus_frame f[2] = { { topic, strlen(topic) }, { body, strlen(body) } };

	/* PUB never blocks: a subscriber past its high-water mark loses
	 * messages, sees the gap in seq, and repairs it with replay. */
	if (bus_sock_send(hub->pub, f, 2, ZMQ_DONTWAIT) != 0)
		log_warn("publish %s: %s", topic, zmq_strerror(errno));
	else if (strcmp(topic, BUS_HEARTBEAT_TOPIC) != 0)
		hub->stats.events_published++;
}

/* Write the batch: its events, where each object now stands, the
 * timeline entries the batch added and the turn's audit rows, in one
 * transaction. */
static int
hub_commit(struct bus_hub *hub, const struct bus_change *ch, size_t n, char **cause)
{
	const struct bus_timeline_row *rows;
	size_t nrows = bus_state_pending_timeline(hub->state, &rows);

	if (bus_store_begin(hub->store, cause) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (bus_store_put_event(hub->store, ch[i].seq, ch[i].ts, ch[i].topic,
		    ch[i].body, cause) != 0 ||
		    (ch[i].removed ?
		    bus_store_delete_object(hub->store, ch[i].kind, ch[i].id, cause) :
		    bus_store_put_object(hub->store, ch[i].kind, ch[i].id, ch[i].seq,
		    cause)) != 0)
			goto fail;
	}
	for (size_t i = 0; i < nrows; i++) {
		if (bus_store_put_timeline(hub->store, rows[i].case_id, rows[i].n,
		    rows[i].ts, rows[i].entry, cause) != 0)
			goto fail;
	}
	if (bus_audit_write(hub->audit, hub->store, cause) != 0)
		goto fail;
	return bus_store_commit(hub->store, cause);
fail:
	bus_store_rollback(hub->store);
	return -1;
}

/* Throw away uncommitted changes: rebuild the state from the store. */
static int
hub_reload(struct bus_hub *hub, char **cause)
{
	struct bus_state *st = bus_state_new(
	    hub->cfg.sensor_interval_ms * hub->cfg.sensor_misses, hub->cfg.alert_window_ms);

	if (bus_state_load(st, hub->store, cause) != 0) {
		bus_state_free(st);
		return -1;
	}
	bus_state_free(hub->state);
	hub->state = st;
	hub->committed_seq = bus_state_seq(st);
	return 0;
}

static void
hub_send_replies(struct bus_hub *hub, int failed, const char *why)
{
	for (size_t i = 0; i < hub->nreplies; i++) {
		struct hub_reply *r = &hub->replies[i];
		struct bus_frame f[4];
		size_t nf = 0;

		if (failed && r->ok) {
			json_t *err = hub->store_full ? hub_store_refusal(hub) :
			    bus_reply_error("store_failed", "The hub could not save "
			    "this change and made none: %s", why);
			if (r->id != NULL)
				json_object_set(err, "id", r->id);
			free(r->text);
			r->text = bus_codec_encode(err);
			json_decref(err);
		}
		char *text = r->text;
		for (int e = 0; e < r->nenvelope; e++)
			f[nf++] = r->envelope[e];
		f[nf].data = "reply";
		f[nf++].size = 5;
		f[nf].data = text;
		f[nf++].size = strlen(text);
		/* A ROUTER drops replies to peers that are gone; that is fine. */
		bus_sock_send(hub->control_z, f, nf, ZMQ_DONTWAIT);
		free(text);
		for (int e = 0; e < r->nenvelope; e++)
			free((void *)r->envelope[e].data);
		json_decref(r->id);
	}
	hub->nreplies = 0;
	/* Sending may have swallowed the edge of waiting requests. */
	bus_sock_rearm(hub->control);
}

/* A turn that could not be saved: its requests go on record as refused
 * (store_failed), as their replies say, in a transaction of their own;
 * if that fails too, the log is all there is. */
static void
hub_audit_failed(struct bus_hub *hub, const char *why)
{
	char *cause = NULL;

	bus_audit_failed(hub->audit, why);
	if (bus_audit_pending(hub->audit) > 0 && hub_commit(hub, NULL, 0, &cause) != 0) {
		log_error("store: %zu audit rows not saved: %s", bus_audit_pending(hub->audit),
		    cause);
		free(cause);
	}
	bus_audit_clear(hub->audit);
}

static void hub_store_down(struct bus_hub *, int full, const char *cause);

/* The after-events hook: run once per loop turn, by whoever owns the loop. */
void
bus_hub_flush(struct bus_hub *hub)
{
	const struct bus_change *ch;
	char *cause = NULL;
	size_t n;

	bus_state_settle(hub->state, bus_time_now_ms());
	/* A state that could not be reloaded may hold changes never committed:
	 * none of them may reach the journal. */
	if (hub->need_reload)
		bus_state_pending_clear(hub->state);
	n = bus_state_pending(hub->state, &ch);
	if (n == 0 && hub->nreplies == 0)
		return;
	/* A turn of refusals only still commits their audit rows. */
	if ((n > 0 || bus_audit_pending(hub->audit) > 0) &&
	    hub_commit(hub, ch, n, &cause) != 0) {
		/* Nothing of this batch is published; clients with an ok reply
		 * are told it failed; the state goes back to what is stored. */
		int full = bus_store_full(hub->store), was_down = hub->store_full;
		hub->stats.store_failures++;
		if (!was_down)
			log_error("store: batch of %zu events not saved: %s", n, cause);
		bus_state_pending_clear(hub->state);
		char *reload_cause = NULL;
		if (hub_reload(hub, &reload_cause) != 0) {
			log_error("store: cannot reload state: %s", reload_cause);
			free(reload_cause);
			hub->need_reload = 1;
		}
		/* Refuse changes from now on, before the replies say why. */
		if (full || hub->need_reload)
			hub_store_down(hub, full, cause);
		hub_audit_failed(hub, cause);
		hub_send_replies(hub, 1, cause);
		free(cause);
		return;
	}
	bus_audit_clear(hub->audit);
	if (n > 0) {
		hub->stats.commits++;
		for (size_t i = 0; i < n; i++)
			hub_publish(hub, ch[i].topic, ch[i].body);
		hub->committed_seq = ch[n - 1].seq;
		bus_state_pending_clear(hub->state);
	}
	hub_send_replies(hub, 0, NULL);
}

/* ------------------------------------------------------------------ */
/* Heartbeat: liveness and the current seq, so subscribers see gaps. */

static void
hub_send_heartbeat(struct bus_hub *hub)
{
	char stamp[BUS_TIME_LEN], started[BUS_TIME_LEN];

	bus_time_format(bus_time_now_ms(), stamp);
	bus_time_format(hub->started_at, started);
	json_t *hb = json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq",
	    (json_int_t)hub->committed_seq, "ts", stamp, "hub", hub->hub_id, "started_at",
	    started, "store", hub_store_status(hub));
	if (hub->demo)
		json_object_set_new(hb, "demo", json_true());
	char *body = bus_codec_encode(hb);
	hub->heartbeat_mono_ms = bus_time_mono_ms();
	hub_publish(hub, BUS_HEARTBEAT_TOPIC, body);
	free(body);
	json_decref(hb);
}

static void
hub_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct bus_hub *hub = arg;

	(void)fd;
	(void)what;
	bus_state_tick(hub->state, bus_time_now_ms());
	hub_send_heartbeat(hub);
}

/* ------------------------------------------------------------------ */
/* A store that cannot commit: refuse changes, and try again on a timer. */

/* The store cannot commit (FULL: for lack of space): say so at once on
 * the events socket, and start trying again. */
static void
hub_store_down(struct bus_hub *hub, int full, const char *cause)
{
	struct timeval tv = { HUB_STORE_RETRY_MS / 1000, (HUB_STORE_RETRY_MS % 1000) * 1000 };

	if (full && !hub->store_full)
		log_error("store: the filesystem holding %s is full (%s): refusing changes "
		    "until space is freed", hub->cfg.db, cause);
	else if (!full)
		log_error("store: refusing changes until the state is reloaded from %s",
		    hub->cfg.db);
	hub->store_full |= full;
	hub_send_heartbeat(hub);
	if (!evtimer_pending(hub->store_retry, NULL))
		evtimer_add(hub->store_retry, &tv);
}

/* The retry timer: bring the state back to the store if that failed, then
 * check that a transaction commits; if so, accept changes again. */
static void
hub_store_retry(evutil_socket_t fd, short what, void *arg)
{
	struct bus_hub *hub = arg;
	char *cause = NULL;

	(void)fd;
	(void)what;
	if (hub->need_reload) {
		if (hub_reload(hub, &cause) != 0) {
			log_debug("store: still cannot reload state: %s", cause);
			free(cause);
			return;
		}
		hub->need_reload = 0;
	}
	if (bus_store_probe(hub->store, bus_time_now_ms(), &cause) != 0) {
		log_debug("store: still cannot commit: %s", cause);
		if (bus_store_full(hub->store) && !hub->store_full)
			hub_store_down(hub, 1, cause);
		free(cause);
		return;
	}
	evtimer_del(hub->store_retry);
	hub->store_full = 0;
	log_info("store: %s commits again: accepting changes", hub->cfg.db);
	hub_send_heartbeat(hub);
}

/* ------------------------------------------------------------------ */

static void
hub_make_id(char out[BUS_HUB_ID_LEN + 1])
{
	unsigned char raw[BUS_HUB_ID_LEN / 2];

	if (getrandom(raw, sizeof raw, 0) != sizeof raw) {
		uint64_t v = (uint64_t)bus_time_now_ms() ^ ((uint64_t)getpid() << 32);
		memcpy(raw, &v, sizeof raw);
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Read the allow file into the keys; every error, one a line, in *cause. */
static int
hub_load_allow(struct bus_hub *hub, char **cause)
{
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);

	int errors = bus_keys_load_file(hub->keys, hub->cfg.allow, err);
	fclose(err);
	if (errors > 0) {
		if (len > 0 && text[len - 1] == '\n')
			text[len - 1] = '\0';
		*cause = text;
		return -1;
	}
	free(text);
	return 0;
}

/* CURVE on: the hub's key, the allow-list, and the ZAP handler, which
 * must be listening before any socket binds: a CURVE socket with no
 * handler lets every client key in. */
static int
hub_curve_start(struct bus_hub *hub, void *zctx, char **cause)
{
	if (bus_curve_available(cause) != 0 ||
	    bus_curve_load_secret(hub->cfg.curve_key, &hub->curve, cause) != 0 ||
	    (hub->keys = bus_keys_new(hub->store, cause)) == NULL)
		return -1;
	if (hub->cfg.allow != NULL && hub_load_allow(hub, cause) != 0)
		return -1;
	if (bus_keys_count(hub->keys) == 0) {
		xasprintf(cause, "CURVE is on but no client key is allowed (no allow file, and "
		    "none in %s): nobody could connect, not even a lead to allow one; list "
		    "keys in an allow file (--allow)", hub->cfg.db);
		return -1;
	}
	if ((hub->zap = bus_zap_new(hub->base, zctx, hub->keys, cause)) == NULL)
		return -1;
	log_info("CURVE on: hub key %s, %zu client keys allowed", hub->curve.public_key,
	    bus_keys_count(hub->keys));
	return 0;
}

int
bus_hub_reload_keys(struct bus_hub *hub, char **cause)
{
	if (hub->keys == NULL) {
		xasprintf(cause, "CURVE is off: there are no keys to reload");
		return -1;
	}
	if (hub->cfg.allow == NULL) {
		xasprintf(cause, "no allow file is configured");
		return -1;
	}
	if (hub_load_allow(hub, cause) != 0)
		return -1;
	hub_cut_listeners(hub);
	log_info("allow file %s read again: %zu client keys allowed", hub->cfg.allow,
	    bus_keys_count(hub->keys));
	return 0;
}

/*
 * A demo floor or a live one, as the database says: a new database takes
 * what --demo says and remembers it; a live floor's database never takes
 * demo traffic, and a demo's stays a demo (its consoles say DEMO).
 */
static int
hub_demo_check(struct bus_hub *hub, char **cause)
{
	int64_t marked = 0;
	int fresh = hub->committed_seq == 0;

	if (bus_store_meta_get(hub->store, "demo", &marked) != 0)
		marked = 0;
	if (hub->cfg.demo && !marked && !fresh) {
		xasprintf(cause, "%s holds a live floor (seq %lld), and a demo's made-up traffic "
		    "must never land on one: run the demo on a database of its own (--db)",
		    hub->cfg.db, (long long)hub->committed_seq);
		return -1;
	}
	if (hub->cfg.demo && !marked && bus_store_meta_set(hub->store, "demo", 1, cause) != 0)
		return -1;
	hub->demo = hub->cfg.demo || marked;
	if (hub->demo)
		log_info("a demo floor: %s", hub->cfg.db);
	return 0;
}

struct bus_hub *
bus_hub_new(struct event_base *base, void *zctx, const struct bus_hub_config *cfg,
    char **cause)
{
	struct bus_hub *hub = xcalloc(1, sizeof *hub);
	char *inner = NULL;

	hub->cfg = *cfg;
	hub->base = base;
	hub->reject_log = (struct bus_log_limit){ "ingest: rejections", HUB_REJECT_LOGS, 0, 0, 0 };
	hub->started_at = bus_time_now_ms();
	hub_make_id(hub->hub_id);
	hub->audit = bus_audit_new();

	hub->store = bus_store_open(cfg->db, cfg->synchronous,
	    (int64_t)cfg->wal_limit_mib << 20, cause);
	if (hub->store == NULL)
		goto fail;
	hub->state = bus_state_new(cfg->sensor_interval_ms * cfg->sensor_misses,
	    cfg->alert_window_ms);
	if (bus_state_load(hub->state, hub->store, &inner) != 0) {
		xasprintf(cause, "cannot load state from %s: %s", cfg->db, inner);
		free(inner);
		goto fail;
	}
	hub->committed_seq = bus_state_seq(hub->state);
	if (hub_demo_check(hub, cause) != 0)
		goto fail;
	bus_state_seed(hub->state, hub->started_at);

	if (cfg->curve_key != NULL && hub_curve_start(hub, zctx, cause) != 0)
		goto fail;
	const struct bus_curve *curve = hub->keys != NULL ? &hub->curve : NULL;
	/* Replies and events wait in bounded queues: a client that does not
	 * read loses its oldest, never the hub's memory. */
	struct bus_sock_opts pull = { ZMQ_PULL, cfg->ingest, 1, 0, 0, 0, curve, "ingest",
		cfg->handshake_ms };
	struct bus_sock_opts pub = { ZMQ_XPUB, cfg->events, 1, 0, cfg->pub_hwm, 0, curve,
		"events", cfg->handshake_ms };
	struct bus_sock_opts router = { ZMQ_ROUTER, cfg->control, 1, 0, 1000, 1000, curve,
		"control", cfg->handshake_ms };
	if ((hub->ingest_z = bus_sock_open(zctx, &pull, cause)) == NULL ||
	    (hub->pub = bus_sock_open(zctx, &pub, cause)) == NULL ||
	    (hub->control_z = bus_sock_open(zctx, &router, cause)) == NULL)
		goto fail;

	hub->ingest = bus_sock_watch(base, hub->ingest_z, cfg->drain_budget,
	    hub_ingest_msg, hub);
	hub->control = bus_sock_watch(base, hub->control_z, cfg->drain_budget,
	    hub_control_msg, hub);
	/* Every subscriber's subscription, not just the first of each topic:
	 * each tells which key's connection listens (hub_events_msg). The
	 * loop has not run yet, so none has been missed. */
	int verbose = 1;
	zmq_setsockopt(hub->pub, ZMQ_XPUB_VERBOSE, &verbose, sizeof verbose);
	hub->welcome = evtimer_new(base, hub_welcome_due, hub);
	hub->events = bus_sock_watch(base, hub->pub, cfg->drain_budget, hub_events_msg, hub);
	hub_monitor_start(hub, zctx);
	struct timeval tv = { cfg->heartbeat_ms / 1000, (cfg->heartbeat_ms % 1000) * 1000 };
	hub->heartbeat = event_new(base, -1, EV_PERSIST, hub_heartbeat, hub);
	event_add(hub->heartbeat, &tv);
	hub->store_retry = event_new(base, -1, EV_PERSIST, hub_store_retry, hub);

	/* Commit the seed (a new database) before anyone can ask. */
	bus_hub_flush(hub);
	log_info("hub %s up at seq %lld: ingest %s, events %s, control %s, db %s, %s",
	    hub->hub_id, (long long)hub->committed_seq, cfg->ingest, cfg->events,
	    cfg->control, cfg->db, hub->keys != NULL ? "CURVE" : "no CURVE (local trust)");
	return hub;
fail:
	bus_hub_free(hub);
	return NULL;
}

void
bus_hub_free(struct bus_hub *hub)
{
	if (hub == NULL)
		return;
	/* Commit what the last turn accepted before closing. */
	if (hub->state != NULL && hub->store != NULL && hub->control != NULL)
		bus_hub_flush(hub);
	if (hub->heartbeat != NULL)
		event_free(hub->heartbeat);
	if (hub->welcome != NULL)
		event_free(hub->welcome);
	if (hub->store_retry != NULL)
		event_free(hub->store_retry);
	bus_sock_unwatch(hub->ingest);
	bus_sock_unwatch(hub->control);
	bus_sock_unwatch(hub->events);
	bus_sock_unwatch(hub->monitor);
	if (hub->monitor_z != NULL) {
		zmq_socket_monitor(hub->pub, NULL, 0);
		zmq_close(hub->monitor_z);
	}
	if (hub->ingest_z != NULL)
		zmq_close(hub->ingest_z);
	if (hub->pub != NULL)
		zmq_close(hub->pub);
	if (hub->control_z != NULL)
		zmq_close(hub->control_z);
	bus_zap_free(hub->zap);
	bus_keys_free(hub->keys);
	free(hub->listeners);
	memset(&hub->curve, 0, sizeof hub->curve);
	bus_state_free(hub->state);
	bus_store_close(hub->store);
	free(hub->replies);
	bus_audit_free(hub->audit);
	free(hub);
}
