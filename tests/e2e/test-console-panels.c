/*
 * What the panels say, whole, at both sizes the console is made for:
 * 120x40, where all five panels share the screen (the sectors panel gets
 * 54 columns, the intel and sensors panels 66), and 80x24, one panel at a
 * time. Issue 12: intel sent without a TLP showed as TLP:CLEAR and
 * TLP:AMBER+STRICT was cut; sectors read Severe with nothing on screen to
 * say why, and a "(set)" level lost its marker; two sensors of a sector
 * looked the same, cut to "s-transportatio…", and the cases' TEAM column
 * hid a second team; a case with one timeline entry said "1 entries".
 *
 * Every wait has a deadline and asserts the eventual screen; on failure
 * the harness prints the screen as it was.
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

#include "test-console.h"

#define GRID_RIGHT 54 /* 120 * 9 / 20: where the right-hand panels start */

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-panels");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* Cells of TEXT, whose characters here are all one cell wide. */
static int
cells_of(const char *text)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

struct in_panel {
	int from, to;             /* the panel's columns: [from, to) */
	const char *const *parts;
	int row;
};

/* A row of the panel on which the first part starts the row (the panel's
 * first column) and every part shows within the panel's columns. */
static int
pred_in_panel(struct test_term *t, void *arg)
{
	struct in_panel *p = arg;
	int rows, cols;

	test_term_size(t, &rows, &cols);
	for (int r = 0; r < rows; r++) {
		int all = 1;
		for (int i = 0; all && p->parts[i] != NULL; i++) {
			int c = console_col_from(t, r, p->from, p->parts[i]);
			all = c >= 0 && c + cells_of(p->parts[i]) <= p->to && (i > 0 || c == p->from);
		}
		if (all) {
			p->row = r;
			return 1;
		}
	}
	return 0;
}

/* The row that starts at column FROM with PARTS[0] and shows every one
 * of PARTS in columns [FROM, TO). */
static int
expect_in_panel(struct test_term *t, int from, int to, const char *const *parts)
{
	struct in_panel p = { from, to, parts, -1 };

	if (test_term_wait_for(t, pred_in_panel, &p, CONSOLE_WAIT, "\"%s\", \"%s\"... in "
	    "columns %d-%d", parts[0], parts[1] != NULL ? parts[1] : "", from, to - 1) != 0)
		fail_msg("\"%s\" and the rest never showed together in columns %d-%d", parts[0],
		    from, to - 1);
	return p.row;
}
#define EXPECT_IN(t, from, to, ...) \
	expect_in_panel((t), (from), (to), (const char *const[]){ __VA_ARGS__, NULL })

static void
report(struct test_hub *h, const char *user, const char *topic, json_t *body)
{
	test_hub_ok_(h, user, "report", json_pack("{s:s, s:o}", "topic", topic, "body", body));
}

/* ------------------------------------------------------------------ */

/* An item sent without a marking is "TLP:-", never TLP:CLEAR; the longest
 * marking shows whole. */
static void
test_intel_tlp_whole_and_unmarked(void **state)
{
	struct test_hub *h = console_start_hub(state);

	report(h, "tanaka", "intel", json_pack("{s:s, s:s}", "title", "Unmarked advisory",
	    "source", "Partner feed"));
	report(h, "tanaka", "intel", json_pack("{s:s, s:s, s:s}", "title", "Strict advisory",
	    "source", "ICS-CERT", "tlp", "amber+strict"));
	report(h, "tanaka", "intel", json_pack("{s:s, s:s, s:s}", "title", "Clear advisory",
	    "source", "CISA", "tlp", "clear"));

	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	EXPECT_ROW(t, 0, " CONNECTED ");
	for (int size = 0; size < 2; size++) {
		int from = size == 0 ? GRID_RIGHT : 0, to = size == 0 ? 120 : 80;
		int row = EXPECT_IN(t, from, to, "TLP:-", "Unmarked advisory");
		if (strstr(test_term_row(t, row), "CLEAR") != NULL)
			fail_msg("the unmarked item's row says CLEAR: %s", test_term_row(t, row));
		EXPECT_IN(t, from, to, "TLP:AMBER+STRICT ", "Strict advisory");
		EXPECT_IN(t, from, to, "TLP:CLEAR", "Clear advisory");
		console_expect_count(t, "TLP:AMBER+S\xe2\x80\xa6", 0);
		if (size == 0) {
			assert_int_equal(test_term_resize(t, 24, 80), 0);
			assert_int_equal(test_term_send_str(t, "4"), 0);
			EXPECT_ROW(t, 2, "Intel (3)");
		}
	}
	test_hub_passed(((struct console_fx *)*state)->h);
}

/* Every raised sector says why: its case, its cases, an alert and its
 * age, or "(set)" and who set it, with the level's name whole. A case
 * with one timeline entry says "1 entry". */
static void
test_sectors_say_why(void **state)
{
	struct test_hub *h = console_start_hub(state);
	char water[32], id[32];

	console_report_incident(h, "water", "City Water", "Chlorine dosing PLC offline", 3, water);
	console_report_incident(h, "energy", "Grid West", "Phishing wave", 2, id);
	console_report_incident(h, "energy", "Ridgeway Power", "Failed HMI logins", 2, id);
	report(h, "okafor", "sensor", json_pack("{s:s, s:s, s:s, s:i, s:s}", "sensor", "ids-it-1",
	    "kind", "alert", "sector", "it", "level", 4, "signature", "ET EXPLOIT HMI overflow"));
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "dams",
	    "level", 5));

	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	EXPECT_ROW(t, 0, " CONNECTED ");
	for (int size = 0; size < 2; size++) {
		int to = size == 0 ? GRID_RIGHT : 80;
		EXPECT_IN(t, 0, to, "water ", "3 High", water);
		EXPECT_IN(t, 0, to, "energy ", "2 Medium", "2 cases");
		EXPECT_IN(t, 0, to, "it ", "4 Severe", "alert ");
		EXPECT_IN(t, 0, to, "dams ", "5 Emergency", "(set) mori");
		EXPECT_IN(t, 0, to, "food ", "0 Baseline", " - ");
		if (size == 0) {
			assert_int_equal(test_term_resize(t, 24, 80), 0);
			assert_int_equal(test_term_send_str(t, "3"), 0);
			EXPECT_ROW(t, 2, "Sectors (16)");
		}
	}

	/* The most severe case is selected; its detail has one entry. */
	assert_int_equal(test_term_send_str(t, "1"), 0);
	EXPECT_ROW(t, 4, water);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	EXPECT(t, "Timeline (1 entry)");
	test_hub_passed(((struct console_fx *)*state)->h);
}

/* Names that differ only at the end stay different when cut: the middle
 * goes. Two teams on a case show as such, whole. */
static void
test_names_cut_in_the_middle(void **state)
{
	struct test_hub *h = console_start_hub(state);
	char id[32];

	for (int i = 1; i <= 2; i++) {
		char sensor[40];
		snprintf(sensor, sizeof sensor, "gw-transportation-east-0%d", i);
		report(h, "okafor", "sensor", json_pack("{s:s, s:s, s:s}", "sensor", sensor, "kind",
		    "heartbeat", "sector", "transportation"));
	}
	console_report_incident(h, "transportation", "Metro Rail Transit", "Signalling LAN scan",
	    4, id);
	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-1", "case", id));
	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-6", "case", id));

	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	EXPECT_ROW(t, 0, " CONNECTED ");
	for (int size = 0; size < 2; size++) {
		int from = size == 0 ? GRID_RIGHT : 0, to = size == 0 ? 120 : 80;
		if (size == 1)
			assert_int_equal(test_term_send_str(t, "5"), 0);
		EXPECT_IN(t, from, to, "gw-transp\xe2\x80\xa6on-east-01 ", "up");
		EXPECT_IN(t, from, to, "gw-transp\xe2\x80\xa6on-east-02 ", "up");
		if (size == 1)
			assert_int_equal(test_term_send_str(t, "1"), 0);
		EXPECT_IN(t, 0, to, "4 Severe", id, "FLY-1+1 ");
		if (size == 0) {
			assert_int_equal(test_term_resize(t, 24, 80), 0);
			EXPECT_ROW(t, 1, " 1 Cases 1 ");
		}
	}
	test_hub_passed(((struct console_fx *)*state)->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intel_tlp_whole_and_unmarked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sectors_say_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_cut_in_the_middle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
