/*
 * The console on the terminals a watch floor really has: resized by the
 * window manager in quick bursts, with colour turned off (NO_COLOR), with
 * only 8 colours (TERM=xterm), and with a TERM this machine does not know
 * or one that cannot address the cursor (dumb). It must keep running and
 * draw a correct screen for the size and the capabilities it has: the NCISS
 * level of a case stays readable without colour, by its text and by its
 * attributes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "test-console.h"

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-terminal");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* ------------------------------------------------------------------ */

/* The 80x24 screen with N case rows: the top line, the tab strip, the
 * cases panel, nothing below the cases but the hints. Whether it is there
 * now; WHY (if not NULL) says what is not. */
static int
screen_80x24_is(struct test_term *t, int n, const char **why)
{
	static const struct {
		int row;
		const char *text;
	} fixed[] = {
		{ 0, " CONNECTED " }, { 0, "mori (lead)" }, { 1, " 1 Cases " },
		{ 1, " 5 Sensors 0" }, { 2, "Open cases (" }, { 3, "LEVEL       CASE" },
		{ 23, "? help" },
	};
	int rows, cols;

	test_term_size(t, &rows, &cols);
	*why = "the size is not 24x80";
	if (rows != 24 || cols != 80)
		return 0;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		*why = fixed[i].text;
		if (strstr(test_term_row(t, fixed[i].row), fixed[i].text) == NULL)
			return 0;
	}
	*why = "a case row";
	for (int r = 4; r < 4 + n; r++) {
		if (console_col_of(t, r, "ICS-") != 13 || console_col_of(t, r, "reported") < 0)
			return 0;
	}
	*why = "nothing between the cases and the hints";
	for (int r = 4 + n; r < 23; r++) {
		if (test_term_row(t, r)[0] != '\0')
			return 0;
	}
	return 1;
}

static int
pred_80x24(struct test_term *t, void *arg)
{
	const char *why;

	return screen_80x24_is(t, *(int *)arg, &why);
}

static void
assert_80x24_screen(struct test_term *t, int n)
{
	const char *why = "";

	if (test_term_wait_for(t, pred_80x24, &n, CONSOLE_WAIT, "the 80x24 screen with %d cases",
	    n) != 0) {
		screen_80x24_is(t, n, &why);
		fail_msg("the 80x24 screen with %d cases never showed: %s", n, why);
	}
}

/* Fifty resizes as fast as they can be made, through sizes from 10x20 to
 * 50x200 both ways round (rows x columns and columns x rows), some too
 * small to draw anything in: the console survives and draws the screen of
 * the size it ends at. */
static void
test_resize_storm(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori", NULL);
	char id1[32], id2[32];

	console_report_incident(h, "energy", "Grid West", "Historian wiped", 4, id1);
	console_report_incident(h, "energy", "関西電力網", "制御系ネットワークへの不正アクセス", 2,
	    id2);
	EXPECT_LINE(t, "4 Severe", id1);
	EXPECT_LINE(t, "2 Medium", id2);

	for (int k = 0; k < 50; k++) {
		int step = k < 25 ? k : 49 - k; /* up to 24 and back down to 0 */
		int a = 10 + 40 * step / 24, b = 20 + 180 * step / 24;
		if (test_term_resize(t, k % 2 ? b : a, k % 2 ? a : b) != 0)
			fail_msg("resize %d failed", k);
	}
	/* The last size of the storm, 20 rows by 10 columns, is too small. */
	EXPECT_ROW(t, 0, "terminal t");
	assert_true(test_term_running(t));

	assert_int_equal(test_term_resize(t, 24, 80), 0);
	assert_80x24_screen(t, 2);
	EXPECT_GONE(t, "terminal too small");

	assert_int_equal(test_term_resize(t, 5, 30), 0);
	EXPECT_ROW(t, 0, "terminal too small");
	assert_int_equal(test_term_resize(t, 40, 120), 0);
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_LINE(t, "Sectors (16)", "Team dispatch (6)");
	EXPECT_LINE(t, "4 Severe", id1, "Grid West", "Historian wiped");
	EXPECT_ROW(t, 39, "? help");

	/* And a storm again, ending at 80x24, with keys typed in between. */
	for (int k = 0; k < 20; k++) {
		assert_int_equal(test_term_resize(t, 10 + k * 2, 200 - k * 6), 0);
		if (k == 10)
			assert_int_equal(test_term_send_str(t, "2"), 0);
	}
	assert_int_equal(test_term_send_str(t, "1"), 0);
	assert_int_equal(test_term_resize(t, 24, 80), 0);
	assert_80x24_screen(t, 2);
	assert_true(test_term_running(t));
	test_hub_passed(f->h);
}

/* The attributes of a cell, as a set. */
static int
attrs(const struct test_term_cell *c)
{
	return c->bold | c->italic << 1 | c->underline << 2 | c->blink << 3 | c->reverse << 4 |
	    c->strike << 5;
}

/* Cases at levels 5, 4 and 1 reported; the row of each on screen, in
 * ROWS[0..2]. */
static void
level_rows(struct test_hub *h, struct test_term *t, int rows[3])
{
	char id5[32], id4[32], id1[32];

	console_report_incident(h, "nuclear", "Reactor Ops", "Safety PLC tampered", 5, id5);
	console_report_incident(h, "energy", "Grid West", "Historian wiped", 4, id4);
	console_report_incident(h, "it", "Acme Cloud", "Credential stuffing", 1, id1);
	EXPECT_ROW(t, 0, "mori (lead)");
	rows[0] = EXPECT_LINE(t, "5 Emergency", id5, "Safety PLC");
	rows[1] = EXPECT_LINE(t, "4 Severe", id4, "Historian wiped");
	rows[2] = EXPECT_LINE(t, "1 Low", id1, "Credential stuffing");
	EXPECT_GONE(t, "STALE");
	assert_int_equal(console_col_of(t, rows[0], "5 Emergency"), 0);
	assert_int_equal(console_col_of(t, rows[1], "4 Severe"), 0);
	assert_int_equal(console_col_of(t, rows[2], "1 Low"), 0);
}

static int
cells_look_alike(const struct test_term_cell *a, const struct test_term_cell *b, int by_colour)
{
	return attrs(a) == attrs(b) &&
	    (!by_colour || (a->fg.index == b->fg.index && a->bg.index == b->bg.index &&
	    a->fg.is_default == b->fg.is_default && a->bg.is_default == b->bg.is_default));
}

struct levels {
	int rows[3];
	int by_colour;
	char why[200];
};

/* Whether the level cells of levels 5, 4 and 1 (at column 0 of their rows)
 * now differ pairwise, in attributes (or colours, if BY_COLOUR). */
static int
pred_levels_differ(struct test_term *t, void *arg)
{
	struct levels *l = arg;
	static const char *const names[] = { "5", "4", "1" };
	static const int pairs[][2] = { { 0, 2 }, { 1, 2 }, { 0, 1 } };
	struct test_term_cell c[3];

	for (int i = 0; i < 3; i++)
		c[i] = console_cell_at(t, l->rows[i], 0);
	for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
		const struct test_term_cell *a = &c[pairs[p][0]], *b = &c[pairs[p][1]];
		if (cells_look_alike(a, b, l->by_colour)) {
			snprintf(l->why, sizeof l->why, "levels %s and %s look the same: attributes "
			    "%#x, colour %d on %d", names[pairs[p][0]], names[pairs[p][1]], attrs(a),
			    a->fg.index, a->bg.index);
			return 0;
		}
	}
	return 1;
}

static void
assert_levels_differ(struct test_term *t, const int rows[3], int by_colour)
{
	struct levels l = { { rows[0], rows[1], rows[2] }, by_colour, "" };

	if (test_term_wait_for(t, pred_levels_differ, &l, CONSOLE_WAIT, "the levels to look different")
	    != 0)
		fail_msg("%s", l.why);
}

/* NO_COLOR=1: no cell anywhere has a colour, and the levels still differ
 * in their text and in bold, underline or reverse. */
/* No cell of the 24x80 screen has a colour; WHY names the setting. */
static void
assert_no_colour(struct test_term *t, const char *why)
{
	for (int r = 0; r < 24; r++) {
		for (int c = 0; c < 80; c++) {
			struct test_term_cell cell = console_cell_at(t, r, c);
			if (!cell.fg.is_default || !cell.bg.is_default) {
				test_term_dump(t, stderr);
				fail_msg("with %s, row %d column %d has colour %d on %d", why, r, c,
				    cell.fg.index, cell.bg.index);
			}
		}
	}
}

static void
test_no_color_levels_by_attributes(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori",
	    (const char *const[]){ "NO_COLOR=1", NULL });
	int rows[3];

	level_rows(h, t, rows);
	assert_levels_differ(t, rows, 0);
	assert_no_colour(t, "NO_COLOR");
	/* Levels 4 and 5 stand out: bold, underline or reverse. */
	struct test_term_cell l5 = console_cell_at(t, rows[0], 0), l4 = console_cell_at(t, rows[1], 0);
	assert_true(l5.bold || l5.underline || l5.reverse);
	assert_true(l4.bold || l4.underline || l4.reverse);
	test_hub_passed(f->h);
}

/* The mono theme, on a colour terminal: no colour at all, and the levels
 * still differ by attribute (and always by name). */
static void
test_mono_theme_levels_by_attributes(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn_with(state, 0, 24, 80, "mori", NULL, "--theme", "mono");
	int rows[3];

	level_rows(h, t, rows);
	assert_levels_differ(t, rows, 0);
	assert_no_colour(t, "--theme mono");
	test_hub_passed(f->h);
}

/* The light theme: levels differ by colour, and none is drawn in the
 * dark theme's light yellow (226) or white (252), which vanish on white. */
static void
test_light_theme_readable(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn_with(state, 0, 24, 80, "mori", NULL, "--theme", "light");
	int rows[3];

	level_rows(h, t, rows);
	assert_levels_differ(t, rows, 1);
	for (int i = 0; i < 3; i++) {
		struct test_term_cell cell = console_cell_at(t, rows[i], 0);
		assert_int_not_equal(cell.fg.index, 226);
		assert_int_not_equal(cell.fg.index, 252);
	}
	test_hub_passed(f->h);
}

/* TERM=xterm has 8 colours: only those are used, and the levels differ. */
static void
test_8_colours_levels_differ(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori",
	    (const char *const[]){ "TERM=xterm", NULL });
	int rows[3];

	level_rows(h, t, rows);
	assert_levels_differ(t, rows, 1);
	for (int r = 0; r < 24; r++) {
		for (int c = 0; c < 80; c++) {
			struct test_term_cell cell = console_cell_at(t, r, c);
			if ((!cell.fg.is_default && (cell.fg.index < 0 || cell.fg.index > 7)) ||
			    (!cell.bg.is_default && (cell.bg.index < 0 || cell.bg.index > 7))) {
				test_term_dump(t, stderr);
				fail_msg("on an 8-colour terminal, row %d column %d has colour %d on %d",
				    r, c, cell.fg.index, cell.bg.index);
			}
		}
	}
	assert_false(console_cell_at(t, rows[1], 0).fg.is_default);
	test_hub_passed(f->h);
}

/* A TERM this machine has no description of, or none at all: the console
 * says so and falls back to a type it knows, draws its screen, and quits
 * cleanly. */
static void
test_unknown_term_falls_back(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	const char *const *envs[] = {
		(const char *const[]){ "TERM=nosuchterm", NULL },
		(const char *const[]){ "TERM", NULL },
	};
	char id[32];

	console_report_incident(h, "water", "City Water", "Pump station HMI defaced", 2, id);
	for (int i = 0; i < 2; i++) {
		struct test_term *t = console_spawn(state, i, 24, 80, "mori", envs[i]);
		EXPECT_ROW(t, 0, " CONNECTED ");
		assert_80x24_screen(t, 1);
		EXPECT_LINE(t, "2 Medium", id);
		const char *note = "watchfloor: terminal type";
		if (!test_term_raw_contains(t, note, strlen(note)))
			fail_msg("no word of the fallback for %s", envs[i][0]);
		assert_int_equal(test_term_send_str(t, "q"), 0);
		int st = test_term_wait(t, CONSOLE_WAIT);
		assert_true(st != -1 && WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	test_hub_passed(f->h);
}

/* TERM=dumb is known but cannot move the cursor, so a full-screen console
 * cannot draw on it as it is: it must say so and fall back to a type that
 * can (as for an unknown TERM), not draw a screen that makes no sense. */
static void
test_dumb_term_falls_back(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori",
	    (const char *const[]){ "TERM=dumb", NULL });
	char id[32];

	console_report_incident(h, "water", "City Water", "Pump station HMI defaced", 2, id);
	EXPECT_ROW(t, 0, " CONNECTED ");
	assert_80x24_screen(t, 1);
	EXPECT_LINE(t, "2 Medium", id);
	if (!test_term_raw_contains(t, "dumb", 4))
		fail_msg("no word of the fallback from TERM=dumb");
	assert_true(test_term_running(t));
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resize_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_color_levels_by_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_8_colours_levels_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mono_theme_levels_by_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_light_theme_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_term_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumb_term_falls_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
