/* The key map (tui/tui-keys.c): key names, the [keys] section's bindings,
 * the labels the help shows, and the docs that must list every action.
 * No terminal: only the curses key codes are used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-config.h"
#include "tui-keys.h"

#ifndef SOURCE_DIR
#error "SOURCE_DIR must name the source tree"
#endif

static int
setup(void **state)
{
	(void)state;
	tui_keys_reset();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tui_keys_reset();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers. */

/* Parse SPEC; it must give exactly the N codes that follow. */
static void
expect_parse(const char *spec, int n, ...)
{
	int codes[8] = { 0 };
	char *cause = NULL;
	int got = tui_keys_parse(spec, codes, 8, &cause);
	va_list ap;

	if (got < 0)
		fail_msg("'%s' refused: %s", spec, cause);
	assert_null(cause);
	if (got != n)
		fail_msg("'%s' gave %d codes, not %d", spec, got, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		int want = va_arg(ap, int);
		if (codes[i] != want) {
			va_end(ap);
			fail_msg("'%s': code %d is %d, not %d", spec, i, codes[i], want);
		}
	}
	va_end(ap);
}

/* Parse SPEC; it must be refused with a cause naming it. */
static void
expect_refused(const char *spec)
{
	int codes[8] = { -7, -7, -7 };
	char *cause = NULL;
	int got = tui_keys_parse(spec, codes, 8, &cause);

	if (got != -1)
		fail_msg("'%s' was taken: %d codes, the first %d", spec, got, codes[0]);
	assert_non_null(cause);
	if (*spec != '\0' && strstr(cause, spec) == NULL)
		fail_msg("the cause for '%s' does not name it: %s", spec, cause);
	assert_non_null(strstr(cause, "F1 to F12"));
	free(cause);
}

static const char *
label(const char *action)
{
	static char buf[128];

	tui_keys_label_of(action, buf, sizeof buf);
	return buf;
}

static const char *
name_of(int code)
{
	static char buf[32];

	tui_keys_name(code, buf, sizeof buf);
	return buf;
}

/* A binding that must be accepted. */
static void
bind_ok(const char *action, const char *keys)
{
	char *cause = NULL;

	if (tui_keys_bind(NULL, action, keys, &cause) != 0)
		fail_msg("%s = %s refused: %s", action, keys, cause);
	assert_null(cause);
}

/* A binding that must be refused; its cause is returned (to free). */
static char *
bind_refused(const char *action, const char *keys)
{
	char *cause = NULL;

	if (tui_keys_bind(NULL, action, keys, &cause) != -1)
		fail_msg("%s = %s was accepted", action, keys);
	assert_non_null(cause);
	return cause;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* ------------------------------------------------------------------ */
/* Key names to codes. */

static void
test_parse_characters_case_sensitive(void **state)
{
	(void)state;
	expect_parse("g", 1, 'g');
	expect_parse("G", 1, 'G');
	expect_parse("d", 1, 'd');
	expect_parse("?", 1, '?');
	expect_parse("/", 1, '/');
	expect_parse(":", 1, ':');
	expect_parse("1", 1, '1');
	expect_parse("~", 1, '~');
	/* Single letters are characters, not the start of a name. */
	expect_parse("F", 1, 'F');
	expect_parse("C", 1, 'C');
}

static void
test_parse_control_keys(void **state)
{
	(void)state;
	expect_parse("C-l", 1, 12);
	expect_parse("C-a", 1, 1);
	expect_parse("C-b", 1, 2);
	expect_parse("C-f", 1, 6);
	expect_parse("C-z", 1, 26);
	expect_refused("C-");
	expect_refused("C-1");
	expect_refused("C-ll");
}

static void
test_parse_function_keys(void **state)
{
	(void)state;
	expect_parse("F1", 1, KEY_F(1));
	expect_parse("F5", 1, KEY_F(5));
	expect_parse("F12", 1, KEY_F(12));
	expect_parse("f5", 1, KEY_F(5));
	expect_refused("F13");
	expect_refused("F0");
	expect_refused("F100");
}

static void
test_parse_names_case_insensitive(void **state)
{
	(void)state;
	/* Enter is what terminals send for it, all three. */
	expect_parse("Enter", 3, '\n', '\r', KEY_ENTER);
	expect_parse("enter", 3, '\n', '\r', KEY_ENTER);
	expect_parse("ENTER", 3, '\n', '\r', KEY_ENTER);
	expect_parse("Return", 3, '\n', '\r', KEY_ENTER);
	expect_parse("PgDn", 1, KEY_NPAGE);
	expect_parse("pgdn", 1, KEY_NPAGE);
	expect_parse("PageDown", 1, KEY_NPAGE);
	expect_parse("PgUp", 1, KEY_PPAGE);
	expect_parse("Tab", 1, '\t');
	expect_parse("S-Tab", 1, KEY_BTAB);
	expect_parse("Esc", 1, 27);
	expect_parse("escape", 1, 27);
	expect_parse("Space", 1, ' ');
	expect_parse("Up", 1, KEY_UP);
	expect_parse("down", 1, KEY_DOWN);
	expect_parse("Left", 1, KEY_LEFT);
	expect_parse("Right", 1, KEY_RIGHT);
	expect_parse("Home", 1, KEY_HOME);
	expect_parse("End", 1, KEY_END);
	expect_parse("Delete", 1, KEY_DC);
	expect_parse("Insert", 1, KEY_IC);
	expect_parse("Backspace", 3, KEY_BACKSPACE, 0x7f, 0x08);
	expect_parse("Comma", 1, ',');
	expect_parse("Semicolon", 1, ';');
	expect_parse("Hash", 1, '#');
}

static void
test_parse_unknown_names_refused(void **state)
{
	(void)state;
	expect_refused("Ctrl-L");
	expect_refused("PageDn");
	expect_refused("dd");
	expect_refused("Entr");
	expect_refused("é");
	expect_refused("");
}

/* ------------------------------------------------------------------ */
/* Codes to names. */

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(name_of('g'), "g");
	assert_string_equal(name_of('G'), "G");
	assert_string_equal(name_of(12), "C-l");
	assert_string_equal(name_of(2), "C-b");
	assert_string_equal(name_of(KEY_F(5)), "F5");
	assert_string_equal(name_of(KEY_F(12)), "F12");
	assert_string_equal(name_of('\n'), "Enter");
	assert_string_equal(name_of('\r'), "Enter");
	assert_string_equal(name_of(KEY_ENTER), "Enter");
	assert_string_equal(name_of(KEY_NPAGE), "PgDn");
	assert_string_equal(name_of(KEY_PPAGE), "PgUp");
	assert_string_equal(name_of(27), "Esc");
	assert_string_equal(name_of(' '), "Space");
	assert_string_equal(name_of('\t'), "Tab");
	assert_string_equal(name_of(KEY_BTAB), "S-Tab");
	assert_string_equal(name_of(KEY_DOWN), "Down");
	assert_string_equal(name_of(0x7f), "Backspace");
}

/* Every code of every default key has a name that parses back to it. */
static void
test_name_round_trip_for_defaults(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	int checked = 0;
	(void)state;

	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		char copy[128], *save = NULL;
		snprintf(copy, sizeof copy, "%s", t[i].keys);
		for (char *w = strtok_r(copy, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save)) {
			int codes[3], back[3];
			char *cause = NULL;
			int nc = tui_keys_parse(w, codes, 3, &cause);
			if (nc < 1)
				fail_msg("%s's default key '%s' does not parse: %s", t[i].name, w,
				    cause);
			for (int k = 0; k < nc; k++) {
				const char *name = name_of(codes[k]);
				int nb = tui_keys_parse(name, back, 3, &cause);
				int found = 0;
				for (int b = 0; b < nb; b++)
					found |= back[b] == codes[k];
				if (!found)
					fail_msg("%s: code %d is named '%s', which parses to %d codes "
					    "without it", t[i].name, codes[k], name, nb);
				checked++;
			}
		}
	}
	assert_true(checked >= (int)n);
}

/* ------------------------------------------------------------------ */
/* Labels and the default table. */

static void
test_default_labels(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	char buf[64];
	(void)state;

	assert_string_equal(label("down"), "j/Down");
	assert_string_equal(label("up"), "k/Up");
	assert_string_equal(label("dispatch"), "d");
	assert_string_equal(label("help"), "?/F1");
	assert_string_equal(label("redraw"), "C-l");
	assert_string_equal(label("page-down"), "PgDn/C-f");
	assert_string_equal(label("next-panel"), "Tab");
	/* Enter's three codes are one key. */
	assert_string_equal(label("detail"), "Enter");
	assert_string_equal(label("no-such-action"), "-");
	/* Every action has a name, a help line and a default key. */
	for (size_t i = 0; i < n; i++) {
		assert_non_null(t[i].name);
		assert_non_null(t[i].help);
		assert_non_null(t[i].fn);
		tui_keys_label(&t[i], buf, sizeof buf);
		if (strcmp(buf, "-") == 0)
			fail_msg("%s has no default key", t[i].name);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(t[i].name, t[j].name) == 0)
				fail_msg("two actions are called %s", t[i].name);
		}
	}
}

static void
test_label_truncates_safely(void **state)
{
	char buf[4];
	(void)state;

	bind_ok("dispatch", "D F5 F6 F7");
	tui_keys_label_of("dispatch", buf, sizeof buf);
	assert_string_equal(buf, "D/F");
}

/* The defaults themselves: no key means two things where both apply. */
static void
test_defaults_do_not_collide(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	(void)state;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			int a[8], b[8], na = 0, nb = 0;
			char ci[128], cj[128], *save = NULL, *cause = NULL;
			snprintf(ci, sizeof ci, "%s", t[i].keys);
			snprintf(cj, sizeof cj, "%s", t[j].keys);
			for (char *w = strtok_r(ci, " ", &save); w; w = strtok_r(NULL, " ", &save))
				na += tui_keys_parse(w, a + na, 8 - na, &cause);
			for (char *w = strtok_r(cj, " ", &save); w; w = strtok_r(NULL, " ", &save))
				nb += tui_keys_parse(w, b + nb, 8 - nb, &cause);
			int overlap = t[i].where == KEYS_ANY || t[j].where == KEYS_ANY ||
			    (t[i].where & t[j].where) != 0;
			for (int x = 0; overlap && x < na; x++) {
				for (int y = 0; y < nb; y++) {
					if (a[x] == b[y])
						fail_msg("%s and %s both have %s", t[i].name, t[j].name,
						    name_of(a[x]));
				}
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Binding in [keys]. */

static void
test_rebind_changes_the_label(void **state)
{
	(void)state;
	bind_ok("dispatch", "D F5");
	assert_string_equal(label("dispatch"), "D/F5");
	/* Separated by commas too, and names in any case. */
	bind_ok("down", "j, pgdn");
	assert_string_equal(label("down"), "j/PgDn");
	/* PgDn was page-down's: it has C-f left. */
	assert_string_equal(label("page-down"), "C-f");
	/* The others are untouched. */
	assert_string_equal(label("recall"), "r");
	assert_string_equal(label("up"), "k/Up");
}

static void
test_bound_key_is_taken_from_its_default_action(void **state)
{
	(void)state;
	bind_ok("ack", "d");
	assert_string_equal(label("ack"), "d");
	assert_string_equal(label("dispatch"), "-");
	/* Only that key: help keeps F1 when ? goes. */
	bind_ok("filter", "?");
	assert_string_equal(label("help"), "F1");
	assert_string_equal(label("filter"), "?");
	/* x is no longer ack's, but nobody took it. */
	assert_string_equal(label("close"), "c");
}

static void
test_taken_key_can_be_given_back_elsewhere(void **state)
{
	(void)state;
	/* ack takes d; dispatch gets keys of its own. */
	bind_ok("ack", "d");
	bind_ok("dispatch", "D");
	assert_string_equal(label("ack"), "d");
	assert_string_equal(label("dispatch"), "D");
	/* And the other order. */
	tui_keys_reset();
	bind_ok("dispatch", "D");
	bind_ok("ack", "d");
	assert_string_equal(label("ack"), "d");
	assert_string_equal(label("dispatch"), "D");
}

static void
test_same_key_twice_in_keys_is_an_error(void **state)
{
	char *cause;
	(void)state;

	bind_ok("dispatch", "D F5");
	cause = bind_refused("ack", "x F5");
	assert_contains(cause, "F5");
	assert_contains(cause, "already bound to dispatch");
	free(cause);
	/* dispatch keeps its keys. */
	assert_string_equal(label("dispatch"), "D/F5");
	/* A named key is named the way the help shows it. */
	bind_ok("detail", "Return");
	cause = bind_refused("note", "enter");
	assert_contains(cause, "Enter is already bound to detail");
	free(cause);
	assert_string_equal(label("detail"), "Enter");
}

static void
test_failed_binding_changes_nothing(void **state)
{
	char *cause;
	(void)state;

	bind_ok("dispatch", "D");
	cause = bind_refused("ack", "D");
	free(cause);
	assert_string_equal(label("ack"), "x");
	assert_string_equal(label("dispatch"), "D");
	/* A bad key name: the action keeps its defaults. */
	cause = bind_refused("recall", "R Nope");
	assert_contains(cause, "Nope");
	free(cause);
	assert_string_equal(label("recall"), "r");
}

static void
test_action_bound_twice_is_an_error(void **state)
{
	char *cause;
	(void)state;

	bind_ok("quit", "Q");
	cause = bind_refused("quit", "q");
	assert_contains(cause, "quit is bound twice");
	free(cause);
	assert_string_equal(label("quit"), "Q");
	/* "none" counts as a binding. */
	bind_ok("level", "none");
	cause = bind_refused("level", "L");
	assert_contains(cause, "level");
	free(cause);
	assert_string_equal(label("level"), "-");
}

static void
test_unknown_action_lists_the_actions(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	char *cause;
	(void)state;

	cause = bind_refused("dispach", "d");
	assert_contains(cause, "'dispach'");
	for (size_t i = 0; i < n; i++)
		assert_contains(cause, t[i].name);
	free(cause);
	/* Action names are exact. */
	free(bind_refused("Dispatch", "d"));
	assert_string_equal(label("dispatch"), "d");
}

static void
test_none_leaves_the_action_without_keys(void **state)
{
	(void)state;
	bind_ok("quit", "none");
	assert_string_equal(label("quit"), "-");
	bind_ok("close", "NONE");
	assert_string_equal(label("close"), "-");
	/* Its keys are free: another action may take them without error. */
	bind_ok("note", "q c");
	assert_string_equal(label("note"), "q/c");
}

static void
test_bad_key_lists(void **state)
{
	char *cause;
	(void)state;

	/* Eight codes at most: eight keys are fine, nine are not. */
	bind_ok("dispatch", "D F2 F3 F4 F5 F6 F7 F8");
	assert_string_equal(label("dispatch"), "D/F2/F3/F4/F5/F6/F7/F8");
	cause = bind_refused("recall", "R F9 F10 F11 F12 C-a C-e C-g C-o");
	assert_contains(cause, "at most 8");
	free(cause);
	assert_string_equal(label("recall"), "r");
	/* Enter counts as its three codes. */
	cause = bind_refused("detail", "Enter Return Enter");
	assert_contains(cause, "at most 8");
	free(cause);
	/* Nothing at all. */
	cause = bind_refused("status", "");
	assert_contains(cause, "none");
	free(cause);
	cause = bind_refused("status", " , ");
	free(cause);
	cause = bind_refused("status", "s F13");
	assert_contains(cause, "F13");
	free(cause);
	assert_string_equal(label("status"), "s");
}

/* [keys] lines read through the real config reader, as watchfloor does:
 * the number of errors, their text in *errors (to free). */
static int
load_keys(const char *keys_section, char **errors)
{
	char path[] = "/tmp/watchfloor-keys-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp, *err;
	size_t len = 0;
	char dummy = 0;
	const struct bus_config_section keys = { "keys", tui_keys_bind, NULL };
	struct bus_cli cli;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fprintf(fp, "[keys]\n%s", keys_section);
	fclose(fp);
	memset(&cli, 0, sizeof cli);
	cli.prog = "test";
	cli.settings = &dummy;
	cli.extra = &keys;
	cli.nextra = 1;
	err = open_memstream(errors, &len);
	assert_non_null(err);
	int n = bus_config_load(&cli, path, 1, err);
	fclose(err);
	unlink(path);
	bus_cli_free(&cli);
	return n;
}

static void
test_keys_section_through_the_config_reader(void **state)
{
	char *errors = NULL;
	(void)state;

	assert_int_equal(load_keys("dispatch = D F5 ; the old d goes to ack\nack = d\n"
	    "quit = none\n", &errors), 0);
	assert_string_equal(errors, "");
	free(errors);
	assert_string_equal(label("dispatch"), "D/F5");
	assert_string_equal(label("ack"), "d");
	assert_string_equal(label("quit"), "-");

	tui_keys_reset();
	assert_int_equal(load_keys("dispatch = D\nack = D\nnope = x\ndispatch = d\n",
	    &errors), 3);
	assert_contains(errors, ":3: D is already bound to dispatch");
	assert_contains(errors, ":4: no action 'nope'");
	assert_contains(errors, ":5: dispatch is bound twice");
	free(errors);
}

/* What the help shows for a key can be written back into watchfloor.conf:
 * bind it, take its label, and give the label to [keys] again. */
static void
test_label_can_be_written_back(void **state)
{
	static const char *const keys[] = { "Comma", "Semicolon", "Hash", "Space", "C-l",
		"PgDn", "S-Tab", "Backspace", "Enter", "Esc", "F5" };
	char shown[64], again[64], line[96], report[1024] = "";
	(void)state;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *errors = NULL;
		tui_keys_reset();
		bind_ok("level", keys[i]);
		tui_keys_label_of("level", shown, sizeof shown);
		tui_keys_reset();
		snprintf(line, sizeof line, "level = %s\n", shown);
		int n = load_keys(line, &errors);
		tui_keys_label_of("level", again, sizeof again);
		if (n != 0 || strcmp(again, shown) != 0) {
			size_t used = strlen(report);
			snprintf(report + used, sizeof report - used,
			    "  level = %s shows as '%s'; [keys] level = %s gives '%s'%s%s",
			    keys[i], shown, shown, again, n ? ": " : "\n", n ? errors : "");
		}
		free(errors);
	}
	if (report[0] != '\0')
		fail_msg("labels that cannot be written back:\n%s", report);
}

static void
test_reset_restores_defaults(void **state)
{
	(void)state;
	bind_ok("ack", "d");
	bind_ok("quit", "none");
	bind_ok("down", "J");
	tui_keys_reset();
	assert_string_equal(label("dispatch"), "d");
	assert_string_equal(label("ack"), "x");
	assert_string_equal(label("quit"), "q");
	assert_string_equal(label("down"), "j/Down");
	/* And every action may be bound again. */
	bind_ok("quit", "Q");
	assert_string_equal(label("quit"), "Q");
}

/* ------------------------------------------------------------------ */
/* The docs name every action. */

static char *
slurp(const char *rel)
{
	char path[512];
	FILE *fp;
	long n;
	char *text;

	snprintf(path, sizeof path, "%s/%s", SOURCE_DIR, rel);
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("cannot read %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return text;
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

/* WORD appears in TEXT as a whole word (a '-' before it is part of a word,
 * and so is "\-" after it). */
static int
has_word(const char *text, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
		if (p > text && word_char(p[-1]))
			continue;
		if (word_char(p[len]) || (p[len] == '\\' && p[len + 1] == '-'))
			continue;
		return 1;
	}
	return 0;
}

static void
test_man_page_lists_every_action(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	char *man = slurp("docs/man/watchfloor.1");
	(void)state;

	for (size_t i = 0; i < n; i++) {
		char troff[64];
		size_t k = 0;
		for (const char *s = t[i].name; *s != '\0' && k + 3 < sizeof troff; s++) {
			if (*s == '-')
				troff[k++] = '\\';
			troff[k++] = *s;
		}
		troff[k] = '\0';
		if (!has_word(man, troff))
			fail_msg("docs/man/watchfloor.1 does not mention the action %s (as %s)",
			    t[i].name, troff);
	}
	free(man);
}

static void
test_example_config_lists_every_action(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	char *conf = slurp("docs/config/watchfloor.conf");
	(void)state;

	/* Each as a key of [keys], set or commented out: "ACTION =" at the
	 * start of a line, after any "; " or "# ". */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i].name);
		int found = 0;
		for (const char *line = conf; line != NULL && !found;) {
			const char *p = line;
			while (*p == ';' || *p == '#' || *p == ' ' || *p == '\t')
				p++;
			if (strncmp(p, t[i].name, len) == 0) {
				p += len;
				while (*p == ' ' || *p == '\t')
					p++;
				found = *p == '=';
			}
			line = strchr(line, '\n');
			if (line != NULL)
				line++;
		}
		if (!found)
			fail_msg("docs/config/watchfloor.conf has no line '%s = ...'", t[i].name);
	}
	free(conf);
}

/* The example file says every value in it is the default: its [keys],
 * read as watchfloor reads it, changes no label. */
static void
test_example_config_keys_are_the_defaults(void **state)
{
	size_t n;
	const struct tui_key_action *t = tui_keys_table(&n);
	char *conf = slurp("docs/config/watchfloor.conf");
	char *keys = strstr(conf, "\n[keys]\n"), *end, *errors = NULL;
	char (*before)[64] = calloc(n, sizeof *before);
	(void)state;

	if (keys == NULL)
		fail_msg("docs/config/watchfloor.conf has no [keys] section");
	keys += strlen("\n[keys]\n");
	end = strstr(keys, "\n[");
	if (end != NULL)
		end[1] = '\0';
	for (size_t i = 0; i < n; i++)
		tui_keys_label(&t[i], before[i], sizeof before[i]);
	if (load_keys(keys, &errors) != 0)
		fail_msg("its [keys] is refused:\n%s", errors);
	free(errors);
	for (size_t i = 0; i < n; i++) {
		char after[64];
		tui_keys_label(&t[i], after, sizeof after);
		if (strcmp(after, before[i]) != 0)
			fail_msg("its %s is %s; the default is %s", t[i].name, after, before[i]);
	}
	free(before);
	free(conf);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_parse_characters_case_sensitive),
		T(test_parse_control_keys),
		T(test_parse_function_keys),
		T(test_parse_names_case_insensitive),
		T(test_parse_unknown_names_refused),
		T(test_names),
		T(test_name_round_trip_for_defaults),
		T(test_default_labels),
		T(test_label_truncates_safely),
		T(test_defaults_do_not_collide),
		T(test_rebind_changes_the_label),
		T(test_bound_key_is_taken_from_its_default_action),
		T(test_taken_key_can_be_given_back_elsewhere),
		T(test_same_key_twice_in_keys_is_an_error),
		T(test_failed_binding_changes_nothing),
		T(test_action_bound_twice_is_an_error),
		T(test_unknown_action_lists_the_actions),
		T(test_none_leaves_the_action_without_keys),
		T(test_bad_key_lists),
		T(test_keys_section_through_the_config_reader),
		T(test_label_can_be_written_back),
		T(test_reset_restores_defaults),
		T(test_man_page_lists_every_action),
		T(test_example_config_lists_every_action),
		T(test_example_config_keys_are_the_defaults),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
