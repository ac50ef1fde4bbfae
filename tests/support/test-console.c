/*
 * The console fixture shared by the end-to-end tests (test-console.h).
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

#ifndef WATCHFLOOR_PATH
#error "WATCHFLOOR_PATH must name the watchfloor binary under test"
#endif

int
console_fixture_setup(void **state, const char *name)
{
	struct console_fx *f = calloc(1, sizeof *f);

	if (f == NULL || test_hub_fixture_setup((void **)&f->h, name) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int
console_fixture_teardown(void **state)
{
	struct console_fx *f = *state;

	for (int i = 0; i < MAX_CONSOLES; i++)
		test_term_free(f->t[i]);
	/* -1 (the test fails) if memcheck failed a console or the hub. */
	int rc = test_hub_fixture_teardown((void **)&f->h);
	free(f);
	return rc;
}

struct test_hub *
console_start_hub(void **state)
{
	struct console_fx *f = *state;

	if (test_hub_start(f->h, NULL) != 0)
		fail_msg("watchd did not start");
	return f->h;
}

struct test_term *
console_spawn_with(void **state, int slot, int rows, int cols, const char *user,
    const char *const *env, const char *opt, const char *value)
{
	struct console_fx *f = *state;
	char log[400];

	snprintf(log, sizeof log, "%s/console-%d-%s.log", f->h->dir, slot, user);
	const char *argv[] = { WATCHFLOOR_PATH, "--events", f->h->events, "--control",
		f->h->control, "--user", user, "--log", log, "-v", opt, value, NULL };
	f->t[slot] = test_term_spawn(rows, cols, argv, env);
	if (f->t[slot] == NULL)
		fail_msg("cannot start %s", WATCHFLOOR_PATH);
	return f->t[slot];
}

struct test_term *
console_spawn(void **state, int slot, int rows, int cols, const char *user,
    const char *const *env)
{
	return console_spawn_with(state, slot, rows, cols, user, env, NULL, NULL);
}

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

int
console_expect_line(struct test_term *t, const char *const *parts)
{
	struct line l = { parts, -1 };
	char what[300] = "one row to show";

	for (int i = 0; parts[i] != NULL; i++)
		snprintf(what + strlen(what), sizeof what - strlen(what), " \"%s\"", parts[i]);
	if (test_term_wait_for(t, pred_line, &l, CONSOLE_WAIT, "%s", what) != 0)
		fail_msg("never: %s", what);
	return l.row;
}

int
console_col_from(struct test_term *t, int row, int from, const char *text)
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

int
console_col_of(struct test_term *t, int row, const char *text)
{
	return console_col_from(t, row, 0, text);
}

struct test_term_cell
console_cell_at(struct test_term *t, int row, int col)
{
	struct test_term_cell cell;

	if (test_term_cell(t, row, col, &cell) != 0)
		fail_msg("no cell at row %d, column %d", row, col);
	return cell;
}

void
console_report_incident(struct test_hub *h, const char *sector, const char *org,
    const char *title, int level, char id[32])
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

struct count {
	const char *text;
	int want;
};

static int
pred_count(struct test_term *t, void *arg)
{
	struct count *c = arg;
	int rows, cols, n = 0;

	test_term_size(t, &rows, &cols);
	for (int r = 0; r < rows; r++) {
		for (const char *p = test_term_row(t, r); (p = strstr(p, c->text)) != NULL;
		     p += strlen(c->text))
			n++;
	}
	return n == c->want;
}

void
console_expect_count(struct test_term *t, const char *text, int want)
{
	struct count c = { text, want };

	if (test_term_wait_for(t, pred_count, &c, CONSOLE_WAIT, "\"%s\" %d times", text, want) != 0)
		fail_msg("\"%s\" never showed %d times", text, want);
}
