/*
 * Case detail: every field of one case and its timeline, who did what and
 * when, oldest first. The case's events carry only its latest entries; the
 * rest come once from the hub's "timeline" op when the overlay opens, and
 * entries that arrive later are taken from the live case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-time.h"
#include "panel.h"
#include "bus-text.h"
#include "tui.h"
#include "xmalloc.h"

struct detail_line {
	char *text;
	attr_t attr;
};

struct detail {
	struct detail_line *lines;
	int n, cap, width;
};

static void
detail_add(struct detail *d, attr_t attr, const char *text)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->lines = xrealloc(d->lines, (size_t)d->cap * sizeof *d->lines);
	}
	d->lines[d->n].text = xstrdup(text);
	d->lines[d->n].attr = attr;
	d->n++;
}

/* Add untrusted TEXT after LABEL (INDENT colspec), wrapped to the width. */
static void
detail_wrap(struct detail *d, int indent, const char *label, const char *text)
{
	size_t len = strlen(text);
	char *safe = xmalloc(BUS_TEXT_SANITIZE_SIZE(len));
	char *line = xmalloc(BUS_TEXT_FIT_SIZE(512) + 64);
	int room = d->width - indent;
	const char *s = safe;

	bus_text_sanitize(text, len, safe, BUS_TEXT_SANITIZE_SIZE(len));
	if (room < 8)
		room = 8;
	if (room > 512)
		room = 512;
	do {
		char part[BUS_TEXT_FIT_SIZE(512)];
		bus_text_fit(s, BUS_TEXT_CSTR, room, BUS_TEXT_NOPAD, part, sizeof part);
		size_t n = strlen(part);
		/* Break at a space when one is in the second half of the line. */
		if (n < strlen(s)) {
			char *sp = strrchr(part, ' ');
			if (sp != NULL && sp - part > (long)n / 2) {
				n = (size_t)(sp - part) + 1;
				part[n] = '\0';
			}
		}
		if (n == 0 && s != safe)
			break;
		snprintf(line, BUS_TEXT_FIT_SIZE(512) + 64, "%-*s%s", indent,
		    s == safe ? label : "", part);
		detail_add(d, A_NORMAL, line);
		s += n;
	} while (*s != '\0');
	free(line);
	free(safe);
}

static void
detail_field(struct detail *d, const char *label, const char *text)
{
	detail_wrap(d, 15, label, text != NULL ? text : "-");
}

static void
detail_time(struct detail *d, const char *label, int64_t ms, const char *by)
{
	char buf[160], clock[BUS_TIME_LEN];

	if (ms <= 0)
		return;
	bus_time_format(ms, clock);
	snprintf(buf, sizeof buf, "%.19sZ%s%s", clock, by ? " by " : "", by ? by : "");
	detail_field(d, label, buf);
}

static void
detail_entry(struct detail *d, const struct bus_entry *e)
{
	char clock[BUS_TIME_LEN];
	size_t n = strlen(e->text) + strlen(e->who) + strlen(e->action) + 64;
	char *line = xmalloc(n);

	bus_time_format(e->ts, clock);
	snprintf(line, n, "%.10s %.8s  %-10s %-12s %s", clock, clock + 11, e->who, e->action,
	    e->text);
	detail_wrap(d, 0, "", line);
	free(line);
}

static void
detail_build(struct detail *d, struct tui *t, const struct bus_case *c)
{
	char buf[256];

	snprintf(buf, sizeof buf, "%s   level %d %s   %s%s", c->id, c->level,
	    bus_level_name(c->level), c->status ? c->status : "?",
	    c->acked_by == NULL ? "   NOT ACKNOWLEDGED" : "");
	detail_add(d, tui_theme_attr(tui_theme_level(c->level)) | A_BOLD, buf);
	detail_add(d, A_NORMAL, "");
	detail_field(d, "Title", c->title);
	detail_field(d, "Organisation", c->org);
	detail_field(d, "Sector", c->sector);
	detail_field(d, "Handler", c->handler);
	buf[0] = '\0';
	for (size_t i = 0; i < c->teams.n; i++) {
		const struct bus_team *tm = bus_replica_find(t->replica, BUS_KIND_TEAM, c->teams.v[i]);
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s (%s)", i ? ", " : "",
		    c->teams.v[i], tm && tm->status ? tm->status : "?");
	}
	detail_field(d, "Teams", buf[0] ? buf : "none");
	detail_field(d, "On-site asked", c->onsite_requested ? "yes" : "no");
	detail_field(d, "Contact", c->contact);
	detail_time(d, "Reported", c->reported_at, NULL);
	detail_time(d, "Opened", c->opened_at, c->opened_by);
	detail_time(d, "Status since", c->status_since, NULL);
	detail_time(d, "Acknowledged", c->acked_at, c->acked_by);
	detail_time(d, "Closed", c->closed_at, c->closed_by);
	detail_field(d, "Reference", c->ref);
	detail_field(d, "Summary", c->summary != NULL && c->summary[0] ? c->summary : "-");
	detail_add(d, A_NORMAL, "");

	/* Entries fetched from the hub, then any newer ones from the case;
	 * a hole between them is said, never hidden. */
	int have = strcmp(t->detail_loaded, c->id) == 0;
	int64_t last = 0;
	const char *state = t->detail_error[0] != '\0' ? "  (earlier entries not loaded)" :
	    t->detail_loading ? "  (loading...)" : "";
	snprintf(buf, sizeof buf, "Timeline (%lld entr%s)%s", (long long)c->timeline_count,
	    c->timeline_count == 1 ? "y" : "ies", state);
	detail_add(d, tui_theme_attr(STYLE_HEADER), buf);
	if (t->detail_error[0] != '\0') {
		snprintf(buf, sizeof buf, "The hub did not give the earlier entries: %s. "
		    "Esc and Enter try again.", t->detail_error);
		detail_wrap(d, 0, "", buf);
	}
	for (size_t i = 0; have && i < t->ndetail; i++) {
		detail_entry(d, &t->detail_entries[i]);
		last = t->detail_entries[i].n;
	}
	for (size_t i = 0; i < c->ntimeline; i++) {
		if (c->timeline[i].n <= last)
			continue;
		if (c->timeline[i].n > last + 1) {
			int64_t gap = c->timeline[i].n - last - 1;
			snprintf(buf, sizeof buf, "... %lld entr%s not loaded ...", (long long)gap,
			    gap == 1 ? "y" : "ies");
			detail_add(d, tui_theme_attr(STYLE_DIM), buf);
		}
		detail_entry(d, &c->timeline[i]);
		last = c->timeline[i].n;
	}
}

void
panel_detail_draw(struct tui *t, WINDOW *win, const char *keys)
{
	const struct bus_case *c = bus_replica_find(t->replica, BUS_KIND_CASE, t->detail_case);
	struct detail d = { NULL, 0, 0, 0 };
	int h, w;

	getmaxyx(win, h, w);
	werase(win);
	wattrset(win, A_NORMAL);
	box(win, 0, 0);
	d.width = w - 4;
	if (c == NULL)
		detail_add(&d, tui_theme_attr(STYLE_ALARM), "This case is no longer known to the hub.");
	else
		detail_build(&d, t, c);
	int rows = h - 3;
	if (t->overlay_scroll > d.n - rows)
		t->overlay_scroll = d.n - rows > 0 ? d.n - rows : 0;
	for (int y = 0; y < rows && t->overlay_scroll + y < d.n; y++) {
		struct detail_line *l = &d.lines[t->overlay_scroll + y];
		char out[BUS_TEXT_FIT_SIZE(512)];
		/* Lines are already sanitised; fit only cuts them to the box. */
		bus_text_fit(l->text, BUS_TEXT_CSTR, d.width > 512 ? 512 : d.width, BUS_TEXT_NOPAD,
		    out, sizeof out);
		wattrset(win, l->attr);
		mvwaddstr(win, 1 + y, 2, out);
	}
	wattrset(win, tui_theme_attr(STYLE_DIM));
	char foot[640];
	snprintf(foot, sizeof foot, "Esc close  j/k scroll%s%s", keys[0] != '\0' ? "  " : "",
	    keys);
	mvwaddnstr(win, h - 2, 2, foot, w - 4);
	wattrset(win, A_NORMAL);
	for (int i = 0; i < d.n; i++)
		free(d.lines[i].text);
	free(d.lines);
}
