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

#include "test-hub.h"
#include "test-term.h"

#ifndef WATCHFLOOR_PATH
#error "WATCHFLOOR_PATH must name the watchfloor binary under test"
#endif

#define WAIT 8000 /* upper bound for one wait; never a measure of speed */

/* ------------------------------------------------------------------ */
/* The fixture: one hub and the consoles of one test. The teardown kills
 * the consoles before the hub, whichever way the test ends. */

#define MAX_CONSOLES 3

struct fx {
	struct test_hub *h;
	struct test_term *t[MAX_CONSOLES];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (f == NULL || test_hub_fixture_setup((void **)&f->h, "console-basic") != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < MAX_CONSOLES; i++)
		test_term_free(f->t[i]);
	test_hub_fixture_teardown((void **)&f->h);
	free(f);
	return 0;
}

static struct test_hub *
start_hub(void **state)
{
	struct fx *f = *state;

	if (test_hub_start(f->h, NULL) != 0)
		fail_msg("watchd did not start");
	return f->h;
}

/* watchfloor as USER in a ROWS x COLS terminal, in console slot SLOT, with
 * its debug log in the hub's directory (kept with WATCHFLOOR_KEEP_TEST_DIRS). */
static struct test_term *
console(void **state, int slot, int rows, int cols, const char *user,
    const char *const *env)
{
	struct fx *f = *state;
	char log[400];

	snprintf(log, sizeof log, "%s/console-%d-%s.log", f->h->dir, slot, user);
	const char *argv[] = { WATCHFLOOR_PATH, "--events", f->h->events, "--control",
		f->h->control, "--user", user, "--log", log, "-v", NULL };
	f->t[slot] = test_term_spawn(rows, cols, argv, env);
	if (f->t[slot] == NULL)
		fail_msg("cannot start %s", WATCHFLOOR_PATH);
	return f->t[slot];
}

#define EXPECT(t, text)                                                           \
	do {                                                                      \
		if (test_term_expect((t), (text), WAIT) != 0)                     \
			fail_msg("the console never showed \"%s\"", (text));      \
	} while (0)

#define EXPECT_ROW(t, row, text)                                                  \
	do {                                                                      \
		if (test_term_expect_row((t), (row), (text), WAIT) != 0)          \
			fail_msg("row %d never showed \"%s\"", (row), (text));    \
	} while (0)

#define EXPECT_GONE(t, text)                                                      \
	do {                                                                      \
		if (test_term_expect_gone((t), (text), WAIT) != 0)                \
			fail_msg("\"%s\" never left the screen", (text));         \
	} while (0)

/* One row holding every one of PARTS (NULL-terminated). */
struct line {
	const char *const *parts;
	int row;
};

static int
pred_line(struct test_term *t, void *arg)
{
	struct line *l = arg;
	int rows, cols;

	test_term_size(t, &rows, &cols);
	for (int r = 0; r < rows; r++) {
		const char *text = test_term_row(t, r);
		int all = 1;
		for (int i = 0; all && l->parts[i] != NULL; i++)
			all = strstr(text, l->parts[i]) != NULL;
		if (all) {
			l->row = r;
			return 1;
		}
	}
	return 0;
}

/* The row on which every one of the strings shows, once it does. */
static int
expect_line_(struct test_term *t, const char *const *parts)
{
	struct line l = { parts, -1 };
	char what[300] = "one row to show";

	for (int i = 0; parts[i] != NULL; i++)
		snprintf(what + strlen(what), sizeof what - strlen(what), " \"%s\"", parts[i]);
	if (test_term_wait_for(t, pred_line, &l, WAIT, "%s", what) != 0)
		fail_msg("never: %s", what);
	return l.row;
}
#define EXPECT_LINE(t, ...) expect_line_((t), (const char *const[]){ __VA_ARGS__, NULL })

/* The cell column where TEXT first starts on ROW at or after column FROM,
 * or -1. */
static int
col_from(struct test_term *t, int row, int from, const char *text)
{
	char buf[4096];
	int at[4096], rows, cols;
	size_t n = 0;

	test_term_size(t, &rows, &cols);
	for (int c = from > 0 ? from : 0; c < cols; c++) {
		struct test_term_cell cell;
		if (test_term_cell(t, row, c, &cell) != 0 || cell.width == 0)
			continue;
		size_t len = strlen(cell.text);
		if (n + len >= sizeof buf)
			break;
		for (size_t i = 0; i < len; i++)
			at[n + i] = c;
		memcpy(buf + n, cell.text, len);
		n += len;
	}
	buf[n] = '\0';
	const char *p = strstr(buf, text);
	return p != NULL ? at[p - buf] : -1;
}

static int
col_of(struct test_term *t, int row, const char *text)
{
	return col_from(t, row, 0, text);
}

static struct test_term_cell
cell_at(struct test_term *t, int row, int col)
{
	struct test_term_cell cell;

	if (test_term_cell(t, row, col, &cell) != 0)
		fail_msg("no cell at row %d, column %d", row, col);
	return cell;
}

/* Report an incident through the acknowledged path (the "report" op, as
 * the intake officer chen): the id of the case the hub opened, into ID. */
static void
report_incident(struct test_hub *h, const char *sector, const char *org, const char *title,
    int level, char id[32])
{
	json_t *r = test_hub_ok(h, "chen", "report",
	    json_pack("{s:s, s:{s:s, s:s, s:s, s:i}}", "topic", "incident", "body", "sector",
	    sector, "org", org, "title", title, "level", level));
	const char *object = test_jstr(r, "object");

	if (object == NULL || strncmp(object, "case.", 5) != 0)
		fail_msg("the report opened no case");
	snprintf(id, 32, "%s", object + 5);
	json_decref(r);
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
		int hc = col_of(t, u->hdr, u->headers[i]);
		int vc = hc < 0 ? -1 : col_from(t, u->row, hc, u->values[i]);
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

	if (test_term_wait_for(t, pred_under, &u, WAIT, "the row under its headers") != 0)
		fail_msg("%s", u.why);
}

/* An incident pushed on ingest opens a case that every column shows, under
 * its header, marked '*' until someone acknowledges it. */
static void
test_published_incident_appears(void **state)
{
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	struct test_term *t = console(state, 0, 40, 120, "mori", NULL);
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
	int idcol = col_of(t, row, id);
	assert_int_equal(test_term_send_str(t, "x"), 0);
	EXPECT_ROW(t, 39, "ack");
	EXPECT_ROW(t, 39, ": done");
	EXPECT_GONE(t, mark);
	row = EXPECT_LINE(t, "4 Severe", id, "Historian wiped");
	assert_int_equal(col_of(t, row, id), idcol);
	assert_string_equal(cell_at(t, row, idcol - 1).text, " ");
	assert_true(test_term_running(t));
	test_hub_passed(f->h);
}

/* At 80x24 one panel shows, under a tab strip that counts each panel's
 * rows, with the keys on the bottom line; the narrow case list keeps
 * level, case, title, status and team. */
static void
test_80x24_one_panel_with_tabs(void **state)
{
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	struct test_term *t = console(state, 0, 24, 80, "mori", NULL);
	char id[32], mark[40];

	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_ROW(t, 0, "mori (lead)");
	report_incident(h, "water", "City Water", "Pump station HMI defaced", 2, id);
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
	int status = col_of(t, hdr, "STATUS"), title = col_of(t, hdr, "TITLE");
	if (col_of(t, arow, "reported") != status || col_of(t, jrow, "reported") != status)
		return CJK_WRONG("STATUS starts at column %d on the header, %d on the ASCII row, "
		    "%d on the CJK row", status, col_of(t, arow, "reported"),
		    col_of(t, jrow, "reported"));
	if (col_of(t, arow, "Historian wiped") != title || col_of(t, jrow, "制御系") != title)
		return CJK_WRONG("TITLE starts at column %d on the header, %d on the ASCII row, "
		    "%d on the CJK row", title, col_of(t, arow, "Historian wiped"),
		    col_of(t, jrow, "制御系"));
	int org = col_of(t, hdr, "ORGANISATION");
	k->org_shown = org >= 0;
	if (org >= 0) {
		if (col_of(t, jrow, "関西電力網") != org)
			return CJK_WRONG("the organisation is not under its header (column %d)", org);
		/* Five characters, ten cells. */
		for (int c = org; c < org + 10; c += 2) {
			struct test_term_cell a = cell_at(t, jrow, c), b = cell_at(t, jrow, c + 1);
			if (a.width != 2 || b.width != 0)
				return CJK_WRONG("cells %d-%d of row %d are not one wide character",
				    c, c + 1, jrow);
		}
	}
	/* The title field is cut before the separator, never across it. */
	struct test_term_cell sep = cell_at(t, jrow, status - 1);
	if (sep.width != 1 || strcmp(sep.text, " ") != 0)
		return CJK_WRONG("the cell before STATUS (row %d, column %d) is \"%s\" of width "
		    "%d, not the blank separator", jrow, status - 1, sep.text, sep.width);
	/* No half of a wide character without its other half. */
	for (int c = 0; c < cols; c++) {
		struct test_term_cell cell = cell_at(t, jrow, c);
		if ((cell.width == 2 && (c + 1 >= cols || cell_at(t, jrow, c + 1).width != 0)) ||
		    (cell.width == 0 && (c == 0 || cell_at(t, jrow, c - 1).width != 2)))
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
	if (test_term_wait_for(t, pred_cjk, &k, WAIT, "the CJK row to line up at %dx%d", rows,
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
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	struct test_term *t = console(state, 0, 40, 120, "mori", NULL);
	char ascii_id[32], cjk_id[32];

	EXPECT_ROW(t, 0, " CONNECTED ");
	report_incident(h, "energy", "Grid West", "Historian wiped", 2, ascii_id);
	report_incident(h, "energy", "関西電力網", "制御系ネットワークへの不正アクセス", 3, cjk_id);

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
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	struct test_term *t = console(state, 0, 24, 80, "mori", NULL);
	char id[32];

	report_incident(h, "it", "Acme Cloud", "Credential stuffing", 1, id);
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT(t, id);
	assert_int_equal(test_term_altscreen(t), 1);
	assert_int_equal(test_term_send_str(t, "q"), 0);
	int st = test_term_wait(t, WAIT);
	if (st == -1)
		fail_msg("the console did not exit within %d ms of q", WAIT);
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
