/*
 * The console fixture shared by the end-to-end tests of watchfloor
 * (tests/e2e/test-console-*.c): one hub (testhub) and the consoles of one
 * test, each the real watchfloor in a pseudo-terminal (testterm). The
 * teardown kills the consoles before the hub, whichever way the test ends.
 *
 * Include after <cmocka.h> (and its prerequisites).
 */
#ifndef WATCHFLOOR_TEST_CONSOLE_H
#define WATCHFLOOR_TEST_CONSOLE_H

#include "test-hub.h"
#include "test-term.h"

#define CONSOLE_WAIT 8000 /* upper bound for one wait; never a measure of speed */

#define MAX_CONSOLES 3

struct console_fx {
	struct test_hub *h;
	struct test_term *t[MAX_CONSOLES];
};

/* cmocka fixtures: *STATE becomes a fresh struct console_fx whose hub's
 * temporary directory is named after NAME. 0 or -1. */
int console_fixture_setup(void **state, const char *name);
int console_fixture_teardown(void **state);

/* Start the fixture's hub (fails the test if it does not start). */
struct test_hub *console_start_hub(void **state);

/* watchfloor as USER in a ROWS x COLS terminal, in console slot SLOT, with
 * its debug log in the hub's directory (kept with WATCHFLOOR_KEEP_TEST_DIRS);
 * ENV as for test_term_spawn. console_spawn_with adds one option OPT VALUE
 * to the command line (OPT NULL for none). */
struct test_term *console_spawn(void **state, int slot, int rows, int cols, const char *user,
    const char *const *env);
struct test_term *console_spawn_with(void **state, int slot, int rows, int cols,
    const char *user, const char *const *env, const char *opt, const char *value);

#define EXPECT(t, text)                                                           \
	do {                                                                      \
		if (test_term_expect((t), (text), CONSOLE_WAIT) != 0)             \
			fail_msg("the console never showed \"%s\"", (text));      \
	} while (0)

#define EXPECT_ROW(t, row, text)                                                  \
	do {                                                                      \
		if (test_term_expect_row((t), (row), (text), CONSOLE_WAIT) != 0)  \
			fail_msg("row %d never showed \"%s\"", (row), (text));    \
	} while (0)

#define EXPECT_GONE(t, text)                                                      \
	do {                                                                      \
		if (test_term_expect_gone((t), (text), CONSOLE_WAIT) != 0)        \
			fail_msg("\"%s\" never left the screen", (text));         \
	} while (0)

/* The row on which every one of PARTS (NULL-terminated) shows, once it
 * does; fails the test if none does within CONSOLE_WAIT. */
int console_expect_line(struct test_term *t, const char *const *parts);
#define EXPECT_LINE(t, ...) console_expect_line((t), (const char *const[]){ __VA_ARGS__, NULL })

/* TEXT shows exactly WANT times on the screen, once it does; fails the
 * test if it never does within CONSOLE_WAIT. */
void console_expect_count(struct test_term *t, const char *text, int want);

/* The cell column where TEXT first starts on ROW at or after column FROM,
 * or -1; console_col_of from column 0. */
int console_col_from(struct test_term *t, int row, int from, const char *text);
int console_col_of(struct test_term *t, int row, const char *text);

/* The cell at ROW, COL (fails the test if there is none). */
struct test_term_cell console_cell_at(struct test_term *t, int row, int col);

/* Report an incident through the acknowledged path (the "report" op, as
 * the intake officer chen): the id of the case the hub opened, into ID. */
void console_report_incident(struct test_hub *h, const char *sector, const char *org,
    const char *title, int level, char id[32]);

#endif
