/*
 * The end-to-end harness (tests/support/test-term.c) tried on real
 * programs: sh's printf, tput, clear, stty, od, cat. What it reads back
 * (text, double-width characters, attributes, colours, the cursor, the
 * alternate screen), what it sends (bytes, keys in the program's cursor
 * mode, answers to the program's queries), resizing, exit statuses and
 * signals, the escape-sequence audit, byte accounting and the raw log, and
 * that a wait which cannot succeed fails, with the screen printed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-term.h"

#define WAIT TEST_TERM_WAIT_MS

/* SCRIPT under /bin/sh -c in a ROWS x COLS terminal that *STATE owns, so
 * the teardown frees it whichever way the test ends. */
static struct test_term *
start_env(void **state, int rows, int cols, const char *script,
    const char *const *env)
{
	struct test_term *t = test_term_spawn_sh(rows, cols, script, env);

	if (t == NULL)
		fail_msg("cannot start: %s", script);
	*state = t;
	return t;
}

static struct test_term *
start(void **state, const char *script)
{
	return start_env(state, 24, 80, script, NULL);
}

#define EXPECT(t, text)                                                       \
	do {                                                                  \
		if (test_term_expect((t), (text), WAIT) != 0)                 \
			fail_msg("the screen never showed \"%s\"", (text));   \
	} while (0)

/* The program's exit status; it must exit, and normally. One that is
 * still writing gets another WAIT: pushing megabytes through a pty and
 * libvterm takes longer than WAIT on a loaded machine under ASan. */
static int
exit_status(struct test_term *t)
{
	uint64_t seen;
	int st;

	do {
		seen = test_term_bytes(t);
		st = test_term_wait(t, WAIT);
	} while (st == -1 && test_term_bytes(t) > seen);
	if (st == -1)
		fail_msg("the program did not exit within %d ms", WAIT);
	if (!WIFEXITED(st))
		fail_msg("the program did not exit normally: wait status %#x", st);
	return WEXITSTATUS(st);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* stderr into a temporary file, for the failure reports the harness
 * prints; capture_end() restores it and returns what was written (the
 * caller frees), after echoing it so the test log shows the format. */
struct capture {
	FILE *f;
	int saved;
};

static void
capture_begin(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), 2) == 2);
}

static char *
capture_end(struct capture *c)
{
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	long n = ftell(c->f);
	char *s = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(c->f);
	if (n > 0 && fread(s, 1, (size_t)n, c->f) != (size_t)n)
		s[0] = '\0';
	fclose(c->f);
	fprintf(stderr, "---- captured (an expected failure report) ----\n%s"
	    "---- end of capture ----\n", s);
	return s;
}

/* Text, and Japanese that takes two cells a character, read back by row,
 * by cell and by position, with no spurious space for the empty half. */
static void
test_text_and_wide_characters(void **state)
{
	struct test_term *t = start(state,
	    "printf 'hello, world\\n日本語|x\\ne\\314\\201!\\n'");
	struct test_term_cell c;
	int row, col;

	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "hello, world");
	assert_string_equal(test_term_row(t, 1), "日本語|x");
	assert_string_equal(test_term_row(t, 2), "e\xcc\x81!");
	assert_string_equal(test_term_row(t, 3), "");
	assert_string_equal(test_term_row(t, 99), "");

	assert_int_equal(test_term_find(t, "語", &row, &col), 0);
	assert_int_equal(row, 1);
	assert_int_equal(col, 4);
	assert_int_equal(test_term_find(t, "|x", &row, &col), 0);
	assert_int_equal(col, 6);
	assert_int_equal(test_term_find(t, "!", &row, &col), 0);
	assert_int_equal(row, 2);
	assert_int_equal(col, 1); /* the combining accent takes no cell */
	assert_int_equal(test_term_find(t, "world ", NULL, NULL), 0);
	assert_int_equal(test_term_find(t, "absent", &row, &col), -1);

	assert_int_equal(test_term_cell(t, 1, 0, &c), 0);
	assert_string_equal(c.text, "日");
	assert_int_equal(c.width, 2);
	assert_int_equal(test_term_cell(t, 1, 1, &c), 0);
	assert_string_equal(c.text, "");
	assert_int_equal(c.width, 0);
	assert_int_equal(test_term_cell(t, 1, 6, &c), 0);
	assert_string_equal(c.text, "|");
	assert_int_equal(c.width, 1);
	assert_int_equal(test_term_cell(t, 1, 8, &c), 0);
	assert_string_equal(c.text, " ");
	assert_int_equal(test_term_cell(t, 24, 0, &c), -1);
	assert_int_equal(test_term_cell(t, 0, 80, &c), -1);

	const char *text = test_term_text(t);
	const char *want = "hello, world\n日本語|x\ne\xcc\x81!\n\n";
	assert_memory_equal(text, want, strlen(want));
	int newlines = 0;
	for (const char *p = text; *p != '\0'; p++)
		newlines += *p == '\n';
	assert_int_equal(newlines, 23);

	test_term_cursor(t, &row, &col);
	assert_int_equal(row, 3);
	assert_int_equal(col, 0);
}

/* SGR: bold, reverse, italic, underline; palette, 256 and direct colours. */
static void
test_attributes_and_colours(void **state)
{
	struct test_term *t = start(state,
	    "printf '\\033[1;31mB\\033[0;7mR\\033[38;5;200mI"
	    "\\033[0;38;2;10;20;30;48;5;4mT\\033[0m N\\033[3;4mU\\033[0m'");
	struct test_term_cell c;

	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "BRIT NU");

	assert_int_equal(test_term_cell(t, 0, 0, &c), 0);
	assert_string_equal(c.text, "B");
	assert_true(c.bold);
	assert_false(c.reverse);
	assert_false(c.fg.is_default);
	assert_int_equal(c.fg.index, 1);
	assert_true(c.bg.is_default);
	assert_int_equal(c.bg.index, -1);

	assert_int_equal(test_term_cell(t, 0, 1, &c), 0);
	assert_false(c.bold);
	assert_true(c.reverse);
	assert_true(c.fg.is_default);

	assert_int_equal(test_term_cell(t, 0, 2, &c), 0);
	assert_true(c.reverse);
	assert_int_equal(c.fg.index, 200);
	/* 200 = 16 + 36*5 + 0*6 + 4. libvterm's cube steps by 0x33, so this
	 * is (0xff, 0x00, 0xcc) where xterm has (0xff, 0x00, 0xd7): assert
	 * palette colours by index. */
	assert_int_equal(c.fg.red, 0xff);
	assert_int_equal(c.fg.green, 0x00);
	assert_int_equal(c.fg.blue, 0xcc);

	assert_int_equal(test_term_cell(t, 0, 3, &c), 0);
	assert_false(c.reverse);
	assert_false(c.fg.is_default);
	assert_int_equal(c.fg.index, -1);
	assert_int_equal(c.fg.red, 10);
	assert_int_equal(c.fg.green, 20);
	assert_int_equal(c.fg.blue, 30);
	assert_int_equal(c.bg.index, 4);

	assert_int_equal(test_term_cell(t, 0, 5, &c), 0);
	assert_string_equal(c.text, "N");
	assert_true(c.fg.is_default);
	assert_true(c.bg.is_default);
	assert_false(c.bold || c.reverse || c.italic || c.underline);

	assert_int_equal(test_term_cell(t, 0, 6, &c), 0);
	assert_true(c.italic);
	assert_int_equal(c.underline, 1);
}

/* Cursor addressing and erasing, written by hand. */
static void
test_cursor_movement_and_clear(void **state)
{
	struct test_term *t = start(state,
	    "printf 'old text'; printf '\\033[2J\\033[5;10HX\\033[3;1Hthree'");
	int row, col;

	EXPECT(t, "three");
	assert_int_equal(test_term_expect_gone(t, "old text", WAIT), 0);
	assert_int_equal(test_term_find(t, "X", &row, &col), 0);
	assert_int_equal(row, 4);
	assert_int_equal(col, 9);
	assert_int_equal(exit_status(t), 0);
	test_term_cursor(t, &row, &col);
	assert_int_equal(row, 2);
	assert_int_equal(col, 5);
}

static int
cursor_hidden(struct test_term *t, void *arg)
{
	(void)arg;
	return !test_term_cursor_visible(t);
}

/* terminfo through tput and clear (ncurses), as the console will use it;
 * none of it is an OSC. */
static void
test_tput_and_clear(void **state)
{
	struct test_term *t = start(state,
	    "printf before; clear; tput cup 5 10; printf X; tput civis; read x; "
	    "tput cnorm");
	struct test_term_cell c;
	int row, col;

	EXPECT(t, "X");
	assert_int_equal(test_term_expect_gone(t, "before", WAIT), 0);
	assert_int_equal(test_term_find(t, "X", &row, &col), 0);
	assert_int_equal(row, 5);
	assert_int_equal(col, 10);
	assert_int_equal(test_term_cell(t, 5, 10, &c), 0);
	assert_string_equal(c.text, "X");
	assert_int_equal(test_term_wait_for(t, cursor_hidden, NULL, WAIT,
	    "the cursor to be hidden"), 0);

	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	assert_int_equal(exit_status(t), 0);
	assert_true(test_term_cursor_visible(t));
	for (int k = 0; k < TEST_TERM_NSEQ; k++)
		assert_int_equal(test_term_seq_count(t, (enum test_term_seq)k), 0);
}

/* smcup and rmcup, as curses programs enter and leave: the shell's screen
 * comes back. */
static void
test_alternate_screen(void **state)
{
	struct test_term *t = start(state,
	    "printf primary; tput smcup; printf alternate; read x; tput rmcup");

	EXPECT(t, "alternate");
	assert_true(test_term_altscreen(t));
	assert_int_equal(test_term_find(t, "primary", NULL, NULL), -1);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	assert_int_equal(exit_status(t), 0);
	assert_false(test_term_altscreen(t));
	assert_string_equal(test_term_row(t, 0), "primary");
	assert_int_equal(test_term_find(t, "alternate", NULL, NULL), -1);
}

/* The pty has the size asked for; a resize reaches the program, which
 * sees the new size the next time it asks. */
static void
test_stty_size_and_resize(void **state)
{
	struct test_term *t = start(state,
	    "stty size; read x; stty size; tput cup 27 95; printf Z; read y");
	int rows, cols, row, col;

	EXPECT(t, "24 80");
	assert_int_equal(test_term_resize(t, 30, 100), 0);
	test_term_size(t, &rows, &cols);
	assert_int_equal(rows, 30);
	assert_int_equal(cols, 100);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	EXPECT(t, "30 100");
	assert_int_equal(test_term_find(t, "30 100", &row, &col), 0);
	assert_int_equal(row, 2);
	assert_int_equal(col, 0);
	/* The screen grew too: a cell beyond the old size is drawn. */
	EXPECT(t, "Z");
	assert_int_equal(test_term_find(t, "Z", &row, &col), 0);
	assert_int_equal(row, 27);
	assert_int_equal(col, 95);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "24 80");
}

/* The resize sends SIGWINCH to the program, which redraws on its own. */
static void
test_resize_sends_sigwinch(void **state)
{
	struct test_term *t = start(state,
	    "trap 'stty size; exit 7' WINCH; echo ready; sleep 10 & wait");

	EXPECT(t, "ready");
	assert_int_equal(test_term_resize(t, 20, 60), 0);
	EXPECT(t, "20 60");
	assert_int_equal(exit_status(t), 7);
}

static void
test_exit_status(void **state)
{
	struct test_term *t = start(state, "echo bye; exit 3");

	assert_int_equal(exit_status(t), 3);
	assert_string_equal(test_term_row(t, 0), "bye");
	assert_false(test_term_running(t));
	assert_int_equal(exit_status(t), 3); /* asked again: the same */
	assert_int_equal(test_term_signal(t, SIGTERM), -1);
}

static void
test_signal(void **state)
{
	struct test_term *t = start(state, "echo ready; exec sleep 30");

	EXPECT(t, "ready");
	assert_true(test_term_running(t));
	assert_int_equal(test_term_signal(t, SIGTERM), 0);
	int st = test_term_wait(t, WAIT);
	assert_int_not_equal(st, -1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
}

/* Keys arrive as xterm sends them, and the arrows follow the cursor key
 * mode the program set (ESC [ A, then ESC O A after DECCKM, as curses'
 * keypad() asks for). od shows the bytes the program read. */
static void
test_keys(void **state)
{
	struct test_term *t = start(state,
	    "stty raw -echo opost; printf 'ready\\n'; head -c 13 | od -An -tx1; "
	    "printf '\\033[?1hagain\\n'; head -c 5 | od -An -tx1");

	EXPECT(t, "ready");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_UP), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_BACKTAB), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_BACKSPACE), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_F(5)), 0);
	EXPECT(t, "1b 5b 41 1b 5b 5a 7f 0d 1b 5b 31 35 7e");

	EXPECT(t, "again");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_UP), 0);
	assert_int_equal(test_term_ctrl(t, 'c'), 0);
	assert_int_equal(test_term_send_str(t, "q"), 0);
	EXPECT(t, "1b 4f 41 03 71");
	assert_int_equal(exit_status(t), 0);
}

/* A program that asks the terminal (device attributes, cursor position)
 * gets libvterm's answers, as from xterm, and does not hang. */
static void
test_terminal_answers_queries(void **state)
{
	struct test_term *t = start(state,
	    "stty raw -echo opost; printf '\\033[c\\033[3;7H\\033[6n'; "
	    "head -c 13 | od -An -tx1");

	EXPECT(t, "1b 5b 3f 31 3b 32 63 1b 5b 33 3b 37 52");
	assert_int_equal(exit_status(t), 0);
}

/* Every string sequence is counted, whatever its form; the screen shows
 * what xterm would (no APC, PM or SOS text, no OSC 52 payload). */
static void
test_escape_audit(void **state)
{
	struct test_term *t = start(state,
	    "printf 'a\\033]52;c;aGVsbG8=\\007b\\033_hidden apc\\033\\\\c"
	    "\\302\\23552;c;eA==\\007d\\033P0;1|17/ab\\033\\\\e"
	    "\\033^pm\\033\\\\\\033Xsos\\302\\234f\\033]0;title\\033\\\\g\\n'");

	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "abcdefg");
	assert_int_equal(test_term_seq_count(t, TEST_TERM_OSC), 3);
	assert_int_equal(test_term_seq_count(t, TEST_TERM_DCS), 1);
	assert_int_equal(test_term_seq_count(t, TEST_TERM_APC), 1);
	assert_int_equal(test_term_seq_count(t, TEST_TERM_PM), 1);
	assert_int_equal(test_term_seq_count(t, TEST_TERM_SOS), 1);
	assert_true(test_term_raw_contains(t, "\033]52;c;aGVsbG8=", 15));
	assert_true(test_term_raw_contains(t, "\302\23552;", 5));
	assert_false(test_term_raw_contains(t, "\033]52;c;bm8=", 11));
}

/* A sequence split across reads (the program stops after ESC) is still
 * one sequence; a C0 control inside an escape is obeyed, as in xterm. */
static void
test_escape_audit_across_reads(void **state)
{
	struct test_term *t = start(state,
	    "stty -echo; printf 'x\\033'; read a; printf '\\r]52;c;Zm9v\\007y\\n'");

	EXPECT(t, "x");
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "y");
	assert_int_equal(test_term_seq_count(t, TEST_TERM_OSC), 1);
}

static int
bytes_at_least(struct test_term *t, void *arg)
{
	return test_term_bytes(t) >= *(uint64_t *)arg;
}

/* Byte counts, the mark, the raw log and its copy on disk. */
static void
test_byte_accounting(void **state)
{
	struct test_term *t = start(state,
	    "stty -echo; head -c 5000 /dev/zero | tr '\\0' x; read a; printf 12345");
	uint64_t want = 5000;
	size_t len;
	char path[] = "/tmp/watchfloor-test-term-XXXXXX";

	assert_int_equal(test_term_wait_for(t, bytes_at_least, &want, WAIT,
	    "%llu bytes", (unsigned long long)want), 0);
	assert_int_equal(test_term_bytes(t), 5000);
	test_term_mark(t);
	assert_int_equal(test_term_bytes_since_mark(t), 0);
	assert_int_equal(test_term_key(t, TEST_TERM_KEY_ENTER), 0);
	assert_int_equal(exit_status(t), 0);
	assert_int_equal(test_term_bytes_since_mark(t), 5);
	assert_int_equal(test_term_bytes(t), 5005);

	const char *raw = test_term_raw(t, &len);
	assert_int_equal(len, 5005);
	assert_memory_equal(raw + 4995, "xxxxx12345", 10);

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(test_term_raw_save(t, path), 0);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	assert_int_equal(ftell(f), 5005);
	fclose(f);
	unlink(path);
}

/* More than twice what the raw log keeps, so it has been cut: the counts
 * are exact, the log is bounded and holds the end. */
static void
test_raw_log_is_bounded(void **state)
{
	struct test_term *t = start(state,
	    "head -c 2200000 /dev/zero | tr '\\0' y; printf END");
	size_t len;

	assert_int_equal(exit_status(t), 0);
	assert_int_equal(test_term_bytes(t), 2200003);
	const char *raw = test_term_raw(t, &len);
	assert_true(len >= TEST_TERM_RAW_KEEP);
	assert_true(len <= 2 * TEST_TERM_RAW_KEEP);
	assert_memory_equal(raw + len - 4, "yEND", 4);
	/* 2200000 is a multiple of 80: END begins the last row. */
	assert_string_equal(test_term_row(t, 23), "END");
	assert_int_equal(strspn(test_term_row(t, 22), "y"), 80);
}

/* Sending much to a program that echoes it all: the harness reads while
 * it writes, so neither side blocks the other. */
static void
test_large_send_does_not_deadlock(void **state)
{
	struct test_term *t = start(state, "stty raw -echo; printf R; exec cat");
	static char big[200000];
	uint64_t want = 1 + sizeof big;

	memset(big, 'z', sizeof big);
	EXPECT(t, "R");
	assert_int_equal(test_term_send(t, big, sizeof big), 0);
	assert_int_equal(test_term_wait_for(t, bytes_at_least, &want, WAIT,
	    "the echo of %zu bytes", sizeof big), 0);
	assert_int_equal(test_term_bytes(t), want);
}

/* The environment: the harness's defaults, and a test's own. */
static void
test_environment(void **state)
{
	static const char *const env[] = { "TERM=dumb", "LC_ALL", "NO_COLOR=1", NULL };
	const char *script = "printf '%s|%s|%s|%s\\n' \"$TERM\" \"${LC_ALL-unset}\" "
	    "\"${NO_COLOR-unset}\" \"${COLUMNS-unset}\"";

	setenv("COLUMNS", "33", 1);
	setenv("NO_COLOR", "1", 1);
	struct test_term *t = start(state, script);
	unsetenv("COLUMNS");
	unsetenv("NO_COLOR");
	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "xterm-256color|C.UTF-8|unset|unset");
	test_term_free(t);
	*state = NULL;

	t = start_env(state, 24, 80, script, env);
	assert_int_equal(exit_status(t), 0);
	assert_string_equal(test_term_row(t, 0), "dumb|unset|1|unset");
}

/* A wait that cannot succeed returns -1 at its deadline, and prints the
 * screen framed with row numbers; one that can, returns 0. */
static void
test_expect_times_out_with_screen(void **state)
{
	struct test_term *t = start(state, "printf 'visible text'; read x");
	struct capture cap;

	EXPECT(t, "visible text");
	assert_int_equal(test_term_expect_row(t, 0, "visible", WAIT), 0);

	capture_begin(&cap);
	int64_t t0 = now_ms();
	int rc = test_term_expect(t, "never shown", 300);
	int64_t waited = now_ms() - t0;
	int rc_gone = test_term_expect_gone(t, "visible text", 100);
	int rc_row = test_term_expect_row(t, 1, "visible", 100);
	char *out = capture_end(&cap);

	assert_int_equal(rc, -1);
	assert_true(waited >= 300);
	assert_true(waited < 2000);
	assert_int_equal(rc_gone, -1);
	assert_int_equal(rc_row, -1);
	assert_non_null(strstr(out, "timed out after"));
	assert_non_null(strstr(out, "\"never shown\""));
	assert_non_null(strstr(out, "screen 24x80"));
	assert_non_null(strstr(out, "   0 |visible text "));
	assert_non_null(strstr(out, "  23 |"));
	assert_non_null(strstr(out, "     +-----"));
	assert_non_null(strstr(out, "is running"));
	assert_non_null(strstr(out, "\"visible text\" to leave the screen"));
	assert_non_null(strstr(out, "row 1 to show \"visible\""));
	free(out);
}

/* Once the program has closed the terminal the screen is final: a wait
 * for it fails at once rather than at its deadline. */
static void
test_expect_fails_fast_when_closed(void **state)
{
	struct test_term *t = start(state, "printf done");
	struct capture cap;

	EXPECT(t, "done");
	capture_begin(&cap);
	int64_t t0 = now_ms();
	int rc = test_term_expect(t, "never shown", WAIT);
	int64_t waited = now_ms() - t0;
	char *out = capture_end(&cap);

	assert_int_equal(rc, -1);
	assert_true(waited < WAIT / 2);
	assert_non_null(strstr(out, "gave up"));
	assert_non_null(strstr(out, "   0 |done "));
	free(out);
	assert_int_equal(exit_status(t), 0);
}

static void
test_spawn_failure(void **state)
{
	static const char *const argv[] = { "/nonexistent/watchfloor-nothing", NULL };
	struct capture cap;

	(void)state;
	capture_begin(&cap);
	struct test_term *t = test_term_spawn(24, 80, argv, NULL);
	char *out = capture_end(&cap);
	assert_null(t);
	assert_non_null(strstr(out, "cannot run /nonexistent/watchfloor-nothing"));
	free(out);
}

/* Freeing a terminal whose program still runs kills it. */
static void
test_free_kills_the_program(void **state)
{
	static const char *const argv[] = { "sleep", "30", NULL };
	struct test_term *t = test_term_spawn(24, 80, argv, NULL);

	assert_non_null(t);
	*state = t;
	pid_t pid = test_term_pid(t);
	assert_true(pid > 0);
	assert_true(test_term_running(t));
	int64_t t0 = now_ms();
	test_term_free(t);
	*state = NULL;
	assert_true(now_ms() - t0 < 2000); /* killed, not waited for */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_text_and_wide_characters, test_term_teardown),
		cmocka_unit_test_teardown(test_attributes_and_colours, test_term_teardown),
		cmocka_unit_test_teardown(test_cursor_movement_and_clear, test_term_teardown),
		cmocka_unit_test_teardown(test_tput_and_clear, test_term_teardown),
		cmocka_unit_test_teardown(test_alternate_screen, test_term_teardown),
		cmocka_unit_test_teardown(test_stty_size_and_resize, test_term_teardown),
		cmocka_unit_test_teardown(test_resize_sends_sigwinch, test_term_teardown),
		cmocka_unit_test_teardown(test_exit_status, test_term_teardown),
		cmocka_unit_test_teardown(test_signal, test_term_teardown),
		cmocka_unit_test_teardown(test_keys, test_term_teardown),
		cmocka_unit_test_teardown(test_terminal_answers_queries, test_term_teardown),
		cmocka_unit_test_teardown(test_escape_audit, test_term_teardown),
		cmocka_unit_test_teardown(test_escape_audit_across_reads, test_term_teardown),
		cmocka_unit_test_teardown(test_byte_accounting, test_term_teardown),
		cmocka_unit_test_teardown(test_raw_log_is_bounded, test_term_teardown),
		cmocka_unit_test_teardown(test_large_send_does_not_deadlock, test_term_teardown),
		cmocka_unit_test_teardown(test_environment, test_term_teardown),
		cmocka_unit_test_teardown(test_expect_times_out_with_screen, test_term_teardown),
		cmocka_unit_test_teardown(test_expect_fails_fast_when_closed, test_term_teardown),
		cmocka_unit_test_teardown(test_spawn_failure, test_term_teardown),
		cmocka_unit_test_teardown(test_free_kills_the_program, test_term_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
