/*
 * The audit trail (bus-audit.h). The hub calls bus_audit_add() once per
 * request it records, bus_audit_write() inside the turn's transaction,
 * and bus_audit_clear() once the transaction is over, committed or not.
 * What a row says is decided here, so that the hub only says when.
 */
#include <stdlib.h>
#include <string.h>

#include "bus-audit.h"
#include "bus-domain.h"
#include "bus-reply.h"
#include "bus-schema.h"
#include "bus-state.h"
#include "bus-store.h"
#include "bus-time.h"
#include "xmalloc.h"

/* A row waiting for the turn's commit; it owns its strings. */
struct audit_row {
	int64_t ts;
	char *person;
	const char *role; /* bus_role_name()'s */
	char *op, *case_id, *team, *outcome, *message, *args;
};

struct bus_audit {
	struct audit_row *rows;
	size_t n, cap;
};

struct bus_audit *
bus_audit_new(void)
{
	return xcalloc(1, sizeof(struct bus_audit));
}

void
bus_audit_free(struct bus_audit *a)
{
	if (a == NULL)
		return;
	bus_audit_clear(a);
	free(a->rows);
	free(a);
}

/* S cut to at most BUS_AUDIT_NAME_MAX bytes on a character boundary, or
 * NULL: an op that does not exist may be any string at all. */
static char *
audit_name(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > BUS_AUDIT_NAME_MAX) {
		n = BUS_AUDIT_NAME_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

/* The case a request is about: the one it names, else the one its ok
 * reply names (open and report make or update one), so that a case's
 * audit starts where the case does. */
static const char *
audit_case(json_t *args, json_t *reply, int ok)
{
	const char *c = json_string_value(json_object_get(args, "case"));
	const char *object;

	if (c != NULL || !ok)
		return c;
	if ((c = json_string_value(json_object_get(reply, "case"))) != NULL)
		return c;
	object = json_string_value(json_object_get(reply, "object"));
	return object != NULL && strncmp(object, "case.", 5) == 0 ? object + 5 : NULL;
}

static char *
audit_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL)
		abort(); /* only on out of memory */
	return s;
}

/*
 * ARGS as a row keeps them: compact JSON of at most BUS_AUDIT_ARGS_MAX
 * bytes. Over that, every argument of more than BUS_AUDIT_VALUE_MAX bytes
 * becomes "(N bytes left out)", so that the row still shows what was
 * asked; if even that is too long (thousands of fields), only the size is
 * kept. A request is at most 64 KiB; a row must not be.
 */
char *
bus_audit_args(json_t *args)
{
	char *text = args != NULL ? audit_json(args) : xstrdup("{}");
	size_t len = strlen(text);
	const char *key;
	json_t *v, *kept;

	if (len <= BUS_AUDIT_ARGS_MAX)
		return text;
	free(text);
	kept = json_object();
	json_object_foreach(args, key, v) {
		char *one = audit_json(v);
		size_t n = strlen(one);
		json_object_set_new(kept, key, n > BUS_AUDIT_VALUE_MAX ?
		    json_sprintf("(%zu bytes left out)", n) : json_incref(v));
		free(one);
	}
	text = audit_json(kept);
	json_decref(kept);
	if (strlen(text) <= BUS_AUDIT_ARGS_MAX)
		return text;
	free(text);
	return xprintf("{\"left_out\":\"(%zu bytes left out)\"}", len);
}

/* Record OP by WHO with ARGS, answered with REPLY, at NOW. */
void
bus_audit_add(struct bus_audit *a, const struct bus_actor *who, const char *op,
    json_t *args, json_t *reply, int64_t now)
{
	int ok = json_is_true(json_object_get(reply, "ok"));
	json_t *err = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *message = json_string_value(json_object_get(err, "message"));
	struct audit_row *r;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->rows = xrealloc(a->rows, a->cap * sizeof *a->rows);
	}
	r = &a->rows[a->n++];
	r->ts = now;
	r->person = xstrdup(who->user);
	r->role = bus_role_name(who->role);
	r->op = audit_name(op);
	r->case_id = audit_name(audit_case(args, reply, ok));
	r->team = audit_name(json_string_value(json_object_get(args, "team")));
	r->outcome = xstrdup(ok ? "ok" : code != NULL ? code : "refused");
	r->message = !ok && message != NULL ? xstrdup(message) : NULL;
	r->args = bus_audit_args(args);
}

size_t
bus_audit_pending(const struct bus_audit *a)
{
	return a->n;
}

/* Write the waiting rows; the caller's transaction is open. */
int
bus_audit_write(const struct bus_audit *a, struct bus_store *store, char **cause)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct audit_row *r = &a->rows[i];
		struct bus_store_audit_row row = { 0, r->ts, r->person, r->role, r->op,
			r->case_id, r->team, r->outcome, r->message, r->args };
		if (bus_store_put_audit(store, &row, cause) != 0)
			return -1;
	}
	return 0;
}

/* The turn could not be saved: what was accepted was not done after all,
 * and the rows say so, as the replies will. */
void
bus_audit_failed(struct bus_audit *a, const char *why)
{
	for (size_t i = 0; i < a->n; i++) {
		struct audit_row *r = &a->rows[i];
		if (strcmp(r->outcome, "ok") != 0)
			continue;
		free(r->outcome);
		r->outcome = xstrdup("store_failed");
		r->message = xprintf("The hub could not save this change and made none: %s", why);
	}
}

void
bus_audit_clear(struct bus_audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct audit_row *r = &a->rows[i];
		free(r->person);
		free(r->op);
		free(r->case_id);
		free(r->team);
		free(r->outcome);
		free(r->message);
		free(r->args);
	}
	a->n = 0;
}

/* ------------------------------------------------------------------ */
/* The "audit" op. */

struct audit_page {
	json_t *entries;
	size_t limit;
	int64_t last; /* the id of the last entry */
	int more;     /* a row past the page exists */
};

static int
audit_entry(const struct bus_store_audit_row *row, void *arg)
{
	struct audit_page *p = arg;
	char ts[BUS_TIME_LEN];
	json_t *args;

	/* One row more than the page was asked for: "next" is then exact. */
	if (json_array_size(p->entries) == p->limit) {
		p->more = 1;
		return 1;
	}
	bus_time_format(row->ts, ts);
	if ((args = json_loads(row->args, 0, NULL)) == NULL)
		args = json_string(row->args);
	json_array_append_new(p->entries, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, "
	    "s:s, s:s?, s:o}", "id", (json_int_t)row->id, "ts", ts, "person", row->person,
	    "role", row->role, "op", row->op, "case", row->case_id, "team", row->team,
	    "outcome", row->outcome, "message", row->message, "args", args));
	p->last = row->id;
	return 0;
}

/* Rows after id "after", at or after "since", of one "case". The registry
 * (bus-ops) has checked the role, leads only, and the arguments. */
json_t *
bus_audit_op(struct bus_store *store, json_t *args)
{
	struct audit_page p = { json_array(), BUS_AUDIT_PAGE, 0, 0 };
	int64_t since = INT64_MIN;
	char *cause = NULL;
	json_t *r;

	json_t *jsince = json_object_get(args, "since"), *jlimit = json_object_get(args, "limit");
	if (json_is_integer(jsince))
		since = json_integer_value(jsince);
	else if (jsince != NULL)
		bus_time_parse(json_string_value(jsince), &since); /* checked by the table */
	if (jlimit != NULL)
		p.limit = (size_t)json_integer_value(jlimit);
	if (bus_store_audit(store, since, json_string_value(json_object_get(args, "case")),
	    json_integer_value(json_object_get(args, "after")), (int)p.limit + 1, audit_entry,
	    &p, &cause) != 0) {
		r = bus_reply_error("store_failed", "Cannot read the audit trail: %s", cause);
		goto out;
	}
	r = json_pack("{s:b, s:O, s:o}", "ok", 1, "entries", p.entries, "next",
	    p.more ? json_integer((json_int_t)p.last) : json_null());
out:
	free(cause);
	json_decref(p.entries);
	return r;
}
