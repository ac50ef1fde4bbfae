#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-arena.h"
#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-json.h"
#include "bus-log.h"
#include "bus-offload.h"
#include "bus-ops.h"
#include "bus-reply.h"
#include "bus-rules.h"
#include "bus-schema.h"
#include "bus-state.h"
#include "bus-store.h"
#include "bus-time.h"
#include "xmalloc.h"

/*
 * What a sector's status is made of, kept up to date as cases change: its
 * open cases by level (ids, so that a sector raised by one case can name
 * it), and the arrival of the newest alert of each level from its
 * sensors. The alert the sector's level came from at the last settle is
 * kept too: the tick compares it with what the alerts hold now, to wake
 * the sector when an alert's hold steps down (alert_hold()).
 */
struct sector_tally {
	json_t *open[BUS_LEVEL_MAX + 1];     /* case id -> true, or NULL */
	int64_t alert_at[BUS_LEVEL_MAX + 1]; /* newest alert of level l; 0: none */
	int alert_hold, alert_sent;          /* at the last settle: held, as sent */
	int64_t alert_since;                 /* and that alert's arrival */
	int dirty;
	int force; /* emit at the next settle even if nothing computed changed */
};

struct bus_state {
	/* id -> object. A case loaded from the store is JSON null until it is
	 * first wanted (state_object): at a restart only the few fields the
	 * sector tallies need are read, not ten thousand timelines. */
	json_t *objects[BUS_KIND_COUNT];
	json_t *texts[BUS_KIND_COUNT];   /* id -> its JSON text, as last published */
	/* The texts of the cases read from the store at the start, by id, in
	 * an arena (bus-arena.h). A case's text here is the one used until the
	 * case is published again (texts then has it) or removed (text NULL);
	 * the memory stays until the state is freed. */
	struct bus_arena *loaded_arena;
	struct loaded_text *loaded;
	size_t nloaded;
	json_t *refs[BUS_KIND_COUNT];    /* producer ref -> id (cases, intel) */
	json_t *intel_order;         /* intel ids, oldest first */
	json_t *sensor_seen;         /* sensor id -> last contact (ms) */
	struct sector_tally sectors[BUS_NSECTORS];
	int64_t seq;
	int case_year, case_next;    /* ICS-<year>-<next> */
	int intel_year, intel_next;
	int sensor_timeout_ms;
	int alert_window_ms;

	struct bus_change *pending;
	size_t npending, pending_cap;
	struct bus_timeline_row *rows;
	size_t nrows, rows_cap;
};

/* ------------------------------------------------------------------ */
/* Small JSON helpers. */

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int
jint(const json_t *obj, const char *key, int dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void
jset_time(json_t *obj, const char *key, int64_t ms)
{
	char stamp[BUS_TIME_LEN];

	bus_time_format(ms, stamp);
	json_object_set_new(obj, key, json_string(stamp));
}

/* ------------------------------------------------------------------ */
/* Pending changes: each gets the next sequence number. */

struct loaded_text {
	const char *id;
	const char *text; /* NULL once the case is removed */
	size_t len;
};

static int
loaded_by_id(const void *a, const void *b)
{
	return strcmp(((const struct loaded_text *)a)->id, ((const struct loaded_text *)b)->id);
}

/* The text case ID was loaded with, or NULL. */
static struct loaded_text *
state_loaded(const struct bus_state *st, const char *id)
{
	struct loaded_text key = { id, NULL, 0 };

	return st->nloaded == 0 ? NULL :
	    bsearch(&key, st->loaded, st->nloaded, sizeof key, loaded_by_id);
}

/* The text of object ID of kind K as last published or as loaded, and its
 * length in *LEN; NULL if it has none. */
static const char *
state_text(const struct bus_state *st, int k, const char *id, size_t *len)
{
	json_t *t = json_object_get(st->texts[k], id);
	struct loaded_text *l;

	if (t != NULL) {
		*len = json_string_length(t);
		return json_string_value(t);
	}
	if (k != BUS_KIND_CASE || (l = state_loaded(st, id)) == NULL || l->text == NULL)
		return NULL;
	*len = l->len;
	return l->text;
}

/* Keep the text of object ID as published, LEN bytes (NULL: it was
 * removed); the snapshot is assembled from these, not encoded again. */
static void
state_keep_text(struct bus_state *st, enum bus_kind kind, const char *id, const char *text,
    size_t len)
{
	struct loaded_text *l;

	if (text != NULL) {
		json_object_set_new(st->texts[kind], id, json_stringn_nocheck(text, len));
		return;
	}
	json_object_del(st->texts[kind], id);
	if (kind == BUS_KIND_CASE && (l = state_loaded(st, id)) != NULL)
		l->text = NULL;
}

/* Object ID of kind K, its tree built from its text if it was loaded
 * without one; NULL if there is no such object. */
static json_t *
state_object(const struct bus_state *st, int k, const char *id)
{
	json_t *obj = id != NULL ? json_object_get(st->objects[k], id) : NULL;
	json_error_t err;
	size_t len;

	if (obj == NULL || !json_is_null(obj))
		return obj;
	obj = bus_json_loads(state_text(st, k, id, &len), &err);
	if (!json_is_object(obj)) {
		/* Checked whole when it was loaded (bus_json_fields): only a bug
		 * gets here, and a case that cannot be read must not be served. */
		log_error("store: object %s.%s is not valid JSON: %s", bus_kind_names[k], id,
		    err.text);
		abort();
	}
	json_object_set_new(st->objects[k], id, obj);
	return obj;
}

static void
state_emit(struct bus_state *st, enum bus_kind kind, const char *id, json_t *obj,
    int64_t now)
{
	struct bus_change *c;

	if (st->npending == st->pending_cap) {
		st->pending_cap = st->pending_cap ? st->pending_cap * 2 : 64;
		st->pending = xrealloc(st->pending, st->pending_cap * sizeof *st->pending);
	}
	c = &st->pending[st->npending++];
	c->seq = ++st->seq;
	c->ts = now;
	c->kind = xstrdup(bus_kind_names[kind]);
	c->id = xstrdup(id);
	xasprintf(&c->topic, "%s.%s", bus_kind_names[kind], id);
	json_object_set_new(obj, "seq", json_integer(c->seq));
	jset_time(obj, "ts", now);
	c->body = bus_codec_encode(obj);
	c->removed = json_is_true(json_object_get(obj, "removed"));
	if (c->removed)
		state_keep_text(st, kind, id, NULL, 0);
	else
		state_keep_text(st, kind, id, c->body, strlen(c->body));
}

size_t
bus_state_pending(const struct bus_state *st, const struct bus_change **out)
{
	*out = st->pending;
	return st->npending;
}

size_t
bus_state_pending_timeline(const struct bus_state *st, const struct bus_timeline_row **out)
{
	*out = st->rows;
	return st->nrows;
}

void
bus_state_pending_clear(struct bus_state *st)
{
	for (size_t i = 0; i < st->nrows; i++) {
		free(st->rows[i].case_id);
		free(st->rows[i].entry);
	}
	st->nrows = 0;
	for (size_t i = 0; i < st->npending; i++) {
		free(st->pending[i].topic);
		free(st->pending[i].kind);
		free(st->pending[i].id);
		free(st->pending[i].body);
	}
	st->npending = 0;
}

int64_t
bus_state_seq(const struct bus_state *st)
{
	return st->seq;
}

/* ------------------------------------------------------------------ */
/* Sector tallies: a case counts at its level in its sector while open. */

static int
case_is_open(const json_t *c)
{
	const char *s = jstr(c, "status");

	return s != NULL && strcmp(s, "closed") != 0;
}

/* Case ID in SECTOR at LEVEL with STATUS counts (SIGN +1) or no more (-1). */
static void
tally(struct bus_state *st, const char *id, const char *sector_id, const char *status,
    int level, int sign)
{
	int sector = sector_id != NULL ? bus_sector_find(sector_id) : -1;
	json_t **open;

	if (id == NULL || sector < 0 || level < BUS_LEVEL_MIN || level > BUS_LEVEL_MAX)
		return;
	st->sectors[sector].dirty = 1;
	if (status == NULL || strcmp(status, "closed") == 0)
		return;
	open = &st->sectors[sector].open[level];
	if (*open == NULL)
		*open = json_object();
	if (sign > 0)
		json_object_set_new(*open, id, json_true());
	else
		json_object_del(*open, id);
}

static void
tally_case(struct bus_state *st, const json_t *c, int sign)
{
	tally(st, jstr(c, "id"), jstr(c, "sector"), jstr(c, "status"), jint(c, "level", 1), sign);
}

/*
 * How long a sensor alert raises its sector. An alert of level L holds
 * the sector at L for the alert window (--alert-window, default 5 min),
 * then at one level less for each window after, down to 0: a Severe (4)
 * alert is 4 for 5 min, then 3, 2 and 1 for 5 min each, and is gone at 20
 * min. Minutes, because an officer triages an alert in minutes: a real
 * one becomes a case, and the case holds the level for as long as it is
 * open; one that does not should fade, not paint the floor for an hour
 * (with a one-hour window every sector of a demo floor read Severe or
 * Emergency within 14 minutes). Stepping down, not dropping at once, so a
 * sector that was just Severe still stands out for a while. The level the
 * alert of level LEVEL that arrived AT holds at NOW.
 */
static int
alert_hold(const struct bus_state *st, int level, int64_t at, int64_t now)
{
	int64_t age = now > at ? now - at : 0, steps;

	if (at <= 0 || level <= 0 || st->alert_window_ms <= 0)
		return 0;
	steps = age / st->alert_window_ms;
	return steps >= level ? 0 : level - (int)steps;
}

/* The level a sector's alerts hold at NOW, and the alert holding it (its
 * level as sent in *SENT, its arrival in *AT; of two holding the same,
 * the newer); 0, -1 and 0 when none does. */
static int
sector_alert(const struct bus_state *st, const struct sector_tally *t, int64_t now,
    int *sent, int64_t *at)
{
	int best = 0;

	*sent = -1;
	*at = 0;
	for (int l = 1; l <= BUS_LEVEL_MAX; l++) {
		int h = alert_hold(st, l, t->alert_at[l], now);
		if (h > 0 && (h > best || (h == best && t->alert_at[l] > *at))) {
			best = h;
			*sent = l;
			*at = t->alert_at[l];
		}
	}
	return best;
}

/* An alert of LEVEL arrived AT in sector SEC: it holds from then. */
static void
sector_note_alert(struct bus_state *st, int sec, int level, int64_t at)
{
	if (sec < 0 || level < 1 || level > BUS_LEVEL_MAX)
		return;
	if (at > st->sectors[sec].alert_at[level])
		st->sectors[sec].alert_at[level] = at;
	st->sectors[sec].dirty = 1;
}

static void
mark_sector(struct bus_state *st, const char *sector)
{
	int i = sector != NULL ? bus_sector_find(sector) : -1;

	if (i >= 0)
		st->sectors[i].dirty = 1;
}

/* ------------------------------------------------------------------ */
/* Lifetime and loading. */

struct bus_state *
bus_state_new(int sensor_timeout_ms, int alert_window_ms)
{
	struct bus_state *st = xcalloc(1, sizeof *st);

	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		st->objects[k] = json_object();
		st->texts[k] = json_object();
		st->refs[k] = json_object();
	}
	st->intel_order = json_array();
	st->sensor_seen = json_object();
	st->sensor_timeout_ms = sensor_timeout_ms;
	st->alert_window_ms = alert_window_ms;
	for (int s = 0; s < BUS_NSECTORS; s++)
		st->sectors[s].alert_sent = -1; /* as sector_alert() says "none" */
	return st;
}

void
bus_state_free(struct bus_state *st)
{
	if (st == NULL)
		return;
	bus_state_pending_clear(st);
	free(st->pending);
	free(st->rows);
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		json_decref(st->objects[k]);
		json_decref(st->texts[k]);
		json_decref(st->refs[k]);
	}
	json_decref(st->intel_order);
	json_decref(st->sensor_seen);
	for (int s = 0; s < BUS_NSECTORS; s++) {
		for (int l = 0; l <= BUS_LEVEL_MAX; l++)
			json_decref(st->sectors[s].open[l]);
	}
	bus_arena_free(st->loaded_arena);
	free(st->loaded);
	free(st);
}

/* Case and intel ids carry the year and a counter: ICS-2026-0042. */
static void
id_counter_note(const char *id, const char *prefix, int *year, int *next)
{
	size_t plen = strlen(prefix);
	char *end;
	long y, n;

	/* By hand, not sscanf: a restart notes every case's id. */
	if (strncmp(id, prefix, plen) != 0 || id[plen] != '-' ||
	    (y = strtol(id + plen + 1, &end, 10)) <= 0 || y > 9999 || *end != '-' ||
	    (n = strtol(end + 1, &end, 10)) < 0 || n >= INT_MAX)
		return;
	if (y > *year) {
		*year = (int)y;
		*next = (int)n + 1;
	} else if (y == *year && n + 1 > *next)
		*next = (int)n + 1;
}

/* The next free id of the year NOW falls in. Ids are never reused, even
 * when the clock steps back into a year that already has ids. */
static char *
id_counter_take(json_t *existing, const char *prefix, int *year, int *next, int64_t now)
{
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char *id = NULL;

	gmtime_r(&secs, &tm);
	if (tm.tm_year + 1900 != *year) {
		*year = tm.tm_year + 1900;
		*next = 1;
	}
	do {
		free(id);
		id = xprintf("%s-%d-%04d", prefix, *year, (*next)++);
	} while (json_object_get(existing, id) != NULL);
	return id;
}

/*
 * Loading the store. A case is loaded without its tree: this thread copies
 * its text out of SQLite into the arena and reads on, while the second
 * core checks the texts read so far (bus_json_fields, which also gives the
 * fields the sector tallies and the ref index need); when the reading is
 * done this thread checks too, and then enters every case (bus-offload.h).
 * The tree is built when the case is first wanted (state_object). Ten
 * thousand cases with their timelines were most of a restart
 * (docs/PERFORMANCE.md, "Hub restart").
 */
static const char *const case_load_keys[] = { "ref", "status", "level", "sector", NULL };

struct case_load {
	const char *id, *text; /* in the arena: nobody writes them */
	size_t len;
	json_t *fields[4];     /* case_load_keys, from the check */
	int unchecked;         /* outside the fast part: read whole after */
};

/* Only the loading thread touches this, never an item once handed over
 * (the helper may be writing its fields). */
struct state_loading {
	struct bus_state *st;
	struct bus_offload *checker;
	struct case_load **cases;
	size_t ncases, cap;    /* cases, and room in it and in st->loaded */
	char *cause;           /* why the load stopped */
};

/* Case C enters the tallies, the ref index and the id counter, with its
 * fields as VALUES holds them (case_load_keys). */
static void
state_enter_case(struct bus_state *st, const char *id, json_t *const *v)
{
	if (json_is_string(v[0]))
		json_object_set_new(st->refs[BUS_KIND_CASE], json_string_value(v[0]), json_string(id));
	/* As tally_case reads them: a level that is not an integer is 1. */
	tally(st, id, json_string_value(v[3]), json_string_value(v[1]),
	    json_is_integer(v[2]) ? (int)json_integer_value(v[2]) : 1, +1);
	id_counter_note(id, "ICS", &st->case_year, &st->case_next);
}

/* On either core: touches nothing but its case. A text outside the fast
 * decoder's part of JSON is left for jansson to read whole after. */
static void
case_load_check(void *item, void *arg)
{
	struct case_load *c = item;

	(void)arg;
	c->unchecked = bus_json_fields(c->text, c->len, case_load_keys, c->fields) != 0;
}

/* A text the store holds that is not an object, WHY: the hub must not
 * start on it, nor serve it. */
static int
state_load_refuse(struct state_loading *ld, const char *kind, const char *id,
    const char *why)
{
	if (ld->cause == NULL)
		xasprintf(&ld->cause, "object %s.%s is not valid JSON: %s", kind, id, why);
	return 1;
}

/* A case the checker left: jansson reads it whole, and its tree is kept. */
static int
state_load_unchecked(struct state_loading *ld, struct case_load *c)
{
	json_error_t err;
	json_t *obj = bus_json_loads(c->text, &err), *v[4];

	if (!json_is_object(obj)) {
		json_decref(obj);
		return state_load_refuse(ld, "case", c->id, err.text);
	}
	for (size_t i = 0; case_load_keys[i] != NULL; i++)
		v[i] = json_object_get(obj, case_load_keys[i]);
	state_enter_case(ld->st, c->id, v);
	json_object_set_new(ld->st->objects[BUS_KIND_CASE], c->id, obj);
	return 0;
}

/* Case ID from the store, its text BODY (LEN bytes): kept in the arena,
 * an object to build when wanted, and handed to the checker. */
static void
state_load_case(struct state_loading *ld, const char *id, const char *body, size_t len)
{
	struct bus_state *st = ld->st;

	if (st->loaded_arena == NULL)
		st->loaded_arena = bus_arena_new();
	struct case_load *c = bus_arena_alloc(st->loaded_arena, sizeof *c);
	c->id = bus_arena_copy(st->loaded_arena, id, strlen(id));
	c->text = bus_arena_copy(st->loaded_arena, body, len);
	c->len = len;
	memset(c->fields, 0, sizeof c->fields);
	c->unchecked = 0;
	if (ld->ncases == ld->cap) {
		ld->cap = ld->cap != 0 ? ld->cap * 2 : 1024;
		ld->cases = xrealloc(ld->cases, ld->cap * sizeof *ld->cases);
		st->loaded = xrealloc(st->loaded, ld->cap * sizeof *st->loaded);
	}
	ld->cases[ld->ncases++] = c;
	st->loaded[st->nloaded++] = (struct loaded_text){ c->id, c->text, len };
	json_object_set_new(st->objects[BUS_KIND_CASE], id, json_null());
	bus_offload_add(ld->checker, c);
}

/* One object from the store. Cases go to the checker; the few objects of
 * the other kinds are read whole here. */
static int
state_load_object(const char *kind, const char *id, const char *body, size_t len, void *arg)
{
	struct state_loading *ld = arg;
	struct bus_state *st = ld->st;
	int k = bus_domain_index(bus_kind_names, BUS_KIND_COUNT, kind);
	json_error_t err;
	json_t *obj;

	if (k < 0) {
		log_warn("store: skipping object of unknown kind '%s'", kind);
		return 0;
	}
	/* The text is served as LEN bytes, but read as a C string: a NUL in
	 * it would hide what follows from the check and cut every snapshot. */
	if (memchr(body, '\0', len) != NULL)
		return state_load_refuse(ld, kind, id, "a NUL byte in the text");
	if (k == BUS_KIND_CASE) {
		state_load_case(ld, id, body, len);
		return 0;
	}
	/* jansson's own decoder made this most of a restart (bus-json.h). */
	obj = bus_json_loads(body, &err);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return state_load_refuse(ld, kind, id, err.text);
	}
	json_object_set_new(st->objects[k], id, obj);
	state_keep_text(st, k, id, body, len);
	if (jstr(obj, "ref") != NULL)
		json_object_set_new(st->refs[k], jstr(obj, "ref"), json_string(id));
	if (k == BUS_KIND_INTEL)
		id_counter_note(id, "INT", &st->intel_year, &st->intel_next);
	return 0;
}

/* Every object from the store into ST; -1 and *CAUSE when the store cannot
 * be read or holds an object that is not JSON. */
static int
state_load_objects(struct bus_state *st, struct bus_store *store, char **cause)
{
	struct state_loading ld = { st, NULL, NULL, 0, 0, NULL };
	int rc;

	ld.checker = bus_offload_new(case_load_check, NULL);
	rc = bus_store_load(store, state_load_object, &ld, cause);
	bus_offload_finish(ld.checker);
	for (size_t n = 0; n < ld.ncases; n++) {
		struct case_load *c = ld.cases[n];
		if (rc == 0 && c->unchecked && state_load_unchecked(&ld, c) != 0)
			rc = -1;
		else if (rc == 0 && !c->unchecked)
			state_enter_case(st, c->id, c->fields);
		for (size_t i = 0; case_load_keys[i] != NULL; i++)
			json_decref(c->fields[i]);
	}
	free(ld.cases);
	/* The store gives cases by id (ORDER BY, BINARY collation), which is
	 * strcmp's order, so this costs little; sorting anyway means the
	 * search never depends on it. */
	if (st->nloaded > 1)
		qsort(st->loaded, st->nloaded, sizeof *st->loaded, loaded_by_id);
	if (rc != 0 && *cause == NULL) {
		*cause = ld.cause != NULL ? ld.cause : xstrdup("the store could not be read");
		ld.cause = NULL;
	}
	free(ld.cause);
	return rc;
}

/* Intel is ordered as it arrived: by the year and number of its id. */
static int
intel_by_arrival(const void *a, const void *b)
{
	const char *x = jstr(*(json_t *const *)a, "id"), *y = jstr(*(json_t *const *)b, "id");
	int xy = 0, xn = 0, yy = 0, yn = 0;

	sscanf(x, "INT-%d-%d", &xy, &xn);
	sscanf(y, "INT-%d-%d", &yy, &yn);
	if (xy != yy)
		return (xy > yy) - (xy < yy);
	return (xn > yn) - (xn < yn);
}

/* Rebuild the state from the store's objects; the journal is not read. */
int
bus_state_load(struct bus_state *st, struct bus_store *store, char **cause)
{
	const char *id;
	json_t *obj;
	int64_t now = bus_time_now_ms();

	if (state_load_objects(st, store, cause) != 0)
		return -1;
	st->seq = bus_store_last_seq(store);

	/* Intel is shown newest first. */
	size_t n = json_object_size(st->objects[BUS_KIND_INTEL]), i = 0;
	json_t **list = xcalloc(n, sizeof *list);
	json_object_foreach(st->objects[BUS_KIND_INTEL], id, obj)
		list[i++] = obj;
	qsort(list, n, sizeof *list, intel_by_arrival);
	for (i = 0; i < n; i++)
		json_array_append_new(st->intel_order, json_string(jstr(list[i], "id")));
	free(list);

	/* Sensors get a full timeout's grace after a hub restart; each one's
	 * last alert still raises its sector for the rest of its hold, and so
	 * does the alert each sector last said it was raised by. */
	json_object_foreach(st->objects[BUS_KIND_SENSOR], id, obj) {
		json_t *alert = json_object_get(obj, "last_alert");
		int sec = jstr(obj, "sector") ? bus_sector_find(jstr(obj, "sector")) : -1;
		int64_t at;
		json_object_set_new(st->sensor_seen, id, json_integer(now));
		if (jstr(alert, "received_at") != NULL &&
		    bus_time_parse(jstr(alert, "received_at"), &at) == 0)
			sector_note_alert(st, sec, jint(alert, "level", -1), at);
	}
	json_object_foreach(st->objects[BUS_KIND_SECTOR], id, obj) {
		int64_t at;
		if (jstr(obj, "alert_at") != NULL && bus_time_parse(jstr(obj, "alert_at"), &at) == 0)
			sector_note_alert(st, bus_sector_find(id), jint(obj, "alert_level", -1), at);
	}
	for (int s = 0; s < BUS_NSECTORS; s++)
		st->sectors[s].dirty = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The roster and sectors a fresh database starts with. */

static const struct {
	const char *name, *role;
} demo_staff[] = {
	{ "mori", "lead" },     { "hayes", "lead" },     { "chen", "intake" },
	{ "alvarez", "intake" }, { "okafor", "officer" }, { "tanaka", "officer" },
	{ "novak", "officer" },  { "watch", "viewer" },
};

static const struct {
	const char *team, *base;
	const char *members[3];
} demo_teams[] = {
	{ "FLY-1", "Arlington, VA", { "j.park", "r.singh", "m.ortiz" } },
	{ "FLY-2", "Idaho Falls, ID", { "a.reyes", "k.obi", "t.larsen" } },
	{ "FLY-3", "Arlington, VA", { "s.kim", "d.moreau", "p.iyer" } },
	{ "FLY-4", "Pittsburgh, PA", { "l.wong", "e.hart", "g.silva" } },
	{ "FLY-5", "Denver, CO", { "n.adler", "c.bauer", "h.sato" } },
	{ "FLY-6", "Houston, TX", { "b.nguyen", "f.costa", "y.haddad" } },
};

static json_t *
team_new(const char *name, const char *base, json_t *members, int64_t now)
{
	json_t *t = json_pack("{s:s, s:s, s:o, s:s, s:n}", "id", name, "base", base,
	    "members", members, "status", "available", "case");

	jset_time(t, "since", now);
	return t;
}

static void
sector_ensure(struct bus_state *st, int64_t now)
{
	for (int i = 0; i < BUS_NSECTORS; i++) {
		if (json_object_get(st->objects[BUS_KIND_SECTOR], bus_sectors[i].id) != NULL)
			continue;
		json_t *s = json_pack("{s:s, s:s, s:i, s:s, s:n, s:s, s:n, s:i, s:n, s:n, s:i,"
		    " s:i, s:i, s:i, s:n}",
		    "id", bus_sectors[i].id, "name", bus_sectors[i].name, "level", 0,
		    "level_source", "auto", "manual_level", "level_reason", "none",
		    "level_case", "level_cases", 0, "alert_level", "alert_at", "open_cases", 0,
		    "teams_onsite", 0, "sensors_up", 0, "sensors_down", 0, "last_alert");
		json_object_set_new(st->objects[BUS_KIND_SECTOR], bus_sectors[i].id, s);
		state_emit(st, BUS_KIND_SECTOR, bus_sectors[i].id, s, now);
	}
}

/* Give an empty database its sectors and the demo roster (docs/DOMAIN.md). */
void
bus_state_seed(struct bus_state *st, int64_t now)
{
	/* Only a database that has never had an event gets the demo roster:
	 * a floor whose leads removed everyone must not see it come back. */
	int fresh = st->seq == 0;

	sector_ensure(st, now);
	if (!fresh)
		return;
	for (size_t i = 0; i < sizeof demo_staff / sizeof demo_staff[0]; i++) {
		json_t *p = json_pack("{s:s, s:s}", "id", demo_staff[i].name, "role",
		    demo_staff[i].role);
		json_object_set_new(st->objects[BUS_KIND_STAFF], demo_staff[i].name, p);
		state_emit(st, BUS_KIND_STAFF, demo_staff[i].name, p, now);
	}
	for (size_t i = 0; i < sizeof demo_teams / sizeof demo_teams[0]; i++) {
		json_t *m = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]",
		    "name", demo_teams[i].members[0], "role", "lead",
		    "name", demo_teams[i].members[1], "role", "analyst",
		    "name", demo_teams[i].members[2], "role", "ics");
		json_t *t = team_new(demo_teams[i].team, demo_teams[i].base, m, now);
		json_object_set_new(st->objects[BUS_KIND_TEAM], demo_teams[i].team, t);
		state_emit(st, BUS_KIND_TEAM, demo_teams[i].team, t, now);
	}
	log_info("new database: seeded %d sectors, %zu staff and %zu teams",
	    BUS_NSECTORS, sizeof demo_staff / sizeof demo_staff[0],
	    sizeof demo_teams / sizeof demo_teams[0]);
}

/* The role the roster gives USER; anyone not on it is a viewer. */
int
bus_state_role(const struct bus_state *st, const char *user)
{
	json_t *p = user != NULL ? json_object_get(st->objects[BUS_KIND_STAFF], user) : NULL;
	int role = p != NULL ? bus_role_find(jstr(p, "role")) : 0;

	return role != 0 ? role : BUS_ROLE_VIEWER;
}

json_t *
bus_state_get(const struct bus_state *st, const char *kind, const char *id)
{
	int k = bus_domain_index(bus_kind_names, BUS_KIND_COUNT, kind);

	return k < 0 ? NULL : state_object(st, k, id);
}

/* ------------------------------------------------------------------ */
/* Cases. */

/*
 * Append to a case's timeline: the audit trail of who did what when. The
 * entry goes to the store in the same batch as the event; the case itself
 * keeps the last BUS_TIMELINE_TAIL entries and the count, so that its
 * events stay small however long the case lives.
 */
static void
timeline_add(struct bus_state *st, json_t *c, const char *who, const char *action,
    int64_t now, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
timeline_add(struct bus_state *st, json_t *c, const char *who, const char *action,
    int64_t now, const char *fmt, ...)
{
	json_t *tl = json_object_get(c, "timeline");
	int64_t n = (int64_t)json_integer_value(json_object_get(c, "timeline_count")) + 1;
	json_t *entry = json_pack("{s:I, s:s, s:s}", "n", (json_int_t)n, "who", who,
	    "action", action);
	struct bus_timeline_row *row;
	va_list ap;
	char *text;

	jset_time(entry, "ts", now);
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	json_object_set_new(entry, "text", json_string(text));
	free(text);

	if (st->nrows == st->rows_cap) {
		st->rows_cap = st->rows_cap ? st->rows_cap * 2 : 64;
		st->rows = xrealloc(st->rows, st->rows_cap * sizeof *st->rows);
	}
	row = &st->rows[st->nrows++];
	row->case_id = xstrdup(jstr(c, "id"));
	row->n = n;
	row->ts = now;
	row->entry = bus_codec_encode(entry);

	if (!json_is_array(tl)) {
		tl = json_array();
		json_object_set_new(c, "timeline", tl);
	}
	if (json_array_size(tl) >= BUS_TIMELINE_TAIL)
		json_array_remove(tl, 0);
	json_array_append_new(tl, entry);
	json_object_set_new(c, "timeline_count", json_integer((json_int_t)n));
}

static void
case_set_status(json_t *c, int status, int64_t now)
{
	json_object_set_new(c, "status", json_string(bus_case_status_names[status]));
	jset_time(c, "status_since", now);
}

/* Change an existing case's status, keeping its sector's tally right. */
static void
case_change_status(struct bus_state *st, json_t *c, int status, int64_t now)
{
	tally_case(st, c, -1);
	case_set_status(c, status, now);
	tally_case(st, c, +1);
}

/* Fields a producer's incident report sets on its case. */
static const char *const incident_copy_fields[] = {
	"title", "org", "sector", "level", "summary", "reported_at", "contact",
	"onsite_requested", NULL
};

/* Open a case from an incident body, or update the case with its ref. */
static int
state_incident(struct bus_state *st, json_t *body, const char *who, int64_t now,
    char **object)
{
	const char *ref = jstr(body, "ref");
	const char *id = ref != NULL ?
	    json_string_value(json_object_get(st->refs[BUS_KIND_CASE], ref)) : NULL;
	json_t *c = state_object(st, BUS_KIND_CASE, id);
	char changed[256] = "";

	if (c == NULL) {
		char *newid = id_counter_take(st->objects[BUS_KIND_CASE], "ICS", &st->case_year,
		    &st->case_next, now);
		c = json_pack("{s:s, s:i, s:s, s:n, s:[], s:s, s:n, s:n}", "id", newid,
		    "level", 1, "summary", "", "handler", "teams", "opened_by", who,
		    "acked_by", "acked_at");
		for (const char *const *f = incident_copy_fields; *f != NULL; f++) {
			if (json_object_get(body, *f) != NULL)
				json_object_set(c, *f, json_object_get(body, *f));
		}
		if (ref != NULL) {
			json_object_set_new(c, "ref", json_string(ref));
			json_object_set_new(st->refs[BUS_KIND_CASE], ref, json_string(newid));
		}
		case_set_status(c, BUS_CASE_REPORTED, now);
		jset_time(c, "opened_at", now);
		timeline_add(st, c, who, "opened", now, "opened at level %d (%s) in %s",
		    jint(c, "level", 1), bus_level_name(jint(c, "level", 1)),
		    jstr(c, "sector"));
		json_object_set_new(st->objects[BUS_KIND_CASE], newid, c);
		tally_case(st, c, +1);
		state_emit(st, BUS_KIND_CASE, newid, c, now);
		*object = xprintf("case.%s", newid);
		free(newid);
		return 0;
	}

	/* The same ref again updates its case; a resend that changes nothing
	 * is no event at all, so producers may retry freely. */
	int old_level = jint(c, "level", 1);
	tally_case(st, c, -1);
	for (const char *const *f = incident_copy_fields; *f != NULL; f++) {
		json_t *v = json_object_get(body, *f);
		if (v == NULL || json_equal(v, json_object_get(c, *f)))
			continue;
		mark_sector(st, jstr(c, "sector"));
		json_object_set(c, *f, v);
		if (strlen(changed) + strlen(*f) + 3 < sizeof changed)
			snprintf(changed + strlen(changed), sizeof changed - strlen(changed),
			    "%s%s", changed[0] ? ", " : "", *f);
	}
	tally_case(st, c, +1);
	*object = xprintf("case.%s", jstr(c, "id"));
	if (changed[0] == '\0')
		return 0;
	if (jint(c, "level", 1) > old_level) {
		/* A case that got worse needs someone to look at it again. */
		json_object_set_new(c, "acked_by", json_null());
		json_object_set_new(c, "acked_at", json_null());
	}
	timeline_add(st, c, who, "updated", now, "report updated: %s", changed);
	state_emit(st, BUS_KIND_CASE, jstr(c, "id"), c, now);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Intel and sensors. */

static const char *const intel_copy_fields[] = {
	"title", "source", "kind", "tlp", "sectors", "published", "url", "summary",
	"cves", NULL
};

static int
state_intel(struct bus_state *st, json_t *body, const char *who, int64_t now,
    char **object)
{
	const char *ref = jstr(body, "ref");
	const char *id = ref != NULL ?
	    json_string_value(json_object_get(st->refs[BUS_KIND_INTEL], ref)) : NULL;
	json_t *item = id != NULL ? json_object_get(st->objects[BUS_KIND_INTEL], id) : NULL;
	int changed = 0;

	if (item == NULL) {
		char *newid = id_counter_take(st->objects[BUS_KIND_INTEL], "INT", &st->intel_year,
		    &st->intel_next, now);
		/* Unmarked is not TLP:CLEAR (TLP 2.0): an item sent without a
		 * marking says so ("tlp": null) and is never shown as free to
		 * share. */
		item = json_pack("{s:s, s:s, s:n, s:[], s:[], s:s}", "id", newid,
		    "kind", "advisory", "tlp", "sectors", "cves", "received_by", who);
		jset_time(item, "received_at", now);
		if (ref != NULL) {
			json_object_set_new(item, "ref", json_string(ref));
			json_object_set_new(st->refs[BUS_KIND_INTEL], ref, json_string(newid));
		}
		json_object_set_new(st->objects[BUS_KIND_INTEL], newid, item);
		json_array_append_new(st->intel_order, json_string(newid));
		free(newid);
		changed = 1;
	}
	for (const char *const *f = intel_copy_fields; *f != NULL; f++) {
		json_t *v = json_object_get(body, *f);
		if (v != NULL && !json_equal(v, json_object_get(item, *f))) {
			json_object_set(item, *f, v);
			changed = 1;
		}
	}
	*object = xprintf("intel.%s", jstr(item, "id"));
	if (changed)
		state_emit(st, BUS_KIND_INTEL, jstr(item, "id"), item, now);
	return 0;
}

static void
sensor_set_status(json_t *s, const char *status, int64_t now)
{
	json_object_set_new(s, "status", json_string(status));
	jset_time(s, "since", now);
}

/* A sensor message is contact: an alert is also proof of life. */
static int
state_sensor(struct bus_state *st, json_t *body, int64_t now, char **object)
{
	const char *id = jstr(body, "sensor");
	const char *sector = jstr(body, "sector");
	json_t *s = json_object_get(st->objects[BUS_KIND_SENSOR], id);
	int changed = 0;

	json_object_set_new(st->sensor_seen, id, json_integer(now));
	if (s == NULL) {
		s = json_pack("{s:s, s:n, s:i, s:n}", "id", id, "sector", "alerts", 0,
		    "last_alert");
		sensor_set_status(s, "up", now);
		json_object_set_new(st->objects[BUS_KIND_SENSOR], id, s);
		changed = 1;
	} else if (strcmp(jstr(s, "status"), "down") == 0) {
		sensor_set_status(s, "up", now);
		changed = 1;
	}
	if (sector != NULL && !json_equal(json_object_get(s, "sector"), json_object_get(body, "sector"))) {
		mark_sector(st, jstr(s, "sector"));
		json_object_set_new(s, "sector", json_string(sector));
		changed = 1;
	}
	if (strcmp(jstr(body, "kind"), "alert") == 0) {
		json_t *alert = json_object();
		int level = jint(body, "level", 1);
		json_object_set_new(alert, "level", json_integer(level));
		for (const char *const *f = (const char *const[]){ "signature", "message",
		    "src", "dst", "ts", NULL }; *f != NULL; f++) {
			if (json_object_get(body, *f) != NULL)
				json_object_set(alert, *f, json_object_get(body, *f));
		}
		jset_time(alert, "received_at", now);
		json_object_set_new(s, "last_alert", alert);
		json_object_set_new(s, "alerts", json_integer(jint(s, "alerts", 0) + 1));
		sector_note_alert(st, bus_sector_find(jstr(s, "sector") ? jstr(s, "sector") : ""),
		    level, now);
		changed = 1;
	}
	if (changed) {
		mark_sector(st, jstr(s, "sector"));
		state_emit(st, BUS_KIND_SENSOR, id, s, now);
	}
	*object = xprintf("sensor.%s", id);
	return 0;
}

/*
 * Apply one validated ingest message from WHO. *OBJECT names the object it
 * touched ("case.ICS-2026-0001"); the caller frees it.
 */
int
bus_state_ingest(struct bus_state *st, const char *topic, json_t *body,
    const char *who, int64_t now, char **object)
{
	*object = NULL;
	switch (bus_domain_index(bus_ingest_names, BUS_INGEST_NKINDS, topic)) {
	case BUS_INGEST_INCIDENT:
		return state_incident(st, body, who, now, object);
	case BUS_INGEST_INTEL:
		return state_intel(st, body, who, now, object);
	case BUS_INGEST_SENSOR:
		return state_sensor(st, body, now, object);
	}
	return -1;
}

/* Sensors silent for too long go down; alerts' holds on sector levels
 * step down (alert_hold()), and a sector whose alerts now hold something
 * else is recomputed at the next settle. The hub calls this every second. */
void
bus_state_tick(struct bus_state *st, int64_t now)
{
	const char *id;
	json_t *seen;

	json_object_foreach(st->sensor_seen, id, seen) {
		json_t *s = json_object_get(st->objects[BUS_KIND_SENSOR], id);
		if (s == NULL || strcmp(jstr(s, "status"), "down") == 0 ||
		    now - json_integer_value(seen) < st->sensor_timeout_ms)
			continue;
		sensor_set_status(s, "down", now);
		mark_sector(st, jstr(s, "sector"));
		log_info("sensor %s is down: silent for %lld s", id,
		    (long long)(now - json_integer_value(seen)) / 1000);
		state_emit(st, BUS_KIND_SENSOR, id, s, now);
	}
	for (int i = 0; i < BUS_NSECTORS; i++) {
		struct sector_tally *t = &st->sectors[i];
		int sent;
		int64_t at;
		for (int l = 1; l <= BUS_LEVEL_MAX; l++) {
			if (t->alert_at[l] != 0 && alert_hold(st, l, t->alert_at[l], now) == 0)
				t->alert_at[l] = 0; /* its hold is over */
		}
		if (sector_alert(st, t, now, &sent, &at) != t->alert_hold || sent != t->alert_sent ||
		    at != t->alert_since)
			t->dirty = 1;
	}
}

/* Recompute every sector touched since the last settle; emit those that
 * changed. The hub calls this once per batch, before committing. */
void
bus_state_settle(struct bus_state *st, int64_t now)
{
	int onsite[BUS_NSECTORS] = { 0 }, up[BUS_NSECTORS] = { 0 }, down[BUS_NSECTORS] = { 0 };
	const char *last_alert[BUS_NSECTORS] = { 0 };
	int any = 0;
	const char *id;
	json_t *obj;

	for (int i = 0; i < BUS_NSECTORS; i++)
		any |= st->sectors[i].dirty;
	if (!any)
		return;
	json_object_foreach(st->objects[BUS_KIND_TEAM], id, obj) {
		const char *cid = jstr(obj, "case");
		json_t *c = state_object(st, BUS_KIND_CASE, cid);
		int sec = c != NULL ? bus_sector_find(jstr(c, "sector")) : -1;
		if (sec >= 0 && strcmp(jstr(obj, "status"), "onsite") == 0)
			onsite[sec]++;
	}
	json_object_foreach(st->objects[BUS_KIND_SENSOR], id, obj) {
		const char *ss = jstr(obj, "sector");
		int sec = ss != NULL ? bus_sector_find(ss) : -1;
		if (sec < 0)
			continue;
		if (strcmp(jstr(obj, "status"), "up") == 0)
			up[sec]++;
		else
			down[sec]++;
		json_t *a = json_object_get(obj, "last_alert");
		const char *at = jstr(a, "received_at");
		if (at != NULL && (last_alert[sec] == NULL || strcmp(at, last_alert[sec]) > 0))
			last_alert[sec] = at;
	}
	for (int i = 0; i < BUS_NSECTORS; i++) {
		struct sector_tally *t = &st->sectors[i];
		json_t *s = json_object_get(st->objects[BUS_KIND_SECTOR], bus_sectors[i].id);
		int open = 0, cases = 0, top = 0;

		if (!t->dirty || s == NULL)
			continue;
		t->dirty = 0;
		for (int l = 0; l <= BUS_LEVEL_MAX; l++) {
			size_t n = json_object_size(t->open[l]);
			open += (int)n;
			if (n > 0) {
				cases = l;
				top = (int)n;
			}
		}
		t->alert_hold = sector_alert(st, t, now, &t->alert_sent, &t->alert_since);
		/* The level, and what it comes from: cases win a tie with an
		 * alert, since they hold it for longer. */
		json_t *manual = json_object_get(s, "manual_level");
		int level = cases > t->alert_hold ? cases : t->alert_hold;
		const char *reason = json_is_integer(manual) ? "manual" : level == 0 ? "none" :
		    cases >= t->alert_hold ? "cases" : "alert";
		int by_cases = strcmp(reason, "cases") == 0, by_alert = strcmp(reason, "alert") == 0;
		json_t *next = json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i}",
		    "level", json_is_integer(manual) ? (int)json_integer_value(manual) : level,
		    "level_source", json_is_integer(manual) ? "manual" : "auto",
		    "level_reason", reason, "level_cases", by_cases ? top : 0,
		    "open_cases", open, "teams_onsite", onsite[i], "sensors_up", up[i],
		    "sensors_down", down[i]);
		/* One case at that level is named: "raised by ICS-2026-0012". */
		json_object_set_new(next, "level_case", by_cases && top == 1 ?
		    json_string(json_object_iter_key(json_object_iter(t->open[cases]))) :
		    json_null());
		json_object_set_new(next, "alert_level",
		    by_alert ? json_integer(t->alert_sent) : json_null());
		if (by_alert)
			jset_time(next, "alert_at", t->alert_since);
		else
			json_object_set_new(next, "alert_at", json_null());
		json_object_set_new(next, "last_alert",
		    last_alert[i] ? json_string(last_alert[i]) : json_null());
		const char *key;
		json_t *v;
		int changed = 0;
		json_object_foreach(next, key, v) {
			if (!json_equal(v, json_object_get(s, key))) {
				json_object_set(s, key, v);
				changed = 1;
			}
		}
		json_decref(next);
		if (changed || t->force)
			state_emit(st, BUS_KIND_SECTOR, bus_sectors[i].id, s, now);
		t->force = 0;
	}
}

/* ------------------------------------------------------------------ */
/* Control ops. Each handler gets validated args and returns the reply. */

struct op_ctx {
	struct bus_state *st;
	const struct bus_actor *who;
	json_t *args;
	int64_t now;
};

typedef json_t *(*op_fn)(struct op_ctx *);

static json_t *
op_find_case(struct op_ctx *o, json_t **c)
{
	const char *id = jstr(o->args, "case");

	*c = state_object(o->st, BUS_KIND_CASE, id);
	if (*c == NULL)
		return bus_reply_error("unknown_case", "There is no case %s.", id);
	return NULL;
}

static json_t *
op_find_team(struct op_ctx *o, json_t **t)
{
	const char *id = jstr(o->args, "team");

	*t = json_object_get(o->st->objects[BUS_KIND_TEAM], id);
	if (*t == NULL)
		return bus_reply_error("unknown_team", "There is no team %s.", id);
	return NULL;
}

static json_t *
op_case_reply(json_t *c)
{
	return json_pack("{s:b, s:s}", "ok", 1, "case", jstr(c, "id"));
}

static json_t *
op_open(struct op_ctx *o)
{
	char *object = NULL;

	state_incident(o->st, o->args, o->who->user, o->now, &object);
	json_t *r = json_pack("{s:b, s:s}", "ok", 1, "case", object + strlen("case."));
	free(object);
	return r;
}

/* List the statuses a case or team may move to, for refusals. */
static char *
targets_text(const int *targets, int n, const char *const *names)
{
	char buf[256] = "";

	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
		    i ? ", " : "", names[targets[i]]);
	return xstrdup(n ? buf : "nothing");
}

/*
 * Why "status" cannot take a case from FROM to TO when another op can, as
 * the end of a refusal ("" when no other op makes such a move): someone
 * who asks for "assigned" must learn that assign gets a case there.
 */
static char *
case_other_way(int from, int to)
{
	int via = bus_rules_case_other_via(from, to), froms[BUS_CASE_NSTATUS], n = 0, other = -1;

	if (via >= 0)
		return xprintf(" Use %s, which %s.", bus_rules_via_op(via), bus_rules_via_does(via));
	for (int f = 0; f < BUS_CASE_NSTATUS; f++) {
		int v = bus_rules_case_other_via(f, to);
		if (v >= 0 && f != BUS_CASE_CLOSED) {
			froms[n++] = f;
			other = v;
		}
	}
	if (n == 0)
		return xstrdup("");
	char *list = targets_text(froms, n, bus_case_status_names);
	char *way = xprintf(" Only %s takes a case to %s, from %s.", bus_rules_via_op(other),
	    bus_case_status_names[to], list);
	free(list);
	return way;
}

/* Move case C to status TO through VIA, or refuse with the allowed moves
 * (and, for "status", the op that makes the move asked for, if one does). */
static json_t *
case_move(struct op_ctx *o, json_t *c, int to, int via, const char *action)
{
	int from = bus_case_status_find(jstr(c, "status"));
	int targets[BUS_CASE_NSTATUS];

	if (bus_rules_case_move(from, to, via) == NULL) {
		int n = bus_rules_case_targets(from, BUS_VIA_STATUS, targets, BUS_CASE_NSTATUS);
		char *list = targets_text(targets, n, bus_case_status_names);
		char *way = via == BUS_VIA_STATUS ? case_other_way(from, to) : xstrdup("");
		json_t *r = bus_reply_error("bad_transition",
		    "Case %s cannot go from %s to %s; from %s it can go to %s.%s",
		    jstr(c, "id"), bus_case_status_names[from], bus_case_status_names[to],
		    bus_case_status_names[from], list, way);
		free(way);
		free(list);
		return r;
	}
	case_change_status(o->st, c, to, o->now);
	timeline_add(o->st, c, o->who->user, action, o->now, "%s -> %s",
	    bus_case_status_names[from], bus_case_status_names[to]);
	return NULL;
}

static json_t *
op_assign(struct op_ctx *o)
{
	json_t *c, *r;
	const char *handler = jstr(o->args, "handler");

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	if (!case_is_open(c))
		return bus_reply_error("case_closed", "Case %s is closed; reopen it first.",
		    jstr(c, "id"));
	if (json_object_get(o->st->objects[BUS_KIND_STAFF], handler) == NULL)
		return bus_reply_error("unknown_staff", "%s is not on the roster.", handler);
	/* A handler works the case: op_status lets no viewer move one, so a
	 * viewer as handler would leave the case with nobody who can. */
	if (bus_state_role(o->st, handler) == BUS_ROLE_VIEWER)
		return bus_reply_error("bad_handler", "%s is a viewer and could not move case "
		    "%s; a handler must be an officer, intake or lead (a lead can change the "
		    "role with staff add %s --role officer).", handler, jstr(c, "id"), handler);
	json_object_set_new(c, "handler", json_string(handler));
	timeline_add(o->st, c, o->who->user, "assigned", o->now, "handler %s", handler);
	if (strcmp(jstr(c, "status"), "reported") == 0)
		case_move(o, c, BUS_CASE_ASSIGNED, BUS_VIA_ASSIGN, "status");
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static json_t *
op_status(struct op_ctx *o)
{
	json_t *c, *r;
	int to = bus_case_status_find(jstr(o->args, "status"));

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	/* The case's own handler may move it, whatever their role. */
	const char *handler = jstr(c, "handler");
	if (!(o->who->role & (BUS_ROLE_INTAKE | BUS_ROLE_LEAD)) &&
	    (handler == NULL || strcmp(handler, o->who->user) != 0 ||
	    o->who->role == BUS_ROLE_VIEWER))
		return bus_reply_error("forbidden", "Only intake, a lead or the case's "
		    "handler may move case %s; %s has the role %s.", jstr(c, "id"),
		    o->who->user, bus_role_name(o->who->role));
	if (to == BUS_CASE_CLOSED)
		return bus_reply_error("bad_transition", "Use close to close case %s.",
		    jstr(c, "id"));
	if (!case_is_open(c))
		return bus_reply_error("case_closed", "Case %s is closed; reopen it first.",
		    jstr(c, "id"));
	if ((r = case_move(o, c, to, BUS_VIA_STATUS, "status")) != NULL)
		return r;
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static json_t *
op_level(struct op_ctx *o)
{
	json_t *c, *r;
	int level = jint(o->args, "level", 1), old;

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	old = jint(c, "level", 1);
	if (old == level)
		return op_case_reply(c);
	tally_case(o->st, c, -1);
	json_object_set_new(c, "level", json_integer(level));
	tally_case(o->st, c, +1);
	if (level > old) {
		json_object_set_new(c, "acked_by", json_null());
		json_object_set_new(c, "acked_at", json_null());
	}
	timeline_add(o->st, c, o->who->user, "level", o->now, "level %d (%s) -> %d (%s)", old,
	    bus_level_name(old), level, bus_level_name(level));
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static void
team_set_status(json_t *t, int status, const char *who, int64_t now)
{
	json_object_set_new(t, "status", json_string(bus_team_status_names[status]));
	json_object_set_new(t, "updated_by", json_string(who));
	jset_time(t, "since", now);
}

static json_t *
op_dispatch(struct op_ctx *o)
{
	json_t *c, *t, *r;

	if ((r = op_find_team(o, &t)) != NULL || (r = op_find_case(o, &c)) != NULL)
		return r;
	if (!case_is_open(c))
		return bus_reply_error("case_closed", "Case %s is closed; a closed case "
		    "takes no dispatch.", jstr(c, "id"));
	int from = bus_team_status_find(jstr(t, "status"));
	if (bus_rules_team_move(from, BUS_TEAM_DISPATCHED, BUS_VIA_DISPATCH) == NULL) {
		if (jstr(t, "case") != NULL)
			return bus_reply_error("team_busy", "%s is %s on case %s; recall it "
			    "first.", jstr(t, "id"), jstr(t, "status"), jstr(t, "case"));
		return bus_reply_error("team_busy", "%s is %s, not available.",
		    jstr(t, "id"), jstr(t, "status"));
	}
	team_set_status(t, BUS_TEAM_DISPATCHED, o->who->user, o->now);
	json_object_set_new(t, "case", json_string(jstr(c, "id")));
	json_array_append_new(json_object_get(c, "teams"), json_string(jstr(t, "id")));
	timeline_add(o->st, c, o->who->user, "dispatched", o->now, "%s dispatched from %s",
	    jstr(t, "id"), jstr(t, "base"));
	mark_sector(o->st, jstr(c, "sector"));
	state_emit(o->st, BUS_KIND_TEAM, jstr(t, "id"), t, o->now);
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "team", jstr(t, "id"), "case",
	    jstr(c, "id"));
}

/* Move team T to TO through VIA with the move's effects on its case. */
static json_t *
team_move(struct op_ctx *o, json_t *t, int to, int via)
{
	int from = bus_team_status_find(jstr(t, "status"));
	const struct bus_team_move *m = bus_rules_team_move(from, to, via);
	int targets[BUS_TEAM_NSTATUS];

	if (m == NULL) {
		int n = bus_rules_team_targets(from, BUS_VIA_STATUS, targets, BUS_TEAM_NSTATUS);
		char *list = targets_text(targets, n, bus_team_status_names);
		json_t *r = bus_reply_error("bad_transition",
		    "%s cannot go from %s to %s; from %s it can go to %s%s.", jstr(t, "id"),
		    bus_team_status_names[from], bus_team_status_names[to],
		    bus_team_status_names[from], list,
		    from == BUS_TEAM_AVAILABLE ? " (dispatch sends it to a case)" : "");
		free(list);
		return r;
	}
	const char *cid = jstr(t, "case");
	json_t *c = state_object(o->st, BUS_KIND_CASE, cid);
	team_set_status(t, to, o->who->user, o->now);
	if (c != NULL) {
		int cs = bus_case_status_find(jstr(c, "status"));
		/* A case stays on site while any of its other teams is there. */
		int others_onsite = 0;
		size_t i;
		json_t *tid;
		json_array_foreach(json_object_get(c, "teams"), i, tid) {
			json_t *other = json_object_get(o->st->objects[BUS_KIND_TEAM],
			    json_string_value(tid));
			if (other != t && other != NULL &&
			    strcmp(jstr(other, "status"), "onsite") == 0)
				others_onsite = 1;
		}
		if (m->case_to >= 0 && (m->case_from < 0 || m->case_from == cs) &&
		    !(m->case_to == BUS_CASE_FOLLOWUP && others_onsite) &&
		    bus_rules_case_move(cs, m->case_to, 0) != NULL) {
			case_change_status(o->st, c, m->case_to, o->now);
			timeline_add(o->st, c, o->who->user, "status", o->now, "%s -> %s (%s %s)",
			    bus_case_status_names[cs], bus_case_status_names[m->case_to],
			    jstr(t, "id"), bus_team_status_names[to]);
		}
		if (m->unlink) {
			json_t *teams = json_object_get(c, "teams");
			for (size_t k = 0; k < json_array_size(teams); k++) {
				if (strcmp(json_string_value(json_array_get(teams, k)), jstr(t, "id")) == 0)
					json_array_remove(teams, k--);
			}
			json_object_set_new(t, "case", json_null());
			timeline_add(o->st, c, o->who->user, via == BUS_VIA_RECALL ? "recalled" : "team",
			    o->now, "%s %s, off the case", jstr(t, "id"),
			    bus_team_status_names[to]);
		} else {
			timeline_add(o->st, c, o->who->user, "team", o->now, "%s %s", jstr(t, "id"),
			    bus_team_status_names[to]);
		}
		mark_sector(o->st, jstr(c, "sector"));
	}
	state_emit(o->st, BUS_KIND_TEAM, jstr(t, "id"), t, o->now);
	if (c != NULL)
		state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return NULL;
}

static json_t *
op_team(struct op_ctx *o)
{
	json_t *t, *r;

	if ((r = op_find_team(o, &t)) != NULL)
		return r;
	if ((r = team_move(o, t, bus_team_status_find(jstr(o->args, "status")),
	    BUS_VIA_STATUS)) != NULL)
		return r;
	return json_pack("{s:b, s:s}", "ok", 1, "team", jstr(t, "id"));
}

static json_t *
op_recall(struct op_ctx *o)
{
	json_t *t, *r;

	if ((r = op_find_team(o, &t)) != NULL)
		return r;
	if (jstr(t, "case") == NULL)
		return bus_reply_error("not_on_case", "%s is not on a case; it is %s.",
		    jstr(t, "id"), jstr(t, "status"));
	if ((r = team_move(o, t, BUS_TEAM_RETURNING, BUS_VIA_RECALL)) != NULL)
		return r;
	return json_pack("{s:b, s:s}", "ok", 1, "team", jstr(t, "id"));
}

static json_t *
op_note(struct op_ctx *o)
{
	json_t *c, *r;

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	timeline_add(o->st, c, o->who->user, "note", o->now, "%s", jstr(o->args, "text"));
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static json_t *
op_close(struct op_ctx *o)
{
	json_t *c, *r;
	json_t *teams;

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	if (!case_is_open(c))
		return bus_reply_error("case_closed", "Case %s is already closed.",
		    jstr(c, "id"));
	teams = json_object_get(c, "teams");
	if (json_array_size(teams) > 0)
		return bus_reply_error("team_assigned", "Case %s still has %s assigned; "
		    "recall the team first.", jstr(c, "id"),
		    json_string_value(json_array_get(teams, 0)));
	if ((r = case_move(o, c, BUS_CASE_CLOSED, BUS_VIA_CLOSE, "closed")) != NULL)
		return r;
	json_object_set_new(c, "closed_by", json_string(o->who->user));
	jset_time(c, "closed_at", o->now);
	if (jstr(o->args, "reason") != NULL)
		timeline_add(o->st, c, o->who->user, "note", o->now, "%s", jstr(o->args, "reason"));
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static json_t *
op_reopen(struct op_ctx *o)
{
	json_t *c, *r;

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	if (case_is_open(c))
		return bus_reply_error("not_closed", "Case %s is open (%s), not closed.",
		    jstr(c, "id"), jstr(c, "status"));
	if ((r = case_move(o, c, BUS_CASE_INVESTIGATING, BUS_VIA_REOPEN, "reopened")) != NULL)
		return r;
	json_object_del(c, "closed_by");
	json_object_del(c, "closed_at");
	if (jstr(o->args, "reason") != NULL)
		timeline_add(o->st, c, o->who->user, "note", o->now, "%s", jstr(o->args, "reason"));
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static json_t *
op_ack(struct op_ctx *o)
{
	json_t *c, *r;

	if ((r = op_find_case(o, &c)) != NULL)
		return r;
	if (jstr(c, "acked_by") != NULL)
		return op_case_reply(c); /* acknowledging twice changes nothing */
	json_object_set_new(c, "acked_by", json_string(o->who->user));
	jset_time(c, "acked_at", o->now);
	timeline_add(o->st, c, o->who->user, "acknowledged", o->now, "acknowledged");
	state_emit(o->st, BUS_KIND_CASE, jstr(c, "id"), c, o->now);
	return op_case_reply(c);
}

static json_t *
op_sector_level(struct op_ctx *o)
{
	const char *id = jstr(o->args, "sector");
	json_t *s = json_object_get(o->st->objects[BUS_KIND_SECTOR], id);
	json_t *level = json_object_get(o->args, "level");

	json_object_set_new(s, "manual_level",
	    json_is_integer(level) ? json_incref(level) : json_null());
	json_object_set_new(s, "level_set_by", json_string(o->who->user));
	/* settle() recomputes the level and emits the sector, even when the
	 * level is what it was, so that who set it is on record. */
	mark_sector(o->st, id);
	o->st->sectors[bus_sector_find(id)].force = 1;
	return json_pack("{s:b, s:s}", "ok", 1, "sector", id);
}

static json_t *
op_staff_add(struct op_ctx *o)
{
	const char *name = jstr(o->args, "name");
	json_t *p = json_object_get(o->st->objects[BUS_KIND_STAFF], name);

	if (p != NULL && strcmp(jstr(p, "role"), jstr(o->args, "role")) == 0)
		return bus_reply_error("exists", "%s is already on the roster as %s.", name,
		    jstr(p, "role"));
	p = json_pack("{s:s, s:s, s:s}", "id", name, "role", jstr(o->args, "role"),
	    "updated_by", o->who->user);
	json_object_set_new(o->st->objects[BUS_KIND_STAFF], name, p);
	state_emit(o->st, BUS_KIND_STAFF, name, p, o->now);
	return json_pack("{s:b, s:s}", "ok", 1, "staff", name);
}

static json_t *
state_remove(struct op_ctx *o, enum bus_kind kind, const char *id)
{
	json_t *tomb = json_pack("{s:s, s:b, s:s}", "id", id, "removed", 1,
	    "updated_by", o->who->user);

	json_object_del(o->st->objects[kind], id);
	state_emit(o->st, kind, id, tomb, o->now);
	json_decref(tomb);
	return json_pack("{s:b, s:s}", "ok", 1, bus_kind_names[kind], id);
}

static json_t *
op_staff_remove(struct op_ctx *o)
{
	const char *name = jstr(o->args, "name");

	if (json_object_get(o->st->objects[BUS_KIND_STAFF], name) == NULL)
		return bus_reply_error("unknown_staff", "%s is not on the roster.", name);
	return state_remove(o, BUS_KIND_STAFF, name);
}

static json_t *
op_team_add(struct op_ctx *o)
{
	const char *name = jstr(o->args, "team");
	json_t *members = json_object_get(o->args, "members");
	size_t i;
	json_t *m;

	if (json_object_get(o->st->objects[BUS_KIND_TEAM], name) != NULL)
		return bus_reply_error("exists", "Team %s already exists.", name);
	json_array_foreach(members, i, m) {
		const char *mn = jstr(m, "name"), *mr = jstr(m, "role");
		char *why = NULL;
		if (!json_is_object(m) || json_object_size(m) != 2 || mn == NULL ||
		    mr == NULL || mn[0] == '\0' || strlen(mn) > 64 ||
		    bus_domain_index(bus_member_role_names, (size_t)-1, mr) < 0)
			return bus_reply_error("invalid", "team_add: member %zu must be "
			    "{\"name\": ..., \"role\": \"lead\"|\"analyst\"|\"ics\"}.", i);
		if (bus_check_name(mn, &why) != 0) {
			json_t *r = bus_reply_error("invalid", "team_add: member %zu: %s", i, why);
			free(why);
			return r;
		}
	}
	json_t *t = team_new(name, jstr(o->args, "base") ? jstr(o->args, "base") : "",
	    members != NULL ? json_deep_copy(members) : json_array(), o->now);
	json_object_set_new(t, "updated_by", json_string(o->who->user));
	json_object_set_new(o->st->objects[BUS_KIND_TEAM], name, t);
	state_emit(o->st, BUS_KIND_TEAM, name, t, o->now);
	return json_pack("{s:b, s:s}", "ok", 1, "team", name);
}

static json_t *
op_team_remove(struct op_ctx *o)
{
	json_t *t, *r;

	if ((r = op_find_team(o, &t)) != NULL)
		return r;
	if (jstr(t, "case") != NULL)
		return bus_reply_error("team_busy", "%s is on case %s; recall it first.",
		    jstr(t, "id"), jstr(t, "case"));
	return state_remove(o, BUS_KIND_TEAM, jstr(o->args, "team"));
}

/*
 * The ops the state answers, bound to their registry entries (bus-ops),
 * which has checked the role and the arguments before they run. "status"
 * is open to officers there because a case's handler may move their own
 * case; op_status checks the rest.
 */
static const op_fn state_handlers[BUS_NOPS] = {
	[BUS_OP_OPEN] = op_open,
	[BUS_OP_ASSIGN] = op_assign,
	[BUS_OP_STATUS] = op_status,
	[BUS_OP_LEVEL] = op_level,
	[BUS_OP_DISPATCH] = op_dispatch,
	[BUS_OP_TEAM] = op_team,
	[BUS_OP_RECALL] = op_recall,
	[BUS_OP_NOTE] = op_note,
	[BUS_OP_CLOSE] = op_close,
	[BUS_OP_REOPEN] = op_reopen,
	[BUS_OP_ACK] = op_ack,
	[BUS_OP_SECTOR_LEVEL] = op_sector_level,
	[BUS_OP_STAFF_ADD] = op_staff_add,
	[BUS_OP_STAFF_REMOVE] = op_staff_remove,
	[BUS_OP_TEAM_ADD] = op_team_add,
	[BUS_OP_TEAM_REMOVE] = op_team_remove,
};

int
bus_state_answers(const struct bus_op *op)
{
	return state_handlers[op->id] != NULL;
}

/*
 * Run control op OP for WHO with ARGS (the request minus op, id and user),
 * which the registry has let through (bus_op_refusal). Returns the reply;
 * any change is pending until the hub commits it.
 */
json_t *
bus_state_op(struct bus_state *st, const struct bus_actor *who, const struct bus_op *op,
    json_t *args, int64_t now)
{
	struct op_ctx o = { st, who, args, now };

	if (state_handlers[op->id] == NULL)
		return bus_reply_error("unknown_op", "There is no op '%.64s'.", op->name);
	return state_handlers[op->id](&o);
}

/* ------------------------------------------------------------------ */
/* Snapshot: every object, with the seq it stands at. */

/*
 * A case as a snapshot shows it: its last TAIL timeline entries only. A
 * script may ask for fewer than events carry; ten thousand cases with
 * twenty entries each are most of a snapshot. NULL: the case as it is.
 */
static json_t *
snapshot_case_cut(json_t *c, size_t tail)
{
	json_t *tl = json_object_get(c, "timeline");
	size_t n = json_array_size(tl);

	if (n <= tail)
		return NULL;
	json_t *copy = json_copy(c), *cut = json_array();
	for (size_t i = n - tail; i < n; i++)
		json_array_append(cut, json_array_get(tl, i));
	json_object_set_new(copy, "timeline", cut);
	return copy;
}

/* Object ID of kind K, appended to B as the snapshot shows it. */
static void
snapshot_object(const struct bus_state *st, struct xbuf *b, int k, const char *id,
    size_t tail)
{
	json_t *cut = k == BUS_KIND_CASE && tail < BUS_TIMELINE_TAIL ?
	    snapshot_case_cut(state_object(st, k, id), tail) : NULL;
	size_t len;
	const char *text = state_text(st, k, id, &len);

	if (cut != NULL || text == NULL) {
		/* Cut, or (only if a change was never published) as it stands:
		 * OBJ may be a case's placeholder, so its tree. */
		char *s = bus_codec_encode(cut != NULL ? cut : state_object(st, k, id));
		xbuf_add(b, s, strlen(s));
		free(s);
	} else {
		xbuf_add(b, text, len);
	}
	json_decref(cut);
}

/*
 * The snapshot reply: HEAD's members (ok, id, hub), the seq, and every
 * object with the last TAIL entries of each case's timeline; intel only
 * the newest MAX_INTEL, newest first (a feed, not an archive). Assembled
 * from the objects' texts as they were published, because encoding ten
 * thousand cases again took the hub longer than the console took to load
 * them (docs/PERFORMANCE.md).
 */
char *
bus_state_snapshot(const struct bus_state *st, json_t *head, size_t max_intel, size_t tail)
{
	struct xbuf b = { NULL, 0, 0 };
	const char *id;
	json_t *obj;

	json_object_set_new(head, "seq", json_integer((json_int_t)st->seq));
	char *start = bus_codec_encode(head);
	xbuf_add(&b, start, strlen(start) - 1); /* all but its '}' */
	free(start);
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		char key[32];
		size_t n = 0;
		snprintf(key, sizeof key, ",\"%s\":[", bus_kind_lists[k]);
		xbuf_add(&b, key, strlen(key));
		if (k != BUS_KIND_INTEL) {
			json_object_foreach(st->objects[k], id, obj) {
				if (n++ > 0)
					xbuf_add(&b, ",", 1);
				snapshot_object(st, &b, k, id, tail);
			}
		}
		for (size_t i = json_array_size(st->intel_order); k == BUS_KIND_INTEL && i > 0 &&
		    n < max_intel; i--) {
			id = json_string_value(json_array_get(st->intel_order, i - 1));
			if ((obj = json_object_get(st->objects[BUS_KIND_INTEL], id)) == NULL)
				continue;
			if (n++ > 0)
				xbuf_add(&b, ",", 1);
			snapshot_object(st, &b, k, id, tail);
		}
		xbuf_add(&b, "]", 1);
	}
	xbuf_add(&b, "}", 2); /* and the NUL */
	return b.data;
}
