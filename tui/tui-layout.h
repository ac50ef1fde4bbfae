/*
 * Where everything goes on a screen of ROWS x COLS: pure arithmetic, so it
 * is unit-tested without a terminal. The top line and the bottom line are
 * always there. A wide, tall screen shows all five panels at once; a
 * smaller one shows the focused panel full size under a strip of tabs.
 */
#ifndef TUI_LAYOUT_H
#define TUI_LAYOUT_H

#define TUI_NPANELS 5

enum tui_panel_id { PANEL_CASES, PANEL_TEAMS, PANEL_SECTORS, PANEL_INTEL, PANEL_SENSORS };

struct tui_rect {
	int y, x, h, w; /* h or w 0: not shown */
};

struct tui_layout {
	int rows, cols;
	int grid;                      /* all panels at once, else one + tabs */
	struct tui_rect top, tabs, bottom;
	struct tui_rect panel[TUI_NPANELS];
	struct tui_rect overlay;       /* detail, help and pickers */
};

#define TUI_GRID_MIN_COLS 120
#define TUI_GRID_MIN_ROWS 32
#define TUI_MIN_COLS 20
#define TUI_MIN_ROWS 6

void tui_layout_compute(struct tui_layout *, int rows, int cols, int focus);
int  tui_layout_usable(const struct tui_layout *);

#endif
