/*
 * A panel shows one kind of object from the replica as a list. Each panel
 * type is a const struct panel_ops: the kind it shows, which objects it
 * includes and in what order, its columns, and how to fill each row's cells.
 * The list machinery here (panel.c) does the rest for every panel: keeping
 * the view in step with the replica, selection that stays on the same object
 * as rows come and go, scrolling, the '/' filter over the visible text,
 * and drawing into the window it is given.
 *
 * Panels read the replica and draw. They never touch sockets or SQLite.
 */
#ifndef PANEL_H
#define PANEL_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "bus-replica.h"
#include "tui-theme.h"

struct tui;

#define PANEL_MAX_COLUMNS 10

struct panel_column {
	const char *title;
	int width;  /* columns; 0: flexible, shares what is left */
	int right;  /* right-aligned (numbers, ages) */
	int min_cols; /* hide this column when the panel is narrower */
	int middle; /* cut long text in the middle: names that differ at
	             * the end (sensor-01, sensor-02) stay different */
};

/* One cell of a row: untrusted TEXT (or BUF when TEXT is NULL) and its style. */
struct panel_cell {
	const char *text;
	char buf[64];
	enum tui_style style;
};

struct panel_ops {
	const char *title;          /* "Open cases" */
	const char *tab_name;            /* "Cases" */
	enum bus_kind kind;
	unsigned also;              /* other kinds whose changes redraw it */
	const struct panel_column *colspec; /* ends with a NULL title */
	int (*include)(const struct tui *, const void *obj);
	int (*compare)(const void *a, const void *b);
	void (*cells)(const struct tui *, const void *obj, int64_t now_ms,
	    struct panel_cell *cells);
	const char *(*sector_of)(const void *obj); /* for the sector filter; may be NULL */
};

struct panel {
	const struct panel_ops *ops;
	const void **view;
	size_t nview, cap;
	uint64_t built[BUS_KIND_COUNT];
	int stale;                  /* rebuild at the next draw */
	size_t selected, top;
	char selected_id[128];
	int chosen;                 /* the operator moved the selection */
	char filter[256];
	char sector[32];            /* only objects of this sector, when set */
	int rows_visible;
};

struct panel *panel_new(const struct panel_ops *);
void        panel_free(struct panel *);
void        panel_refresh(struct panel *, const struct tui *);
void        panel_draw(struct panel *, const struct tui *, WINDOW *, int focused);
void        panel_move(struct panel *, long delta);
void        panel_move_to(struct panel *, int end);
const void *panel_selected(const struct panel *);
void        panel_set_filter(struct panel *, const char *);
void        panel_set_sector(struct panel *, const char *);
int         panel_watches(const struct panel *, unsigned kinds);

/* The overlays: a case in full, and the keys. */
/* The detail overlay; KEYS is what the keys can do to the case, for its
 * foot ("d dispatch  a assign ..."). */
void panel_detail_draw(struct tui *, WINDOW *, const char *keys);
void panel_help_draw(struct tui *, WINDOW *);

/* Shared cell helpers. */
void panel_fmt_age(char *buf, size_t size, int64_t since_ms, int64_t now_ms);
void panel_fmt_clock(char *buf, size_t size, int64_t ms);

extern const struct panel_ops panel_cases_ops;
extern const struct panel_ops panel_teams_ops;
extern const struct panel_ops panel_sectors_ops;
extern const struct panel_ops panel_intel_ops;
extern const struct panel_ops panel_sensors_ops;

#endif
