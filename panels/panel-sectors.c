/*
 * Sector status: all sixteen sectors at once, in a fixed order so the eye
 * finds each one in the same place. Every raised sector says why it is at
 * its level (WHY: the case, the number of cases, the alert and its age, or
 * "(set)" and the lead who set it), since a level that cannot be explained
 * cannot be trusted. A sector with a sensor down has degraded monitoring,
 * and says so in the alarm colour.
 *
 * Widths: the level's name whole ("5 Emergency") and WHY room for a case
 * id (13) in the 54 columns the grid gives this panel at 120x40, where
 * the counts make way; at 80 columns everything shows.
 */
#include <stdio.h>
#include <string.h>

#include "bus-domain.h"
#include "panel.h"
#include "tui.h"

static const struct panel_column sectors_columns[] = {
	{ "SECTOR", 14, 0, 0, 0 },
	{ "LEVEL", 11, 0, 0, 0 },
	{ "WHY", 0, 0, 0, 0 },
	{ "OPEN", 4, 1, 56, 0 },
	{ "ONSITE", 6, 1, 70, 0 },
	{ "SENSORS", 7, 1, 60, 0 },
	{ "MONITOR", 8, 0, 0, 0 },
	{ "ALERT", 5, 1, 76, 0 },
	{ NULL, 0, 0, 0, 0 },
};

static int
sectors_compare(const void *a, const void *b)
{
	const struct bus_sector_state *x = a, *y = b;

	return bus_sector_find(x->id) - bus_sector_find(y->id);
}

/* Why sector S is at its level, into BUF: "ICS-2026-0012", "3 cases",
 * "alert 4m" ("alert(4) 12m" once its hold has stepped down from 4),
 * "(set) mori", or "-" when nothing raises it. */
static void
sectors_why(const struct bus_sector_state *s, int64_t now, char *buf, size_t size)
{
	const char *reason = s->level_reason != NULL ? s->level_reason : "";
	char age[32];

	if (strcmp(reason, "manual") == 0 || (reason[0] == '\0' && s->manual_level >= 0))
		snprintf(buf, size, "(set)%s%s", s->level_set_by != NULL ? " " : "",
		    s->level_set_by != NULL ? s->level_set_by : "");
	else if (strcmp(reason, "cases") == 0 && s->level_cases == 1 && s->level_case != NULL)
		snprintf(buf, size, "%s", s->level_case);
	else if (strcmp(reason, "cases") == 0)
		snprintf(buf, size, "%d case%s", s->level_cases, s->level_cases == 1 ? "" : "s");
	else if (strcmp(reason, "alert") == 0) {
		panel_fmt_age(age, sizeof age, s->alert_at, now);
		if (s->alert_level > s->level)
			snprintf(buf, size, "alert(%d) %s", s->alert_level, age);
		else
			snprintf(buf, size, "alert %s", age);
	} else
		snprintf(buf, size, "-");
}

static void
sectors_cells(const struct tui *t, const void *obj, int64_t now, struct panel_cell *cell)
{
	const struct bus_sector_state *s = obj;

	(void)t;
	/* The id: short, and what commands and filters take. */
	cell[0].text = s->id;
	snprintf(cell[1].buf, sizeof cell[1].buf, "%d %s", s->level, bus_level_name(s->level));
	cell[1].style = tui_theme_level(s->level);
	sectors_why(s, now, cell[2].buf, sizeof cell[2].buf);
	snprintf(cell[3].buf, sizeof cell[3].buf, "%d", s->open_cases);
	snprintf(cell[4].buf, sizeof cell[4].buf, "%d", s->teams_onsite);
	snprintf(cell[5].buf, sizeof cell[5].buf, "%d/%d", s->sensors_up,
	    s->sensors_up + s->sensors_down);
	if (s->sensors_down > 0) {
		snprintf(cell[6].buf, sizeof cell[6].buf, "DEGRADED");
		cell[6].style = STYLE_ALARM;
	} else
		snprintf(cell[6].buf, sizeof cell[6].buf, s->sensors_up > 0 ? "ok" : "-");
	panel_fmt_age(cell[7].buf, sizeof cell[7].buf, s->last_alert, now);
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
