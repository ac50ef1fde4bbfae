#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-sync.h"
#include "bus-time.h"
#include "panel.h"
#include "bus-text.h"
#include "tui.h"
#include "xmalloc.h"

struct panel *
panel_new(const struct panel_ops *ops)
{
	struct panel *p = xcalloc(1, sizeof *p);

	p->ops = ops;
	p->stale = 1;
	return p;
}

void
panel_free(struct panel *p)
{
	if (p == NULL)
		return;
	free(p->view);
	free(p);
}

/* Does any visible cell of OBJ contain the filter (ASCII case folded)? */
static int
panel_matches(const struct panel *p, const struct tui *t, const void *obj, int64_t now)
{
	struct panel_cell cells[PANEL_MAX_COLUMNS];
	char safe[512];

	if (p->filter[0] == '\0')
		return 1;
	memset(cells, 0, sizeof cells);
	p->ops->cells(t, obj, now, cells);
	for (int c = 0; c < PANEL_MAX_COLUMNS && p->ops->colspec[c].title != NULL; c++) {
		const char *text = cells[c].text != NULL ? cells[c].text : cells[c].buf;
		/* Match what the operator sees, not the raw bytes. */
		bus_text_sanitize(text, BUS_TEXT_CSTR, safe, sizeof safe);
		if (strcasestr(safe, p->filter) != NULL)
			return 1;
	}
	return 0;
}

static const struct panel_ops *sort_ops;

static int
panel_sort_cmp(const void *a, const void *b)
{
	return sort_ops->compare(*(const void *const *)a, *(const void *const *)b);
}

static const char *
object_id(const void *obj)
{
	return *(const char *const *)obj; /* every replica struct starts with its id */
}

/*
 * Rebuild the view when the replica or the filter changed: include, filter,
 * sort; then find the selected object again by its id, so the selection
 * stays on the same case when others arrive above it.
 */
void
panel_refresh(struct panel *p, const struct tui *t)
{
	const struct panel_ops *ops = p->ops;
	int changed = p->stale;
	int64_t now = bus_time_now_ms();

	for (int k = 0; k < BUS_KIND_COUNT; k++) {
		if ((k == (int)ops->kind || (ops->also & BUS_KIND_BIT(k))) &&
		    bus_replica_generation(t->replica, k) != p->built[k]) {
			p->built[k] = bus_replica_generation(t->replica, k);
			changed = 1;
		}
	}
	if (!changed)
		return;
	p->stale = 0;
	size_t n = bus_replica_count(t->replica, ops->kind);
	if (n > p->cap) {
		p->cap = n;
		p->view = xrealloc(p->view, p->cap * sizeof *p->view);
	}
	p->nview = 0;
	for (size_t i = 0; i < n; i++) {
		const void *obj = bus_replica_at(t->replica, ops->kind, i);
		if (p->sector[0] != '\0' && (ops->sector_of == NULL || ops->sector_of(obj) == NULL ||
		    strcmp(ops->sector_of(obj), p->sector) != 0))
			continue;
		if ((ops->include == NULL || ops->include(t, obj)) && panel_matches(p, t, obj, now))
			p->view[p->nview++] = obj;
	}
	if (ops->compare != NULL && p->nview > 1) {
		sort_ops = ops;
		qsort(p->view, p->nview, sizeof *p->view, panel_sort_cmp);
	}
	p->selected = p->nview > 0 && p->selected >= p->nview ? p->nview - 1 : p->selected;
	/* A selection nobody made follows the top of the list (the most
	 * severe case); one the operator made stays on its object. */
	if (!p->chosen) {
		p->selected_id[0] = '\0';
		p->selected = 0;
	}
	for (size_t i = 0; p->selected_id[0] != '\0' && i < p->nview; i++) {
		if (strcmp(object_id(p->view[i]), p->selected_id) == 0) {
			p->selected = i;
			break;
		}
	}
	if (p->nview > 0)
		snprintf(p->selected_id, sizeof p->selected_id, "%s", object_id(p->view[p->selected]));
}

const void *
panel_selected(const struct panel *p)
{
	return p->nview > 0 ? p->view[p->selected] : NULL;
}

static void
panel_remember(struct panel *p)
{
	if (p->nview > 0)
		snprintf(p->selected_id, sizeof p->selected_id, "%s", object_id(p->view[p->selected]));
}

void
panel_move(struct panel *p, long delta)
{
	long s = (long)p->selected + delta;

	if (p->nview == 0)
		return;
	if (s < 0)
		s = 0;
	if (s >= (long)p->nview)
		s = (long)p->nview - 1;
	p->selected = (size_t)s;
	p->chosen = 1;
	panel_remember(p);
}

void
panel_move_to(struct panel *p, int end)
{
	p->selected = end && p->nview > 0 ? p->nview - 1 : 0;
	p->chosen = end; /* back to the top is back to following it */
	panel_remember(p);
}

/* A new filter or sector: rebuild, and follow the top of the new list. */
static void
panel_restart(struct panel *p)
{
	p->stale = 1;
	p->selected = 0;
	p->chosen = 0;
	p->selected_id[0] = '\0';
}

/* Show only objects of SECTOR (an exact id; "" for all). */
void
panel_set_sector(struct panel *p, const char *sector)
{
	snprintf(p->sector, sizeof p->sector, "%s", sector != NULL ? sector : "");
	panel_restart(p);
}

void
panel_set_filter(struct panel *p, const char *filter)
{
	snprintf(p->filter, sizeof p->filter, "%s", filter != NULL ? filter : "");
	panel_restart(p);
}

int
panel_watches(const struct panel *p, unsigned kinds)
{
	return (kinds & (BUS_KIND_BIT(p->ops->kind) | p->ops->also)) != 0;
}

#define PANEL_FLEX_MIN 10 /* a flexible column narrower than this is useless */

/* Fixed columns' total (each with its space after) and flexible count. */
static int
panel_fixed_width(const int *out, int n, int *nflex)
{
	int fixed = 0;

	*nflex = 0;
	for (int i = 0; i < n; i++) {
		if (out[i] > 0)
			fixed += out[i] + 1;
		else if (out[i] == 0)
			(*nflex)++;
	}
	return fixed;
}

/*
 * Column widths for a panel W columns wide: fixed columns as given, those
 * with min_cols above W hidden (-1); flexible columns share the rest. When
 * that leaves a flexible column under PANEL_FLEX_MIN (or the fixed ones do
 * not fit), optional columns (min_cols > 0) are dropped from the right,
 * then any fixed one but the first, until it does.
 */
static void
panel_widths(const struct panel_column *cols, int w, int *out)
{
	int n = 0, nflex, fixed;

	for (; cols[n].title != NULL; n++)
		out[n] = cols[n].min_cols > w ? -1 : cols[n].width;
	for (int pass = 0; pass < 2; pass++) {
		for (int drop = n - 1; drop > 0; drop--) {
			fixed = panel_fixed_width(out, n, &nflex);
			if (nflex == 0 ? fixed <= w + 1 : (w - fixed - nflex) / nflex >= PANEL_FLEX_MIN)
				break;
			if (out[drop] > 0 && (pass == 1 || cols[drop].min_cols > 0))
				out[drop] = -1;
		}
	}
	fixed = panel_fixed_width(out, n, &nflex);
	int rest = w - fixed - nflex;
	for (int i = 0; i < n; i++) {
		if (out[i] == 0)
			out[i] = nflex > 0 && rest > 0 ? rest / nflex : 0;
	}
}

static void
panel_put(WINDOW *win, int y, int x, const char *text, int width, int right, int middle,
    attr_t attr)
{
	char field[BUS_TEXT_FIT_SIZE(256)];

	if (width <= 0)
		return;
	if (width > 256)
		width = 256;
	if (middle)
		bus_text_fit_middle(text, BUS_TEXT_CSTR, width, right ? BUS_TEXT_RIGHT : 0, field,
		    sizeof field);
	else
		bus_text_fit(text, BUS_TEXT_CSTR, width,
		    BUS_TEXT_ELLIPSIS | (right ? BUS_TEXT_RIGHT : 0), field, sizeof field);
	wattrset(win, attr);
	mvwaddstr(win, y, x, field);
}

/* Draw the panel into WIN: a title line, column headers, then rows. */
void
panel_draw(struct panel *p, const struct tui *t, WINDOW *win, int focused)
{
	const struct panel_column *cols = p->ops->colspec;
	int h, w, widths[PANEL_MAX_COLUMNS];
	char title[640];
	int64_t now = bus_time_now_ms();

	getmaxyx(win, h, w);
	werase(win);
	panel_refresh(p, t);

	/* Title: number, name, count, filter. */
	int index = 0;
	for (int i = 0; i < TUI_NPANELS; i++)
		if (t->panels[i] == p)
			index = i + 1;
	/* Data the hub has not confirmed lately must not pass for live. */
	int stale = bus_sync_status(t->sync)->state != BUS_SYNC_LIVE;
	snprintf(title, sizeof title, " %d %s (%zu)%s%s%s%s%s ", index, p->ops->title, p->nview,
	    p->sector[0] ? " in " : "", p->sector, p->filter[0] ? " filter: " : "", p->filter,
	    stale ? "  STALE" : "");
	wattrset(win, tui_theme_attr(focused ? STYLE_TITLE_FOCUS : STYLE_TITLE));
	mvwhline(win, 0, 0, ' ', w);
	panel_put(win, 0, 0, title, w, 0, 0,
	    tui_theme_attr(focused ? STYLE_TITLE_FOCUS : STYLE_TITLE));
	if (h < 3)
		return;

	panel_widths(cols, w, widths);
	int x = 0;
	for (int c = 0; cols[c].title != NULL; c++) {
		if (widths[c] < 0)
			continue;
		panel_put(win, 1, x, cols[c].title, widths[c], cols[c].right, 0,
		    tui_theme_attr(STYLE_HEADER));
		x += widths[c] + 1;
	}

	p->rows_visible = h - 2;
	if (p->selected < p->top)
		p->top = p->selected;
	if (p->selected >= p->top + (size_t)p->rows_visible)
		p->top = p->selected - (size_t)p->rows_visible + 1;
	if (p->top + (size_t)p->rows_visible > p->nview)
		p->top = p->nview > (size_t)p->rows_visible ? p->nview - (size_t)p->rows_visible : 0;

	for (int r = 0; r < p->rows_visible && p->top + (size_t)r < p->nview; r++) {
		size_t i = p->top + (size_t)r;
		struct panel_cell cells[PANEL_MAX_COLUMNS];
		int selected = focused && i == p->selected;

		memset(cells, 0, sizeof cells);
		p->ops->cells(t, p->view[i], now, cells);
		if (selected) {
			wattrset(win, tui_theme_attr(STYLE_SELECTED));
			mvwhline(win, 2 + r, 0, ' ', w);
		}
		x = 0;
		for (int c = 0; cols[c].title != NULL; c++) {
			if (widths[c] < 0)
				continue;
			/* The selected row keeps its level colour in the level
			 * column, so the severity stays readable under the bar. */
			attr_t a = tui_theme_attr(stale ? STYLE_DIM : cells[c].style);
			if (selected && (stale || cells[c].style < STYLE_LEVEL0))
				a = tui_theme_attr(STYLE_SELECTED);
			panel_put(win, 2 + r, x, cells[c].text != NULL ? cells[c].text : cells[c].buf,
			    widths[c], cols[c].right, cols[c].middle, a);
			x += widths[c] + 1;
		}
	}
	if (p->nview == 0) {
		const char *empty = p->filter[0] ? "nothing matches the filter" : "nothing here";
		panel_put(win, 2, 1, empty, w - 2, 0, 0, tui_theme_attr(STYLE_DIM));
	}
	wattrset(win, A_NORMAL);
}

/* "45s", "12m", "3h05m", "2d04h": how long since SINCE. */
void
panel_fmt_age(char *buf, size_t size, int64_t since_ms, int64_t now_ms)
{
	int64_t s = since_ms > 0 && now_ms > since_ms ? (now_ms - since_ms) / 1000 : 0;

	if (since_ms <= 0)
		snprintf(buf, size, "-");
	else if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* "14:05:09Z" for today, "11-26 14:05Z" for another day (UTC). */
void
panel_fmt_clock(char *buf, size_t size, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000), today = time(NULL);
	struct tm tm, now;

	if (ms <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	gmtime_r(&secs, &tm);
	gmtime_r(&today, &now);
	if (tm.tm_yday == now.tm_yday && tm.tm_year == now.tm_year)
		snprintf(buf, size, "%02d:%02d:%02dZ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, size, "%02d-%02d %02d:%02dZ", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
}
