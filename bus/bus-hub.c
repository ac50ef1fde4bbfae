#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-hub.h"
#include "bus-request.h"
#include "bus-log.h"
#include "bus-schema.h"
#include "bus-sock.h"
#include "bus-state.h"
#include "bus-store.h"
#include "bus-time.h"
#include "xmalloc.h"

#define HUB_REPLAY_MAX    1000 /* events per replay reply */
#define HUB_SNAPSHOT_INTEL 500 /* newest intel items in a snapshot */
#define HUB_REJECT_LOGS     20 /* rejection lines logged per second */

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

/* Counters for the "stats" op. */
struct hub_stats {
	uint64_t ingest_received;
	uint64_t ingest_accepted;
	uint64_t ingest_rejected[REJECT_NCLASSES];
	uint64_t control_requests;
	uint64_t control_refused;
	uint64_t control_malformed;
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
	struct bus_store *store;
	struct bus_state *state;
	int64_t committed_seq;
	char hub_id[17];
	int64_t started_at;

	struct hub_reply *replies;
	size_t nreplies, replies_cap;

	struct hub_stats stats;
	int64_t reject_log_second;
	int reject_logged, reject_suppressed;
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
	c->heartbeat_ms = 1000;
	c->sensor_interval_ms = 10000;
	c->sensor_misses = 3;
	c->alert_window_ms = 3600 * 1000;
	c->drain_budget = 1000;
	c->pub_hwm = 100000;
}

int64_t
bus_hub_seq(const struct bus_hub *hub)
{
	return hub->committed_seq;
}

/* Log a rejection, but no more than a few lines a second under a flood. */
static void
hub_reject(struct bus_hub *hub, int class, const char *cause)
{
	int64_t second = bus_time_mono_ms() / 1000;

	hub->stats.ingest_rejected[class]++;
	if (second != hub->reject_log_second) {
		if (hub->reject_suppressed > 0)
			log_warn("ingest: %d more rejections not logged", hub->reject_suppressed);
		hub->reject_log_second = second;
		hub->reject_logged = hub->reject_suppressed = 0;
	}
	if (hub->reject_logged++ < HUB_REJECT_LOGS)
		log_warn("ingest: rejected (%s): %s", bus_reject_names[class], cause);
	else
		hub->reject_suppressed++;
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
	if (class == REJECT_NONE)
		class = bus_codec_check_ingest(topic, body, &cause);
	if (class != REJECT_NONE) {
		hub_reject(hub, class, cause);
		free(cause);
		json_decref(body);
		return;
	}
	bus_state_ingest(hub->state, topic, body, "ingest", bus_time_now_ms(), &object);
	hub->stats.ingest_accepted++;
	log_debug("ingest: %s -> %s", topic, object);
	free(object);
	json_decref(body);
}

/* ------------------------------------------------------------------ */
/* Control: requests and replies. */

static void
hub_queue_reply(struct bus_hub *hub, const struct bus_frame *env, int nenv, json_t *id,
    json_t *body)
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
	if (id != NULL)
		json_object_set(body, "id", id);
	r->id = json_incref(id);
	r->ok = json_is_true(json_object_get(body, "ok"));
	r->text = bus_codec_encode(body);
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
	json_t *b = json_loads(body, 0, NULL);

	json_array_append_new(rc->events, json_pack("{s:s, s:o}", "topic", topic,
	    "body", b != NULL ? b : json_object()));
	rc->last = seq;
	return 0;
}

static const struct bus_field replay_f[] = {
	{ "after", FIELD_INT, 1, 0, INT64_MAX, NULL, NULL },
	{ "limit", FIELD_INT, 0, 1, HUB_REPLAY_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema replay_schema = { "replay", replay_f };

static const struct bus_field timeline_f[] = {
	{ "case", FIELD_STRING, 1, 1, 64, NULL, NULL },
	{ "after", FIELD_INT, 0, 0, INT64_MAX, NULL, NULL },
	{ "limit", FIELD_INT, 0, 1, HUB_REPLAY_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema timeline_schema = { "timeline", timeline_f };

static const struct bus_field report_f[] = {
	{ "topic", FIELD_STRING, 1, 1, 32, bus_ingest_names, NULL },
	{ "body", FIELD_OBJECT, 1, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema report_schema = { "report", report_f };

/* Events after a seq from the journal: cheap repair of a gap. */
static json_t *
hub_op_replay(struct bus_hub *hub, const struct bus_actor *who, json_t *args)
{
	(void)who;
	struct replay_ctx rc = { json_array(), 0 };
	char *cause = NULL;
	int64_t after;
	int limit;

	if (bus_schema_check(&replay_schema, args, &cause) != 0) {
		json_t *r = bus_reply_error("invalid", "%s", cause);
		free(cause);
		json_decref(rc.events);
		return r;
	}
	after = json_integer_value(json_object_get(args, "after"));
	limit = json_object_get(args, "limit") ?
	    (int)json_integer_value(json_object_get(args, "limit")) : HUB_REPLAY_MAX;
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
hub_op_timeline(struct bus_hub *hub, const struct bus_actor *who, json_t *args)
{
	(void)who;
	char *cause = NULL;
	json_t *r, *c;

	if (bus_schema_check(&timeline_schema, args, &cause) != 0) {
		r = bus_reply_error("invalid", "%s", cause);
		free(cause);
		return r;
	}
	const char *id = json_string_value(json_object_get(args, "case"));
	json_t *after = json_object_get(args, "after"), *limit = json_object_get(args, "limit");
	if ((c = bus_state_get(hub->state, "case", id)) == NULL)
		return bus_reply_error("unknown_case", "There is no case %s.", id);
	json_t *entries = json_array();
	if (bus_store_timeline(hub->store, id, after ? json_integer_value(after) : 0,
	    limit ? (int)json_integer_value(limit) : HUB_REPLAY_MAX, hub_timeline_entry,
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
hub_op_report(struct bus_hub *hub, const struct bus_actor *who, json_t *args)
{
	char *cause = NULL, *object = NULL;
	const char *topic;
	json_t *body, *r;
	int class;

	if (!(who->role & (ROLE_OFFICER | ROLE_INTAKE | ROLE_LEAD)))
		return bus_reply_error("forbidden", "report needs the role officer, intake "
		    "or lead; %s has the role %s.", who->user, bus_role_name(who->role));
	if (bus_schema_check(&report_schema, args, &cause) != 0) {
		r = bus_reply_error("invalid", "%s", cause);
		free(cause);
		return r;
	}
	topic = json_string_value(json_object_get(args, "topic"));
	body = json_object_get(args, "body");
	hub->stats.ingest_received++;
	class = bus_codec_check_ingest(topic, body, &cause);
	if (class != REJECT_NONE) {
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
hub_op_stats(struct bus_hub *hub, const struct bus_actor *who, json_t *args)
{
	(void)who;
	(void)args;
	json_t *rej = json_object();

	for (int c = REJECT_FRAMES; c < REJECT_NCLASSES; c++)
		json_object_set_new(rej, bus_reject_names[c],
		    json_integer((json_int_t)hub->stats.ingest_rejected[c]));
	uint64_t rejected = 0;
	for (int c = 0; c < REJECT_NCLASSES; c++)
		rejected += hub->stats.ingest_rejected[c];
	json_t *r = json_pack("{s:b, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:o}, "
	    "s:{s:I, s:I, s:I}, s:I, s:I, s:I}",
	    "ok", 1, "hub", hub->hub_id, "seq", (json_int_t)hub->committed_seq,
	    "uptime_s", (json_int_t)((bus_time_now_ms() - hub->started_at) / 1000),
	    "ingest", "received", (json_int_t)hub->stats.ingest_received,
	    "accepted", (json_int_t)hub->stats.ingest_accepted,
	    "rejected", (json_int_t)rejected, "rejected_by_reason", rej,
	    "control", "requests", (json_int_t)hub->stats.control_requests,
	    "refused", (json_int_t)hub->stats.control_refused,
	    "malformed", (json_int_t)hub->stats.control_malformed,
	    "events_published", (json_int_t)hub->stats.events_published,
	    "commits", (json_int_t)hub->stats.commits,
	    "store_failures", (json_int_t)hub->stats.store_failures);
	return r;
}

static json_t *
hub_op_snapshot(struct bus_hub *hub, const struct bus_actor *who, json_t *args)
{
	json_t *snap = bus_state_snapshot(hub->state, HUB_SNAPSHOT_INTEL);

	(void)who;
	(void)args;
	json_object_set_new(snap, "hub", json_string(hub->hub_id));
	return snap;
}

static json_t *
hub_op_whoami(struct bus_hub *hub, const struct bus_actor *who, json_t *args)
{
	(void)hub;
	(void)args;
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "user", who->user, "role",
	    bus_role_name(who->role));
}

/*
 * Ops the hub answers itself, because they need the store or the hub's
 * counters; every other op goes to the state's table. Read-only ops are
 * not logged: consoles ask for them all the time.
 */
static const struct hub_op {
	const char *name;
	json_t *(*fn)(struct bus_hub *, const struct bus_actor *, json_t *);
	int read_only;
} hub_ops[] = {
	{ "snapshot", hub_op_snapshot, 1 },
	{ "replay", hub_op_replay, 1 },
	{ "timeline", hub_op_timeline, 1 },
	{ "stats", hub_op_stats, 1 },
	{ "whoami", hub_op_whoami, 1 },
	{ "report", hub_op_report, 0 },
};

static const struct hub_op *
hub_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof hub_ops / sizeof hub_ops[0]; i++) {
		if (strcmp(hub_ops[i].name, name) == 0)
			return &hub_ops[i];
	}
	return NULL;
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
	int nenv;

	hub->stats.control_requests++;
	if (n < 1)
		return;
	nenv = n >= 2 && frames[1].size == 0 ? 2 : 1;

	if (bus_request_parse(frames + nenv, n - (size_t)nenv, truncated, &req, &reply) != 0) {
		hub->stats.control_malformed++;
		goto queue;
	}
	const char *user = req.user != NULL ? req.user : "anonymous";
	struct bus_actor who = { user, bus_state_role(hub->state, user) };
	const struct hub_op *hop = hub_op_find(req.op);
	if (hop != NULL)
		reply = hop->fn(hub, &who, req.args);
	else
		reply = bus_state_op(hub->state, &who, req.op, req.args, bus_time_now_ms());
	if (!json_is_true(json_object_get(reply, "ok"))) {
		hub->stats.control_refused++;
		log_info("control: %s by %s (%s) refused: %s", req.op, user,
		    bus_role_name(who.role),
		    json_string_value(json_object_get(json_object_get(reply, "error"), "message")));
	} else if (hop == NULL || !hop->read_only)
		log_info("control: %s by %s (%s) ok", req.op, user, bus_role_name(who.role));
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

/* Write the batch: its events, where each object now stands, and the
 * timeline entries the batch added, in one transaction. */
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
			json_t *err = bus_reply_error("store_failed", "The hub could not save "
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

/* The after-events hook: run once per loop turn, by whoever owns the loop. */
void
bus_hub_flush(struct bus_hub *hub)
{
	const struct bus_change *ch;
	char *cause = NULL;
	size_t n;

	bus_state_settle(hub->state, bus_time_now_ms());
	n = bus_state_pending(hub->state, &ch);
	if (n == 0 && hub->nreplies == 0)
		return;
	if (n > 0 && hub_commit(hub, ch, n, &cause) != 0) {
		/* Nothing of this batch is published; clients with an ok reply
		 * are told it failed; the state goes back to what is stored. */
		hub->stats.store_failures++;
		log_error("store: batch of %zu events not saved: %s", n, cause);
		bus_state_pending_clear(hub->state);
		char *reload_cause = NULL;
		if (hub_reload(hub, &reload_cause) != 0) {
			log_error("store: cannot reload state: %s", reload_cause);
			free(reload_cause);
		}
		hub_send_replies(hub, 1, cause);
		free(cause);
		return;
	}
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
hub_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct bus_hub *hub = arg;
	char stamp[BUS_TIME_LEN], started[BUS_TIME_LEN];
	int64_t now = bus_time_now_ms();

	(void)fd;
	(void)what;
	bus_state_tick(hub->state, now);
	bus_time_format(now, stamp);
	bus_time_format(hub->started_at, started);
	json_t *hb = json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)hub->committed_seq,
	    "ts", stamp, "hub", hub->hub_id, "started_at", started);
	char *body = bus_codec_encode(hb);
	hub_publish(hub, BUS_HEARTBEAT_TOPIC, body);
	free(body);
	json_decref(hb);
}

/* ------------------------------------------------------------------ */

static void
hub_make_id(char out[17])
{
	unsigned char raw[8];

	if (getrandom(raw, sizeof raw, 0) != sizeof raw) {
		uint64_t v = (uint64_t)bus_time_now_ms() ^ ((uint64_t)getpid() << 32);
		memcpy(raw, &v, sizeof raw);
	}
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

struct bus_hub *
bus_hub_new(struct event_base *base, void *zctx, const struct bus_hub_config *cfg,
    char **cause)
{
	struct bus_hub *hub = xcalloc(1, sizeof *hub);
	char *inner = NULL;

	hub->cfg = *cfg;
	hub->base = base;
	hub->started_at = bus_time_now_ms();
	hub_make_id(hub->hub_id);

	hub->store = bus_store_open(cfg->db, cfg->synchronous, cause);
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
	bus_state_seed(hub->state, hub->started_at);

	struct bus_sock_opts pull = { ZMQ_PULL, cfg->ingest, 1, 0, 0, 0 };
	struct bus_sock_opts pub = { ZMQ_PUB, cfg->events, 1, 0, cfg->pub_hwm, 0 };
	struct bus_sock_opts router = { ZMQ_ROUTER, cfg->control, 1, 0, 0, 0 };
	if ((hub->ingest_z = bus_sock_open(zctx, &pull, cause)) == NULL ||
	    (hub->pub = bus_sock_open(zctx, &pub, cause)) == NULL ||
	    (hub->control_z = bus_sock_open(zctx, &router, cause)) == NULL)
		goto fail;

	hub->ingest = bus_sock_watch(base, hub->ingest_z, cfg->drain_budget,
	    hub_ingest_msg, hub);
	hub->control = bus_sock_watch(base, hub->control_z, cfg->drain_budget,
	    hub_control_msg, hub);
	struct timeval tv = { cfg->heartbeat_ms / 1000, (cfg->heartbeat_ms % 1000) * 1000 };
	hub->heartbeat = event_new(base, -1, EV_PERSIST, hub_heartbeat, hub);
	event_add(hub->heartbeat, &tv);

	/* Commit the seed (a new database) before anyone can ask. */
	bus_hub_flush(hub);
	log_info("hub %s up at seq %lld: ingest %s, events %s, control %s, db %s",
	    hub->hub_id, (long long)hub->committed_seq, cfg->ingest, cfg->events,
	    cfg->control, cfg->db);
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
	bus_sock_unwatch(hub->ingest);
	bus_sock_unwatch(hub->control);
	if (hub->ingest_z != NULL)
		zmq_close(hub->ingest_z);
	if (hub->pub != NULL)
		zmq_close(hub->pub);
	if (hub->control_z != NULL)
		zmq_close(hub->control_z);
	bus_state_free(hub->state);
	bus_store_close(hub->store);
	free(hub->replies);
	free(hub);
}
