/* Settings from the command line and INI files (bus/base/bus-config.c), through
 * a table of our own: one row of each type, a command-line-only row, and
 * an extra section whose setter records what it is given. Files are real,
 * in a temporary directory; errors are read back as the user sees them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-config.h"

/* ------------------------------------------------------------------ */
/* The program under test: its settings and its table. */

struct settings {
	const char *label;    /* STRING   [main] */
	const char *hub;      /* ENDPOINT [net] */
	const char *mode;     /* CHOICE   [main] */
	int count;            /* INT      [main], 1..10 */
	uint64_t seed;        /* U64      [main] */
	int timeout;          /* SECONDS  [net], 0.1 s .. 60 s */
	int verbose;          /* BOOL     [main] */
	int demo;             /* BOOL, command line only */
};

static const char *const modes[] = { "fast", "safe", "slow", NULL };

#define SET(f) offsetof(struct settings, f)
static const struct bus_opt opts[] = {
	{ "label", "main", 0, BUS_OPT_STRING, SET(label), 0, 0, NULL, "TEXT", "a label" },
	{ "hub", "net", 0, BUS_OPT_ENDPOINT, SET(hub), 0, 0, NULL, "EP", "the hub" },
	{ "mode", "main", 0, BUS_OPT_CHOICE, SET(mode), 0, 0, modes, "MODE", "the mode" },
	{ "count", "main", 'c', BUS_OPT_INT, SET(count), 1, 10, NULL, "N", "how many" },
	{ "seed", "main", 0, BUS_OPT_U64, SET(seed), 0, 0, NULL, "N", "the seed" },
	{ "timeout", "net", 0, BUS_OPT_SECONDS, SET(timeout), 100, 60000, NULL, "SECONDS",
	  "how long" },
	{ "verbose", "main", 'v', BUS_OPT_BOOL, SET(verbose), 0, 0, NULL, NULL, "say more" },
	{ "demo", NULL, 0, BUS_OPT_BOOL, SET(demo), 0, 0, NULL, NULL, "a demo floor" },
};
#define NOPTS (sizeof opts / sizeof opts[0])

/* The extra section: every call recorded; the value "bad" refused. */
struct recorded {
	char key[8][32];
	char value[8][64];
	int n;
};

static int
record_set(void *arg, const char *key, const char *value, char **cause)
{
	struct recorded *r = arg;

	if (strcmp(value, "bad") == 0) {
		if (asprintf(cause, "%s cannot be bad", key) < 0)
			*cause = NULL;
		return -1;
	}
	if (r->n < 8) {
		snprintf(r->key[r->n], sizeof r->key[0], "%s", key);
		snprintf(r->value[r->n], sizeof r->value[0], "%s", value);
		r->n++;
	}
	return 0;
}

static const char *const ignored[] = { "other", NULL };

/* ------------------------------------------------------------------ */
/* The fixture: a temporary directory, fresh settings, fresh cli. */

struct fixture {
	char dir[64];
	char path[128];      /* the file load() writes */
	struct settings s;
	struct recorded rec;
	struct bus_config_section extra;
	struct bus_cli cli;
	char *err;           /* what the last load() wrote to its FILE */
	size_t errlen;
	char *captured;      /* what the last capture held (stdout or stderr) */
	int nfile;
};

static void
fresh(struct fixture *f)
{
	bus_cli_free(&f->cli);
	memset(&f->s, 0, sizeof f->s);
	f->s.count = 3;
	f->s.timeout = 1000;
	f->s.label = "default";
	memset(&f->rec, 0, sizeof f->rec);
	f->extra = (struct bus_config_section){ "keys", record_set, &f->rec };
	memset(&f->cli, 0, sizeof f->cli);
	f->cli.prog = "testprog";
	f->cli.synopsis = "Usage: testprog [OPTION]...\n";
	f->cli.opts = opts;
	f->cli.nopts = NOPTS;
	f->cli.settings = &f->s;
	f->cli.extra = &f->extra;
	f->cli.nextra = 1;
	f->cli.ignore = ignored;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/watchfloor-config-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	fresh(f);
	*state = f;
	return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);

	bus_cli_free(&f->cli);
	free(f->err);
	free(f->captured);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Write TEXT to a new file in the directory; its path is returned. */
static const char *
write_file(struct fixture *f, const char *text)
{
	FILE *fp;

	snprintf(f->path, sizeof f->path, "%s/conf-%d.ini", f->dir, ++f->nfile);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

/* Fresh settings, then TEXT loaded from a file: the number of errors,
 * their text in f->err. */
static int
load_path(struct fixture *f, const char *path, int must_exist)
{
	FILE *mem;
	int n;

	free(f->err);
	f->err = NULL;
	f->errlen = 0;
	mem = open_memstream(&f->err, &f->errlen);
	assert_non_null(mem);
	n = bus_config_load(&f->cli, path, must_exist, mem);
	assert_int_equal(fclose(mem), 0);
	return n;
}

static int
load(struct fixture *f, const char *text)
{
	fresh(f);
	return load_path(f, write_file(f, text), 1);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; s != NULL && *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* The error output has a line "PATH:LINE: ..." holding every one of the
 * NULL-terminated strings. */
static void
expect_error(const struct fixture *f, int line, ...)
{
	char prefix[192];
	const char *p, *want;
	va_list ap;

	snprintf(prefix, sizeof prefix, "%s:%d: ", f->path, line);
	for (p = f->err; p != NULL && *p != '\0'; p = strchr(p, '\n') + 1) {
		size_t len = strcspn(p, "\n");
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			continue;
		char *copy = strndup(p, len);
		va_start(ap, line);
		while ((want = va_arg(ap, const char *)) != NULL) {
			if (strstr(copy, want) == NULL) {
				va_end(ap);
				fail_msg("error line %d lacks \"%s\":\n%s", line, want, copy);
			}
		}
		va_end(ap);
		free(copy);
		return;
	}
	fail_msg("no error for %s; the errors were:\n%s", prefix, f->err ? f->err : "");
}

/* One file, exactly one error, on LINE, holding the strings. */
#define ONE_ERROR(f, text, line, ...) do {                                   \
	int n_ = load((f), (text));                                          \
	if (n_ != 1 || count_lines((f)->err) != 1)                           \
		fail_msg("expected one error, got %d:\n%s", n_, (f)->err);   \
	expect_error((f), (line), __VA_ARGS__, NULL);                        \
} while (0)

/* ------------------------------------------------------------------ */
/* Capturing what bus_cli_parse says on stdout and stderr. */

static int saved_fd = -1, captured_fd = -1;
static char capture_path[160];

static void
capture_begin(struct fixture *f, int fd)
{
	int out;

	fflush(stdout);
	fflush(stderr);
	snprintf(capture_path, sizeof capture_path, "%s/captured-%d", f->dir, ++f->nfile);
	out = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	saved_fd = dup(fd);
	assert_true(saved_fd >= 0);
	assert_true(dup2(out, fd) >= 0);
	close(out);
	captured_fd = fd;
}

/* Back to the real stream; what was written is in f->captured. */
static const char *
capture_end(struct fixture *f)
{
	FILE *fp;
	long n;

	fflush(stdout);
	fflush(stderr);
	dup2(saved_fd, captured_fd);
	close(saved_fd);
	saved_fd = -1;
	fp = fopen(capture_path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	free(f->captured);
	f->captured = calloc(1, (size_t)n + 1);
	assert_non_null(f->captured);
	assert_int_equal(fread(f->captured, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return f->captured;
}

/* bus_cli_parse on a fresh cli with its stderr captured. */
static int
parse_args(struct fixture *f, int argc, char **argv)
{
	int rc;

	capture_begin(f, 2);
	rc = bus_cli_parse(&f->cli, argc, argv);
	capture_end(f);
	return rc;
}

/* ------------------------------------------------------------------ */
/* A valid file. */

static void
test_valid_file_sets_every_type(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f,
	    "; the test program\n"
	    "# another comment\n"
	    "\n"
	    "[main]\n"
	    "label = the night shift\n"
	    "mode = safe\n"
	    "count = 7 ; inline comment\n"
	    "   ; an indented comment\n"
	    "seed = 18446744073709551615\n"
	    "verbose = yes\n"
	    "[net]\n"
	    "hub = tcp://hub.example:5555\n"
	    "timeout = 2.5\n"), 0);
	assert_string_equal(f->err, "");
	assert_string_equal(f->s.label, "the night shift");
	assert_string_equal(f->s.mode, "safe");
	assert_int_equal(f->s.count, 7);
	assert_true(f->s.seed == UINT64_MAX);
	assert_int_equal(f->s.verbose, 1);
	assert_string_equal(f->s.hub, "tcp://hub.example:5555");
	assert_int_equal(f->s.timeout, 2500);
	assert_int_equal(f->s.demo, 0);
	assert_string_equal(f->cli.config_path, f->path);
}

static void
test_settings_not_in_file_keep_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[main]\ncount = 4\n"), 0);
	assert_int_equal(f->s.count, 4);
	assert_string_equal(f->s.label, "default");
	assert_int_equal(f->s.timeout, 1000);
	assert_null(f->s.hub);
	/* An empty file, or comments only, changes nothing. */
	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->s.count, 3);
	assert_int_equal(load(f, "; nothing\n\n# here\n"), 0);
	assert_int_equal(f->s.count, 3);
}

static void
test_crlf_file(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[main]\r\ncount = 9\r\nmode = slow\r\n[net]\r\n"
	    "timeout = 3\r\n"), 0);
	assert_int_equal(f->s.count, 9);
	assert_string_equal(f->s.mode, "slow");
	assert_int_equal(f->s.timeout, 3000);
}

static void
test_bool_spellings(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *text; int value; } cases[] = {
		{ "yes", 1 }, { "YES", 1 }, { "Yes", 1 }, { "on", 1 }, { "ON", 1 },
		{ "true", 1 }, { "True", 1 }, { "1", 1 },
		{ "no", 0 }, { "NO", 0 }, { "off", 0 }, { "Off", 0 }, { "false", 0 },
		{ "FALSE", 0 }, { "0", 0 },
	};
	char text[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "[main]\nverbose = %s\n", cases[i].text);
		fresh(f);
		f->s.verbose = !cases[i].value; /* so that it must change */
		if (load_path(f, write_file(f, text), 1) != 0)
			fail_msg("verbose = %s: %s", cases[i].text, f->err);
		if (f->s.verbose != cases[i].value)
			fail_msg("verbose = %s gave %d", cases[i].text, f->s.verbose);
	}
}

static void
test_seconds(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[net]\ntimeout = 0.1\n"), 0);
	assert_int_equal(f->s.timeout, 100);
	assert_int_equal(load(f, "[net]\ntimeout = 60\n"), 0);
	assert_int_equal(f->s.timeout, 60000);
	assert_int_equal(load(f, "[net]\ntimeout = 1.25\n"), 0);
	assert_int_equal(f->s.timeout, 1250);
	ONE_ERROR(f, "[net]\ntimeout = 0.05\n", 2, "timeout", "seconds from 0.1 to 60",
	    "'0.05'");
	ONE_ERROR(f, "[net]\ntimeout = 61\n", 2, "timeout", "'61'");
	ONE_ERROR(f, "[net]\ntimeout = 2s\n", 2, "timeout", "'2s'");
	ONE_ERROR(f, "[net]\ntimeout = nan\n", 2, "timeout", "'nan'");
	ONE_ERROR(f, "[net]\ntimeout = inf\n", 2, "timeout", "'inf'");
	assert_int_equal(f->s.timeout, 1000);
}

static void
test_endpoints_accepted(void **state)
{
	struct fixture *f = *state;
	static const char *const good[] = {
		"tcp://127.0.0.1:5555", "tcp://*:5555", "tcp://hub:*", "tcp://[::1]:7000",
		"ipc:///run/watchfloor/hub", "inproc://hub",
	};
	char text[128];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(text, sizeof text, "[net]\nhub = %s\n", good[i]);
		fresh(f);
		if (load_path(f, write_file(f, text), 1) != 0)
			fail_msg("hub = %s: %s", good[i], f->err);
		assert_string_equal(f->s.hub, good[i]);
	}
}

static void
test_u64(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[main]\nseed = 0\n"), 0);
	assert_true(f->s.seed == 0);
	assert_int_equal(load(f, "[main]\nseed = 12345678901234\n"), 0);
	assert_true(f->s.seed == 12345678901234ull);
	ONE_ERROR(f, "[main]\nseed = -1\n", 2, "seed", "whole number", "'-1'");
	ONE_ERROR(f, "[main]\nseed = 18446744073709551616\n", 2, "seed",
	    "'18446744073709551616'");
	ONE_ERROR(f, "[main]\nseed = 12ab\n", 2, "seed", "'12ab'");
}

/* ------------------------------------------------------------------ */
/* Each kind of mistake: its line, the setting and the value. */

static void
test_unknown_key_lists_what_the_section_takes(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ncount = 2\ncolour = red\n", 3, "unknown key 'colour' in [main]",
	    "label, mode, count, seed, verbose");
	/* The good line around it still counts. */
	assert_int_equal(f->s.count, 2);
	ONE_ERROR(f, "[net]\nport = 1\n", 2, "unknown key 'port' in [net]", "hub, timeout");
}

static void
test_key_in_wrong_section(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\nhub = tcp://a:1\n", 2, "'hub' belongs in [net], not [main]");
	assert_null(f->s.hub);
	ONE_ERROR(f, "[net]\n\ncount = 4\n", 3, "'count' belongs in [main], not [net]");
	assert_int_equal(f->s.count, 3);
}

static void
test_unknown_section(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ncount = 2\n[nett]\nhub = tcp://a:1\n", 4,
	    "unknown section [nett]", "testprog takes", "[main]", "[net]", "[keys]");
	assert_null(f->s.hub);
}

static void
test_key_outside_any_section(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "; settings\ncount = 4\n[main]\n", 2, "'count' is outside any section",
	    "[main]", "[net]", "[keys]");
	assert_int_equal(f->s.count, 3);
}

static void
test_command_line_only_setting_is_not_in_files(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ndemo = yes\n", 2, "unknown key 'demo' in [main]");
	assert_int_equal(f->s.demo, 0);
}

static void
test_bad_int(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ncount = lots\n", 2, "count", "whole number from 1 to 10",
	    "'lots'");
	ONE_ERROR(f, "[main]\ncount = 11\n", 2, "count", "from 1 to 10", "'11'");
	ONE_ERROR(f, "[main]\ncount = 0\n", 2, "count", "'0'");
	ONE_ERROR(f, "[main]\ncount = -4\n", 2, "count", "'-4'");
	ONE_ERROR(f, "[main]\ncount = 5x\n", 2, "count", "'5x'");
	ONE_ERROR(f, "[main]\ncount = 99999999999999999999\n", 2, "count",
	    "'99999999999999999999'");
	assert_int_equal(f->s.count, 3);
	/* The limits themselves are in range. */
	assert_int_equal(load(f, "[main]\ncount = 1\n"), 0);
	assert_int_equal(f->s.count, 1);
	assert_int_equal(load(f, "[main]\ncount = 10\n"), 0);
	assert_int_equal(f->s.count, 10);
}

static void
test_bad_choice_lists_the_choices(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\nmode = quick\n", 2, "mode takes fast, safe or slow",
	    "'quick'");
	assert_null(f->s.mode);
	/* Choices are exact. */
	ONE_ERROR(f, "[main]\nmode = Fast\n", 2, "mode", "'Fast'");
}

static void
test_bad_endpoint(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[net]\nhub = tcp://hub.example\n", 2, "hub", "ZeroMQ endpoint",
	    "'tcp://hub.example'");
	ONE_ERROR(f, "[net]\nhub = tcp://hub.example:\n", 2, "hub", "'tcp://hub.example:'");
	ONE_ERROR(f, "[net]\nhub = tcp://hub:http\n", 2, "hub", "'tcp://hub:http'");
	ONE_ERROR(f, "[net]\nhub = udp://hub:5555\n", 2, "hub", "'udp://hub:5555'");
	ONE_ERROR(f, "[net]\nhub = hub:5555\n", 2, "hub", "'hub:5555'");
	ONE_ERROR(f, "[net]\nhub = ipc://\n", 2, "hub", "'ipc://'");
	assert_null(f->s.hub);
}

static void
test_bad_bool(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\nverbose = maybe\n", 2, "verbose takes yes or no", "'maybe'");
	ONE_ERROR(f, "[main]\nverbose = y\n", 2, "verbose", "'y'");
	ONE_ERROR(f, "[main]\nverbose = 2\n", 2, "verbose", "'2'");
	assert_int_equal(f->s.verbose, 0);
}

static void
test_empty_value(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\nlabel =\n", 2, "label needs a value");
	assert_string_equal(f->s.label, "default");
	ONE_ERROR(f, "[main]\ncount =   \n", 2, "count needs a value");
	ONE_ERROR(f, "[net]\nhub = ; no hub yet\n", 2, "hub needs a value");
	ONE_ERROR(f, "[main]\nverbose =\n", 2, "verbose");
}

static void
test_key_set_twice(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ncount = 4\nmode = fast\n\ncount = 5\n", 5,
	    "count is already set on line 2");
	/* The first stands. */
	assert_int_equal(f->s.count, 4);
	/* Even across two [main] sections. */
	ONE_ERROR(f, "[main]\ncount = 4\n[net]\nhub = tcp://a:1\n[main]\ncount = 4\n", 6,
	    "count is already set on line 2");
}

static void
test_line_without_equals(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ncount = 2\nverbose\n", 3, "expected NAME = VALUE");
	assert_int_equal(f->s.count, 2);
	assert_int_equal(f->s.verbose, 0);
}

static void
test_section_without_bracket(void **state)
{
	struct fixture *f = *state;

	ONE_ERROR(f, "[main]\ncount = 2\n[net\n", 3, "a section name needs its closing ']'");
	assert_int_equal(f->s.count, 2);
}

static void
test_indented_line_is_reported(void **state)
{
	struct fixture *f = *state;

	/* libinih would make label "first second"; it is refused instead. */
	ONE_ERROR(f, "[main]\nlabel = first\n  second\ncount = 4\n", 3, "");
	assert_string_equal(f->s.label, "first");
	assert_int_equal(f->s.count, 4);
	/* An indented setting after another one is the same mistake, and says so. */
	ONE_ERROR(f, "[main]\nlabel = first\n\tcount = 4\n", 3,
	    "an indented line continues the value of 'label' above it",
	    "remove the indentation");
	assert_string_equal(f->s.label, "first");
	assert_int_equal(f->s.count, 3);
}

static void
test_indented_line_with_comment_is_reported(void **state)
{
	struct fixture *f = *state;

	/* The same mistake with an inline comment after it. */
	ONE_ERROR(f, "[main]\nlabel = first\n  second ; see: above\n", 3,
	    "indented line continues the value of 'label'");
	assert_string_equal(f->s.label, "first");
	/* In the program's own section too: its setter never sees it. */
	ONE_ERROR(f, "[keys]\nup = k\n  j ; was: k\n", 3,
	    "indented line continues the value of 'up'");
	assert_int_equal(f->rec.n, 1);
	assert_string_equal(f->rec.value[0], "k");
}

static void
test_long_lines(void **state)
{
	struct fixture *f = *state;
	char text[2048], value[600];

	/* 198 characters is the most a line may have. */
	memset(value, 'x', 190);
	value[190] = '\0';
	snprintf(text, sizeof text, "[main]\nlabel = %s\n", value); /* 8 + 190 = 198 */
	assert_int_equal(load(f, text), 0);
	assert_int_equal(strlen(f->s.label), 190);

	/* One more is refused, and the lines after it keep their numbers. */
	value[190] = 'x';
	value[191] = '\0';
	snprintf(text, sizeof text, "[main]\nlabel = %s\ncount = 4\nmode = bad\n", value);
	assert_int_equal(load(f, text), 2);
	expect_error(f, 2, "line is longer than 198 characters", NULL);
	expect_error(f, 4, "mode", "'bad'", NULL);
	assert_int_equal(f->s.count, 4);
	assert_string_equal(f->s.label, "default");

	/* Far longer: once, not once per buffer's worth. */
	memset(value, 'y', 590);
	value[590] = '\0';
	snprintf(text, sizeof text, "[main]\nlabel = %s\ncount = 5\n", value);
	assert_int_equal(load(f, text), 1);
	expect_error(f, 2, "longer than 198", NULL);
	assert_int_equal(f->s.count, 5);

	/* A long comment is fine, and so is the line after it. */
	snprintf(text, sizeof text, "[main]\n; %s\n# %s\ncount = 6\nmode = x\n", value, value);
	assert_int_equal(load(f, text), 1);
	expect_error(f, 5, "mode", "'x'", NULL);
	assert_int_equal(f->s.count, 6);
}

static void
test_bom_is_accepted(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "\xEF\xBB\xBF[main]\ncount = 8\n"), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(f->s.count, 8);
	/* And the lines are still counted from the BOM's line. */
	ONE_ERROR(f, "\xEF\xBB\xBF[main]\ncount = 88\n", 2, "'88'");
}

/* A NUL byte does not hide the rest of its line, nor the line after it
 * (fgets() and strlen() would take the rest for a line of its own). */
static void
test_nul_byte(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "[main]\n; c\0x\ncount = 999\n";
	FILE *fp;

	fresh(f);
	snprintf(f->path, sizeof f->path, "%s/nul.ini", f->dir);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, sizeof text - 1, fp), sizeof text - 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(load_path(f, f->path, 1), 2);
	expect_error(f, 2, "NUL byte", NULL);
	expect_error(f, 3, "count", "'999'", NULL);
}

static void
test_every_error_is_reported(void **state)
{
	struct fixture *f = *state;
	int n = load(f,
	    "count = 1\n"                    /* 1: outside any section */
	    "[main]\n"                       /* 2 */
	    "count = eleven\n"               /* 3: bad int */
	    "mode = fast\n"                  /* 4: fine */
	    "colour = red\n"                 /* 5: unknown key */
	    "verbose\n"                      /* 6: no '=' */
	    "[net\n"                         /* 7: no ']' */
	    "hub = tcp://x\n"                /* 8: under the broken header: not checked */
	    "[net]\n"                        /* 9 */
	    "hub = tcp://x\n"                /* 10: no port */
	    "timeout = forever\n"            /* 11: bad seconds */
	    "[keys]\n"                       /* 12 */
	    "quit = bad\n"                   /* 13: the setter refuses */
	    "[main]\n"                       /* 14 */
	    "mode = fast\n"                  /* 15: already set */
	    "[elsewhere]\n"                  /* 16 */
	    "x = 1\n");                      /* 17: unknown section */

	assert_int_equal(n, 10);
	assert_int_equal(count_lines(f->err), 10);
	expect_error(f, 1, "outside any section", NULL);
	expect_error(f, 3, "count", "'eleven'", NULL);
	expect_error(f, 5, "unknown key 'colour'", NULL);
	expect_error(f, 6, "expected NAME = VALUE", NULL);
	expect_error(f, 7, "closing ']'", NULL);
	assert_null(strstr(f->err, ":8:")); /* no knock-on error from line 7 */
	expect_error(f, 10, "hub", "'tcp://x'", NULL);
	expect_error(f, 11, "timeout", "'forever'", NULL);
	expect_error(f, 13, "quit cannot be bad", NULL);
	expect_error(f, 15, "mode is already set on line 4", NULL);
	expect_error(f, 17, "unknown section [elsewhere]", NULL);
	assert_string_equal(f->s.mode, "fast");
}

/* ------------------------------------------------------------------ */
/* Missing files, other programs' sections, the program's own sections. */

static void
test_missing_file(void **state)
{
	struct fixture *f = *state;
	char path[160];

	snprintf(path, sizeof path, "%s/no-such.ini", f->dir);
	assert_int_equal(load_path(f, path, 0), 0);
	assert_string_equal(f->err, "");
	assert_null(f->cli.config_path);

	assert_int_equal(load_path(f, path, 1), 1);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "cannot read"));
	assert_non_null(strstr(f->err, "No such file"));
	assert_null(f->cli.config_path);
}

static void
test_ignored_sections_are_skipped(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[other]\nanything = at all\ncount = lots\n"
	    "[main]\ncount = 6\n[other]\nmore = 1\n"), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(f->s.count, 6);
	assert_int_equal(f->rec.n, 0);
}

static void
test_extra_section_gets_its_keys(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[keys]\ndispatch = D F5\nquit = q ; leave\n"
	    "[main]\ncount = 2\n[keys]\nhelp = ?\n"), 0);
	assert_int_equal(f->rec.n, 3);
	assert_string_equal(f->rec.key[0], "dispatch");
	assert_string_equal(f->rec.value[0], "D F5");
	assert_string_equal(f->rec.key[1], "quit");
	assert_string_equal(f->rec.value[1], "q");
	assert_string_equal(f->rec.key[2], "help");
	assert_string_equal(f->rec.value[2], "?");
	assert_int_equal(f->s.count, 2);

	/* Its errors are reported like the others, and loading goes on. */
	ONE_ERROR(f, "[keys]\nup = k\ndown = bad\nleft = h\n", 3, "down cannot be bad");
	assert_int_equal(f->rec.n, 2);
	assert_string_equal(f->rec.key[1], "left");
}

/* ------------------------------------------------------------------ */
/* The command line. */

static void
test_cli_flags_override_the_file(void **state)
{
	struct fixture *f = *state;
	const char *path = write_file(f, "[main]\ncount = 5\nmode = fast\n[net]\ntimeout = 4\n");
	char *argv[] = { "testprog", "--config", (char *)path, "--count", "7", NULL };

	assert_int_equal(parse_args(f, 5, argv), 5);
	assert_string_equal(f->captured, "");
	assert_int_equal(f->s.count, 7);
	/* What the flags did not set comes from the file. */
	assert_string_equal(f->s.mode, "fast");
	assert_int_equal(f->s.timeout, 4000);
	assert_string_equal(f->cli.config_path, path);
	assert_int_equal(f->cli.check_only, 0);

	/* Whatever the order of flag and file on the command line. */
	fresh(f);
	char *argv2[] = { "testprog", "-c", "8", "--timeout=0.5", "--config", (char *)path,
	    "--demo", "-v", "--label", "x y", "--hub", "ipc:///tmp/h", NULL };
	assert_int_equal(parse_args(f, 12, argv2), 12);
	assert_string_equal(f->captured, "");
	assert_int_equal(f->s.count, 8);
	assert_int_equal(f->s.timeout, 500);
	assert_int_equal(f->s.demo, 1);
	assert_int_equal(f->s.verbose, 1);
	assert_string_equal(f->s.label, "x y");
	assert_string_equal(f->s.hub, "ipc:///tmp/h");
	assert_string_equal(f->s.mode, "fast");
}

static void
test_cli_default_config(void **state)
{
	struct fixture *f = *state;
	char missing[160];
	const char *bad = write_file(f, "[main]\ncount = 99\n");
	char badpath[128];

	snprintf(badpath, sizeof badpath, "%s", bad);
	/* The default file is read when it exists... */
	const char *good = write_file(f, "[main]\ncount = 5\n");
	char *argv[] = { "testprog", NULL };
	f->cli.default_config = good;
	assert_int_equal(parse_args(f, 1, argv), 1);
	assert_int_equal(f->s.count, 5);
	assert_string_equal(f->cli.config_path, good);

	/* ...and ignored when it does not. */
	fresh(f);
	snprintf(missing, sizeof missing, "%s/none.ini", f->dir);
	f->cli.default_config = missing;
	assert_int_equal(parse_args(f, 1, argv), 1);
	assert_string_equal(f->captured, "");
	assert_int_equal(f->s.count, 3);
	assert_null(f->cli.config_path);

	/* --config FILE replaces it: the broken default is not read. */
	fresh(f);
	f->cli.default_config = badpath;
	char *argv2[] = { "testprog", "--config", (char *)good, NULL };
	assert_int_equal(parse_args(f, 3, argv2), 3);
	assert_string_equal(f->captured, "");
	assert_int_equal(f->s.count, 5);

	/* A broken default file stops the program, saying why. */
	fresh(f);
	f->cli.default_config = badpath;
	assert_int_equal(parse_args(f, 1, argv), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, badpath));
	assert_non_null(strstr(f->captured, ":2: count"));
	assert_non_null(strstr(f->captured, "testprog: 1 error in"));
}

static void
test_cli_config_errors_stop_the_program(void **state)
{
	struct fixture *f = *state;
	const char *path = write_file(f, "[main]\ncount = 0\nmode = no\n");
	char where[160];
	char *argv[] = { "testprog", "--config", (char *)path, NULL };

	assert_int_equal(parse_args(f, 3, argv), BUS_CLI_EXIT_USAGE);
	snprintf(where, sizeof where, "%s:2: count", path);
	assert_non_null(strstr(f->captured, where));
	snprintf(where, sizeof where, "%s:3: mode", path);
	assert_non_null(strstr(f->captured, where));
	assert_non_null(strstr(f->captured, "testprog: 2 errors in"));

	/* --config names a file that must exist. */
	fresh(f);
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none.ini", f->dir);
	char *argv2[] = { "testprog", "--config", missing, NULL };
	assert_int_equal(parse_args(f, 3, argv2), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "cannot read"));
}

static void
test_cli_bad_flag_value(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "testprog", "--count", "lots", NULL };

	assert_int_equal(parse_args(f, 3, argv), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "testprog: --count takes a whole number from 1 to 10, "
	    "not 'lots'"));
	assert_int_equal(f->s.count, 3);

	fresh(f);
	char *argv2[] = { "testprog", "--mode", "quick", NULL };
	assert_int_equal(parse_args(f, 3, argv2), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "fast, safe or slow"));

	fresh(f);
	char *argv3[] = { "testprog", "--hub", "tcp://nowhere", NULL };
	assert_int_equal(parse_args(f, 3, argv3), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "'tcp://nowhere'"));

	/* A flag that takes a value, without one. */
	fresh(f);
	char *argv4[] = { "testprog", "--count", NULL };
	assert_int_equal(parse_args(f, 2, argv4), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "--help"));
}

static void
test_cli_check_config(void **state)
{
	struct fixture *f = *state;
	const char *path = write_file(f, "[main]\ncount = 5\n");
	char *argv[] = { "testprog", "--check-config", "--config", (char *)path, NULL };

	assert_int_equal(parse_args(f, 4, argv), 4);
	assert_int_equal(f->cli.check_only, 1);
	assert_int_equal(f->s.count, 5);

	capture_begin(f, 1);
	int done = bus_cli_check_done(&f->cli);
	capture_end(f);
	assert_int_equal(done, 1);
	assert_non_null(strstr(f->captured, "testprog: settings are valid"));
	assert_non_null(strstr(f->captured, path));

	/* Without it, the program goes on. */
	fresh(f);
	char *argv2[] = { "testprog", NULL };
	assert_int_equal(parse_args(f, 1, argv2), 1);
	assert_int_equal(f->cli.check_only, 0);
	assert_int_equal(bus_cli_check_done(&f->cli), 0);
}

static void
test_cli_unknown_option(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "testprog", "--colour", "red", NULL };

	assert_int_equal(parse_args(f, 3, argv), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "Try 'testprog --help'"));

	fresh(f);
	char *argv2[] = { "testprog", "-z", NULL };
	assert_int_equal(parse_args(f, 2, argv2), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "Try 'testprog --help'"));

	/* A word where no command is expected. */
	fresh(f);
	char *argv3[] = { "testprog", "--count", "4", "extra", NULL };
	assert_int_equal(parse_args(f, 4, argv3), BUS_CLI_EXIT_USAGE);
	assert_non_null(strstr(f->captured, "unexpected argument 'extra'"));
}

static void
test_cli_stop_at_command(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "testprog", "--count", "4", "status", "--verbose", "ICS-1", NULL };

	f->cli.stop_at_command = 1;
	assert_int_equal(parse_args(f, 6, argv), 3);
	assert_string_equal(f->captured, "");
	assert_string_equal(argv[3], "status");
	assert_int_equal(f->s.count, 4);
	/* What follows the command is the command's. */
	assert_int_equal(f->s.verbose, 0);

	/* No command: argc. */
	fresh(f);
	f->cli.stop_at_command = 1;
	char *argv2[] = { "testprog", "-v", NULL };
	assert_int_equal(parse_args(f, 2, argv2), 2);
	assert_int_equal(f->s.verbose, 1);

	/* The command first. */
	fresh(f);
	f->cli.stop_at_command = 1;
	char *argv3[] = { "testprog", "list", "--count", "4", NULL };
	assert_int_equal(parse_args(f, 4, argv3), 1);
	assert_int_equal(f->s.count, 3);
}

static void
test_cli_parse_twice(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "testprog", "--count", "4", NULL };
	char *argv2[] = { "testprog", "--count", "6", "-v", NULL };

	/* getopt's state is reset by each call. */
	assert_int_equal(parse_args(f, 3, argv), 3);
	assert_int_equal(f->s.count, 4);
	fresh(f);
	assert_int_equal(parse_args(f, 4, argv2), 4);
	assert_int_equal(f->s.count, 6);
	assert_int_equal(f->s.verbose, 1);
}

static void
test_cli_help_works_with_a_broken_file(void **state)
{
	struct fixture *f = *state;
	const char *path = write_file(f, "[main]\ncount = 0\n");
	char *argv[] = { "testprog", "--config", (char *)path, "--help", NULL };
	int rc;

	capture_begin(f, 1);
	rc = bus_cli_parse(&f->cli, 4, argv);
	capture_end(f);
	assert_int_equal(rc, BUS_CLI_EXIT_OK);
	assert_non_null(strstr(f->captured, "Usage: testprog"));
	assert_non_null(strstr(f->captured, "-c, --count N"));
	assert_non_null(strstr(f->captured, "how many"));
	assert_non_null(strstr(f->captured, "--check-config"));
	assert_int_equal(f->s.count, 3);
}

/* ------------------------------------------------------------------ */
/* Where the default file is. */

static void
test_xdg_path(void **state)
{
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char *conf = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;
	char *p;
	(void)state;

	setenv("HOME", "/home/op", 1);
	setenv("XDG_CONFIG_HOME", "/etc/xdg-op", 1);
	p = bus_config_xdg_path("XDG_CONFIG_HOME", ".config", "watchfloor.conf");
	assert_string_equal(p, "/etc/xdg-op/watchfloor/watchfloor.conf");
	free(p);

	unsetenv("XDG_CONFIG_HOME");
	p = bus_config_xdg_path("XDG_CONFIG_HOME", ".config", "watchfloor.conf");
	assert_string_equal(p, "/home/op/.config/watchfloor/watchfloor.conf");
	free(p);

	setenv("XDG_CONFIG_HOME", "", 1);
	p = bus_config_xdg_path("XDG_CONFIG_HOME", ".config", "watchfloor.conf");
	assert_string_equal(p, "/home/op/.config/watchfloor/watchfloor.conf");
	free(p);

	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	p = bus_config_xdg_path("XDG_CONFIG_HOME", ".config", "watchfloor.conf");
	assert_string_equal(p, "/home/op/.config/watchfloor/watchfloor.conf");
	free(p);

	setenv("XDG_STATE_HOME", "/var/state", 1);
	p = bus_config_xdg_path("XDG_STATE_HOME", ".local/state", "watchd.db");
	assert_string_equal(p, "/var/state/watchfloor/watchd.db");
	free(p);

	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	if (conf != NULL)
		setenv("XDG_CONFIG_HOME", conf, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(home);
	free(conf);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_valid_file_sets_every_type),
		T(test_settings_not_in_file_keep_defaults),
		T(test_crlf_file),
		T(test_bool_spellings),
		T(test_seconds),
		T(test_endpoints_accepted),
		T(test_u64),
		T(test_unknown_key_lists_what_the_section_takes),
		T(test_key_in_wrong_section),
		T(test_unknown_section),
		T(test_key_outside_any_section),
		T(test_command_line_only_setting_is_not_in_files),
		T(test_bad_int),
		T(test_bad_choice_lists_the_choices),
		T(test_bad_endpoint),
		T(test_bad_bool),
		T(test_empty_value),
		T(test_key_set_twice),
		T(test_line_without_equals),
		T(test_section_without_bracket),
		T(test_indented_line_is_reported),
		T(test_indented_line_with_comment_is_reported),
		T(test_long_lines),
		T(test_bom_is_accepted),
		T(test_nul_byte),
		T(test_every_error_is_reported),
		T(test_missing_file),
		T(test_ignored_sections_are_skipped),
		T(test_extra_section_gets_its_keys),
		T(test_cli_flags_override_the_file),
		T(test_cli_default_config),
		T(test_cli_config_errors_stop_the_program),
		T(test_cli_bad_flag_value),
		T(test_cli_check_config),
		T(test_cli_unknown_option),
		T(test_cli_stop_at_command),
		T(test_cli_parse_twice),
		T(test_cli_help_works_with_a_broken_file),
		T(test_xdg_path),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
