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

	if (f == NULL || test_hub_fixture_setup((void **)&f->h, "console-cmd") != 0) {
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
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	struct test_term *a = console(state, 0, 40, 120, "mori", NULL);
	struct test_term *b = console(state, 1, 24, 80, "hayes", NULL);
	char id[32], done[80], question[80];

	report_incident(h, "energy", "Grid West", "Historian wiped", 4, id);
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
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	struct test_term *wide = console(state, 0, 40, 120, "watch", NULL);
	struct test_term *narrow = console(state, 1, 24, 80, "watch", NULL);
	char id[32], line[80], msg[300], want[400];

	report_incident(h, "water", "City Water", "Pump station HMI defaced", 3, id);
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
	EXPECT_ROW(narrow, 23, "dispatch needs another role");
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
	struct fx *f = *state;
	struct test_hub *h = start_hub(state);
	char first[32], second[32], line[80], msg[300], want[400];

	report_incident(h, "healthcare", "St. Mary Hospital", "Ransomware on PACS", 2, first);
	report_incident(h, "energy", "Grid West", "Historian wiped", 3, second);
	test_hub_ok_(h, "hayes", "dispatch",
	    json_pack("{s:s, s:s}", "team", "FLY-1", "case", first));
	hub_refusal(h, "hayes", "dispatch",
	    json_pack("{s:s, s:s}", "team", "FLY-1", "case", second), "team_busy", msg,
	    sizeof msg);

	struct test_term *t = console(state, 0, 40, 120, "mori", NULL);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispatch_by_keys_shows_in_both_consoles, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_viewer_dispatch_refused_with_hub_sentence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_team_refused_and_picker_skips_it, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
