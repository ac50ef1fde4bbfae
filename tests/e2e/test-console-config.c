/*
 * Settings files, end to end: the real programs read them, take their
 * flags over them, and refuse to start on a mistake, naming the file and
 * line. The console's keys follow the file's [keys], in the help and hints
 * as well as in what a key press does.
 *
 * The fixture points XDG_CONFIG_HOME into the test's own directory, so the
 * console's default file is <dir>/config/watchfloor/watchfloor.conf here.
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
#include <sys/stat.h>
#include <sys/wait.h>

#include "test-console.h"

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-config");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* Write TEXT to PATH (the directories must exist). */
static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* The console's default settings file in the fixture's directory. */
static void
write_default_config(struct test_hub *h, const char *text)
{
	char path[512];

	snprintf(path, sizeof path, "%s/config", h->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/config/watchfloor", h->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/config/watchfloor/watchfloor.conf", h->dir);
	write_file(path, text);
}

/* A program's screen once it has exited: its status must be 2 (it refused
 * to start) and the screen must hold every one of LINES. */
static void
expect_refusal(struct test_term *t, const char *const *lines)
{
	int status = test_term_wait(t, CONSOLE_WAIT);

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 2) {
		test_term_dump(t, stderr);
		fail_msg("expected exit status 2 (refused to start), got wait status %#x", status);
	}
	for (int i = 0; lines[i] != NULL; i++) {
		if (strstr(test_term_text(t), lines[i]) == NULL) {
			test_term_dump(t, stderr);
			fail_msg("the refusal does not say \"%s\"", lines[i]);
		}
	}
}

/* The console finds its hub through the file's [endpoints] alone, and its
 * keys are the file's: dispatch on D and F5 (no longer d), quit on Q (no
 * longer q), ack on no key at all. */
static void
test_file_endpoints_and_remapped_keys(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	char conf[2048], id[32], log[400];

	snprintf(conf, sizeof conf,
	    "; the floor this console watches\n"
	    "[endpoints]\n"
	    "events = %s\n"
	    "control = %s\n"
	    "ingest = %s\n"
	    "\n"
	    "[keys]\n"
	    "dispatch = D, F5\n"
	    "quit = Q\n"
	    "ack = none\n", h->events, h->control, h->ingest);
	write_default_config(h, conf);
	console_report_incident(h, "energy", "Grid North", "Substation HMI defaced", 4, id);

	snprintf(log, sizeof log, "%s/console.log", h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--user", "mori", "--log", log, "-v", NULL };
	struct test_term *t = f->t[0] = test_term_spawn(40, 120, argv, NULL);
	assert_non_null(t);
	EXPECT(t, id); /* the hub of the file's endpoints */
	EXPECT(t, "CONNECTED");

	/* The hints show the file's keys, and only those. */
	EXPECT_ROW(t, 39, "D dispatch");
	assert_null(strstr(test_term_row(t, 39), "d dispatch"));
	assert_null(strstr(test_term_row(t, 39), " ack"));
	assert_non_null(strstr(test_term_row(t, 39), "Q quit"));

	/* d is nothing now: the help opens over no picker. */
	test_term_send_str(t, "d");
	test_term_send_str(t, "?");
	EXPECT_LINE(t, "D/F5", "dispatch a team");
	EXPECT_LINE(t, "Q        quit");
	EXPECT_LINE(t, "-        acknowledge the case");
	assert_int_equal(test_term_find(t, "Dispatch which team", NULL, NULL), -1);
	test_term_key(t, TEST_TERM_KEY_ESC);
	EXPECT_GONE(t, "acknowledge the case");

	/* F5 dispatches. */
	test_term_key(t, TEST_TERM_KEY_F(5));
	EXPECT(t, "Dispatch which team");
	test_term_key(t, TEST_TERM_KEY_ESC);
	EXPECT_GONE(t, "Dispatch which team");

	/* q no longer quits (the help still opens after it); Q does. */
	test_term_send_str(t, "q");
	test_term_send_str(t, "?");
	EXPECT(t, "acknowledge the case");
	test_term_key(t, TEST_TERM_KEY_ESC);
	EXPECT_GONE(t, "acknowledge the case");
	test_term_send_str(t, "Q");
	int status = test_term_wait(t, CONSOLE_WAIT);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	test_hub_passed(f->h);
}

/* Options win over the file: its control endpoint leads nowhere and its
 * theme is mono, but --control and --theme light say otherwise. */
static void
test_flags_win_over_the_file(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	char conf[1024], id[32];

	snprintf(conf, sizeof conf,
	    "[endpoints]\n"
	    "control = ipc://%s/nowhere\n"
	    "[console]\n"
	    "theme = mono\n", h->dir);
	write_default_config(h, conf);
	console_report_incident(h, "water", "Lakeside Water", "Chlorine dosing PLC reset", 5, id);

	/* console_spawn_with gives --events and --control of the test hub. */
	struct test_term *t = console_spawn_with(state, 0, 24, 80, "mori", NULL, "--theme", "light");
	int row = EXPECT_LINE(t, id);
	assert_true(test_term_running(t));
	EXPECT(t, "CONNECTED");
	struct test_term_cell level = console_cell_at(t, row, 0);
	assert_string_equal(level.text, "5");
	if (level.fg.is_default && level.bg.is_default) {
		test_term_dump(t, stderr);
		fail_msg("level 5 has no colour: the file's mono theme beat --theme light");
	}
	test_hub_passed(f->h);
}

/* A file with mistakes: every one is named with its line, and nothing
 * starts, whether the file is the default one or given with --config. */
static void
test_mistakes_refuse_to_start(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = f->h;
	char path[512], wrong[600];

	write_default_config(h,
	    "[console]\n"
	    "theme = dark\n"
	    "fps = fast\n"
	    "\n"
	    "colour = yes\n"
	    "[keys]\n"
	    "dispatch = Ctrl+D\n");
	snprintf(path, sizeof path, "%s/config/watchfloor/watchfloor.conf", h->dir);
	const char *argv[] = { WATCHFLOOR_PATH, "--user", "mori", NULL };
	struct test_term *t = f->t[0] = test_term_spawn(24, 250, argv, NULL);
	assert_non_null(t);
	snprintf(wrong, sizeof wrong, "3 errors in %s; not starting", path);
	expect_refusal(t, (const char *const[]){
	    "watchfloor.conf:3: fps takes a whole number from 1 to 120, not 'fast'",
	    "watchfloor.conf:5: unknown key 'colour' in [console]",
	    "watchfloor.conf:7: no key is called 'Ctrl+D'",
	    wrong, NULL });

	/* --config names a file: a missing one is an error, not silence. */
	snprintf(path, sizeof path, "%s/missing.conf", h->dir);
	const char *argv2[] = { WATCHFLOOR_PATH, "--config", path, NULL };
	f->t[1] = test_term_spawn(24, 250, argv2, NULL);
	assert_non_null(f->t[1]);
	expect_refusal(f->t[1], (const char *const[]){ "missing.conf: cannot read: No such file",
	    NULL });

	/* The hub: /etc/watchfloor/watchd.conf's shape, with --config. */
	snprintf(path, sizeof path, "%s/watchd.conf", h->dir);
	write_file(path,
	    "[endpoints]\n"
	    "ingest = tcp://127.0.0.1\n"
	    "[hub]\n"
	    "synchronous = always\n"
	    "sensor-interval = 0\n");
	const char *argv3[] = { WATCHD_PATH, "--config", path, NULL };
	f->t[2] = test_term_spawn(24, 250, argv3, NULL);
	assert_non_null(f->t[2]);
	expect_refusal(f->t[2], (const char *const[]){
	    "watchd.conf:2: ingest takes a ZeroMQ endpoint",
	    "watchd.conf:4: synchronous takes normal, full or extra, not 'always'",
	    "watchd.conf:5: sensor-interval takes seconds from 1 to 86400, not '0'",
	    NULL });
	test_hub_passed(f->h);
}

/* watchctl reads the console's [endpoints] and checks them. */
static void
test_watchctl_reads_the_console_endpoints(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	char conf[1024], id[32];

	snprintf(conf, sizeof conf,
	    "[endpoints]\n"
	    "control = %s\n"
	    "[console]\n"
	    "theme = light\n"
	    "[keys]\n"
	    "quit = Q\n", h->control);
	write_default_config(h, conf);
	console_report_incident(h, "dams", "Upper Basin Authority", "Spillway telemetry lost", 3, id);

	/* No --control: the file's endpoint finds the hub; the console's own
	 * sections are the console's business. */
	const char *argv[] = { WATCHCTL_PATH, "--user", "mori", "ack", id, NULL };
	f->t[0] = test_term_spawn(24, 120, argv, NULL);
	assert_non_null(f->t[0]);
	int status = test_term_wait(f->t[0], CONSOLE_WAIT);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		test_term_dump(f->t[0], stderr);
		fail_msg("watchctl ack with the file's endpoint: wait status %#x", status);
	}
	json_t *snap = test_hub_snapshot(h);
	json_t *c = test_jfind(json_object_get(snap, "cases"), "id", id);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "acked_by")), "mori");
	json_decref(snap);

	write_default_config(h, "[endpoints]\ncontrol = 127.0.0.1:7403\n");
	f->t[1] = test_term_spawn(24, 250, argv, NULL);
	assert_non_null(f->t[1]);
	expect_refusal(f->t[1], (const char *const[]){
	    "watchfloor.conf:2: control takes a ZeroMQ endpoint", NULL });
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_endpoints_and_remapped_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flags_win_over_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mistakes_refuse_to_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchctl_reads_the_console_endpoints, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
