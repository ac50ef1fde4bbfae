#include <string.h>

#include "tui-theme.h"

/* One row per style: colours for 256 and 8 colours, and attributes for
 * each mode. -1 is the terminal's default colour. */
static const struct theme_row {
	short fg256, bg256, fg8, bg8;
	attr_t attr_color, attr_mono;
} theme_rows[STYLE_COUNT] = {
	[STYLE_NORMAL] = { -1, -1, -1, -1, A_NORMAL, A_NORMAL },
	[STYLE_TITLE] = { 250, 236, COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_UNDERLINE },
	[STYLE_TITLE_FOCUS] = { 231, 25, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_BOLD | A_REVERSE },
	[STYLE_HEADER] = { 245, -1, COLOR_CYAN, -1, A_NORMAL, A_UNDERLINE },
	[STYLE_SELECTED] = { 231, 24, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[STYLE_TOP] = { 231, 237, COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE },
	[STYLE_OK] = { 46, 237, COLOR_GREEN, COLOR_BLUE, A_BOLD, A_REVERSE },
	[STYLE_ALARM] = { 231, 160, COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD | A_REVERSE },
	[STYLE_DIM] = { 244, -1, -1, -1, A_NORMAL, A_DIM },
	[STYLE_NEW] = { 226, -1, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	/* NCISS: 5 black (reverse and bold), 4 red, 3 orange (yellow bold on
	 * 8 colours), 2 yellow, 1 green, 0 white. */
	[STYLE_LEVEL0] = { 252, -1, COLOR_WHITE, -1, A_NORMAL, A_DIM },
	[STYLE_LEVEL1] = { 40, -1, COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[STYLE_LEVEL2] = { 226, -1, COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE },
	[STYLE_LEVEL3] = { 208, -1, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[STYLE_LEVEL4] = { 196, -1, COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[STYLE_LEVEL5] = { 231, 16, COLOR_WHITE, COLOR_BLACK, A_BOLD | A_REVERSE,
		A_BOLD | A_REVERSE },
	/* CAD boards: available green, dispatched amber, en route blue,
	 * on site red, off duty grey. */
	[STYLE_TEAM_AVAILABLE] = { 40, -1, COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[STYLE_TEAM_DISPATCHED] = { 214, -1, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[STYLE_TEAM_ENROUTE] = { 39, -1, COLOR_BLUE, -1, A_BOLD, A_UNDERLINE },
	[STYLE_TEAM_ONSITE] = { 196, -1, COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE },
	[STYLE_TEAM_RETURNING] = { 111, -1, COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[STYLE_TEAM_OFFDUTY] = { 244, -1, COLOR_WHITE, -1, A_DIM, A_DIM },
	[STYLE_TLP_CLEAR] = { 252, -1, COLOR_WHITE, -1, A_NORMAL, A_NORMAL },
	[STYLE_TLP_GREEN] = { 40, -1, COLOR_GREEN, -1, A_BOLD, A_NORMAL },
	[STYLE_TLP_AMBER] = { 214, -1, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[STYLE_TLP_RED] = { 196, -1, COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE },
};

/*
 * The light theme: what changes from the dark rows above, for terminals
 * with a light background. Yellow and white text vanish on white, so
 * those become darker shades; bars keep dark text on light grey.
 */
static const struct theme_light {
	enum tui_style style;
	short fg256, bg256, fg8, bg8;
} theme_light[] = {
	{ STYLE_TITLE, 236, 252, COLOR_BLACK, COLOR_CYAN },
	{ STYLE_TITLE_FOCUS, 231, 25, COLOR_WHITE, COLOR_BLUE },
	{ STYLE_HEADER, 240, -1, COLOR_BLUE, -1 },
	{ STYLE_SELECTED, 16, 153, COLOR_BLACK, COLOR_CYAN },
	{ STYLE_TOP, 16, 252, COLOR_BLACK, COLOR_WHITE },
	{ STYLE_OK, 22, 252, COLOR_GREEN, COLOR_WHITE },
	{ STYLE_DIM, 245, -1, COLOR_BLUE, -1 },
	{ STYLE_NEW, 130, -1, COLOR_MAGENTA, -1 },
	{ STYLE_LEVEL0, 240, -1, COLOR_BLACK, -1 },
	{ STYLE_LEVEL1, 28, -1, COLOR_GREEN, -1 },
	{ STYLE_LEVEL2, 136, -1, COLOR_YELLOW, -1 },
	{ STYLE_LEVEL3, 166, -1, COLOR_MAGENTA, -1 },
	{ STYLE_TEAM_AVAILABLE, 28, -1, COLOR_GREEN, -1 },
	{ STYLE_TEAM_DISPATCHED, 130, -1, COLOR_MAGENTA, -1 },
	{ STYLE_TEAM_RETURNING, 31, -1, COLOR_CYAN, -1 },
	{ STYLE_TLP_CLEAR, 240, -1, COLOR_BLACK, -1 },
	{ STYLE_TLP_GREEN, 28, -1, COLOR_GREEN, -1 },
	{ STYLE_TLP_AMBER, 130, -1, COLOR_MAGENTA, -1 },
};

const char *const tui_theme_names[] = { "dark", "light", "mono", NULL };

static enum tui_theme_mode theme_mode = THEME_MONO;

/* Pick the mode from the theme NAME, NO_COLOR and the terminal, and set
 * up the colour pairs. */
void
tui_theme_init(const char *name, int no_color)
{
	int light = name != NULL && strcmp(name, "light") == 0;

	theme_mode = THEME_MONO;
	if (no_color || (name != NULL && strcmp(name, "mono") == 0) || !has_colors() ||
	    start_color() == ERR)
		return;
	use_default_colors();
	theme_mode = COLORS >= 256 ? THEME_256 : THEME_8;
	for (int s = 1; s < STYLE_COUNT; s++) {
		short fg = theme_mode == THEME_256 ? theme_rows[s].fg256 : theme_rows[s].fg8;
		short bg = theme_mode == THEME_256 ? theme_rows[s].bg256 : theme_rows[s].bg8;
		for (size_t i = 0; light && i < sizeof theme_light / sizeof theme_light[0]; i++) {
			if ((int)theme_light[i].style != s)
				continue;
			fg = theme_mode == THEME_256 ? theme_light[i].fg256 : theme_light[i].fg8;
			bg = theme_mode == THEME_256 ? theme_light[i].bg256 : theme_light[i].bg8;
		}
		init_pair((short)s, fg, bg);
	}
}

enum tui_theme_mode
tui_theme_mode(void)
{
	return theme_mode;
}

attr_t
tui_theme_attr(enum tui_style s)
{
	if (theme_mode == THEME_MONO)
		return theme_rows[s].attr_mono;
	return theme_rows[s].attr_color | (s == STYLE_NORMAL ? 0 : COLOR_PAIR(s));
}

enum tui_style
tui_theme_level(int level)
{
	if (level < 0)
		level = 0;
	if (level > 5)
		level = 5;
	return (enum tui_style)(STYLE_LEVEL0 + level);
}

enum tui_style
tui_theme_team_status(const char *status)
{
	static const struct {
		const char *name;
		enum tui_style style;
	} map[] = {
		{ "available", STYLE_TEAM_AVAILABLE }, { "dispatched", STYLE_TEAM_DISPATCHED },
		{ "enroute", STYLE_TEAM_ENROUTE },     { "onsite", STYLE_TEAM_ONSITE },
		{ "returning", STYLE_TEAM_RETURNING }, { "offduty", STYLE_TEAM_OFFDUTY },
	};

	for (size_t i = 0; status != NULL && i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(map[i].name, status) == 0)
			return map[i].style;
	}
	return STYLE_NORMAL;
}

/* The style of a TLP marking; an unmarked item (NULL) is dim, never
 * CLEAR's: no label is not permission to share. */
enum tui_style
tui_theme_tlp(const char *tlp)
{
	if (tlp == NULL)
		return STYLE_DIM;
	if (strcmp(tlp, "clear") == 0)
		return STYLE_TLP_CLEAR;
	if (strcmp(tlp, "green") == 0)
		return STYLE_TLP_GREEN;
	if (strncmp(tlp, "amber", 5) == 0)
		return STYLE_TLP_AMBER;
	return STYLE_TLP_RED;
}
