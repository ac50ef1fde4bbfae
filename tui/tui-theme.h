/*
 * Colours and attributes by meaning: NCISS levels (docs/DOMAIN.md), team
 * statuses (as CAD boards colour them), TLP markings, and the chrome.
 * Three modes: 256 colours, 8 colours, and none (NO_COLOR or a terminal
 * without colour), where levels still differ by attribute and always by
 * their text.
 */
#ifndef TUI_THEME_H
#define TUI_THEME_H

#include <curses.h>

enum tui_theme_mode { THEME_256, THEME_8, THEME_MONO };

enum tui_style {
	STYLE_NORMAL,
	STYLE_TITLE,       /* panel titles */
	STYLE_TITLE_FOCUS, /* the focused panel's title */
	STYLE_HEADER,      /* column headers */
	STYLE_SELECTED,    /* the selected row */
	STYLE_TOP,         /* the top line */
	STYLE_OK,          /* connected */
	STYLE_ALARM,       /* disconnected, degraded, refused */
	STYLE_DIM,         /* stale data, hints */
	STYLE_NEW,         /* an unacknowledged case */
	STYLE_LEVEL0, STYLE_LEVEL1, STYLE_LEVEL2, STYLE_LEVEL3, STYLE_LEVEL4, STYLE_LEVEL5,
	STYLE_TEAM_AVAILABLE, STYLE_TEAM_DISPATCHED, STYLE_TEAM_ENROUTE,
	STYLE_TEAM_ONSITE, STYLE_TEAM_RETURNING, STYLE_TEAM_OFFDUTY,
	STYLE_TLP_CLEAR, STYLE_TLP_GREEN, STYLE_TLP_AMBER, STYLE_TLP_RED,
	STYLE_COUNT
};

/* The themes by name, NULL-terminated: "dark" (the default), "light"
 * (for light backgrounds) and "mono". */
extern const char *const tui_theme_names[];
void tui_theme_init(const char *name, int no_color);
enum tui_theme_mode tui_theme_mode(void);
attr_t tui_theme_attr(enum tui_style);
enum tui_style tui_theme_level(int level);
enum tui_style tui_theme_team_status(const char *status);
enum tui_style tui_theme_tlp(const char *tlp);

#endif
