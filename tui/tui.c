#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-ops.h"
#include "bus-replica.h"
#include "bus-sync.h"
#include "bus-time.h"
#include "panel.h"
#include "tui.h"
#include "xmalloc.h"

void
tui_dirty(struct tui *t, unsigned bits)
{
	t->dirty |= bits;
}

/* The operator's status line: results of commands, refusals, hints. */
void
tui_message(struct tui *t, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_error = error;
	/* A long message may have covered rows above the bottom line. */
	tui_dirty(t, DIRTY_BOTTOM | DIRTY_PANELS | DIRTY_OVERLAY);
}

/* The role the roster gives this console's user, as the hub sees it. */
const char *
tui_role(const struct tui *t)
{
	/* With CURVE the key's role is ours, whatever the roster says. */
	if (t->curve)
		return t->key_role[0] != '\0' ? t->key_role : "role ?";
	/* Before the first snapshot the roster is unknown, and so is the role. */
	if (bus_replica_count(t->replica, BUS_KIND_STAFF) == 0)
		return "role ?";
	return bus_replica_role_of(t->replica, t->user);
}

/* May this console's user send OP? The op registry answers, as it does
 * for the hub, so the console never offers what the hub would refuse for
 * the role. (A case's handler may also move its status: the hub decides
 * that one.) */
int
tui_can(const struct tui *t, const char *op)
{
	if (t->read_only)
		return 0;
	return bus_op_allowed(bus_op_find(op), bus_role_find(tui_role(t)));
}

/* Say that this console's user may not send OP, and who may: the same
 * words as the hub's own refusal ("dispatch needs the role lead"). */
void
tui_refuse_role(struct tui *t, const char *op, const char *what)
{
	const struct bus_op *o = bus_op_find(op);
	char *roles = o != NULL ? bus_op_roles_text(o) : NULL;

	if (t->read_only)
		tui_message(t, 1, "%s: this console is read-only (--read-only)", what);
	else
		tui_message(t, 1, "%s needs the role %s; %s has the role %s", what,
		    roles != NULL ? roles : "?", t->user, tui_role(t));
	free(roles);
}

struct panel *
tui_focused(const struct tui *t)
{
	return t->panels[t->focus];
}

struct sent {
	struct tui *t;
	char what[200];
};

static void
tui_sent_reply(void *arg, int ok, const char *code, const char *message, json_t *reply)
{
	struct sent *s = arg;

	if (ok) {
		/* What the hub made or named that the command did not say: the
		 * new case's id for an open, who you are for a whoami. */
		static const char *const named[] = { "case", "team", "user", "role", NULL };
		char more[200] = "";
		size_t used = 0;
		for (int i = 0; named[i] != NULL && used < sizeof more; i++) {
			const char *v = json_string_value(json_object_get(reply, named[i]));
			if (v != NULL && strstr(s->what, v) == NULL)
				used += (size_t)snprintf(more + used, sizeof more - used, "%s%s %s",
				    used > 0 ? ", " : " (", named[i], v);
		}
		if (used > 0 && used < sizeof more)
			snprintf(more + used, sizeof more - used, ")");
		tui_message(s->t, 0, "%s: done%s", s->what, more);
	} else
		tui_message(s->t, 1, "%s refused (%s): %s", s->what, code ? code : "error",
		    message ? message : "no reason given");
	free(s);
}

/*
 * Send OP to the hub. The status line says it was sent, then what the hub
 * answered; the change itself is shown when its event arrives.
 */
void
tui_send(struct tui *t, const char *op, json_t *args, const char *what)
{
	struct sent *s;
	const char *fields[] = { "team", "case", "handler", "status", "sector", NULL };
	size_t used;

	/* Every key and the command line end here: a read-only console
	 * refuses at this one place, whatever asked. */
	if (t->read_only && strcmp(op, "whoami") != 0) {
		tui_message(t, 1, "%s: this console is read-only (--read-only); nothing was sent",
		    what);
		json_decref(args);
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->t = t;
	used = (size_t)snprintf(s->what, sizeof s->what, "%s", what);
	for (int i = 0; fields[i] != NULL && used < sizeof s->what; i++) {
		json_t *v = json_object_get(args, fields[i]);
		if (json_is_string(v))
			used += (size_t)snprintf(s->what + used, sizeof s->what - used, " %s",
			    json_string_value(v));
		else if (json_is_integer(v))
			used += (size_t)snprintf(s->what + used, sizeof s->what - used, " %lld",
			    (long long)json_integer_value(v));
	}
	/* "level ICS-2026-0001 to 3", "open energy at level 3". */
	json_t *level = json_object_get(args, "level");
	if (json_is_integer(level) && used < sizeof s->what)
		snprintf(s->what + used, sizeof s->what - used, strcmp(op, "level") == 0 ||
		    strcmp(op, "sector_level") == 0 ? " to %lld" : " at level %lld",
		    (long long)json_integer_value(level));
	tui_message(t, 0, "%s: sent, waiting for the hub", s->what);
	bus_sync_request(t->sync, op, args, tui_sent_reply, s);
}

/* Send typed op ID with WORDS for its fields, as the ':' line does: keys
 * and the line build their arguments in one place (bus_op_args). */
void
tui_send_words(struct tui *t, enum bus_op_id id, int n, const char *const *words)
{
	const struct bus_op *op = &bus_ops[id];
	char *cause = NULL;
	json_t *args = bus_op_args(op, n, words, &cause);

	if (args == NULL) {
		tui_message(t, 1, "%s", cause);
		free(cause);
		return;
	}
	tui_send(t, op->name, args, op->verb);
}

static void
tui_free_detail(struct tui *t)
{
	bus_replica_entries_free(t->detail_entries, t->ndetail);
	t->detail_entries = NULL;
	t->ndetail = 0;
	t->detail_loaded[0] = '\0';
}

/* The n of the last entry loaded from the hub (0: none). */
static int64_t
tui_detail_last(const struct tui *t)
{
	return t->ndetail > 0 ? t->detail_entries[t->ndetail - 1].n : 0;
}

static void tui_detail_request(struct tui *);

/* A page of the case's timeline: append it, and ask for the next page
 * until the hub's count is reached. */
static void
tui_timeline_reply(void *arg, int ok, const char *code, const char *message, json_t *reply)
{
	struct tui *t = arg;
	const char *id = json_string_value(json_object_get(reply, "case"));
	struct bus_entry *page;
	size_t n;

	t->detail_loading = 0;
	tui_dirty(t, DIRTY_OVERLAY);
	if (!ok || id == NULL) {
		snprintf(t->detail_error, sizeof t->detail_error, "%s", message ? message :
		    code ? code : "no answer");
		return;
	}
	if (strcmp(id, t->detail_case) != 0)
		return; /* the operator has moved on to another case */
	t->detail_error[0] = '\0';
	n = bus_replica_entries(json_object_get(reply, "entries"), &page);
	/* Keep entries in order and without repeats: only those after ours. */
	size_t keep = 0;
	int64_t last = tui_detail_last(t);
	t->detail_entries = xrealloc(t->detail_entries,
	    (t->ndetail + n + 1) * sizeof *t->detail_entries);
	for (size_t i = 0; i < n; i++) {
		if (page[i].n > last) {
			t->detail_entries[t->ndetail++] = page[i];
			last = page[i].n;
			keep++;
		} else {
			free(page[i].who);
			free(page[i].action);
			free(page[i].text);
		}
	}
	free(page);
	snprintf(t->detail_loaded, sizeof t->detail_loaded, "%s", id);
	json_int_t count = json_integer_value(json_object_get(reply, "count"));
	if (keep > 0 && last < count)
		tui_detail_request(t);
}

static void
tui_detail_request(struct tui *t)
{
	t->detail_loading = 1;
	bus_sync_forget(t->sync, t);
	bus_sync_request(t->sync, "timeline", json_pack("{s:s, s:I}", "case", t->detail_case,
	    "after", (json_int_t)tui_detail_last(t)), tui_timeline_reply, t);
}

/* Load the whole timeline of the case in the detail overlay; the case's
 * own events carry only its latest entries. */
void
tui_detail_fetch(struct tui *t)
{
	if (strcmp(t->detail_loaded, t->detail_case) != 0)
		tui_free_detail(t);
	t->detail_error[0] = '\0';
	tui_detail_request(t);
}

/* While the detail is open: if the live case has entries past what was
 * loaded with a hole between (more than its tail arrived meanwhile),
 * load what is missing. */
void
tui_detail_check(struct tui *t)
{
	const struct bus_case *c;

	if (t->overlay != OVERLAY_DETAIL || t->detail_loading || t->detail_error[0] != '\0')
		return;
	c = bus_replica_find(t->replica, BUS_KIND_CASE, t->detail_case);
	if (c == NULL || c->ntimeline == 0)
		return;
	if (strcmp(t->detail_loaded, c->id) == 0 && c->timeline[0].n > tui_detail_last(t) + 1)
		tui_detail_request(t);
}

void
tui_free(struct tui *t)
{
	tui_free_detail(t);
	tui_picker_free(&t->picker);
	for (int i = 0; i < TUI_NPANELS; i++)
		panel_free(t->panels[i]);
}
