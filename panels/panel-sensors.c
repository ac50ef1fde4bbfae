/*
 * Sensors and their alerts: a sensor that is down comes first (its sector
 * is blind), then the most recent alerts.
 */
#include <stdio.h>
#include <string.h>

#include "bus-domain.h"
#include "panel.h"
#include "tui.h"

/* Sensor ids are cut in the middle: sensors of a sector differ at the
 * end ("s-transportation-01", "-02"). */
static const struct panel_column sensors_columns[] = {
	{ "SENSOR", 20, 0, 0, 1 },
	{ "STATE", 5, 0, 0, 0 },
	{ "SECTOR", 14, 0, 64, 0 },
	{ "ALERT", 11, 0, 0, 0 },
	{ "SIGNATURE", 0, 0, 0, 0 },
	{ "ALERTS", 6, 1, 80, 0 },
	{ "LAST", 6, 1, 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

static int
sensor_down(const struct bus_sensor *s)
{
	return s->status != NULL && strcmp(s->status, "down") == 0;
}

static int
sensors_compare(const void *a, const void *b)
{
	const struct bus_sensor *x = a, *y = b;

	if (sensor_down(x) != sensor_down(y))
		return sensor_down(y) - sensor_down(x);
	if (x->alert_at != y->alert_at)
		return x->alert_at > y->alert_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
sensors_cells(const struct tui *t, const void *obj, int64_t now, struct panel_cell *cell)
{
	const struct bus_sensor *s = obj;

	(void)t;
	cell[0].text = s->id;
	if (sensor_down(s)) {
		snprintf(cell[1].buf, sizeof cell[1].buf, "DOWN");
		cell[1].style = STYLE_ALARM;
	} else
		snprintf(cell[1].buf, sizeof cell[1].buf, "up");
	cell[2].text = s->sector != NULL ? s->sector : "-";
	if (s->alert_level >= 0) {
		snprintf(cell[3].buf, sizeof cell[3].buf, "%d %s", s->alert_level,
		    bus_level_name(s->alert_level));
		cell[3].style = tui_theme_level(s->alert_level);
	} else
		snprintf(cell[3].buf, sizeof cell[3].buf, "-");
	cell[4].text = s->alert_signature != NULL ? s->alert_signature :
	    s->alert_message != NULL ? s->alert_message : "";
	snprintf(cell[5].buf, sizeof cell[5].buf, "%d", s->alerts);
	panel_fmt_age(cell[6].buf, sizeof cell[6].buf, sensor_down(s) ? s->since : s->alert_at,
	    now);
}

const struct panel_ops panel_sensors_ops = {
	.title = "Sensors",
	.tab_name = "Sensors",
	.kind = BUS_KIND_SENSOR,
	.also = 0,
	.colspec = sensors_columns,
	.include = NULL,
	.compare = sensors_compare,
	.cells = sensors_cells,
};
