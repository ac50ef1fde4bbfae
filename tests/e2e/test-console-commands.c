/*
 * Acting on the floor from the console, as two people at two consoles at
 * once: a lead dispatches a team with the picker ('d', Enter) and recalls
 * it ('r', asked y/n); the other console, which did nothing, shows the
 * same board, because every console shows the hub's events and not its own
 * guesses. A command the hub refuses shows the hub's own code and sentence
 * on the bottom line: a viewer may not dispatch, and a team serves one
 * case at a time.
 *
 * The real watchfloor in a pty, the real watchd in a temporary directory;
 * every wait has a deadline and asserts the eventual screen.
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
	return console_fixture_setup(state, "console-cmd");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* The hub's refusal of OP with ARGS by USER: its code must be CODE; its
 * sentence into MSG, to compare with what the console shows. */
static void
hub_refusal(struct test_hub *h, const char *user, const char *op, json_t *args,
    const char *code, char *msg, size_t size)
{
	json_t *r = test_hub_call(h, user, op, args);

	if (r == NULL)
		fail_msg("%s by %s: no reply", op, user);
	if (json_is_true(json_object_get(r, "ok")))
		fail_msg("%s by %s was not refused", op, user);
	assert_string_equal(test_jstr(r, "error.code"), code);
	assert_non_null(test_jstr(r, "error.message"));
	snprintf(msg, size, "%s", test_jstr(r, "error.message"));
	json_decref(r);
}

/* Type a command line: ':' LINE Enter. */
static void
command(struct test_term *t, const char *line)
{
	assert_int_equal(test_term_send_str(t, ":"), 0);
	assert_int_equal(test_term_send_str(t, line), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
}

/* Lead A (mori, 120x40: every panel at once) picks a team for the case
 * with 'd' and Enter; B (hayes, 80x24, on the team board) sees the team go
 * out at the same time as A does, without a key pressed. 'r' asks first:
 * n keeps the team, y recalls it, in both consoles. */
static void
test_dispatch_by_keys_shows_in_both_consoles(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *a = console_spawn(state, 0, 40, 120, "mori", NULL);
	struct test_term *b = console_spawn(state, 1, 24, 80, "hayes", NULL);
	char id[32], done[80], question[80];

	console_report_incident(h, "energy", "Grid West", "Historian wiped", 4, id);
	EXPECT_ROW(a, 0, " CONNECTED ");
	EXPECT_ROW(b, 0, " CONNECTED ");
	EXPECT_ROW(b, 0, "hayes (lead)");
	EXPECT_LINE(a, "4 Severe", id, "Historian wiped");
	EXPECT_LINE(b, "4 Severe", id);
	assert_int_equal(test_term_send_str(b, "2"), 0);
	EXPECT_ROW(b, 2, "Team dispatch (6)");
	EXPECT_LINE(b, "FLY-1", "available");

	/* The only case is selected; the picker lists available teams first,
	 * the first one highlighted. */
	assert_int_equal(test_term_send_str(a, "d"), 0);
	EXPECT(a, "Dispatch which team to");
	EXPECT_LINE(a, "FLY-1", "available", "Arlington, VA");
	assert_int_equal(test_term_key(a, TEST_TERM_KEY_ENTER), 0);

	snprintf(done, sizeof done, "dispatch FLY-1 %s: done", id);
	EXPECT_ROW(a, 39, done);
	EXPECT_GONE(a, "Dispatch which team to");
	EXPECT_LINE(a, "FLY-1", "dispatched", id);      /* the team board */
	EXPECT_LINE(a, "4 Severe", id, "FLY-1");         /* the case's TEAM */
	EXPECT_LINE(b, "FLY-1", "dispatched", id);
	EXPECT_LINE(b, "FLY-2", "available");

	json_t *snap = test_hub_snapshot(h);
	json_t *team = test_jfind(json_object_get(snap, "teams"), "id", "FLY-1");
	assert_non_null(team);
	assert_string_equal(test_jstr(team, "status"), "dispatched");
	assert_string_equal(test_jstr(team, "case"), id);
	json_decref(snap);

	/* On the team board of A, FLY-1 (the first row) is selected. */
	snprintf(question, sizeof question, "Recall FLY-1 from %s? (y/n)", id);
	assert_int_equal(test_term_send_str(a, "2"), 0);
	assert_int_equal(test_term_send_str(a, "r"), 0);
	EXPECT_ROW(a, 39, question);
	assert_int_equal(test_term_send_str(a, "n"), 0);
	EXPECT_ROW(a, 39, "cancelled");
	EXPECT_LINE(b, "FLY-1", "dispatched", id);
	assert_int_equal(test_term_send_str(a, "r"), 0);
	EXPECT_ROW(a, 39, question);
	assert_int_equal(test_term_send_str(a, "y"), 0);
	EXPECT_ROW(a, 39, "recall FLY-1: done");
	EXPECT_GONE(b, id); /* B shows only the team board */
	EXPECT_LINE(b, "FLY-1", "returning");
	assert_true(test_term_running(a));
	assert_true(test_term_running(b));
	test_hub_passed(f->h);
}

/* A viewer's ":dispatch" goes to the hub, which refuses it: the bottom
 * line says "refused (forbidden)" and the hub's sentence, whole at 120
 * columns and cut with an ellipsis at 80. The 'd' key is not offered to a
 * viewer at all. */
static void
test_viewer_dispatch_refused_with_hub_sentence(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *wide = console_spawn(state, 0, 40, 120, "watch", NULL);
	struct test_term *narrow = console_spawn(state, 1, 24, 80, "watch", NULL);
	char id[32], line[80], msg[300], want[400];

	console_report_incident(h, "water", "City Water", "Pump station HMI defaced", 3, id);
	hub_refusal(h, "watch", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-1", "case", id),
	    "forbidden", msg, sizeof msg);
	assert_string_equal(msg, "dispatch needs the role lead; watch has the role viewer.");

	EXPECT_ROW(wide, 0, "watch (viewer)");
	EXPECT_LINE(wide, "3 High", id);
	EXPECT_ROW(narrow, 0, "watch (viewer)");
	EXPECT_LINE(narrow, "3 High", id);

	snprintf(line, sizeof line, "dispatch FLY-1 %s", id);
	command(wide, line);
	snprintf(want, sizeof want, "dispatch FLY-1 %s refused (forbidden): %s", id, msg);
	EXPECT_ROW(wide, 39, want);
	EXPECT_LINE(wide, "FLY-1", "available");

	/* On 80 columns the sentence does not fit one line: it is shown
	 * whole, wrapped onto the rows above the bottom line, ending on it. */
	command(narrow, line);
	snprintf(want, sizeof want, "dispatch FLY-1 %s refused (forbidden): dispatch needs", id);
	EXPECT_ROW(narrow, 22, want);
	EXPECT_ROW(narrow, 23, "watch has the role viewer.");

	/* No dispatch hint for a viewer; the key says why it does nothing. */
	assert_int_equal(test_term_key(narrow, TEST_TERM_KEY_ESC), 0);
	EXPECT_ROW(narrow, 23, "? help");
	assert_null(strstr(test_term_row(narrow, 23), "dispatch"));
	assert_int_equal(test_term_send_str(narrow, "d"), 0);
	EXPECT_ROW(narrow, 23, "dispatch needs the role lead; watch has the role viewer");
	EXPECT_GONE(narrow, "Dispatch which team");

	json_t *snap = test_hub_snapshot(h);
	json_t *team = test_jfind(json_object_get(snap, "teams"), "id", "FLY-1");
	assert_string_equal(test_jstr(team, "status"), "available");
	json_decref(snap);
	test_hub_passed(f->h);
}

/* A lead sending a busy team gets the hub's "team_busy" and sentence; the
 * picker offers the available teams first, so 'd' Enter sends the next
 * free one instead. */
static void
test_busy_team_refused_and_picker_skips_it(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	char first[32], second[32], line[80], msg[300], want[400];

	console_report_incident(h, "healthcare", "St. Mary Hospital", "Ransomware on PACS", 2, first);
	console_report_incident(h, "energy", "Grid West", "Historian wiped", 3, second);
	test_hub_ok_(h, "hayes", "dispatch",
	    json_pack("{s:s, s:s}", "team", "FLY-1", "case", first));
	hub_refusal(h, "hayes", "dispatch",
	    json_pack("{s:s, s:s}", "team", "FLY-1", "case", second), "team_busy", msg,
	    sizeof msg);

	struct test_term *t = console_spawn(state, 0, 40, 120, "mori", NULL);
	EXPECT_ROW(t, 0, " CONNECTED ");
	EXPECT_LINE(t, "FLY-1", "dispatched", first);
	EXPECT_LINE(t, "3 High", second);

	snprintf(line, sizeof line, "dispatch FLY-1 %s", second);
	command(t, line);
	snprintf(want, sizeof want, "dispatch FLY-1 %s refused (team_busy): %s", second, msg);
	EXPECT_ROW(t, 39, want);
	EXPECT_LINE(t, "FLY-1", "dispatched", first);

	/* The top case (level 3, the second one) is selected. */
	assert_int_equal(test_term_send_str(t, "d"), 0);
	EXPECT(t, "Dispatch which team to");
	EXPECT(t, second);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	snprintf(want, sizeof want, "dispatch FLY-2 %s: done", second);
	EXPECT_ROW(t, 39, want);
	EXPECT_LINE(t, "FLY-2", "dispatched", second);
	EXPECT_LINE(t, "FLY-1", "dispatched", first);
	test_hub_passed(f->h);
}

/*
 * The console keeps only each case's newest timeline entries (memory for
 * ten thousand cases); the detail overlay must still show the whole
 * timeline, oldest first, loaded from the hub when it opens, and entries
 * added while it is open as they come.
 */
static void
test_detail_shows_the_whole_timeline(void **state)
{
	struct test_hub *h = console_start_hub(state);
	char id[32], text[32];

	console_report_incident(h, "water", "Lakeside Water", "Chlorine setpoint changed", 3, id);
	for (int i = 1; i <= 30; i++) {
		snprintf(text, sizeof text, "field note %02d", i);
		test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", id, "text", text));
	}
	struct test_term *t = console_spawn(state, 0, 80, 120, "mori", NULL);
	EXPECT_LINE(t, id, "Lakeside Water");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	EXPECT(t, "Timeline (31 entries)");
	/* The oldest entries are not among the few the console keeps: they
	 * came from the hub's timeline op. */
	EXPECT(t, "field note 01");
	EXPECT(t, "field note 17");
	EXPECT(t, "field note 30");
	/* Added while the detail is open: shown live, nothing lost between. */
	for (int i = 31; i <= 36; i++) {
		snprintf(text, sizeof text, "field note %02d", i);
		test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", id, "text", text));
	}
	EXPECT(t, "Timeline (37 entries)");
	assert_int_equal(test_term_send_str(t, "G"), 0); /* to the end, if it scrolled */
	for (int i = 26; i <= 36; i++) {
		snprintf(text, sizeof text, "field note %02d", i);
		console_expect_count(t, text, 1);
	}
	test_hub_passed(h);
}

/* The : line as a new officer meets it: an open says which case it made
 * and keeps no quotes around the title; a level says it once; Tab on an
 * empty line lists the commands; whoami answers; a watchctl command that
 * prints a table says where to run it. */
static void
test_command_line_answers_plainly(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *t = console_spawn(state, 0, 40, 120, "chen", NULL);
	char id[32], want[96];

	EXPECT_ROW(t, 0, " CONNECTED ");
	command(t, "open energy \"Grid West\" \"Pump PLC reflashed\"");
	EXPECT(t, "open energy: done (case ICS-2026-");
	json_t *snap = test_hub_snapshot(h);
	json_t *c = json_array_get(json_object_get(snap, "cases"), 0);
	assert_non_null(c);
	assert_string_equal(test_jstr(c, "title"), "Pump PLC reflashed");
	assert_string_equal(test_jstr(c, "org"), "Grid West");
	snprintf(id, sizeof id, "%s", test_jstr(c, "id"));
	json_decref(snap);
	snprintf(want, sizeof want, "open energy: done (case %s)", id);
	EXPECT(t, want);
	EXPECT_LINE(t, id, "Pump PLC reflashed");
	assert_int_equal(test_term_find(t, "\"Pump", NULL, NULL), -1);

	snprintf(want, sizeof want, "level %s 3", id);
	command(t, want);
	snprintf(want, sizeof want, "level %s to 3: done", id);
	EXPECT(t, want);

	command(t, "whoami");
	EXPECT(t, "whoami: done (user chen, role intake)");
	command(t, "audit");
	EXPECT(t, "run watchctl audit in a shell");

	/* Tab on an empty line: every command, over the panels. */
	assert_int_equal(test_term_send_str(t, ":"), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_TAB), 0);
	EXPECT_LINE(t, "open  assign  status  level  dispatch");
	/* Ambiguous: "re" is recall or reopen. */
	assert_int_equal(test_term_send_str(t, "re"), 0);
	EXPECT_GONE(t, "open  assign  status");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_TAB), 0);
	EXPECT_LINE(t, "recall  reopen");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ESC), 0);
	EXPECT_GONE(t, "recall  reopen");
	test_hub_passed(f->h);
}

/* The detail overlay's foot offers what this role may do to this case:
 * an officer no dispatch, assign or close; on a closed case only reopen,
 * to those who may. The hint line offers l (level) to a lead. */
static void
test_detail_offers_what_the_role_may_do(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	struct test_term *lead = console_spawn(state, 0, 40, 120, "mori", NULL);
	struct test_term *officer = console_spawn(state, 1, 40, 120, "okafor", NULL);
	char id[32];

	console_report_incident(h, "dams", "Twin Rivers Dam", "Spillway PLC reset", 2, id);
	EXPECT_LINE(lead, "2 Medium", id);
	EXPECT_LINE(officer, "2 Medium", id);
	EXPECT_ROW(lead, 39, "l level");

	assert_int_equal(test_term_key(officer, TEST_TERM_KEY_ENTER), 0);
	int row = EXPECT_LINE(officer, "Esc close  j/k scroll", "s status", "n note", "x ack");
	const char *foot = test_term_row(officer, row);
	assert_null(strstr(foot, "dispatch"));
	assert_null(strstr(foot, "assign"));
	assert_null(strstr(foot, "  c close"));
	assert_null(strstr(foot, "reopen"));

	assert_int_equal(test_term_key(lead, TEST_TERM_KEY_ENTER), 0);
	EXPECT_LINE(lead, "Esc close  j/k scroll", "d dispatch", "a assign", "  c close");
	test_hub_ok_(h, "chen", "close", json_pack("{s:s, s:s}", "case", id, "reason",
	    "contained"));
	row = EXPECT_LINE(lead, "Esc close  j/k scroll", "o reopen");
	foot = test_term_row(lead, row);
	assert_null(strstr(foot, "  c close"));
	assert_null(strstr(foot, "d dispatch"));
	assert_null(strstr(foot, "n note"));
	/* o asks, y reopens. */
	assert_int_equal(test_term_send_str(lead, "o"), 0);
	char q[64];
	snprintf(q, sizeof q, "Reopen %s? (y/n)", id);
	EXPECT(lead, q);
	assert_int_equal(test_term_send_str(lead, "y"), 0);
	EXPECT_LINE(lead, "Esc close  j/k scroll", "  c close");
	json_t *snap = test_hub_snapshot(h);
	assert_string_not_equal(test_jstr(test_jfind(json_object_get(snap, "cases"), "id", id),
	    "status"), "closed");
	json_decref(snap);
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispatch_by_keys_shows_in_both_consoles, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_viewer_dispatch_refused_with_hub_sentence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail_shows_the_whole_timeline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_command_line_answers_plainly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail_offers_what_the_role_may_do, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_team_refused_and_picker_skips_it, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
