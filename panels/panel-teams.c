/*
 * Team dispatch board: every on-site team, its status coloured as CAD
 * boards do, the case it serves, its base, and how long it has been in its
 * status (redrawn every second by the clock).
 */
#include <stdio.h>
#include <string.h>

#include "panel.h"
#include "tui.h"

static const struct panel_column teams_columns[] = {
	{ "TEAM", 7, 0, 0, 1 },
	{ "STATUS", 10, 0, 0, 0 },
	{ "CASE", 13, 0, 0, 0 },
	{ "ORGANISATION", 0, 0, 70, 0 },
	{ "BASE", 16, 0, 60, 0 },
	{ "IN STATUS", 9, 1, 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

static int
teams_compare(const void *a, const void *b)
{
	const struct bus_team *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static void
teams_cells(const struct tui *t, const void *obj, int64_t now, struct panel_cell *cell)
{
	const struct bus_team *team = obj;
	const struct bus_case *c = bus_replica_find(t->replica, BUS_KIND_CASE, team->case_id);

	cell[0].text = team->id;
	cell[1].text = team->status;
	cell[1].style = tui_theme_team_status(team->status);
	cell[2].text = team->case_id != NULL ? team->case_id : "-";
	cell[3].text = c != NULL ? c->org : "";
	cell[4].text = team->base;
	panel_fmt_age(cell[5].buf, sizeof cell[5].buf, team->since, now);
}

const struct panel_ops panel_teams_ops = {
	.title = "Team dispatch",
	.tab_name = "Teams",
	.kind = BUS_KIND_TEAM,
	.also = BUS_KIND_BIT(BUS_KIND_CASE),
	.colspec = teams_columns,
	.include = NULL,
	.compare = teams_compare,
	.cells = teams_cells,
};
