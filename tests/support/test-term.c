/*
 * A program in a pseudo-terminal, read back through libvterm (see
 * test-term.h for what a test sees).
 *
 * Every byte the program writes goes through feed(): counted, appended to
 * the raw log, run through a small scanner that audits string sequences
 * and keeps from libvterm what xterm would not show, then written into the
 * VTerm. Everything for the program (libvterm's answers, keys, sent bytes)
 * is queued in t->out and written to the non-blocking master whenever it
 * takes it, while its output keeps being read: neither side can block the
 * other for ever.
 *
 * The child is reaped through a pidfd where the kernel has one, so a wait
 * for its exit sleeps in poll() on the pty and the pidfd together.
 *
 * Under WATCHFLOOR_VALGRIND (test-valgrind.h) the product programs run
 * under memcheck, every deadline here is scaled by its factor, and a
 * program still running at test_term_free() is asked to end (SIGTERM)
 * before it is killed, so that memcheck can check it for leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vterm.h>

#include "test-term.h"
#include "test-valgrind.h"

#define CELL_BYTES (VTERM_MAX_CHARS_PER_CELL * 4) /* UTF-8 of one cell, at most */
#define RAW_CAP (2 * TEST_TERM_RAW_KEEP)
#define READ_BOUND (1024 * 1024) /* bytes one read_available() takes */
#define TAIL_SHOWN 240           /* raw bytes shown in a failure report */

extern char **environ;

/* Where the audit scanner is in the byte stream. ESC and 0xC2 are held
 * back until the next byte says whether they begin a string sequence. */
enum scan_state {
	SCAN_GROUND,
	SCAN_ESC,     /* held ESC */
	SCAN_C2,      /* held 0xC2: may be the UTF-8 of a C1 control */
	SCAN_STR,     /* inside a string sequence */
	SCAN_STR_ESC, /* held ESC inside a string: ST if '\' follows */
	SCAN_STR_C2,  /* held 0xC2 inside a string: ST if 0x9C follows */
};

/* The introducers: 7-bit final after ESC, and the C1 control. */
static const struct {
	unsigned char esc, c1;
} seq_intro[TEST_TERM_NSEQ] = {
	[TEST_TERM_OSC] = { ']', 0x9d },
	[TEST_TERM_DCS] = { 'P', 0x90 },
	[TEST_TERM_APC] = { '_', 0x9f },
	[TEST_TERM_PM] = { '^', 0x9e },
	[TEST_TERM_SOS] = { 'X', 0x98 },
};

struct test_term {
	pid_t pid;
	char argv0[128];
	int master;
	int pidfd;  /* -1 where the kernel has no pidfd_open() */
	int reaped; /* waitpid() returned; STATUS is its status */
	int status;
	int eof;    /* the master read EOF or EIO: the pty is closed */
	int valgrind; /* runs under memcheck */

	int rows, cols;
	VTerm *vt;
	VTermScreen *screen;
	int cursor_visible, altscreen;

	/* Bytes for the program, not yet taken by the pty. */
	char *out;
	size_t outlen, outcap;
	int write_error; /* errno of a failed write to the master */

	/* The raw log: the last TEST_TERM_RAW_KEEP bytes at least. */
	char *raw;
	size_t rawlen;
	uint64_t total, mark;

	/* The audit. */
	enum scan_state scan;
	int scan_kind;   /* the string sequence SCAN_STR is in */
	int scan_pass;   /* whether that string goes to libvterm */
	int utf8_need;   /* continuation bytes still due in SCAN_GROUND */
	unsigned long seq[TEST_TERM_NSEQ];
	char *fed;       /* scratch: the bytes given to libvterm */
	size_t fedcap;

	/* Text read back: one buffer per row, one for the screen. */
	size_t rowcap;
	char *rowbuf, *textbuf, *scratch;
	int *cellstart;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
xrealloc_or_die(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "test_term: out of memory (%zu bytes)\n", n);
		abort();
	}
	return q;
}

/* ---- bytes to the program ---- */

static void
out_queue(struct test_term *t, const char *s, size_t len)
{
	if (t->outlen + len > t->outcap) {
		t->outcap = (t->outlen + len) * 2 + 64;
		t->out = xrealloc_or_die(t->out, t->outcap);
	}
	memcpy(t->out + t->outlen, s, len);
	t->outlen += len;
}

/* libvterm's answers and encoded keys. */
static void
on_vterm_output(const char *s, size_t len, void *user)
{
	out_queue(user, s, len);
}

/* Write what the master takes now; the rest stays queued. */
static void
out_flush(struct test_term *t)
{
	while (t->outlen > 0) {
		ssize_t w = write(t->master, t->out, t->outlen);
		if (w > 0) {
			memmove(t->out, t->out + w, t->outlen - (size_t)w);
			t->outlen -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EIO: nobody holds the other side any more. */
		t->write_error = w < 0 ? errno : EIO;
		t->outlen = 0;
	}
}

/* ---- bytes from the program ---- */

/* Not inlined: gcc 12 at -O3 inlines it into a reader with a 16 KB buffer
 * and warns (-Warray-bounds) about the branch for inputs over 1 MiB, which
 * that caller can never take. */
static void __attribute__((noinline))
raw_append(struct test_term *t, const char *buf, size_t n)
{
	if (n >= TEST_TERM_RAW_KEEP) {
		memcpy(t->raw, buf + n - TEST_TERM_RAW_KEEP, TEST_TERM_RAW_KEEP);
		t->rawlen = TEST_TERM_RAW_KEEP;
		return;
	}
	if (t->rawlen + n > RAW_CAP) {
		/* Drop the oldest, keeping exactly the last KEEP bytes. */
		size_t drop = t->rawlen + n - TEST_TERM_RAW_KEEP;
		memmove(t->raw, t->raw + drop, t->rawlen - drop);
		t->rawlen -= drop;
	}
	memcpy(t->raw + t->rawlen, buf, n);
	t->rawlen += n;
}

static int
seq_by_esc(unsigned char c)
{
	for (int k = 0; k < TEST_TERM_NSEQ; k++)
		if (seq_intro[k].esc == c)
			return k;
	return -1;
}

static int
seq_by_c1(unsigned char c)
{
	for (int k = 0; k < TEST_TERM_NSEQ; k++)
		if (seq_intro[k].c1 == c)
			return k;
	return -1;
}

/* A string sequence of kind K begins: count it, and decide whether
 * libvterm sees it (it knows OSC and DCS; it would print APC, PM and SOS,
 * which xterm swallows). */
static int
scan_begin(struct test_term *t, int k)
{
	t->seq[k]++;
	t->scan = SCAN_STR;
	t->scan_kind = k;
	t->scan_pass = k == TEST_TERM_OSC || k == TEST_TERM_DCS;
	return t->scan_pass;
}

/* Count, log, audit and show N bytes the program wrote. */
static void
feed(struct test_term *t, const char *buf, size_t n)
{
	size_t m = 0;

	t->total += n;
	raw_append(t, buf, n);
	if (t->fedcap < 2 * n + 16) {
		t->fedcap = 2 * n + 16;
		t->fed = xrealloc_or_die(t->fed, t->fedcap);
	}
	char *o = t->fed;
#define EMIT(c) (o[m++] = (char)(c))

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		int k;
again:
		switch (t->scan) {
		case SCAN_GROUND:
			if (t->utf8_need > 0 && (c & 0xc0) == 0x80) {
				t->utf8_need--;
				EMIT(c);
				break;
			}
			t->utf8_need = 0;
			if (c == 0x1b) {
				t->scan = SCAN_ESC;
				break;
			}
			if (c == 0xc2) {
				t->scan = SCAN_C2;
				break;
			}
			if (c >= 0xc3 && c <= 0xf4)
				t->utf8_need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
			EMIT(c);
			break;
		case SCAN_ESC:
			if ((k = seq_by_esc(c)) >= 0) {
				if (scan_begin(t, k)) {
					EMIT(0x1b);
					EMIT(c);
				}
				break;
			}
			if (c < 0x20 && c != 0x1b && c != 0x18 && c != 0x1a) {
				/* A C0 control inside an escape is obeyed and
				 * the escape goes on (VT100, xterm, libvterm). */
				EMIT(c);
				break;
			}
			EMIT(0x1b);
			if (c == 0x1b)
				break; /* ESC ESC: hold the second */
			t->scan = SCAN_GROUND;
			goto again;
		case SCAN_C2:
			if ((k = seq_by_c1(c)) >= 0) {
				/* libvterm 0.1.4 ignores C1 in UTF-8; xterm obeys
				 * it: give libvterm the 7-bit form. */
				if (scan_begin(t, k)) {
					EMIT(0x1b);
					EMIT(seq_intro[k].esc);
				}
				break;
			}
			EMIT(0xc2);
			t->scan = SCAN_GROUND;
			if ((c & 0xc0) == 0x80) {
				EMIT(c);
				break;
			}
			goto again;
		case SCAN_STR:
			if (c == 0x07 || c == 0x18 || c == 0x1a) {
				/* BEL ends it; CAN and SUB cancel it. */
				if (t->scan_pass)
					EMIT(c);
				t->scan = SCAN_GROUND;
				break;
			}
			if (c == 0x1b) {
				t->scan = SCAN_STR_ESC;
				break;
			}
			if (c == 0xc2) {
				t->scan = SCAN_STR_C2;
				break;
			}
			if (t->scan_pass)
				EMIT(c);
			break;
		case SCAN_STR_ESC:
			/* ESC \ ends the string; ESC and anything else ends it
			 * too and begins another escape (as in xterm), so end
			 * it for libvterm before that escape. */
			if (t->scan_pass) {
				EMIT(0x1b);
				EMIT('\\');
			}
			if (c == '\\') {
				t->scan = SCAN_GROUND;
				break;
			}
			t->scan = SCAN_ESC;
			goto again;
		case SCAN_STR_C2:
			if (c == 0x9c) { /* ST as UTF-8 C1 */
				if (t->scan_pass) {
					EMIT(0x1b);
					EMIT('\\');
				}
				t->scan = SCAN_GROUND;
				break;
			}
			if (t->scan_pass)
				EMIT(0xc2);
			t->scan = SCAN_STR;
			goto again;
		}
	}
#undef EMIT
	if (m > 0)
		vterm_input_write(t->vt, t->fed, m);
}

/* Read what is there now (a bounded amount): the byte count. Sets EOF
 * when the pty is closed: Linux returns EIO once the slave side is gone
 * and everything written before was read. */
static long
read_available(struct test_term *t)
{
	char buf[16384];
	long got = 0;

	while (!t->eof && got < READ_BOUND) {
		ssize_t r = read(t->master, buf, sizeof buf);
		if (r > 0) {
			feed(t, buf, (size_t)r);
			got += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		t->eof = 1;
	}
	out_flush(t); /* answers to what was just read */
	return got;
}

static long
pump(struct test_term *t, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		out_flush(t);
		long n = read_available(t);
		if (n > 0)
			return n;
		if (t->eof)
			return -1;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = t->master, .events = POLLIN };
		if (t->outlen > 0)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return 0;
	}
}

long
test_term_pump(struct test_term *t, int timeout_ms)
{
	return pump(t, test_valgrind_ms(timeout_ms));
}

/* ---- the program ---- */

static int
reap_nohang(struct test_term *t)
{
	int status;

	if (t->reaped)
		return 1;
	if (waitpid(t->pid, &status, WNOHANG) != t->pid)
		return 0;
	t->reaped = 1;
	t->status = status;
	if (t->valgrind)
		test_valgrind_reaped(t->argv0, t->pid, status);
	if (t->pidfd >= 0) {
		close(t->pidfd);
		t->pidfd = -1;
	}
	return 1;
}

/* The program has exited: read the rest of its output. The pty closes as
 * soon as nothing holds its other side; a grandchild that still does gets
 * 100 ms of silence before we stop reading. */
static void
drain(struct test_term *t)
{
	for (int i = 0; i < 64 && !t->eof; i++)
		if (pump(t, 100) <= 0)
			break;
}

static void
describe_program(struct test_term *t, char *b, size_t n)
{
	reap_nohang(t);
	if (!t->reaped)
		snprintf(b, n, "%s (pid %d) is running%s", t->argv0, (int)t->pid,
		    t->eof ? " but has closed the terminal" : "");
	else if (WIFEXITED(t->status))
		snprintf(b, n, "%s (pid %d) exited with status %d", t->argv0,
		    (int)t->pid, WEXITSTATUS(t->status));
	else if (WIFSIGNALED(t->status))
		snprintf(b, n, "%s (pid %d) was killed by signal %d (%s)", t->argv0,
		    (int)t->pid, WTERMSIG(t->status), strsignal(WTERMSIG(t->status)));
	else
		snprintf(b, n, "%s (pid %d) ended with wait status %#x", t->argv0,
		    (int)t->pid, t->status);
}

pid_t
test_term_pid(const struct test_term *t)
{
	return t->pid;
}

void
test_term_hangup(struct test_term *t)
{
	if (t->master < 0)
		return;
	close(t->master);
	t->master = -1;
	t->eof = 1;
	t->outlen = 0;
}

int
test_term_running(struct test_term *t)
{
	return !reap_nohang(t);
}

int
test_term_signal(struct test_term *t, int sig)
{
	if (reap_nohang(t))
		return -1;
	return kill(t->pid, sig);
}

static void report(struct test_term *, int64_t waited, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int
test_term_wait(struct test_term *t, int timeout_ms)
{
	int64_t start = now_ms(), deadline = start + test_valgrind_ms(timeout_ms);

	for (;;) {
		if (reap_nohang(t)) {
			drain(t);
			return t->status;
		}
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd p[2];
		int np = 0;
		if (!t->eof) {
			p[np].fd = t->master;
			p[np].events = POLLIN | (t->outlen > 0 ? POLLOUT : 0);
			np++;
		}
		if (t->pidfd >= 0) {
			p[np].fd = t->pidfd;
			p[np].events = POLLIN;
			np++;
		} else if (left > 10) {
			left = 10; /* no pidfd: look again every 10 ms */
		}
		if (poll(p, (nfds_t)np, (int)left) < 0 && errno != EINTR)
			break;
		out_flush(t);
		read_available(t);
	}
	report(t, now_ms() - start, "the program to exit");
	return -1;
}

/* ---- the screen ---- */

static size_t
utf8_put(char *b, uint32_t c)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c > 0x10ffff)
		c = 0xfffd;
	b[0] = (char)(0xf0 | c >> 18);
	b[1] = (char)(0x80 | (c >> 12 & 0x3f));
	b[2] = (char)(0x80 | (c >> 6 & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* libvterm marks the second cell of a double-width character with
 * chars[0] == (uint32_t)-1 (and width 1): it has no text of its own. */
#define WIDE_TAIL ((uint32_t)-1)

/* The UTF-8 of a cell: "" for the tail of a wide character, " " blank. */
static size_t
cell_text(const VTermScreenCell *c, char *b)
{
	size_t n = 0;

	if (c->chars[0] == WIDE_TAIL)
		return 0;
	if (c->chars[0] == 0) {
		b[0] = ' ';
		return 1;
	}
	for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && c->chars[i] != 0; i++)
		n += utf8_put(b + n, c->chars[i]);
	return n;
}

/* Row ROW, untrimmed, into B (t->rowcap bytes) and NUL-terminated; if
 * START, START[col] is the offset where cell COL's text begins. */
static size_t
row_build(struct test_term *t, int row, char *b, int *start)
{
	size_t n = 0;

	for (int col = 0; col < t->cols; col++) {
		VTermScreenCell c;
		VTermPos pos = { .row = row, .col = col };
		if (start != NULL)
			start[col] = (int)n;
		if (!vterm_screen_get_cell(t->screen, pos, &c)) {
			b[n++] = ' ';
			continue;
		}
		n += cell_text(&c, b + n);
	}
	b[n] = '\0';
	return n;
}

static void
trim(char *b, size_t n)
{
	while (n > 0 && b[n - 1] == ' ')
		n--;
	b[n] = '\0';
}

static void
buffers_alloc(struct test_term *t)
{
	t->rowcap = (size_t)t->cols * CELL_BYTES + 1;
	t->rowbuf = xrealloc_or_die(t->rowbuf, (size_t)t->rows * t->rowcap);
	t->textbuf = xrealloc_or_die(t->textbuf, (size_t)t->rows * t->rowcap + 1);
	t->scratch = xrealloc_or_die(t->scratch, t->rowcap);
	t->cellstart = xrealloc_or_die(t->cellstart, (size_t)t->cols * sizeof(int));
	for (int r = 0; r < t->rows; r++)
		t->rowbuf[(size_t)r * t->rowcap] = '\0';
}

void
test_term_size(const struct test_term *t, int *rows, int *cols)
{
	if (rows != NULL)
		*rows = t->rows;
	if (cols != NULL)
		*cols = t->cols;
}

const char *
test_term_row(struct test_term *t, int row)
{
	if (row < 0 || row >= t->rows)
		return "";
	char *b = t->rowbuf + (size_t)row * t->rowcap;
	trim(b, row_build(t, row, b, NULL));
	return b;
}

const char *
test_term_text(struct test_term *t)
{
	size_t n = 0;

	for (int r = 0; r < t->rows; r++) {
		size_t len = row_build(t, r, t->scratch, NULL);
		trim(t->scratch, len);
		len = strlen(t->scratch);
		memcpy(t->textbuf + n, t->scratch, len);
		n += len;
		if (r + 1 < t->rows)
			t->textbuf[n++] = '\n';
	}
	t->textbuf[n] = '\0';
	return t->textbuf;
}

int
test_term_find(struct test_term *t, const char *text, int *row, int *col)
{
	for (int r = 0; r < t->rows; r++) {
		row_build(t, r, t->scratch, t->cellstart);
		const char *p = strstr(t->scratch, text);
		if (p == NULL)
			continue;
		/* The cell whose text starts at P; the empty tail of a wide
		 * character starts where the next cell does, so take the last
		 * cell starting there. */
		int off = (int)(p - t->scratch), c = 0;
		while (c + 1 < t->cols && t->cellstart[c + 1] <= off)
			c++;
		if (row != NULL)
			*row = r;
		if (col != NULL)
			*col = c;
		return 0;
	}
	return -1;
}

static void
color_out(struct test_term *t, const VTermColor *in, int is_default,
    struct test_term_color *out)
{
	VTermColor rgb = *in;

	out->is_default = is_default;
	out->index = !is_default && VTERM_COLOR_IS_INDEXED(in) ? in->indexed.idx : -1;
	vterm_screen_convert_color_to_rgb(t->screen, &rgb);
	out->red = rgb.rgb.red;
	out->green = rgb.rgb.green;
	out->blue = rgb.rgb.blue;
}

int
test_term_cell(struct test_term *t, int row, int col, struct test_term_cell *out)
{
	VTermScreenCell c;
	VTermPos pos = { .row = row, .col = col };

	memset(out, 0, sizeof *out);
	if (row < 0 || row >= t->rows || col < 0 || col >= t->cols ||
	    !vterm_screen_get_cell(t->screen, pos, &c))
		return -1;
	out->text[cell_text(&c, out->text)] = '\0';
	out->width = c.chars[0] == WIDE_TAIL ? 0 : c.width;
	out->bold = c.attrs.bold;
	out->italic = c.attrs.italic;
	out->underline = c.attrs.underline;
	out->blink = c.attrs.blink;
	out->reverse = c.attrs.reverse;
	out->strike = c.attrs.strike;
	color_out(t, &c.fg, VTERM_COLOR_IS_DEFAULT_FG(&c.fg), &out->fg);
	color_out(t, &c.bg, VTERM_COLOR_IS_DEFAULT_BG(&c.bg), &out->bg);
	return 0;
}

void
test_term_cursor(const struct test_term *t, int *row, int *col)
{
	VTermPos pos;

	vterm_state_get_cursorpos(vterm_obtain_state(t->vt), &pos);
	if (row != NULL)
		*row = pos.row;
	if (col != NULL)
		*col = pos.col;
}

int
test_term_cursor_visible(const struct test_term *t)
{
	return t->cursor_visible;
}

int
test_term_altscreen(const struct test_term *t)
{
	return t->altscreen;
}

static int
on_settermprop(VTermProp prop, VTermValue *val, void *user)
{
	struct test_term *t = user;

	if (prop == VTERM_PROP_CURSORVISIBLE)
		t->cursor_visible = val->boolean;
	else if (prop == VTERM_PROP_ALTSCREEN)
		t->altscreen = val->boolean;
	return 1;
}

static const VTermScreenCallbacks screen_callbacks = {
	.settermprop = on_settermprop,
};

void
test_term_dump(struct test_term *t, FILE *f)
{
	char what[256];
	int crow, ccol;

	describe_program(t, what, sizeof what);
	test_term_cursor(t, &crow, &ccol);
	fprintf(f, "test_term: %s\n", what);
	fprintf(f, "test_term: screen %dx%d, cursor at row %d col %d%s%s:\n",
	    t->rows, t->cols, crow, ccol, t->cursor_visible ? "" : " (hidden)",
	    t->altscreen ? ", alternate screen" : "");
	fprintf(f, "     +");
	for (int c = 0; c < t->cols; c++)
		fputc('-', f);
	fprintf(f, "+\n");
	for (int r = 0; r < t->rows; r++) {
		row_build(t, r, t->scratch, NULL);
		fprintf(f, "%4d |%s|\n", r, t->scratch);
	}
	fprintf(f, "     +");
	for (int c = 0; c < t->cols; c++)
		fputc('-', f);
	fprintf(f, "+\n");
}

/* The last bytes of the raw log, escaped, on one line. */
static void
dump_tail(const struct test_term *t, FILE *f)
{
	size_t n = t->rawlen < TAIL_SHOWN ? t->rawlen : TAIL_SHOWN;
	const unsigned char *p = (const unsigned char *)t->raw + t->rawlen - n;

	fprintf(f, "test_term: %llu bytes written in all; the last %zu: \"",
	    (unsigned long long)t->total, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0x1b)
			fputs("\\e", f);
		else if (p[i] == '\r')
			fputs("\\r", f);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(f, "\\x%02x", p[i]);
		else
			fputc(p[i], f);
	}
	fputs("\"\n", f);
}

static void
report(struct test_term *t, int64_t waited, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "\ntest_term: %s after %lld ms waiting for %s\n",
	    t->eof ? "gave up (the terminal is closed)" : "timed out",
	    (long long)waited, what);
	test_term_dump(t, stderr);
	dump_tail(t, stderr);
	fflush(stderr);
}

/* ---- waits ---- */

int
test_term_wait_for(struct test_term *t, test_term_pred *pred, void *arg,
    int timeout_ms, const char *what, ...)
{
	int64_t start = now_ms(), deadline = start + test_valgrind_ms(timeout_ms);
	char buf[400];
	va_list ap;

	for (;;) {
		if (pred(t, arg))
			return 0;
		int64_t left = deadline - now_ms();
		/* Once the pty is closed and read to the end, the screen is
		 * final: failing now says the same as failing later. */
		if (t->eof || left <= 0)
			break;
		pump(t, (int)left);
	}
	va_start(ap, what);
	vsnprintf(buf, sizeof buf, what, ap);
	va_end(ap);
	report(t, now_ms() - start, "%s", buf);
	return -1;
}

static int
pred_contains(struct test_term *t, void *arg)
{
	return test_term_find(t, arg, NULL, NULL) == 0;
}

static int
pred_gone(struct test_term *t, void *arg)
{
	return test_term_find(t, arg, NULL, NULL) != 0;
}

struct row_text {
	int row;
	const char *text;
};

static int
pred_row(struct test_term *t, void *arg)
{
	const struct row_text *rt = arg;

	row_build(t, rt->row, t->scratch, NULL);
	return strstr(t->scratch, rt->text) != NULL;
}

int
test_term_expect(struct test_term *t, const char *text, int timeout_ms)
{
	return test_term_wait_for(t, pred_contains, (void *)text, timeout_ms,
	    "the screen to show \"%s\"", text);
}

int
test_term_expect_row(struct test_term *t, int row, const char *text, int timeout_ms)
{
	struct row_text rt = { row, text };

	if (row < 0 || row >= t->rows) {
		fprintf(stderr, "test_term: row %d is off a screen of %d rows\n", row,
		    t->rows);
		return -1;
	}
	return test_term_wait_for(t, pred_row, &rt, timeout_ms,
	    "row %d to show \"%s\"", row, text);
}

int
test_term_expect_gone(struct test_term *t, const char *text, int timeout_ms)
{
	return test_term_wait_for(t, pred_gone, (void *)text, timeout_ms,
	    "\"%s\" to leave the screen", text);
}

/* ---- input ---- */

/* Write everything queued, reading output meanwhile. */
static int
out_send_all(struct test_term *t)
{
	int64_t start = now_ms(), deadline = start + test_valgrind_ms(TEST_TERM_WAIT_MS);

	t->write_error = 0;
	for (;;) {
		out_flush(t);
		if (t->write_error != 0) {
			fprintf(stderr, "test_term: cannot write to %s: %s\n", t->argv0,
			    strerror(t->write_error));
			return -1;
		}
		if (t->outlen == 0)
			return 0;
		int64_t left = deadline - now_ms();
		if (t->eof || left <= 0)
			break;
		struct pollfd p = { .fd = t->master, .events = POLLIN | POLLOUT };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			break;
		read_available(t);
	}
	report(t, now_ms() - start, "the program to read its input (%zu bytes unsent)",
	    t->outlen);
	t->outlen = 0;
	return -1;
}

int
test_term_send(struct test_term *t, const void *bytes, size_t len)
{
	out_queue(t, bytes, len);
	return out_send_all(t);
}

int
test_term_send_str(struct test_term *t, const char *s)
{
	return test_term_send(t, s, strlen(s));
}

int
test_term_key(struct test_term *t, enum test_term_key key)
{
	VTermModifier mod = VTERM_MOD_NONE;
	VTermKey vk;

	switch (key) {
	case TEST_TERM_KEY_ENTER: vk = VTERM_KEY_ENTER; break;
	case TEST_TERM_KEY_ESC: vk = VTERM_KEY_ESCAPE; break;
	case TEST_TERM_KEY_TAB: vk = VTERM_KEY_TAB; break;
	case TEST_TERM_KEY_BACKTAB: vk = VTERM_KEY_TAB; mod = VTERM_MOD_SHIFT; break;
	case TEST_TERM_KEY_BACKSPACE: vk = VTERM_KEY_BACKSPACE; break;
	case TEST_TERM_KEY_UP: vk = VTERM_KEY_UP; break;
	case TEST_TERM_KEY_DOWN: vk = VTERM_KEY_DOWN; break;
	case TEST_TERM_KEY_RIGHT: vk = VTERM_KEY_RIGHT; break;
	case TEST_TERM_KEY_LEFT: vk = VTERM_KEY_LEFT; break;
	case TEST_TERM_KEY_HOME: vk = VTERM_KEY_HOME; break;
	case TEST_TERM_KEY_END: vk = VTERM_KEY_END; break;
	case TEST_TERM_KEY_PGUP: vk = VTERM_KEY_PAGEUP; break;
	case TEST_TERM_KEY_PGDN: vk = VTERM_KEY_PAGEDOWN; break;
	case TEST_TERM_KEY_INSERT: vk = VTERM_KEY_INS; break;
	case TEST_TERM_KEY_DELETE: vk = VTERM_KEY_DEL; break;
	default:
		if (key < TEST_TERM_KEY_F1 || key > TEST_TERM_KEY_F12) {
			fprintf(stderr, "test_term: no key %d\n", (int)key);
			return -1;
		}
		vk = VTERM_KEY_FUNCTION(key - TEST_TERM_KEY_F1 + 1);
		break;
	}
	/* libvterm encodes as xterm does, in the modes the program set. */
	vterm_keyboard_key(t->vt, vk, mod);
	return out_send_all(t);
}

int
test_term_ctrl(struct test_term *t, char c)
{
	char b = c == '?' ? 0x7f : (char)(c & 0x1f);

	return test_term_send(t, &b, 1);
}

int
test_term_resize(struct test_term *t, int rows, int cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows,
		.ws_col = (unsigned short)cols };

	if (rows < 1 || cols < 1)
		return -1;
	/* What was written for the old size lands on the old screen, as in
	 * a terminal that draws before it is resized. */
	test_term_pump(t, 0);
	vterm_set_size(t->vt, rows, cols);
	t->rows = rows;
	t->cols = cols;
	buffers_alloc(t);
	if (ioctl(t->master, TIOCSWINSZ, &ws) < 0 && !t->eof) {
		fprintf(stderr, "test_term: TIOCSWINSZ: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- accounting ---- */

uint64_t
test_term_bytes(const struct test_term *t)
{
	return t->total;
}

void
test_term_mark(struct test_term *t)
{
	t->mark = t->total;
}

uint64_t
test_term_bytes_since_mark(const struct test_term *t)
{
	return t->total - t->mark;
}

unsigned long
test_term_seq_count(const struct test_term *t, enum test_term_seq k)
{
	return k < TEST_TERM_NSEQ ? t->seq[k] : 0;
}

const char *
test_term_raw(const struct test_term *t, size_t *len)
{
	*len = t->rawlen;
	return t->raw;
}

int
test_term_raw_contains(const struct test_term *t, const void *needle, size_t len)
{
	return memmem(t->raw, t->rawlen, needle, len) != NULL;
}

int
test_term_raw_save(const struct test_term *t, const char *path)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	size_t w = fwrite(t->raw, 1, t->rawlen, f);
	if (fclose(f) != 0 || w != t->rawlen)
		return -1;
	return 0;
}

/* ---- life cycle ---- */

static int
env_same_name(const char *a, const char *b)
{
	size_t na = strcspn(a, "="), nb = strcspn(b, "=");

	return na == nb && memcmp(a, b, na) == 0;
}

/* ENTRY ("NAME=value" or "NAME") over the N entries of E. */
static void
env_apply(char **e, int *n, const char *entry)
{
	int j = 0;

	for (int i = 0; i < *n; i++) {
		if (env_same_name(e[i], entry))
			free(e[i]);
		else
			e[j++] = e[i];
	}
	if (strchr(entry, '=') != NULL)
		e[j++] = strdup(entry);
	*n = j;
	e[j] = NULL;
}

static char **
env_build(const char *const *extra)
{
	static const char *const defaults[] = {
		"TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
		"COLUMNS", "LINES", "NO_COLOR", "COLORTERM", "TMUX", "TERMCAP",
	};
	size_t ndefaults = sizeof defaults / sizeof defaults[0];
	int n = 0, cap = 1 + (int)ndefaults;

	for (char **p = environ; *p != NULL; p++)
		cap++;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		cap++;
	char **e = xrealloc_or_die(NULL, (size_t)cap * sizeof *e);
	for (char **p = environ; *p != NULL; p++)
		e[n++] = strdup(*p);
	e[n] = NULL;
	for (size_t i = 0; i < ndefaults; i++)
		env_apply(e, &n, defaults[i]);
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		env_apply(e, &n, extra[i]);
	return e;
}

static void
env_free(char **e)
{
	for (int i = 0; e[i] != NULL; i++)
		free(e[i]);
	free(e);
}

/* In the child: signals as a fresh program expects them, then exec.
 * An exec failure is reported on ERRFD (close-on-exec: silence means the
 * exec worked). */
static void
child_exec(const char *const *argv, char **envp, int errfd, const sigset_t *blocked)
{
	struct sigaction sa;
	sigset_t all;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, blocked != NULL ? blocked : &all, NULL);
	execvpe(argv[0], (char *const *)argv, envp);
	int e = errno;
	if (write(errfd, &e, sizeof e) < 0)
		_exit(126);
	_exit(127);
}

struct test_term *
test_term_spawn(int rows, int cols, const char *const *argv,
    const char *const *env)
{
	return test_term_spawn_blocking(rows, cols, argv, env, NULL);
}

struct test_term *
test_term_spawn_blocking(int rows, int cols, const char *const *argv,
    const char *const *env, const sigset_t *blocked)
{
	struct winsize ws = { .ws_row = (unsigned short)rows,
		.ws_col = (unsigned short)cols };
	int errpipe[2], master, err = 0;

	if (argv == NULL || argv[0] == NULL || rows < 1 || cols < 1) {
		fprintf(stderr, "test_term: nothing to run, or a %dx%d screen\n",
		    rows, cols);
		return NULL;
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		fprintf(stderr, "test_term: pipe: %s\n", strerror(errno));
		return NULL;
	}
	/* Built before fork: the child only calls async-signal-safe code. */
	char **envp = env_build(env);
	int nargs = 0;
	while (argv[nargs] != NULL)
		nargs++;
	const char **vgbuf = xrealloc_or_die(NULL,
	    (size_t)(nargs + TEST_VALGRIND_MAX_ARGS) * sizeof *vgbuf);
	const char *const *run = test_valgrind_argv(argv, vgbuf, nargs + TEST_VALGRIND_MAX_ARGS);
	pid_t pid = forkpty(&master, NULL, NULL, &ws);
	if (pid == 0) {
		close(errpipe[0]);
		child_exec(run, envp, errpipe[1], blocked);
	}
	env_free(envp);
	free(vgbuf);
	close(errpipe[1]);
	if (pid < 0) {
		fprintf(stderr, "test_term: forkpty: %s\n", strerror(errno));
		close(errpipe[0]);
		return NULL;
	}
	ssize_t r;
	while ((r = read(errpipe[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	close(errpipe[0]);
	if (r == (ssize_t)sizeof err) {
		fprintf(stderr, "test_term: cannot run %s: %s\n", argv[0], strerror(err));
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(master);
		return NULL;
	}

	struct test_term *t = xrealloc_or_die(NULL, sizeof *t);
	memset(t, 0, sizeof *t);
	t->pid = pid;
	t->valgrind = run != argv;
	snprintf(t->argv0, sizeof t->argv0, "%s", argv[0]);
	t->master = master;
	/* Another terminal's child must not hold this pty open. */
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
#ifdef SYS_pidfd_open
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	t->pidfd = -1;
#endif
	t->rows = rows;
	t->cols = cols;
	t->raw = xrealloc_or_die(NULL, RAW_CAP);
	buffers_alloc(t);

	t->cursor_visible = 1;
	t->vt = vterm_new(rows, cols);
	vterm_set_utf8(t->vt, 1);
	vterm_output_set_callback(t->vt, on_vterm_output, t);
	t->screen = vterm_obtain_screen(t->vt);
	vterm_screen_set_callbacks(t->screen, &screen_callbacks, t);
	vterm_screen_enable_altscreen(t->screen, 1);
	vterm_screen_reset(t->screen, 1);
	return t;
}

struct test_term *
test_term_spawn_sh(int rows, int cols, const char *script,
    const char *const *env)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

	return test_term_spawn(rows, cols, argv, env);
}

void
test_term_free(struct test_term *t)
{
	if (t == NULL)
		return;
	if (t->valgrind && !reap_nohang(t)) {
		/* Memcheck checks for leaks only in a program that ends by
		 * itself: ask it to, and keep reading its output meanwhile (a
		 * program blocked on a full terminal would never end). */
		int64_t deadline = now_ms() + test_valgrind_ms(TEST_TERM_WAIT_MS);
		kill(t->pid, SIGTERM);
		while (!reap_nohang(t) && now_ms() < deadline) {
			if (pump(t, 50) < 0)
				poll(NULL, 0, 50);
		}
		if (!t->reaped)
			fprintf(stderr, "test_term: %s (pid %d) did not end within %d ms of "
			    "SIGTERM under valgrind; killed\n", t->argv0, (int)t->pid,
			    test_valgrind_ms(TEST_TERM_WAIT_MS));
	}
	if (!reap_nohang(t)) {
		/* Its process group too: a shell's children share it. Only
		 * while the leader is unreaped can the group id not be reused. */
		kill(-t->pid, SIGKILL);
		kill(t->pid, SIGKILL);
		while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->master >= 0)
		close(t->master);
	vterm_free(t->vt);
	free(t->out);
	free(t->raw);
	free(t->fed);
	free(t->rowbuf);
	free(t->textbuf);
	free(t->scratch);
	free(t->cellstart);
	free(t);
}

int
test_term_teardown(void **state)
{
	test_term_free(*state);
	*state = NULL;
	return 0;
}
