/* The typed line (tui/tui-input.c): editing by characters, quoting,
 * completion. No terminal: keys are fed as curses codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <string.h>

#include "tui-input.h"

static void
type(struct tui_input *in, const char *text)
{
	/* One UTF-8 character at a time, as the console feeds them. */
	for (const char *p = text; *p != '\0';) {
		char ch[8] = { 0 };
		size_t n = 1;
		while ((p[n] & 0xc0) == 0x80)
			n++;
		memcpy(ch, p, n);
		assert_int_equal(tui_input_key(in, 0, ch, NULL, NULL), INPUT_EDITED);
		p += n;
	}
}

static void
test_editing_moves_by_characters(void **state)
{
	struct tui_input in;
	(void)state;

	tui_input_start(&in, ":", NULL);
	type(&in, "note 制御");
	assert_string_equal(in.buf, "note 制御");
	/* Backspace removes one character, all its bytes. */
	assert_int_equal(tui_input_key(&in, KEY_BACKSPACE, NULL, NULL, NULL), INPUT_EDITED);
	assert_string_equal(in.buf, "note 制");
	tui_input_key(&in, KEY_LEFT, NULL, NULL, NULL);
	type(&in, "x");
	assert_string_equal(in.buf, "note x制");
	tui_input_key(&in, KEY_HOME, NULL, NULL, NULL);
	tui_input_key(&in, KEY_DC, NULL, NULL, NULL);
	assert_string_equal(in.buf, "ote x制");
	/* Control characters typed are not inserted. */
	assert_int_equal(tui_input_key(&in, 0, "\x1b", NULL, NULL), INPUT_IGNORED);
	assert_int_equal(tui_input_key(&in, '\n', NULL, NULL, NULL), INPUT_DONE);
	assert_int_equal(tui_input_key(&in, 27, NULL, NULL, NULL), INPUT_CANCEL);
	/* Backspace on an empty line leaves it. */
	tui_input_start(&in, "/", NULL);
	assert_int_equal(tui_input_key(&in, KEY_BACKSPACE, NULL, NULL, NULL), INPUT_CANCEL);
}

static void
test_line_is_bounded(void **state)
{
	struct tui_input in;
	(void)state;

	tui_input_start(&in, ":", NULL);
	for (int i = 0; i < TUI_INPUT_MAX + 50; i++)
		tui_input_key(&in, 0, "a", NULL, NULL);
	assert_int_equal(in.len, TUI_INPUT_MAX);
	assert_int_equal(strlen(in.buf), TUI_INPUT_MAX);
}

static void
test_split_keeps_quoted_words(void **state)
{
	char line[] = "open energy \"Ridgeway Power\"  Failed logins ";
	char *w[8];
	(void)state;

	assert_int_equal(tui_input_split(line, w, 8), 5);
	assert_string_equal(w[0], "open");
	assert_string_equal(w[2], "Ridgeway Power");
	assert_string_equal(w[4], "logins");
}

/* A note is kept as typed: quotes, spacing, and however many words. */
static void
test_rest_of_line_kept_as_typed(void **state)
{
	char line[2048] = "note ICS-2026-0005 the CISO said \"no\"  twice";
	char *w[4];
	(void)state;

	assert_int_equal(tui_input_split_n(line, w, 3), 3);
	assert_string_equal(w[0], "note");
	assert_string_equal(w[1], "ICS-2026-0005");
	assert_string_equal(w[2], "the CISO said \"no\"  twice");
	strcpy(line, "note ICS-1");
	for (int i = 0; i < 100; i++)
		strcat(line, " word");
	assert_int_equal(tui_input_split_n(line, w, 3), 3);
	assert_int_equal(strlen(w[2]), 100 * 5 - 1);
}

/* A title typed in quotes, as a shell would take it, loses the quotes
 * around it; quotes inside it stay. */
static void
test_rest_of_line_loses_enclosing_quotes(void **state)
{
	char line[256] = "open energy \"Grid West\" \"Pump PLC reflashed\"  ";
	char *w[4];
	(void)state;

	assert_int_equal(tui_input_split_n(line, w, 4), 4);
	assert_string_equal(w[2], "Grid West");
	assert_string_equal(w[3], "Pump PLC reflashed");
	strcpy(line, "note ICS-1 \"no\" said the CISO, \"twice\"");
	assert_int_equal(tui_input_split_n(line, w, 3), 3);
	assert_string_equal(w[2], "\"no\" said the CISO, \"twice\"");
	strcpy(line, "note ICS-1 \"");
	assert_int_equal(tui_input_split_n(line, w, 3), 3);
	assert_string_equal(w[2], "\"");
}

static int
complete_teams(void *arg, const char *line, int word, const char *prefix, const char **out,
    int max)
{
	static const char *const teams[] = { "FLY-1", "FLY-2", "FLY-20" };
	int n = 0;

	(void)arg;
	(void)line;
	assert_int_equal(word, 1);
	for (size_t i = 0; i < 3 && n < max; i++)
		if (strncmp(teams[i], prefix, strlen(prefix)) == 0)
			out[n++] = teams[i];
	return n;
}

static void
test_tab_completes(void **state)
{
	struct tui_input in;
	(void)state;

	tui_input_start(&in, ":", "recall F");
	/* Several matches: their common prefix. */
	tui_input_key(&in, '\t', NULL, complete_teams, NULL);
	assert_string_equal(in.buf, "recall FLY-");
	type(&in, "20");
	/* One match: the whole word and a space. */
	tui_input_start(&in, ":", "recall FLY-20");
	tui_input_key(&in, '\t', NULL, complete_teams, NULL);
	assert_string_equal(in.buf, "recall FLY-20 ");
	assert_string_equal(in.listed, "");
}

/* A Tab that cannot add a letter lists what matches, as a shell's second
 * Tab does, until the next key; or says nothing matches. */
static void
test_tab_lists_candidates(void **state)
{
	struct tui_input in;
	(void)state;

	tui_input_start(&in, ":", "recall FLY-");
	tui_input_key(&in, '\t', NULL, complete_teams, NULL);
	assert_string_equal(in.buf, "recall FLY-");
	assert_string_equal(in.listed, "FLY-1  FLY-2  FLY-20");
	type(&in, "2");
	assert_string_equal(in.listed, "");
	tui_input_key(&in, '\t', NULL, complete_teams, NULL);
	assert_string_equal(in.listed, "FLY-2  FLY-20");
	tui_input_start(&in, ":", "recall X");
	tui_input_key(&in, '\t', NULL, complete_teams, NULL);
	assert_string_equal(in.buf, "recall X");
	assert_string_equal(in.listed, "nothing to complete here");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_editing_moves_by_characters),
		cmocka_unit_test(test_line_is_bounded),
		cmocka_unit_test(test_split_keeps_quoted_words),
		cmocka_unit_test(test_rest_of_line_kept_as_typed),
		cmocka_unit_test(test_rest_of_line_loses_enclosing_quotes),
		cmocka_unit_test(test_tab_lists_candidates),
		cmocka_unit_test(test_tab_completes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
