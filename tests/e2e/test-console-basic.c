/*
 * The console as a watch officer first meets it: the real watchfloor in a
 * pseudo-terminal of fixed size against a real watchd on ipc:// endpoints
 * in a temporary directory, the screen read back through libvterm.
 *
 * A published incident shows up in the case list with its level, id,
 * sector, organisation and title under the right headers and the '*' of an
 * unacknowledged case (at 120x40, where all five panels show, and at 80x24,
 * where one panel shows under a tab strip); 'x' acknowledges it. A Japanese
 * title and organisation take two cells a character and do not push the
 * columns after them. 'q' quits with status 0 and gives the terminal back.
 *
 * Every wait has a deadline and asserts the eventual screen; on failure the
 * harness prints the screen as it was, and the fixture prints the hub log.
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
	return console_fixture_setup(state, "console-basic");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* ------------------------------------------------------------------ */

/* The id of the case the hub opened for producer reference REF, once it
 * has (an ingest PUSH is not acknowledged, so ask the snapshot). */
static void
case_by_ref(struct test_hub *h, const char *ref, char id[32])
{
	for (int tries = 0; tries < 100; tries++) {
		json_t *snap = test_hub_snapshot(h);
		json_t *c = test_jfind(json_object_get(snap, "cases"), "ref", ref);
		if (c != NULL) {
			snprintf(id, 32, "%s", test_jstr(c, "id"));
			json_decref(snap);
			return;
		}
		json_decref(snap);
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("the hub opened no case for ref %s", ref);
}

/* The cases panel's header row (the one with LEVEL ... STATUS). */
static int
header_row(struct test_term *t)
{
	return EXPECT_LINE(t, "LEVEL", "CASE", "TITLE", "STATUS", "TEAM", "AGE");
}

struct under {
	int hdr, row;
	const char *const *headers, *const *values;
	char why[200];
};

/* Whether each of VALUES starts on ROW where the header HEADERS[i] starts
 * on row HDR. */
static int
pred_under(struct test_term *t, void *arg)
{
	struct under *u = arg;

	for (int i = 0; u->headers[i] != NULL; i++) {
		int hc = console_col_of(t, u->hdr, u->headers[i]);
		int vc = hc < 0 ? -1 : console_col_from(t, u->row, hc, u->values[i]);
		if (hc < 0 || hc != vc) {
			snprintf(u->why, sizeof u->why, "\"%s\" is not at column %d of row %d, "
			    "under its header \"%s\" on row %d", u->values[i], hc, u->row,
			    u->headers[i], u->hdr);
			return 0;
		}
	}
	return 1;
}

static void
assert_under_headers(struct test_term *t, int hdr, int row, const char *const *headers,
    const char *const *values)
{
	struct under u = { hdr, row, headers, values, "" };

	if (test_term_wait_for(t, pred_under, &u, CONSOLE_WAIT, "the row under its headers") != 0)
		fail_msg("%s", u.why);
}

/* An incident pushed on ingest opens a case that every column shows, under
 * its header, marked '*' until someone acknowledges it. */
static void
test_published_incident_appears(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	void *push = test_hub_own(h, test_hub_push(h));
	char id[32], mark[40];

	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_ROW(t, 0, "mori (lead)");
	EXPECT(t, "Open cases (0)");
	assert_int_equal(test_push(push, "incident",
	    "{\"ref\":\"e2e-1\",\"title\":\"Historian wiped\",\"org\":\"Grid West\","
	    "\"sector\":\"energy\",\"level\":4}"), 0);
	case_by_ref(h, "e2e-1", id);
	snprintf(mark, sizeof mark, "*%s", id);

	int row = EXPECT_LINE(t, "4 Severe", mark, "energy", "Grid West", "Historian wiped",
	    "reported");
	EXPECT(t, "Open cases (1)");
	int hdr = header_row(t);
	assert_true(hdr < row);
	assert_under_headers(t, hdr, row,
	    (const char *const[]){ "LEVEL", "CASE", "SECTOR", "ORGANISATION", "TITLE", "STATUS",
	    "HANDLER", "TEAM", NULL },
	    (const char *const[]){ "4 Severe", mark, "energy", "Grid West", "Historian wiped",
	    "reported", "-", "-", NULL });

	/* 'x' acknowledges the (selected, only) case: the mark goes, the hub
	 * says done, and the id stays where it was. */
	int idcol = console_col_of(t, row, id);
	assert_int_equal(test_term_send_str(t, "x"), 0);
	EXPECT_ROW(t, 39, "ack");
	EXPECT_ROW(t, 39, ": done");
	EXPECT_GONE(t, mark);
	row = EXPECT_LINE(t, "4 Severe", id, "Historian wiped");
	assert_int_equal(console_col_of(t, row, id), idcol);
	assert_string_equal(console_cell_at(t, row, idcol - 1).text, " ");
	assert_true(test_term_running(t));
	test_hub_passed(f->h);
}

/* At 80x24 one panel shows, under a tab strip that counts each panel's
 * rows, with the keys on the bottom line; the narrow case list keeps
 * level, case, title, status and team. */
static void
test_80x24_one_panel_with_tabs(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori", NULL);
	char id[32], mark[40];

	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_ROW(t, 0, "mori (lead)");
	console_report_incident(h, "water", "City Water", "Pump station HMI defaced", 2, id);
	snprintf(mark, sizeof mark, "*%s", id);

	EXPECT_ROW(t, 1, " 1 Cases 1 ");
	EXPECT_ROW(t, 1, " 2 Teams 6 ");
	EXPECT_ROW(t, 1, " 3 Sectors 16 ");
	EXPECT_ROW(t, 2, "Open cases (1)");
	EXPECT_ROW(t, 3, "LEVEL");
	EXPECT_ROW(t, 4, mark);
	EXPECT_ROW(t, 23, "? help");
	EXPECT_ROW(t, 23, "q quit");
	EXPECT_ROW(t, 23, "d dispatch");
	assert_under_headers(t, 3, 4,
	    (const char *const[]){ "LEVEL", "CASE", "TITLE", "STATUS", "TEAM", NULL },
	    (const char *const[]){ "2 Medium", mark, "Pump station HMI defaced", "reported", "-",
	    NULL });

	/* 2 shows the team board in the same place. */
	assert_int_equal(test_term_send_str(t, "2"), 0);
	EXPECT_ROW(t, 2, "Team dispatch (6)");
	EXPECT_ROW(t, 3, "TEAM");
	EXPECT_LINE(t, "FLY-1", "available");
	EXPECT_LINE(t, "FLY-6", "available");
	EXPECT_ROW(t, 1, " 1 Cases 1 ");
	EXPECT_GONE(t, mark);

	/* Enter on a case opens its detail; Esc closes it. */
	assert_int_equal(test_term_send_str(t, "1"), 0);
	EXPECT_ROW(t, 4, mark);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	EXPECT(t, "City Water");
	EXPECT(t, "NOT ACKNOWLEDGED");
	EXPECT(t, "Timeline");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ESC), 0);
	EXPECT_GONE(t, "NOT ACKNOWLEDGED");
	EXPECT_ROW(t, 4, mark);
	EXPECT_ROW(t, 0, " CONNECTED ");
	test_hub_passed(f->h);
}

/* The first row at or below FROM that shows every one of A, B and C. */
static int
row_with(struct test_term *t, int from, const char *a, const char *b, const char *c)
{
	int rows, cols;

	test_term_size(t, &rows, &cols);
	for (int r = from; r < rows; r++) {
		const char *text = test_term_row(t, r);
		if (strstr(text, a) != NULL && strstr(text, b) != NULL && strstr(text, c) != NULL)
			return r;
	}
	return -1;
}

struct cjk {
	const char *ascii_id, *cjk_id;
	int org_shown;
	char why[300];
};

#define CJK_WRONG(...) (snprintf(k->why, sizeof k->why, __VA_ARGS__), 0)

/*
 * Whether the rows of the ASCII and the CJK case line up with the header
 * now: each column starts at its header's cell column, the cell before
 * STATUS is a blank separator (not half of a wide character), and no wide
 * character on the row lost a half. Everything is read from one screen, so
 * rows that move between reads (a case arriving above) cannot mislead.
 */
static int
pred_cjk(struct test_term *t, void *arg)
{
	struct cjk *k = arg;
	int rows, cols;

	test_term_size(t, &rows, &cols);
	int hdr = row_with(t, 0, "LEVEL", "STATUS", "TITLE");
	if (hdr < 0)
		return CJK_WRONG("no header row");
	int arow = row_with(t, hdr + 1, k->ascii_id, "Historian wiped", "reported");
	int jrow = row_with(t, hdr + 1, k->cjk_id, "制御系", "reported");
	if (arow < 0 || jrow < 0)
		return CJK_WRONG("the two case rows are not both there");
	int status = console_col_of(t, hdr, "STATUS"), title = console_col_of(t, hdr, "TITLE");
	if (console_col_of(t, arow, "reported") != status ||
	    console_col_of(t, jrow, "reported") != status)
		return CJK_WRONG("STATUS starts at column %d on the header, %d on the ASCII row, "
		    "%d on the CJK row", status, console_col_of(t, arow, "reported"),
		    console_col_of(t, jrow, "reported"));
	if (console_col_of(t, arow, "Historian wiped") != title ||
	    console_col_of(t, jrow, "制御系") != title)
		return CJK_WRONG("TITLE starts at column %d on the header, %d on the ASCII row, "
		    "%d on the CJK row", title, console_col_of(t, arow, "Historian wiped"),
		    console_col_of(t, jrow, "制御系"));
	int org = console_col_of(t, hdr, "ORGANISATION");
	k->org_shown = org >= 0;
	if (org >= 0) {
		if (console_col_of(t, jrow, "関西電力網") != org)
			return CJK_WRONG("the organisation is not under its header (column %d)", org);
		/* Five characters, ten cells. */
		for (int c = org; c < org + 10; c += 2) {
			struct test_term_cell a = console_cell_at(t, jrow, c);
			struct test_term_cell b = console_cell_at(t, jrow, c + 1);
			if (a.width != 2 || b.width != 0)
				return CJK_WRONG("cells %d-%d of row %d are not one wide character",
				    c, c + 1, jrow);
		}
	}
	/* The title field is cut before the separator, never across it. */
	struct test_term_cell sep = console_cell_at(t, jrow, status - 1);
	if (sep.width != 1 || strcmp(sep.text, " ") != 0)
		return CJK_WRONG("the cell before STATUS (row %d, column %d) is \"%s\" of width "
		    "%d, not the blank separator", jrow, status - 1, sep.text, sep.width);
	/* No half of a wide character without its other half. */
	for (int c = 0; c < cols; c++) {
		struct test_term_cell cell = console_cell_at(t, jrow, c);
		if ((cell.width == 2 && (c + 1 >= cols || console_cell_at(t, jrow, c + 1).width != 0)) ||
		    (cell.width == 0 && (c == 0 || console_cell_at(t, jrow, c - 1).width != 2)))
			return CJK_WRONG("a wide character is split at column %d of row %d", c, jrow);
	}
	return 1;
}

/* Once the two rows line up (see pred_cjk): whether ORGANISATION shows. */
static int
assert_cjk_columns(struct test_term *t, const char *ascii_id, const char *cjk_id)
{
	struct cjk k = { ascii_id, cjk_id, 0, "" };
	int rows, cols;

	test_term_size(t, &rows, &cols);
	if (test_term_wait_for(t, pred_cjk, &k, CONSOLE_WAIT, "the CJK row to line up at %dx%d", rows,
	    cols) != 0)
		fail_msg("at %dx%d: %s", rows, cols, k.why);
	return k.org_shown;
}

/* A Japanese title and organisation are two cells a character: the
 * columns after them start where the header says, at several widths,
 * odd and even, and no wide character is cut in half at a column edge. */
static void
test_japanese_title_lines_up(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	char ascii_id[32], cjk_id[32];

	EXPECT_ROW(t, 0, " CONNECTED ");
	console_report_incident(h, "energy", "Grid West", "Historian wiped", 2, ascii_id);
	console_report_incident(h, "energy", "関西電力網", "制御系ネットワークへの不正アクセス", 3,
	    cjk_id);

	/* 120 columns: the title field is 18 cells, the org field 20. */
	assert_true(assert_cjk_columns(t, ascii_id, cjk_id));
	/* Narrower, the title field is odd and even numbers of cells wide. */
	const int widths[] = { 81, 80, 101, 100, 97 };
	for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
		/* Through a size too small for anything, so that what is read
		 * next was drawn for the new width, not left from the old. */
		assert_int_equal(test_term_resize(t, 5, 30), 0);
		EXPECT_ROW(t, 0, "terminal too small");
		assert_int_equal(test_term_resize(t, 24, widths[i]), 0);
		EXPECT_ROW(t, 0, " CONNECTED ");
		EXPECT_ROW(t, 1, " 1 Cases 2 ");
		assert_cjk_columns(t, ascii_id, cjk_id);
	}
	test_hub_passed(f->h);
}

/* 'q' quits at once with status 0 and leaves the alternate screen, with
 * the cursor shown again. */
static void
test_q_quits_cleanly(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori", NULL);
	char id[32];

	console_report_incident(h, "it", "Acme Cloud", "Credential stuffing", 1, id);
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT(t, id);
	assert_int_equal(test_term_altscreen(t), 1);
	assert_int_equal(test_term_send_str(t, "q"), 0);
	int st = test_term_wait(t, CONSOLE_WAIT);
	if (st == -1)
		fail_msg("the console did not exit within %d ms of q", CONSOLE_WAIT);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(test_term_altscreen(t), 0);
	assert_int_equal(test_term_cursor_visible(t), 1);
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_published_incident_appears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_80x24_one_panel_with_tabs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_japanese_title_lines_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_q_quits_cleanly, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
