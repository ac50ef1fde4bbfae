/*
 * Sector status: all sixteen sectors at once, in a fixed order so the eye
 * finds each one in the same place. A sector with a sensor down has
 * degraded monitoring, and says so in the alarm colour.
 */
#include <stdio.h>
#include <string.h>

#include "bus-domain.h"
#include "panel.h"
#include "tui.h"

static const struct panel_column sectors_columns[] = {
	{ "SECTOR", 0, 0, 0 },
	{ "LEVEL", 15, 0, 0 },
	{ "OPEN", 4, 1, 0 },
	{ "ONSITE", 6, 1, 1 },
	{ "SENSORS", 7, 1, 0 },
	{ "MONITOR", 8, 0, 0 },
	{ "ALERT", 5, 1, 1 },
	{ NULL, 0, 0, 0 },
};

static int
sectors_compare(const void *a, const void *b)
{
	const struct bus_sector_state *x = a, *y = b;

	return bus_sector_find(x->id) - bus_sector_find(y->id);
}

static void
sectors_cells(const struct tui *t, const void *obj, int64_t now, struct panel_cell *cell)
{
	const struct bus_sector_state *s = obj;

	(void)t;
	/* The id: short, and what commands and filters take. */
	cell[0].text = s->id;
	/* A level set by a lead by hand is marked, since it no longer moves
	 * with the cases and alerts. */
	snprintf(cell[1].buf, sizeof cell[1].buf, "%d %s%s", s->level, bus_level_name(s->level),
	    s->manual_level >= 0 ? " (set)" : "");
	cell[1].style = tui_theme_level(s->level);
	snprintf(cell[2].buf, sizeof cell[2].buf, "%d", s->open_cases);
	snprintf(cell[3].buf, sizeof cell[3].buf, "%d", s->teams_onsite);
	snprintf(cell[4].buf, sizeof cell[4].buf, "%d/%d", s->sensors_up,
	    s->sensors_up + s->sensors_down);
	if (s->sensors_down > 0) {
		snprintf(cell[5].buf, sizeof cell[5].buf, "DEGRADED");
		cell[5].style = STYLE_ALARM;
	} else
		snprintf(cell[5].buf, sizeof cell[5].buf, s->sensors_up > 0 ? "ok" : "-");
	panel_fmt_age(cell[6].buf, sizeof cell[6].buf, s->last_alert, now);
}

const struct panel_ops panel_sectors_ops = {
	.title = "Sectors",
	.tab_name = "Sectors",
	.kind = BUS_KIND_SECTOR,
	.also = 0,
	.colspec = sectors_columns,
	.include = NULL,
	.compare = sectors_compare,
	.cells = sectors_cells,
};
