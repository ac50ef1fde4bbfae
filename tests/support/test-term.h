/*
 * End-to-end test harness: a real program in a pseudo-terminal of fixed
 * size, read back as a screen through libvterm, the way a person would see
 * it in xterm.
 *
 * Data flow. The program writes to the pty; every read of the master
 * (test_term_pump(), and every wait below) counts the bytes, keeps them in
 * a bounded raw log, audits them for string sequences (OSC, DCS, APC, PM,
 * SOS) and feeds them to libvterm. What libvterm answers to the program's
 * queries (device attributes, cursor position) and the keys a test types go
 * the other way, through the master to the program.
 *
 * Waiting is always bounded by a deadline and pumps the pty meanwhile: a
 * test asserts the *eventual* screen and never sleeps. Under
 * WATCHFLOOR_VALGRIND the deadlines are stretched and the product
 * programs run under memcheck (test-valgrind.h). When a wait times
 * out, the screen as it was is printed to stderr, framed, with row numbers,
 * with the state of the program and the last bytes it wrote, and the call
 * returns -1 for the test to fail_msg(). Once the program has closed the
 * terminal the screen can no longer change, so a wait for the screen fails
 * at once instead of at its deadline.
 *
 * The screen is xterm's: libvterm 0.1.4 would print the contents of APC,
 * PM and SOS strings, which xterm swallows, so those strings are kept from
 * it (they are still counted and in the raw log); and a string control
 * sent as a C1 character in UTF-8 (U+009D for OSC) is given to libvterm in
 * its 7-bit form (ESC ]), which is how xterm obeys it.
 *
 * Rows and columns count from 0 and are cells: a double-width character
 * (日) takes two cells, the second of which holds nothing.
 */
#ifndef TEST_TERM_H
#define TEST_TERM_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#define TEST_TERM_WAIT_MS 5000          /* default upper bound for one wait */
#define TEST_TERM_RAW_KEEP (1024 * 1024) /* raw log keeps at least the last MiB */

struct test_term;

/* Start ARGV[0] (searched in PATH) with ARGV in a new pseudo-terminal of
 * ROWS x COLS, as session leader with the pty as controlling terminal.
 * The environment is the test's, with TERM=xterm-256color, LANG=C.UTF-8
 * and LC_ALL=C.UTF-8, and without COLUMNS, LINES (they would override the
 * pty size), NO_COLOR, COLORTERM, TMUX and TERMCAP; then ENV (NULL, or a
 * NULL-terminated list) is applied: "NAME=value" sets, "NAME" unsets.
 * NULL, with the reason on stderr, if the program cannot be started. */
struct test_term *test_term_spawn(int rows, int cols, const char *const *argv,
            const char *const *env);
/* The same, with the signals in BLOCKED (NULL: none) blocked in the
 * program, as a program started with them blocked finds them: to see how
 * it copes without one (a console that never gets its SIGHUP). */
struct test_term *test_term_spawn_blocking(int rows, int cols, const char *const *argv,
            const char *const *env, const sigset_t *blocked);
/* The same for /bin/sh -c SCRIPT. */
struct test_term *test_term_spawn_sh(int rows, int cols, const char *script,
            const char *const *env);
/* Kill the program and its process group with SIGKILL if it is still
 * running, reap it, close the pty, free everything. NULL is fine. */
void    test_term_free(struct test_term *);
/* cmocka teardown: test_term_free(*STATE). A test that stores its terminal
 * in *state is cleaned up even when an assertion jumps out of it. */
int     test_term_teardown(void **state);

/* Read what the program wrote, waiting up to TIMEOUT_MS for the first
 * bytes (0: only what is there): the number of bytes, 0 if none came, -1
 * once the program has closed the terminal and everything was read. */
long    test_term_pump(struct test_term *, int timeout_ms);

/* Waits. 0 as soon as the condition holds; -1 when TIMEOUT_MS pass first
 * or the program has closed the terminal, after printing the screen. */
typedef int test_term_pred(struct test_term *, void *arg);
/* PRED(t, ARG) returns non-zero; the printf-style WHAT says what was
 * awaited, in the failure report. */
int     test_term_wait_for(struct test_term *, test_term_pred *pred, void *arg,
            int timeout_ms, const char *what, ...)
            __attribute__((format(printf, 5, 6)));
/* TEXT (UTF-8) appears on one row of the screen, as test_term_find()
 * sees it (blanks at the end of a row count). */
int     test_term_expect(struct test_term *, const char *text, int timeout_ms);
/* TEXT appears on row ROW. */
int     test_term_expect_row(struct test_term *, int row, const char *text,
            int timeout_ms);
/* TEXT appears nowhere on the screen. */
int     test_term_expect_gone(struct test_term *, const char *text, int timeout_ms);

/* The screen now. */
void    test_term_size(const struct test_term *, int *rows, int *cols);
/* Row ROW as UTF-8, trailing blanks trimmed, the empty half of a
 * double-width character not output (so "日本語x" is 7 cells and 10 bytes).
 * The buffer is the terminal's: valid until the next test_term_row() of
 * the same row, test_term_resize() or test_term_free(). "" if out of range. */
const char *test_term_row(struct test_term *, int row);
/* Every row as test_term_row() gives it, joined by '\n' (no final one).
 * Valid until the next test_term_text(), test_term_resize() or free. */
const char *test_term_text(struct test_term *);
/* Where TEXT first appears (rows top down, left to right; TEXT does not
 * span rows): 0 and *ROW, *COL in cells, or -1. Either pointer may be NULL. */
int     test_term_find(struct test_term *, const char *text, int *row, int *col);

struct test_term_color {
	int is_default;                /* no SGR colour: the terminal default */
	int index;                     /* 0-255 for a palette colour, else -1 */
	unsigned char red, green, blue; /* always filled (palette resolved) */
};

struct test_term_cell {
	char text[32];  /* UTF-8 with combining marks; " " when blank; "" in
	                 * the second cell of a double-width character */
	int width;      /* 2: first cell of a double-width character; 0: its
	                 * second cell; 1 otherwise */
	int bold, italic, underline, blink, reverse, strike;
	struct test_term_color fg, bg;
};

/* The cell at ROW, COL: 0, or -1 if out of range. */
int     test_term_cell(struct test_term *, int row, int col,
            struct test_term_cell *);
void    test_term_cursor(const struct test_term *, int *row, int *col);
/* 1 unless the program hid the cursor (civis). */
int     test_term_cursor_visible(const struct test_term *);
/* 1 while the program is on the alternate screen (smcup, as curses is). */
int     test_term_altscreen(const struct test_term *);
/* The screen framed with row numbers, the cursor, the program's state. */
void    test_term_dump(struct test_term *, FILE *);

/* Input. Each returns 0 once everything is written to the pty, or -1 (and
 * a note on stderr) if the program is gone or does not read it within
 * TEST_TERM_WAIT_MS; output is pumped meanwhile, so nobody deadlocks. */
int     test_term_send(struct test_term *, const void *bytes, size_t len);
int     test_term_send_str(struct test_term *, const char *s);

/* Keys as xterm encodes them. The arrows, Home and End follow the cursor
 * key mode the program set, as in xterm: ESC [ A normally, ESC O A after
 * keypad_xmit (smkx, which curses sends for keypad()). */
enum test_term_key {
	TEST_TERM_KEY_ENTER,     /* CR */
	TEST_TERM_KEY_ESC,       /* ESC alone: curses waits ESCDELAY for more */
	TEST_TERM_KEY_TAB,       /* HT */
	TEST_TERM_KEY_BACKTAB,   /* Shift-Tab: ESC [ Z */
	TEST_TERM_KEY_BACKSPACE, /* DEL (0x7f), xterm's kbs */
	TEST_TERM_KEY_UP,
	TEST_TERM_KEY_DOWN,
	TEST_TERM_KEY_RIGHT,
	TEST_TERM_KEY_LEFT,
	TEST_TERM_KEY_HOME,
	TEST_TERM_KEY_END,
	TEST_TERM_KEY_PGUP,      /* ESC [ 5 ~ */
	TEST_TERM_KEY_PGDN,      /* ESC [ 6 ~ */
	TEST_TERM_KEY_INSERT,
	TEST_TERM_KEY_DELETE,    /* ESC [ 3 ~ */
	TEST_TERM_KEY_F1,        /* F1 .. F12: TEST_TERM_KEY_F(n) */
	TEST_TERM_KEY_F12 = TEST_TERM_KEY_F1 + 11,
};
#define TEST_TERM_KEY_F(n) ((enum test_term_key)(TEST_TERM_KEY_F1 + (n) - 1))
int     test_term_key(struct test_term *, enum test_term_key);
/* Ctrl and the letter C ('a'..'z', '['...): the control byte. */
int     test_term_ctrl(struct test_term *, char c);

/* Set the pty size, which sends SIGWINCH to the program's foreground
 * process group, and resize the screen (libvterm truncates, no reflow).
 * 0 or -1. */
int     test_term_resize(struct test_term *, int rows, int cols);

/* The program. */
pid_t   test_term_pid(const struct test_term *);
/* 1 while the program runs; 0 once it has exited (it is then reaped, and
 * test_term_wait() gives its status at once). */
int     test_term_running(struct test_term *);
/* Close the master side of the pty under the running program, as a
 * dropped SSH link or a closed terminal window does: the kernel hangs the
 * terminal up (SIGHUP to its controlling process; reads and writes fail).
 * The screen stays as it was; test_term_wait() still reaps the program. */
void    test_term_hangup(struct test_term *);
/* Send SIG to the program: 0, or -1 if it has already been reaped. */
int     test_term_signal(struct test_term *, int sig);
/* Wait up to TIMEOUT_MS for the program to exit, pumping its output (all
 * of it, once it has exited): its wait status (WIFEXITED, WEXITSTATUS,
 * WIFSIGNALED, WTERMSIG), or -1 after printing the screen. Again after
 * the exit: the same status. */
int     test_term_wait(struct test_term *, int timeout_ms);

/* Byte accounting, over everything the program wrote to the terminal. */
uint64_t test_term_bytes(const struct test_term *);
void     test_term_mark(struct test_term *);
uint64_t test_term_bytes_since_mark(const struct test_term *);

/* Escape-sequence audit over everything the program wrote: the number of
 * string sequences begun, in 7-bit form (ESC ] ...) or as a C1 control
 * encoded in UTF-8 (U+009D ...), which xterm obeys too. */
enum test_term_seq {
	TEST_TERM_OSC, /* ESC ]  U+009D */
	TEST_TERM_DCS, /* ESC P  U+0090 */
	TEST_TERM_APC, /* ESC _  U+009F */
	TEST_TERM_PM,  /* ESC ^  U+009E */
	TEST_TERM_SOS, /* ESC X  U+0098 */
	TEST_TERM_NSEQ
};
unsigned long test_term_seq_count(const struct test_term *, enum test_term_seq);

/* The raw log: the last TEST_TERM_RAW_KEEP bytes or more that the program
 * wrote, exactly as written; *LEN is set to its length. */
const char *test_term_raw(const struct test_term *, size_t *len);
/* 1 if the raw log holds the LEN bytes of NEEDLE, else 0. */
int     test_term_raw_contains(const struct test_term *, const void *needle,
            size_t len);
/* Write the raw log to PATH (for replaying with cat, or reading with
 * less -R): 0 or -1. */
int     test_term_raw_save(const struct test_term *, const char *path);

#endif
