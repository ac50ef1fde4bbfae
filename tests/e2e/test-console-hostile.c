/*
 * Every string from the wire is untrusted. Producers here publish titles,
 * organisations, summaries, intel and notes that carry what an attacker
 * would send to a terminal: CSI that clears the screen, OSC 52 (write the
 * clipboard), OSC 8 hyperlinks, DCS, APC, PM and SOS strings, the same
 * sequences begun by C1 controls (U+009B, U+009D), the bidi override
 * U+202E, a raw 0x9B byte (invalid UTF-8, which the hub must refuse), the
 * longest strings the hub takes, and a 10,000-character title (which it
 * must refuse too).
 *
 * The console must show the harmless rest of each string in its column and
 * write none of the payload: the harness counts every OSC, DCS, APC, PM and
 * SOS the console writes over the whole run (all must stay 0), and the raw
 * output must not hold the payloads. The layout must not move: the top
 * line, the headers, the panels' places, one row per case.
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
#include <time.h>

#include "test-console.h"

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-hostile");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* ------------------------------------------------------------------ */

/* Push an incident on ingest; its body made by jansson, so that control
 * characters travel as JSON escapes (\u001b) and U+202E as UTF-8. */
static void
push_incident(void *push, const char *ref, const char *title, const char *org,
    const char *summary)
{
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:i}", "ref", ref, "title", title, "org",
	    org, "sector", "water", "level", 3);

	if (summary != NULL)
		json_object_set_new(body, "summary", json_string(summary));
	char *text = json_dumps(body, JSON_COMPACT);
	assert_non_null(text);
	assert_int_equal(test_push(push, "incident", text), 0);
	free(text);
	json_decref(body);
}

static void
push_intel(void *push, const char *title, const char *source)
{
	json_t *body = json_pack("{s:s, s:s, s:s, s:[s]}", "title", title, "source", source,
	    "tlp", "amber", "sectors", "water");
	char *text = json_dumps(body, JSON_COMPACT);

	assert_non_null(text);
	assert_int_equal(test_push(push, "intel", text), 0);
	free(text);
	json_decref(body);
}

/* The hub's counter at PATH ("ingest.rejected_by_reason.utf8") reaches
 * WANT, once it does. */
static void
wait_hub_counter(struct test_hub *h, const char *path, json_int_t want)
{
	json_int_t got = -1;

	for (int tries = 0; tries < 100; tries++) {
		json_t *st = test_hub_stats(h);
		got = test_jint(st, path);
		json_decref(st);
		if (got == want)
			return;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("the hub's %s is %lld, not %lld", path, (long long)got, (long long)want);
}

/* Where fixed parts of the screen are: each marker's (row, col). */
#define MAX_MARKS 12

struct marks {
	int n;
	const char *text[MAX_MARKS];
	int row[MAX_MARKS], col[MAX_MARKS];
};

static void
marks_take(struct test_term *t, struct marks *m, const char *const *texts)
{
	m->n = 0;
	for (int i = 0; texts[i] != NULL && i < MAX_MARKS; i++) {
		m->text[i] = texts[i];
		if (test_term_find(t, texts[i], &m->row[i], &m->col[i]) != 0) {
			test_term_dump(t, stderr);
			fail_msg("\"%s\" is not on the screen", texts[i]);
		}
		m->n++;
	}
}

/* Checks of the whole screen, awaited: NULL when the screen is right,
 * else what is wrong with it. */
typedef const char *screen_check(struct test_term *, const void *arg);

struct awaited {
	screen_check *check;
	const void *arg;
};

static int
pred_check(struct test_term *t, void *arg)
{
	const struct awaited *a = arg;

	return a->check(t, a->arg) == NULL;
}

static void
eventually(struct test_term *t, screen_check *check, const void *arg, const char *what)
{
	struct awaited a = { check, arg };

	if (test_term_wait_for(t, pred_check, &a, CONSOLE_WAIT, "%s", what) != 0)
		fail_msg("%s: %s", what, check(t, arg));
}

/* Every marker where it was. */
static const char *
marks_moved(struct test_term *t, const void *arg)
{
	const struct marks *before = arg;
	static char why[200];

	for (int i = 0; i < before->n; i++) {
		int row, col;
		if (test_term_find(t, before->text[i], &row, &col) != 0 ||
		    row != before->row[i] || col != before->col[i]) {
			snprintf(why, sizeof why, "\"%s\" is not at row %d, column %d",
			    before->text[i], before->row[i], before->col[i]);
			return why;
		}
	}
	return NULL;
}

struct case_rows {
	int hdr, n;
};

/* One row per case under the header: N rows whose level, id and status
 * start under their headers, then no more (no row spilled into the next). */
static const char *
case_rows_wrong(struct test_term *t, const void *arg)
{
	const struct case_rows *cr = arg;
	int casecol = console_col_of(t, cr->hdr, "CASE"), status = console_col_of(t, cr->hdr, "STATUS");
	static char why[200];

	for (int r = cr->hdr + 1; r <= cr->hdr + cr->n; r++) {
		if (console_col_from(t, r, casecol, "*ICS-") != casecol ||
		    console_col_from(t, r, status, "reported") != status ||
		    console_col_of(t, r, "3 High") != 0) {
			snprintf(why, sizeof why, "row %d is not one case row under the header "
			    "of row %d", r, cr->hdr);
			return why;
		}
	}
	if (test_term_row(t, cr->hdr + cr->n + 1)[0] != '\0') {
		snprintf(why, sizeof why, "row %d after the last case is not empty",
		    cr->hdr + cr->n + 1);
		return why;
	}
	return NULL;
}

/* The overlay's box: its corners, and its sides on every row between. */
static const char *
box_broken(struct test_term *t, const void *arg)
{
	int top, left, bottom, right;
	static char why[100];

	(void)arg;
	if (test_term_find(t, "┌", &top, &left) != 0 || test_term_find(t, "┘", &bottom,
	    &right) != 0)
		return "no box corners";
	for (int r = top + 1; r < bottom; r++) {
		struct test_term_cell l, rt;
		if (test_term_cell(t, r, left, &l) != 0 || test_term_cell(t, r, right, &rt) != 0 ||
		    strcmp(l.text, "│") != 0 || strcmp(rt.text, "│") != 0) {
			snprintf(why, sizeof why, "the box is broken on row %d", r);
			return why;
		}
	}
	return NULL;
}

static void
assert_layout(struct test_term *t, const struct marks *m, int hdr_mark, int ncases)
{
	struct case_rows cr = { m->row[hdr_mark], ncases };

	eventually(t, marks_moved, m, "the fixed parts of the screen where they were");
	eventually(t, case_rows_wrong, &cr, "one row per case");
}

/* Nothing of any payload in what the console wrote, over the whole run. */
static void
assert_no_payload(struct test_term *t, const char *who)
{
	static const struct {
		const char *bytes, *what;
	} payloads[] = {
		{ "]52;", "OSC 52" }, { "SGVsbG8=", "the OSC 52 payload" }, { "]8;", "OSC 8" },
		{ "evil.example", "the hyperlink's address" }, { "\xe2\x80\xae", "U+202E" },
		{ "\xc2\x9b", "U+009B (C1 CSI)" }, { "\xc2\x9d", "U+009D (C1 OSC)" },
		{ "#0;2;0;0;0", "the DCS payload" }, { "hidden", "the APC payload" },
	};
	static const char *const seq_names[] = { "OSC", "DCS", "APC", "PM", "SOS" };

	for (int s = 0; s < TEST_TERM_NSEQ; s++) {
		if (test_term_seq_count(t, (enum test_term_seq)s) != 0)
			fail_msg("%s's console wrote %lu %s sequence(s)", who,
			    test_term_seq_count(t, (enum test_term_seq)s), seq_names[s]);
	}
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		if (test_term_raw_contains(t, payloads[i].bytes, strlen(payloads[i].bytes)))
			fail_msg("%s's console wrote %s", who, payloads[i].what);
	}
}

#define OSC52 "\x1b]52;c;SGVsbG8=\x07"
#define RLO "\xe2\x80\xae"   /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define C1_CSI "\xc2\x9b"    /* U+009B, as JSON "\u009b" once dumped */
#define C1_OSC "\xc2\x9d"    /* U+009D */

static void
test_hostile_strings_are_inert(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *wide = console_spawn(state, 0, 40, 120, "mori", NULL);
	struct test_term *narrow = console_spawn(state, 1, 24, 80, "hayes", NULL);
	void *push = test_hub_own(h, test_hub_push(h));
	struct marks wide_marks, narrow_marks;

	EXPECT_ROW(wide, 0, " CONNECTED ");
	EXPECT_ROW(narrow, 0, " CONNECTED ");
	EXPECT_ROW(wide, 0, "mori (lead)");
	EXPECT_ROW(narrow, 0, "hayes (lead)");
	EXPECT(wide, "Sectors (16)");
	EXPECT(narrow, " 3 Sectors 16 ");
	EXPECT_GONE(wide, "STALE");
	EXPECT_GONE(narrow, "STALE");
	marks_take(wide, &wide_marks, (const char *const[]){ " CONNECTED ", "mori (lead)",
	    "Open cases (", "LEVEL       CASE", "Sectors (16)", "Team dispatch (6)", "Intel (",
	    "TLP  ", "Sensors (0)", "SENSOR ", "? help", NULL });
	marks_take(narrow, &narrow_marks, (const char *const[]){ " CONNECTED ",
	    "hayes (lead)", " 1 Cases ", " 2 Teams 6 ", "Open cases (", "LEVEL       CASE",
	    "? help", NULL });

	push_incident(push, "h1", "Wiper \x1b[2Jgone", "Clear \x1b[H\x1b[2JCo", NULL);
	push_incident(push, "h2", "Clip " OSC52 "board", "OSC \x1b]52;c;SGVsbG8=\x1b\\52",
	    NULL);
	push_incident(push, "h3", "Phish \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ here",
	    "Hyper \x1b]8;;http://evil.example/\x07link", NULL);
	push_incident(push, "h4", "Csi " C1_CSI "2Jeight", "C1 " C1_OSC "52;c;SGVsbG8=\x07" "co",
	    NULL);
	push_incident(push, "h5", "Bidi " RLO "exe.pdf", "Rlo " RLO "oc", NULL);
	push_incident(push, "h6", "Dcs \x1bPq#0;2;0;0;0\x1b\\sixel", "Apc \x1b_hidden\x1b\\ok",
	    NULL);

	/* The longest the hub takes: a 200-byte title, a 120-byte org and a
	 * 4000-byte summary, the summary full of sequences. */
	char title[201], org[121], summary[4001];
	memcpy(title, "Long ", 5);
	for (int i = 5; i < 200; i++)
		title[i] = (char)('a' + (i - 5) % 10);
	title[200] = '\0';
	memset(org, 'O', 120);
	memcpy(org, "Longorg ", 8);
	org[120] = '\0';
	size_t used = 0;
	for (int i = 0; used + 64 < sizeof summary; i++)
		used += (size_t)snprintf(summary + used, sizeof summary - used,
		    "p%03d" OSC52 RLO "ok\x1b[2J " C1_CSI "1m", i);
	push_incident(push, "h7", title, org, summary);

	/* Refused by the hub: a 10,000-character title (and intel title), and
	 * a raw 0x9B byte, which is not UTF-8 (as JSON must be). */
	char *huge = malloc(10001);
	assert_non_null(huge);
	memset(huge, 'T', 10000);
	huge[10000] = '\0';
	push_incident(push, "h8", huge, "Huge Co", NULL);
	push_intel(push, huge, "Huge feed");
	free(huge);
	assert_int_equal(test_push(push, "incident", "{\"ref\":\"h9\",\"title\":\"Raw \x9b"
	    "2J csi\",\"org\":\"Raw Co\",\"sector\":\"water\"}"), 0);

	push_intel(push, "Intel " OSC52 "clip", "Feed \x1b^pm\x1b\\src");
	push_intel(push, "Sos \x1bXsos\x1b\\news " RLO "done", "Feed " C1_CSI "1msrc2");

	wait_hub_counter(h, "ingest.rejected_by_reason.utf8", 1);
	wait_hub_counter(h, "ingest.rejected_by_reason.fields", 2);
	wait_hub_counter(h, "ingest.accepted", 9);

	/* The harmless rest of each string, in its column. */
	EXPECT(wide, "Open cases (7)");
	EXPECT_LINE(wide, "Wiper gone", "Clear Co");
	EXPECT_LINE(wide, "Clip board", "OSC 52");
	EXPECT_LINE(wide, "Phish link here", "Hyper link");
	EXPECT_LINE(wide, "Csi eight", "C1 co");
	EXPECT_LINE(wide, "Bidi exe.pdf", "Rlo oc");
	EXPECT_LINE(wide, "Dcs sixel", "Apc ok");
	EXPECT_LINE(wide, "Long abcdefghij", "…", "Longorg OOOO");
	EXPECT_LINE(wide, "TLP:AMBER", "Intel clip", "Feed src");
	EXPECT_LINE(wide, "TLP:AMBER", "Sos news done", "Feed src2");
	EXPECT(wide, "Intel (2)");
	EXPECT(narrow, "Open cases (7)");
	EXPECT_LINE(narrow, "Wiper gone");
	EXPECT_LINE(narrow, "Clip board");
	EXPECT_LINE(narrow, "Phish link here");
	EXPECT_LINE(narrow, "Csi eight");
	EXPECT_LINE(narrow, "Bidi exe.pdf");
	EXPECT_LINE(narrow, "Dcs sixel");
	EXPECT_LINE(narrow, "Long abcdefghij", "…");
	EXPECT_ROW(narrow, 1, " 4 Intel 2 ");
	EXPECT_GONE(wide, "Huge");
	EXPECT_GONE(wide, "Raw");
	EXPECT_GONE(wide, "TTTTTTTTTT");

	assert_layout(wide, &wide_marks, 3, 7);
	assert_layout(narrow, &narrow_marks, 5, 7);

	/* The long case in detail: the summary wrapped inside the box, and a
	 * hostile note in the timeline. */
	char id[32];
	json_t *snap = test_hub_snapshot(h);
	json_t *c = test_jfind(json_object_get(snap, "cases"), "ref", "h7");
	assert_non_null(c);
	snprintf(id, sizeof id, "%s", test_jstr(c, "id"));
	json_decref(snap);
	test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", id, "text",
	    "Note \x1b]8;;http://evil.example/\x07" "click\x1b]8;;\x07 " RLO "fdp.exe " OSC52 "end"));

	assert_int_equal(test_term_send_str(wide, "/Longorg"), 0);
	assert_int_equal(test_term_key(wide, TEST_TERM_KEY_ENTER), 0);
	EXPECT(wide, "Open cases (1) filter: Longorg");
	assert_int_equal(test_term_key(wide, TEST_TERM_KEY_ENTER), 0);
	EXPECT(wide, "NOT ACKNOWLEDGED");
	EXPECT(wide, "p000ok p001ok");
	EXPECT(wide, "Note click fdp.exe end");
	eventually(wide, box_broken, NULL, "the detail in an unbroken box");
	/* Esc closes the detail, Esc clears the filter, Esc the message. */
	assert_int_equal(test_term_key(wide, TEST_TERM_KEY_ESC), 0);
	EXPECT_GONE(wide, "NOT ACKNOWLEDGED");
	assert_int_equal(test_term_key(wide, TEST_TERM_KEY_ESC), 0);
	EXPECT(wide, "Open cases (7)");
	assert_int_equal(test_term_key(wide, TEST_TERM_KEY_ESC), 0);
	EXPECT_ROW(wide, 39, "? help");

	assert_layout(wide, &wide_marks, 3, 7);
	EXPECT_ROW(wide, 0, " CONNECTED ");
	assert_true(test_term_running(wide));
	assert_true(test_term_running(narrow));
	assert_no_payload(wide, "mori");
	assert_no_payload(narrow, "hayes");
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_strings_are_inert, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
