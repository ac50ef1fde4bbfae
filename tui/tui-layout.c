#include <string.h>

#include "tui-layout.h"

static struct tui_rect
rect(int y, int x, int h, int w)
{
	struct tui_rect r = { y, x, h > 0 ? h : 0, w > 0 ? w : 0 };

	if (r.h == 0 || r.w == 0)
		r.h = r.w = 0;
	return r;
}

/*
 * Grid: open cases across the whole width on top, since titles need room;
 * below, the sixteen sectors on the left (a title, a header and sixteen
 * rows when there is room) and teams, intel and sensors stacked on the
 * right.
 */
static void
layout_grid(struct tui_layout *l, int body_y, int body_h)
{
	int bottom_h = body_h >= 44 ? body_h / 2 : body_h - 14 < 22 ? body_h - 14 : 22;
	int cases_h = body_h - bottom_h, y = body_y + cases_h;
	int left_w = l->cols * 9 / 20, right_w = l->cols - left_w;
	int teams_h = bottom_h * 2 / 5, intel_h = (bottom_h - teams_h + 1) / 2;
	int sensors_h = bottom_h - teams_h - intel_h;

	l->panel[PANEL_CASES] = rect(body_y, 0, cases_h, l->cols);
	l->panel[PANEL_SECTORS] = rect(y, 0, bottom_h, left_w);
	l->panel[PANEL_TEAMS] = rect(y, left_w, teams_h, right_w);
	l->panel[PANEL_INTEL] = rect(y + teams_h, left_w, intel_h, right_w);
	l->panel[PANEL_SENSORS] = rect(y + teams_h + intel_h, left_w, sensors_h, right_w);
}

/* Fill L for a screen of ROWS x COLS with panel FOCUS in front. */
void
tui_layout_compute(struct tui_layout *l, int rows, int cols, int focus)
{
	memset(l, 0, sizeof *l);
	l->rows = rows > 0 ? rows : 0;
	l->cols = cols > 0 ? cols : 0;
	if (!tui_layout_usable(l))
		return;
	l->top = rect(0, 0, 1, cols);
	l->bottom = rect(rows - 1, 0, 1, cols);
	l->grid = cols >= TUI_GRID_MIN_COLS && rows >= TUI_GRID_MIN_ROWS;
	if (l->grid)
		layout_grid(l, 1, rows - 2);
	else {
		l->tabs = rect(1, 0, 1, cols);
		l->panel[focus] = rect(2, 0, rows - 3, cols);
	}
	/* Overlays cover the body, leaving a margin on big screens. */
	int mh = rows >= 30 ? 2 : 0, mw = cols >= 100 ? cols / 10 : 0;
	l->overlay = rect(1 + mh, mw, rows - 2 - 2 * mh, cols - 2 * mw);
}

/* Below this size only a "terminal too small" line is drawn. */
int
tui_layout_usable(const struct tui_layout *l)
{
	return l->rows >= TUI_MIN_ROWS && l->cols >= TUI_MIN_COLS;
}
