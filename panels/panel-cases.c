/*
 * Open cases: what the floor is working on, most severe first. A case no
 * one has acknowledged yet is marked with '*' and stands out, so that a new
 * report is never missed; it stays marked until someone presses 'x'.
 */
#include <stdio.h>
#include <string.h>

#include "bus-domain.h"
#include "panel.h"
#include "tui.h"

static const struct panel_column cases_columns[] = {
	{ "LEVEL", 11, 0, 0, 0 },
	{ "CASE", 14, 0, 0, 0 },
	{ "SECTOR", 14, 0, 110, 0 },
	{ "ORGANISATION", 19, 0, 96, 0 }, /* a column to TEAM: titles keep theirs */
	{ "TITLE", 0, 0, 0, 0 },
	{ "STATUS", 13, 0, 0, 0 },
	{ "HANDLER", 10, 0, 104, 0 },
	/* "FLY-2+1" whole; a longer name loses its middle, never the "+1". */
	{ "TEAM", 7, 0, 0, 1 },
	{ "AGE", 5, 1, 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

static int
cases_include(const struct tui *t, const void *obj)
{
	const struct bus_case *c = obj;

	(void)t;
	return c->status == NULL || strcmp(c->status, "closed") != 0;
}

/* Most severe first; among equals, unacknowledged first, then oldest. */
static int
cases_compare(const void *a, const void *b)
{
	const struct bus_case *x = a, *y = b;
	int xnew = x->acked_by == NULL, ynew = y->acked_by == NULL;

	if (x->level != y->level)
		return y->level - x->level;
	if (xnew != ynew)
		return ynew - xnew;
	if (x->opened_at != y->opened_at)
		return x->opened_at < y->opened_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
cases_cells(const struct tui *t, const void *obj, int64_t now, struct panel_cell *cell)
{
	const struct bus_case *c = obj;

	(void)t;
	snprintf(cell[0].buf, sizeof cell[0].buf, "%d %s", c->level, bus_level_name(c->level));
	cell[0].style = tui_theme_level(c->level);
	snprintf(cell[1].buf, sizeof cell[1].buf, "%s%s", c->acked_by == NULL ? "*" : " ",
	    c->id);
	cell[1].style = c->acked_by == NULL ? STYLE_NEW : STYLE_NORMAL;
	cell[2].text = c->sector;
	cell[3].text = c->org;
	cell[4].text = c->title;
	cell[5].text = c->status;
	cell[6].text = c->handler != NULL ? c->handler : "-";
	if (c->teams.n > 1)
		snprintf(cell[7].buf, sizeof cell[7].buf, "%s+%zu", c->teams.v[0], c->teams.n - 1);
	else
		cell[7].text = c->teams.n == 1 ? c->teams.v[0] : "-";
	panel_fmt_age(cell[8].buf, sizeof cell[8].buf, c->opened_at, now);
}

static const char *
cases_sector(const void *obj)
{
	return ((const struct bus_case *)obj)->sector;
}

const struct panel_ops panel_cases_ops = {
	.title = "Open cases",
	.tab_name = "Cases",
	.kind = BUS_KIND_CASE,
	.also = 0,
	.colspec = cases_columns,
	.include = cases_include,
	.compare = cases_compare,
	.cells = cases_cells,
	.sector_of = cases_sector,
};
