/*
 * Each kind of object is described by a table of its JSON fields and where
 * they live in its C struct; one decoder and one destructor walk the
 * tables. Nested parts (a case's timeline, a team's members, a sensor's
 * last alert) have small functions of their own. Objects of a kind are
 * kept in an array of pointers, with a jansson object as the id -> index
 * hash; removal swaps the last object into the hole.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-replica.h"
#include "bus-time.h"
#include "xmalloc.h"

enum field_type { F_STR, F_INT, F_I64, F_TIME, F_BOOL, F_STRS, F_LEVEL_OR_NONE };

struct field {
	const char *key;
	enum field_type type;
	size_t off;
};

struct kind_desc {
	const char *name;
	size_t size;
	const struct field *fields;
	void (*decode_extra)(void *obj, json_t *body);
	void (*free_extra)(void *obj);
};

struct kind_store {
	void **objs;
	size_t n, cap;
	json_t *index; /* id -> index in objs */
	uint64_t generation;
};

struct bus_replica {
	struct kind_store kinds[BUS_KIND_COUNT];
	int64_t seq;
	unsigned changes;
	size_t tail; /* timeline entries kept per case */
};

#define FS(key, type, st, member) { key, type, offsetof(struct st, member) }
#define FEND { NULL, 0, 0 }

static const struct field case_fields[] = {
	FS("id", F_STR, bus_case, id), FS("ref", F_STR, bus_case, ref),
	FS("title", F_STR, bus_case, title), FS("org", F_STR, bus_case, org),
	FS("sector", F_STR, bus_case, sector), FS("summary", F_STR, bus_case, summary),
	FS("contact", F_STR, bus_case, contact), FS("status", F_STR, bus_case, status),
	FS("handler", F_STR, bus_case, handler), FS("opened_by", F_STR, bus_case, opened_by),
	FS("acked_by", F_STR, bus_case, acked_by), FS("closed_by", F_STR, bus_case, closed_by),
	FS("level", F_INT, bus_case, level),
	FS("onsite_requested", F_BOOL, bus_case, onsite_requested),
	FS("reported_at", F_TIME, bus_case, reported_at),
	FS("opened_at", F_TIME, bus_case, opened_at),
	FS("status_since", F_TIME, bus_case, status_since),
	FS("acked_at", F_TIME, bus_case, acked_at), FS("closed_at", F_TIME, bus_case, closed_at),
	FS("teams", F_STRS, bus_case, teams),
	FS("timeline_count", F_I64, bus_case, timeline_count),
	FS("seq", F_I64, bus_case, seq), FS("ts", F_TIME, bus_case, ts),
	FEND
};

static const struct field team_fields[] = {
	FS("id", F_STR, bus_team, id), FS("base", F_STR, bus_team, base),
	FS("status", F_STR, bus_team, status), FS("case", F_STR, bus_team, case_id),
	FS("updated_by", F_STR, bus_team, updated_by), FS("since", F_TIME, bus_team, since),
	FS("seq", F_I64, bus_team, seq), FS("ts", F_TIME, bus_team, ts),
	FEND
};

static const struct field sector_fields[] = {
	FS("id", F_STR, bus_sector_state, id), FS("name", F_STR, bus_sector_state, name),
	FS("level_source", F_STR, bus_sector_state, level_source),
	FS("level_set_by", F_STR, bus_sector_state, level_set_by),
	FS("level", F_INT, bus_sector_state, level),
	FS("manual_level", F_LEVEL_OR_NONE, bus_sector_state, manual_level),
	FS("level_reason", F_STR, bus_sector_state, level_reason),
	FS("level_case", F_STR, bus_sector_state, level_case),
	FS("level_cases", F_INT, bus_sector_state, level_cases),
	FS("alert_level", F_LEVEL_OR_NONE, bus_sector_state, alert_level),
	FS("alert_at", F_TIME, bus_sector_state, alert_at),
	FS("open_cases", F_INT, bus_sector_state, open_cases),
	FS("teams_onsite", F_INT, bus_sector_state, teams_onsite),
	FS("sensors_up", F_INT, bus_sector_state, sensors_up),
	FS("sensors_down", F_INT, bus_sector_state, sensors_down),
	FS("last_alert", F_TIME, bus_sector_state, last_alert),
	FS("seq", F_I64, bus_sector_state, seq), FS("ts", F_TIME, bus_sector_state, ts),
	FEND
};

static const struct field sensor_fields[] = {
	FS("id", F_STR, bus_sensor, id), FS("sector", F_STR, bus_sensor, sector),
	FS("status", F_STR, bus_sensor, status), FS("since", F_TIME, bus_sensor, since),
	FS("alerts", F_INT, bus_sensor, alerts),
	FS("seq", F_I64, bus_sensor, seq), FS("ts", F_TIME, bus_sensor, ts),
	FEND
};

/* The fields of a sensor's "last_alert" object, decoded into the sensor. */
static const struct field alert_fields[] = {
	FS("level", F_INT, bus_sensor, alert_level),
	FS("signature", F_STR, bus_sensor, alert_signature),
	FS("message", F_STR, bus_sensor, alert_message),
	FS("src", F_STR, bus_sensor, alert_src), FS("dst", F_STR, bus_sensor, alert_dst),
	FS("received_at", F_TIME, bus_sensor, alert_at),
	FEND
};

static const struct field intel_fields[] = {
	FS("id", F_STR, bus_intel, id), FS("ref", F_STR, bus_intel, ref),
	FS("title", F_STR, bus_intel, title), FS("source", F_STR, bus_intel, source),
	FS("kind", F_STR, bus_intel, kind), FS("tlp", F_STR, bus_intel, tlp),
	FS("url", F_STR, bus_intel, url), FS("summary", F_STR, bus_intel, summary),
	FS("received_by", F_STR, bus_intel, received_by),
	FS("sectors", F_STRS, bus_intel, sectors), FS("cves", F_STRS, bus_intel, cves),
	FS("published", F_TIME, bus_intel, published),
	FS("received_at", F_TIME, bus_intel, received_at),
	FS("seq", F_I64, bus_intel, seq), FS("ts", F_TIME, bus_intel, ts),
	FEND
};

static const struct field person_fields[] = {
	FS("id", F_STR, bus_person, id), FS("role", F_STR, bus_person, role),
	FS("seq", F_I64, bus_person, seq), FS("ts", F_TIME, bus_person, ts),
	FEND
};

/* ------------------------------------------------------------------ */

static void
fields_free(const struct field *fields, void *obj)
{
	for (const struct field *f = fields; f->key != NULL; f++) {
		char *p = (char *)obj + f->off;
		if (f->type == F_STR) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (f->type == F_STRS) {
			struct bus_strings *s = (struct bus_strings *)p;
			for (size_t i = 0; i < s->n; i++)
				free(s->v[i]);
			free(s->v);
			s->v = NULL;
			s->n = 0;
		}
	}
}

/* Fill OBJ from BODY by the table; absent or mistyped fields get zero
 * values (NULL strings, 0, or -1 for "no level"). */
static void
fields_decode(const struct field *fields, void *obj, json_t *body)
{
	for (const struct field *f = fields; f->key != NULL; f++) {
		char *p = (char *)obj + f->off;
		json_t *v = json_object_get(body, f->key);
		int64_t ms;

		switch (f->type) {
		case F_STR:
			*(char **)p = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
			break;
		case F_INT:
			*(int *)p = json_is_integer(v) ? (int)json_integer_value(v) : 0;
			break;
		case F_LEVEL_OR_NONE:
			*(int *)p = json_is_integer(v) ? (int)json_integer_value(v) : -1;
			break;
		case F_I64:
			*(int64_t *)p = json_is_integer(v) ? json_integer_value(v) : 0;
			break;
		case F_BOOL:
			*(int *)p = json_is_true(v);
			break;
		case F_TIME:
			*(int64_t *)p = json_is_string(v) &&
			    bus_time_parse(json_string_value(v), &ms) == 0 ? ms : 0;
			break;
		case F_STRS: {
			struct bus_strings *s = (struct bus_strings *)p;
			size_t i;
			json_t *item;
			s->n = 0;
			s->v = xcalloc(json_array_size(v) + 1, sizeof *s->v);
			json_array_foreach(v, i, item) {
				if (json_is_string(item))
					s->v[s->n++] = xstrdup(json_string_value(item));
			}
			break;
		}
		}
	}
}

/* A string member of OBJ, or "" when absent: for nested entries. */
static char *
dup_or_empty(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return xstrdup(s != NULL ? s : "");
}

size_t
bus_replica_entries(json_t *array, struct bus_entry **out)
{
	struct bus_entry *v = xcalloc(json_array_size(array) + 1, sizeof *v);
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(array, i, e) {
		const char *ts = json_string_value(json_object_get(e, "ts"));
		struct bus_entry *d = &v[n++];
		d->n = json_integer_value(json_object_get(e, "n"));
		if (ts == NULL || bus_time_parse(ts, &d->ts) != 0)
			d->ts = 0;
		d->who = dup_or_empty(e, "who");
		d->action = dup_or_empty(e, "action");
		d->text = dup_or_empty(e, "text");
	}
	*out = v;
	return n;
}

void
bus_replica_entries_free(struct bus_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].who);
		free(v[i].action);
		free(v[i].text);
	}
	free(v);
}

static void
case_decode_extra(void *obj, json_t *body)
{
	struct bus_case *c = obj;

	c->ntimeline = bus_replica_entries(json_object_get(body, "timeline"), &c->timeline);
}

static void
case_free_extra(void *obj)
{
	struct bus_case *c = obj;

	bus_replica_entries_free(c->timeline, c->ntimeline);
}

static void
team_decode_extra(void *obj, json_t *body)
{
	struct bus_team *t = obj;
	json_t *members = json_object_get(body, "members"), *m;
	size_t i;

	t->members = xcalloc(json_array_size(members) + 1, sizeof *t->members);
	json_array_foreach(members, i, m) {
		t->members[t->nmembers].name = dup_or_empty(m, "name");
		t->members[t->nmembers].role = dup_or_empty(m, "role");
		t->nmembers++;
	}
}

static void
team_free_extra(void *obj)
{
	struct bus_team *t = obj;

	for (size_t i = 0; i < t->nmembers; i++) {
		free(t->members[i].name);
		free(t->members[i].role);
	}
	free(t->members);
}

static void
sensor_decode_extra(void *obj, json_t *body)
{
	struct bus_sensor *s = obj;
	json_t *alert = json_object_get(body, "last_alert");

	fields_decode(alert_fields, s, json_is_object(alert) ? alert : NULL);
	if (!json_is_object(alert))
		s->alert_level = -1;
}

static void
sensor_free_extra(void *obj)
{
	fields_free(alert_fields, obj);
}

static const struct kind_desc kinds[BUS_KIND_COUNT] = {
	[BUS_KIND_CASE] = { "case", sizeof(struct bus_case), case_fields,
		case_decode_extra, case_free_extra },
	[BUS_KIND_TEAM] = { "team", sizeof(struct bus_team), team_fields,
		team_decode_extra, team_free_extra },
	[BUS_KIND_SECTOR] = { "sector", sizeof(struct bus_sector_state), sector_fields,
		NULL, NULL },
	[BUS_KIND_SENSOR] = { "sensor", sizeof(struct bus_sensor), sensor_fields,
		sensor_decode_extra, sensor_free_extra },
	[BUS_KIND_INTEL] = { "intel", sizeof(struct bus_intel), intel_fields, NULL, NULL },
	[BUS_KIND_STAFF] = { "staff", sizeof(struct bus_person), person_fields, NULL, NULL },
};

static void
object_free(enum bus_kind k, void *obj)
{
	if (obj == NULL)
		return;
	if (kinds[k].free_extra != NULL)
		kinds[k].free_extra(obj);
	fields_free(kinds[k].fields, obj);
	free(obj);
}

/* Every struct begins with its id. */
static const char *
object_id(const void *obj)
{
	return *(char *const *)obj;
}

/* ------------------------------------------------------------------ */

struct bus_replica *
bus_replica_new(void)
{
	struct bus_replica *r = xcalloc(1, sizeof *r);

	for (int k = 0; k < BUS_KIND_COUNT; k++)
		r->kinds[k].index = json_object();
	r->tail = SIZE_MAX;
	return r;
}

/* Keep only the last TAIL entries of each case's timeline from now on. */
void
bus_replica_set_tail(struct bus_replica *r, size_t tail)
{
	r->tail = tail;
}

/* Drop all but the last TAIL entries of C's timeline. */
static void
case_keep_tail(struct bus_case *c, size_t tail)
{
	if (c->ntimeline <= tail)
		return;
	size_t drop = c->ntimeline - tail;
	for (size_t i = 0; i < drop; i++) {
		free(c->timeline[i].who);
		free(c->timeline[i].action);
		free(c->timeline[i].text);
	}
	memmove(c->timeline, c->timeline + drop, tail * sizeof *c->timeline);
	c->ntimeline = tail;
}

/* Take every object of FROM, and its seq; FROM gets R's old ones. Both
 * count it as a change, so that panels redraw. */
void
bus_replica_swap(struct bus_replica *r, struct bus_replica *from)
{
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		struct kind_store t = r->kinds[k];
		uint64_t generation = (t.generation > from->kinds[k].generation ?
		    t.generation : from->kinds[k].generation) + 1;
		r->kinds[k] = from->kinds[k];
		from->kinds[k] = t;
		r->kinds[k].generation = from->kinds[k].generation = generation;
	}
	int64_t seq = r->seq;
	r->seq = from->seq;
	from->seq = seq;
	r->changes = from->changes = (1u << BUS_KIND_COUNT) - 1;
}

void
bus_replica_clear(struct bus_replica *r)
{
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		struct kind_store *ks = &r->kinds[k];
		for (size_t i = 0; i < ks->n; i++)
			object_free(k, ks->objs[i]);
		ks->n = 0;
		json_object_clear(ks->index);
		ks->generation++;
		r->changes |= BUS_KIND_BIT(k);
	}
	r->seq = 0;
}

void
bus_replica_free(struct bus_replica *r)
{
	if (r == NULL)
		return;
	bus_replica_clear(r);
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		free(r->kinds[k].objs);
		json_decref(r->kinds[k].index);
	}
	free(r);
}

/* Put BODY as object ID of kind K: replace, add, or (tombstone) remove. */
static void
replica_put(struct bus_replica *r, enum bus_kind k, const char *id, json_t *body)
{
	struct kind_store *ks = &r->kinds[k];
	json_t *at = json_object_get(ks->index, id);
	size_t i = at != NULL ? (size_t)json_integer_value(at) : ks->n;

	if (json_is_true(json_object_get(body, "removed"))) {
		if (at == NULL)
			return;
		object_free(k, ks->objs[i]);
		ks->objs[i] = ks->objs[--ks->n];
		if (i < ks->n)
			json_object_set_new(ks->index, object_id(ks->objs[i]), json_integer((json_int_t)i));
		json_object_del(ks->index, id);
	} else {
		void *obj = xcalloc(1, kinds[k].size);
		fields_decode(kinds[k].fields, obj, body);
		if (kinds[k].decode_extra != NULL)
			kinds[k].decode_extra(obj, body);
		if (k == BUS_KIND_CASE)
			case_keep_tail(obj, r->tail);
		/* The topic names the object; the index and the object must agree,
		 * whatever the body says. */
		free(*(char **)obj);
		*(char **)obj = xstrdup(id);
		if (at != NULL) {
			object_free(k, ks->objs[i]);
			ks->objs[i] = obj;
		} else {
			if (ks->n == ks->cap) {
				ks->cap = ks->cap ? ks->cap * 2 : 64;
				ks->objs = xrealloc(ks->objs, ks->cap * sizeof *ks->objs);
			}
			ks->objs[ks->n++] = obj;
			json_object_set_new(ks->index, id, json_integer((json_int_t)i));
		}
	}
	ks->generation++;
	r->changes |= BUS_KIND_BIT(k);
}

static int
replica_kind(const char *name, size_t len)
{
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		if (strlen(kinds[k].name) == len && strncmp(kinds[k].name, name, len) == 0)
			return k;
	}
	return -1;
}

/* Apply one event: TOPIC "<kind>.<id>", BODY the object's full state. */
int
bus_replica_apply(struct bus_replica *r, const char *topic, json_t *body, char **cause)
{
	const char *dot = strchr(topic, '.');
	int k = dot != NULL ? replica_kind(topic, (size_t)(dot - topic)) : -1;

	if (k < 0 || dot[1] == '\0' || !json_is_object(body)) {
		xasprintf(cause, "event '%.64s' is not a known kind with an object body", topic);
		return -1;
	}
	replica_put(r, k, dot + 1, body);
	json_int_t seq = json_integer_value(json_object_get(body, "seq"));
	if (seq > r->seq)
		r->seq = seq;
	return 0;
}


/* One object of a snapshot's list of kind K; one without an id is skipped. */
void
bus_replica_add(struct bus_replica *r, enum bus_kind k, json_t *obj)
{
	const char *id = json_string_value(json_object_get(obj, "id"));

	if (id != NULL && json_is_object(obj))
		replica_put(r, k, id, obj);
}

/* Replace everything with a snapshot reply (see docs/PROTOCOL.md). */
int
bus_replica_load(struct bus_replica *r, json_t *snap, char **cause)
{
	json_t *seq = json_object_get(snap, "seq");

	if (!json_is_integer(seq)) {
		xasprintf(cause, "snapshot without a seq");
		return -1;
	}
	bus_replica_clear(r);
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		size_t i;
		json_t *obj;
		json_array_foreach(json_object_get(snap, bus_kind_lists[k]), i, obj)
			bus_replica_add(r, (enum bus_kind)k, obj);
	}
	r->seq = json_integer_value(seq);
	return 0;
}

int64_t
bus_replica_seq(const struct bus_replica *r)
{
	return r->seq;
}

void
bus_replica_set_seq(struct bus_replica *r, int64_t seq)
{
	r->seq = seq;
}

/* The kinds changed since the last call, as BUS_KIND_BIT flags. */
unsigned
bus_replica_take_changes(struct bus_replica *r)
{
	unsigned c = r->changes;

	r->changes = 0;
	return c;
}

size_t
bus_replica_count(const struct bus_replica *r, enum bus_kind k)
{
	return r->kinds[k].n;
}

const void *
bus_replica_at(const struct bus_replica *r, enum bus_kind k, size_t i)
{
	return i < r->kinds[k].n ? r->kinds[k].objs[i] : NULL;
}

const void *
bus_replica_find(const struct bus_replica *r, enum bus_kind k, const char *id)
{
	json_t *at = id != NULL ? json_object_get(r->kinds[k].index, id) : NULL;

	return at != NULL ? r->kinds[k].objs[json_integer_value(at)] : NULL;
}

uint64_t
bus_replica_generation(const struct bus_replica *r, enum bus_kind k)
{
	return r->kinds[k].generation;
}

/* The role the roster gives USER; anyone not on it is a viewer. */
const char *
bus_replica_role_of(const struct bus_replica *r, const char *user)
{
	const struct bus_person *p = bus_replica_find(r, BUS_KIND_STAFF, user);

	return p != NULL && p->role != NULL ? p->role : "viewer";
}

/* ------------------------------------------------------------------ */
/* Comparing two replicas (the headless checker, bus-checker). */

/* The first field of the table where A and B differ, or NULL. */
static const char *
fields_differ(const struct field *fields, const void *a, const void *b)
{
	for (const struct field *f = fields; f->key != NULL; f++) {
		const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
		switch (f->type) {
		case F_STR: {
			const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
			if ((sa == NULL) != (sb == NULL) || (sa != NULL && strcmp(sa, sb) != 0))
				return f->key;
			break;
		}
		case F_INT:
		case F_BOOL:
		case F_LEVEL_OR_NONE:
			if (*(const int *)pa != *(const int *)pb)
				return f->key;
			break;
		case F_I64:
		case F_TIME:
			if (*(const int64_t *)pa != *(const int64_t *)pb)
				return f->key;
			break;
		case F_STRS: {
			const struct bus_strings *sa = (const void *)pa, *sb = (const void *)pb;
			if (sa->n != sb->n)
				return f->key;
			for (size_t i = 0; i < sa->n; i++) {
				if (strcmp(sa->v[i], sb->v[i]) != 0)
					return f->key;
			}
			break;
		}
		}
	}
	return NULL;
}

/* "timeline" if the two cases' timeline tails differ, or NULL. */
static const char *
timeline_differs(const struct bus_case *a, const struct bus_case *b)
{
	if (a->ntimeline != b->ntimeline)
		return "timeline";
	for (size_t i = 0; i < a->ntimeline; i++) {
		const struct bus_entry *x = &a->timeline[i], *y = &b->timeline[i];
		if (x->n != y->n || x->ts != y->ts || strcmp(x->who, y->who) != 0 ||
		    strcmp(x->action, y->action) != 0 || strcmp(x->text, y->text) != 0)
			return "timeline";
	}
	return NULL;
}

int
bus_replica_diff(const struct bus_replica *mine, const struct bus_replica *snap, char *why,
    size_t size)
{
	if (mine->seq != snap->seq) {
		snprintf(why, size, "seq %lld, the snapshot's %lld", (long long)mine->seq,
		    (long long)snap->seq);
		return 1;
	}
	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		const struct kind_store *a = &mine->kinds[k], *b = &snap->kinds[k];
		/* A snapshot holds only the newest intel (the hub's limit); a
		 * replica that followed longer may hold more. Every other kind
		 * must match both ways. */
		if (k != BUS_KIND_INTEL && a->n != b->n) {
			snprintf(why, size, "%zu %s objects, the snapshot %zu", a->n, kinds[k].name,
			    b->n);
			return 1;
		}
		for (size_t i = 0; i < b->n; i++) {
			const char *id = object_id(b->objs[i]);
			const void *o = bus_replica_find(mine, (enum bus_kind)k, id);
			const char *field = o == NULL ? "(missing)" :
			    fields_differ(kinds[k].fields, o, b->objs[i]);
			if (field == NULL && k == BUS_KIND_SENSOR)
				field = fields_differ(alert_fields, o, b->objs[i]);
			if (field == NULL && k == BUS_KIND_CASE)
				field = timeline_differs(o, b->objs[i]);
			if (field != NULL) {
				snprintf(why, size, "%s %s differs from the snapshot: %s", kinds[k].name,
				    id, field);
				return 1;
			}
		}
	}
	return 0;
}
