/*
 * Sanitising and fitting untrusted text (bus/base/bus-text.c).
 *
 * The checks here do not trust the module: UTF-8 is validated and decoded by
 * a decoder of the test's own, widths are summed with wcwidth() over the
 * output, and the list of code points that must never come out is written
 * out again below. The property tests run thousands of generated inputs
 * from a fixed seed; a failure prints the input in hex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "test-utf8.h"
#include "bus-text.h"

#define ELL  BUS_TEXT_ELLIPSIS
#define FFFD "\xef\xbf\xbd"
#define DOTS "\xe2\x80\xa6"
#define KANJI_TITLE "制御系ネットワーク" /* 9 double-width characters */

/* ---- independent helpers ---------------------------------------------- */


/* Columns of s by wcwidth(), or -1 if s is not valid UTF-8 or holds an
 * unprintable code point. */
static int
columns(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = strlen(s);
	uint32_t cp;
	int total = 0, w;

	while (i < n) {
		if (!test_utf8_next(u, n, &i, &cp))
			return -1;
		if ((w = wcwidth((wchar_t)cp)) < 0)
			return -1;
		total += w;
	}
	return total;
}

static void
dump(const char *what, const void *p, size_t n)
{
	const unsigned char *u = p;

	print_message("%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n && i < 512; i++)
		print_message(" %02x", u[i]);
	print_message("%s\n", n > 512 ? " ..." : "");
}

/* Sanitise into a buffer that is always big enough. */
static const char *
san(const char *in, size_t len)
{
	static char out[BUS_TEXT_SANITIZE_SIZE(40000)];

	assert_true(len <= 40000);
	bus_text_sanitize(in, len, out, sizeof out);
	return out;
}
#define SAN(lit) san(lit, sizeof(lit) - 1)

static const char *
fit(const char *in, size_t len, int cols, int flags)
{
	static char out[BUS_TEXT_FIT_SIZE(200)];
	int used;

	assert_true(cols <= 200);
	used = bus_text_fit(in, len, cols, flags, out, sizeof out);
	assert_int_equal(used, columns(out));
	return out;
}
#define FIT(lit, cols, flags) fit(lit, sizeof(lit) - 1, cols, flags)

/* ---- specific cases ---------------------------------------------------- */

static void
test_escape_sequences_leave_no_trace(void **state)
{
	(void)state;

	assert_string_equal(SAN("before\x1b[2Jafter"), "beforeafter");
	assert_string_equal(SAN("\x1b[1;31mred\x1b[0m"), "red");
	assert_string_equal(SAN("\x1b[?1049h\x1b[38;2;255;0;0mx"), "x");
	/* OSC 52 writes the clipboard; both terminators. */
	assert_string_equal(SAN("a\x1b]52;c;SGVsbG8gd29ybGQ=\x07z"), "az");
	assert_string_equal(SAN("a\x1b]52;c;SGVsbG8gd29ybGQ=\x1b\\z"), "az");
	/* OSC 8 hyperlink: the label stays, the URL goes. */
	assert_string_equal(SAN("\x1b]8;;https://evil.example/steal\x1b\\"
	    "click here\x1b]8;;\x1b\\"), "click here");
	assert_string_equal(SAN("\x1b]0;pwned title\x07ok"), "ok");
	/* DCS, SOS, PM, APC. */
	assert_string_equal(SAN("\x1bP1$r0m\x1b\\ok"), "ok");
	assert_string_equal(SAN("\x1bXsos payload\x1b\\ok"), "ok");
	assert_string_equal(SAN("\x1b^pm payload\x1b\\ok"), "ok");
	assert_string_equal(SAN("\x1b_apc payload\x1b\\ok"), "ok");
	/* Two-byte and intermediate sequences. */
	assert_string_equal(SAN("\x1b" "c\x1b" "7\x1b(B\x1b#8ok"), "ok");
	/* 8-bit introducers, encoded as UTF-8, take their payload along. */
	assert_string_equal(SAN("\xc2\x9b" "2Jok"), "ok");
	assert_string_equal(SAN("\xc2\x9d" "52;c;QUJD\xc2\x9cok"), "ok");
	assert_string_equal(SAN("\xc2\x90" "dcs\xc2\x9cok"), "ok");
	assert_string_equal(SAN("\xc2\x98" "sos\xc2\x9cok"), "ok");
	assert_string_equal(SAN("\xc2\x9e" "pm\xc2\x9cok"), "ok");
	assert_string_equal(SAN("\xc2\x9f" "apc\xc2\x9cok"), "ok");
	/* A raw 0x9B byte is not UTF-8: it shows as U+FFFD, inert. */
	assert_string_equal(SAN("\x9b" "2J"), FFFD "2J");
	/* Unterminated sequences run to the end. */
	assert_string_equal(SAN("ok\x1b]52;c;QUJDREVG"), "ok");
	assert_string_equal(SAN("ok\x1b[12;"), "ok");
	assert_string_equal(SAN("ok\x1b"), "ok");
	/* ESC before text that cannot continue a sequence is just dropped. */
	assert_string_equal(SAN("\x1b" "制御"), "制御");
	/* CAN aborts a string; an ESC in a string starts a new sequence. */
	assert_string_equal(SAN("\x1b]0;x\x18shown"), "shown");
	assert_string_equal(SAN("\x1b]0;t\x1b[2Jv"), "v");
	/* C0 controls inside a CSI do not end it, as in a terminal. */
	assert_string_equal(SAN("\x1b[2\nJz"), "z");
	/* Text ends a broken CSI, and shows. */
	assert_string_equal(SAN("\x1b[2制"), "制");
}

static void
test_controls(void **state)
{
	(void)state;

	/* The rule: TAB, LF, CR (and U+2028, U+2029) are line breaks, and a
	 * run of them is one space; every other control is removed. */
	assert_string_equal(SAN("a\tb\nc\r\nd"), "a b c d");
	assert_string_equal(SAN("a\n\x1b[K\n\x01\r\nb"), "a b");
	assert_string_equal(SAN("a\xe2\x80\xa8\xe2\x80\xa9" "b"), "a b");
	assert_string_equal(SAN("\n"), " ");
	assert_string_equal(SAN("a \n b"), "a   b"); /* spaces are text */
	assert_string_equal(SAN("a\x00" "b\x01" "c\x7f" "d\x08\x07\x0b\x0c" "e"),
	    "abcde");
	assert_string_equal(SAN("a\xc2\x85" "b\xc2\x80\xc2\x99" "c"), "abc");
	assert_int_equal(bus_text_sanitize("a\0b", 3, (char[8]){0}, 8), 2);
}

static void
test_bidi_and_invisible_removed(void **state)
{
	static const uint32_t gone[] = {
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067,
		0x2068, 0x2069, 0x200E, 0x200F, 0x061C, 0x200B, 0x200C,
		0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF,
		0x00AD, 0x180E, 0xE0000, 0xE0001, 0xE0041, 0xE007F, 0xFE0F,
		0xE0100, 0x3164,
	};
	char in[16];
	(void)state;

	assert_string_equal(SAN("abc\xe2\x80\xae" "def"), "abcdef");
	/* What wcwidth() cannot print: unassigned, noncharacters. */
	assert_string_equal(SAN("a\xcd\xb8\xef\xbf\xbe\xef\xb7\x90" "b"), "ab");
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		wchar_t wc[2] = { (wchar_t)gone[i], 0 };
		size_t n;

		in[0] = 'a';
		n = wcstombs(in + 1, wc, sizeof in - 2);
		assert_true(n != (size_t)-1);
		in[1 + n] = 'b';
		if (strcmp(san(in, n + 2), "ab") != 0)
			fail_msg("U+%04X was not removed", (unsigned)gone[i]);
	}
}

static void
test_invalid_utf8_becomes_fffd(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "\xff", FFFD },
		{ "\x80", FFFD },                        /* stray continuation */
		{ "a\xbf" "b", "a" FFFD "b" },
		{ "\xc0\xaf", FFFD FFFD },               /* overlong '/' */
		{ "\xe0\x80\xaf", FFFD FFFD FFFD },      /* overlong */
		{ "\xed\xa0\x80", FFFD FFFD FFFD },      /* surrogate D800 */
		{ "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD }, /* > U+10FFFF */
		{ "\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD }, /* overlong */
		{ "\xe6\x97", FFFD },                    /* truncated at end */
		{ "\xe6\x97x", FFFD "x" },               /* truncated */
		{ "\xf0\x9f\x98x", FFFD "x" },
		{ "\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD },
		{ "ok\xe6\x97\xa5", "ok\xe6\x97\xa5" },  /* 日, well-formed */
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(san(cases[i].in, strlen(cases[i].in)),
		    cases[i].out);
	assert_int_equal(bus_text_width(FFFD), 1);
}

static void
test_combining_marks(void **state)
{
	(void)state;

	assert_string_equal(SAN("e\xcc\x81"), "e\xcc\x81");
	assert_int_equal(bus_text_width("e\xcc\x81"), 1);
	/* Not at the start of a field. */
	assert_string_equal(SAN("\xcc\x81" "abc"), "abc");
	/* Not after something removed. */
	assert_string_equal(SAN("a\x1b[m\xcc\x81"), "a");
	assert_string_equal(SAN("a\xe2\x80\xae\xcc\x81"), "a");
	/* At most four, as ncurses keeps in a cell. */
	assert_string_equal(SAN("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85"
	    "\xcc\x86" "b"), "a\xcc\x81\xcc\x82\xcc\x83\xcc\x84" "b");
	/* A cut never leaves a character without its marks. */
	assert_string_equal(FIT("abe\xcc\x81" "cd", 3, 0), "abe\xcc\x81");
	assert_string_equal(FIT("abe\xcc\x81" "cd", 3, ELL), "ab" DOTS);
}

static void
test_cjk_width_and_fit(void **state)
{
	(void)state;

	assert_int_equal(bus_text_width(KANJI_TITLE), 18);
	assert_int_equal(columns(KANJI_TITLE), 18);

	/* 7 columns, no ellipsis: three characters and one space. */
	assert_string_equal(FIT(KANJI_TITLE, 7, 0), "制御系 ");
	/* With the ellipsis: three characters and "…", exactly 7. */
	assert_string_equal(FIT(KANJI_TITLE, 7, ELL), "制御系" DOTS);
	/* 6 columns: the ellipsis needs a column, so two and "…" and a
	 * space, the edge never splitting a character. */
	assert_string_equal(FIT(KANJI_TITLE, 6, 0), "制御系");
	assert_string_equal(FIT(KANJI_TITLE, 6, ELL), "制御" DOTS " ");
	assert_string_equal(FIT(KANJI_TITLE, 5, BUS_TEXT_RIGHT), " 制御");
	assert_string_equal(FIT(KANJI_TITLE, 18, ELL), KANJI_TITLE);
	assert_string_equal(FIT(KANJI_TITLE, 20, ELL), KANJI_TITLE "  ");
	assert_int_equal(bus_text_fit(KANJI_TITLE, sizeof KANJI_TITLE - 1, 7,
	    BUS_TEXT_NOPAD, (char[64]){0}, 64), 6);

	/* Columns line up whatever the script. */
	assert_int_equal(columns(FIT("ICS-0042 " KANJI_TITLE, 20, ELL)), 20);
	assert_int_equal(columns(FIT("ICS-0043 water plant", 20, ELL)), 20);
	assert_int_equal(columns(FIT("ICS-0044 水道", 20, ELL)), 20);
}

static void
test_long_title(void **state)
{
	static char title[40000];
	size_t n = 0;
	const char *out;
	(void)state;

	/* 10,000 characters: kanji, ASCII, and a hostile sequence. */
	for (int i = 0; i < 10000; i++) {
		static const char *const parts[] = { "制", "a", "\xe2\x80\xae", "é" };
		const char *p = parts[i % 4];

		memcpy(title + n, p, strlen(p));
		n += strlen(p);
	}
	out = fit(title, n, 40, ELL);
	assert_int_equal(columns(out), 40);
	assert_true(strlen(out) >= 3);
	assert_memory_equal(out + strlen(out) - 3, DOTS, 3);
	assert_int_equal(strncmp(out, san(title, n), strlen(out) - 3), 0);
	/* The same as a C string. */
	title[n] = '\0';
	assert_string_equal(fit(title, BUS_TEXT_CSTR, 40, ELL), out);
}

static void
test_empty(void **state)
{
	char buf[4] = "xyz";
	(void)state;

	assert_string_equal(SAN(""), "");
	assert_int_equal(bus_text_sanitize(NULL, 0, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(bus_text_width(""), 0);
	assert_int_equal(bus_text_width(NULL), 0);
	assert_string_equal(FIT("", 5, ELL), "     ");
	assert_string_equal(fit(NULL, 0, 3, ELL), "   ");
	assert_string_equal(fit("", BUS_TEXT_CSTR, 2, 0), "  ");
	assert_string_equal(FIT("", 5, BUS_TEXT_NOPAD | ELL), "");
	/* Nothing but what is removed is empty too, and not "cut". */
	assert_string_equal(FIT("\x1b[2J\xe2\x80\x8b", 3, ELL), "   ");
}

static void
test_narrow_fields(void **state)
{
	(void)state;

	assert_string_equal(FIT("abc", 0, 0), "");
	assert_string_equal(FIT("abc", 0, ELL), "");
	assert_string_equal(FIT("abc", -5, ELL), "");
	assert_string_equal(FIT("", 0, ELL), "");
	assert_string_equal(FIT("abc", 1, 0), "a");
	assert_string_equal(FIT("abc", 1, ELL), DOTS);
	assert_string_equal(FIT("a", 1, ELL), "a");      /* not cut */
	assert_string_equal(FIT("制", 1, 0), " ");       /* would straddle */
	assert_string_equal(FIT("制", 1, ELL), DOTS);
	assert_string_equal(FIT("制", 1, BUS_TEXT_NOPAD), "");
	assert_string_equal(FIT("制御", 2, ELL), DOTS " ");
	assert_string_equal(FIT("制", 2, ELL), "制");
}

static const char *
fit_middle(const char *in, int cols, int flags)
{
	static char out[BUS_TEXT_FIT_SIZE(200)];
	int used;

	assert_true(cols <= 200);
	used = bus_text_fit_middle(in, BUS_TEXT_CSTR, cols, flags, out, sizeof out);
	assert_int_equal(used, columns(out));
	return out;
}

/* Names that differ at the end stay different when cut: the middle goes. */
static void
test_fit_middle_keeps_the_end(void **state)
{
	(void)state;

	assert_string_equal(fit_middle("s-transportation-01", 16, 0), "s-trans" DOTS "ation-01");
	assert_string_equal(fit_middle("s-transportation-02", 16, 0), "s-trans" DOTS "ation-02");
	assert_string_equal(fit_middle("NORTHEAST-1+1", 7, 0), "NOR" DOTS "1+1");
	/* Text that fits is as bus_text_fit() gives it, padded or not. */
	assert_string_equal(fit_middle("FLY-2+1", 7, 0), "FLY-2+1");
	assert_string_equal(fit_middle("FLY-2", 7, 0), "FLY-2  ");
	assert_string_equal(fit_middle("FLY-2", 7, BUS_TEXT_RIGHT), "  FLY-2");
	assert_string_equal(fit_middle("FLY-2", 7, BUS_TEXT_NOPAD), "FLY-2");
	assert_string_equal(fit_middle("abcdefgh", 7, BUS_TEXT_NOPAD), "abc" DOTS "fgh");
	/* Wide characters are never split: the field is padded instead. */
	assert_string_equal(fit_middle(KANJI_TITLE, 8, 0), "制" DOTS "ーク ");
	assert_string_equal(fit_middle(KANJI_TITLE, 8, BUS_TEXT_RIGHT), " 制" DOTS "ーク");
	assert_string_equal(fit_middle(KANJI_TITLE, 9, 0), "制御" DOTS "ーク");
	/* Marks stay on their character; what is removed stays removed. */
	assert_string_equal(fit_middle("e\xcc\x81" "bcdefgh\x1b[31mxyz", 7, 0),
	    "e\xcc\x81" "bc" DOTS "xyz");
	/* Under 3 columns, or longer than the scan limit: cut at the end. */
	assert_string_equal(fit_middle("abcdef", 2, 0), "a" DOTS);
	static char huge[BUS_TEXT_SCAN_MAX(10) + 10];
	memset(huge, 'a', sizeof huge - 1);
	huge[sizeof huge - 2] = 'z';
	assert_string_equal(fit_middle(huge, 10, 0), "aaaaaaaaa" DOTS);
	assert_string_equal(fit_middle(NULL, 3, 0), "   ");
}

static void
test_right_alignment(void **state)
{
	(void)state;

	assert_string_equal(FIT("42", 6, BUS_TEXT_RIGHT), "    42");
	assert_string_equal(FIT("1234567", 4, BUS_TEXT_RIGHT | ELL), "123" DOTS);
	assert_string_equal(FIT("制御系", 7, BUS_TEXT_RIGHT), " 制御系");
}

static void
test_small_buffers(void **state)
{
	char buf[16];
	(void)state;

	/* outsz 0: nothing written at all. */
	memset(buf, 'x', sizeof buf);
	assert_int_equal(bus_text_sanitize("abc", 3, buf, 0), 0);
	assert_int_equal(bus_text_fit("abc", 3, 5, ELL, buf, 0), 0);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(bus_text_sanitize("abc", 3, buf, 1), 0);
	assert_string_equal(buf, "");
	/* Cut at a character, never inside one or between it and its marks. */
	assert_int_equal(bus_text_sanitize("制御", 6, buf, 5), 3);
	assert_string_equal(buf, "制");
	assert_int_equal(bus_text_sanitize("ae\xcc\x81", 4, buf, 4), 1);
	assert_string_equal(buf, "a");
	/* A field narrows to what the buffer holds. */
	assert_int_equal(bus_text_fit("abcdefgh", 8, 10, 0, buf, 6), 5);
	assert_string_equal(buf, "abcde");
	assert_int_equal(bus_text_fit("ab", 2, 10, BUS_TEXT_RIGHT, buf, 6), 5);
	assert_string_equal(buf, "   ab");
	/* No room for a mark: its character goes too. */
	assert_int_equal(bus_text_fit("abe\xcc\x81", 5, 3, BUS_TEXT_NOPAD,
	    buf, 4), 2);
	assert_string_equal(buf, "ab");
	/* Too small for the kanji and its padding: fewer kanji, more spaces. */
	assert_int_equal(bus_text_fit(KANJI_TITLE, sizeof KANJI_TITLE - 1, 6,
	    0, buf, 8), 6);
	assert_string_equal(buf, "制    ");
}

/* Fit to 20 columns junk that ends just before the scan limit, then tail,
 * then a long way more; with and without the ellipsis. */
static void
check_at_limit(size_t junk, const char *tail, const char *want,
    const char *want_ell)
{
	size_t limit = BUS_TEXT_SCAN_MAX(20), len = limit + 100, tn = strlen(tail);
	char *in = malloc(len);

	assert_non_null(in);
	assert_true(junk >= 6 && junk + tn <= len);
	/* One OSC string that ends with BEL, then the tail, then text. */
	memset(in, 'x', len);
	memcpy(in, "\x1b]0;", 4);
	in[junk - 1] = '\x07';
	memcpy(in + junk, tail, tn);
	assert_string_equal(fit(in, len, 20, BUS_TEXT_NOPAD), want);
	assert_string_equal(fit(in, len, 20, BUS_TEXT_NOPAD | ELL), want_ell);
	free(in);
}

static void
test_fit_at_the_scan_limit(void **state)
{
	size_t limit = BUS_TEXT_SCAN_MAX(20);
	(void)state;

	/* A character at the limit could have marks beyond it: it goes. */
	check_at_limit(limit - 1, "e\xcc\x81", "", DOTS);
	check_at_limit(limit - 2, "ae\xcc\x81", "a", "a" DOTS);
	/* Followed by something removed, within the limit, it is whole. */
	check_at_limit(limit - 5, "ab\xe2\x80\x8b", "ab", "ab" DOTS);
	/* A character the limit cuts is not ill-formed: no U+FFFD. */
	check_at_limit(limit - 2, "制", "", DOTS);
	check_at_limit(limit - 4, "a制", "a", "a" DOTS);
	/* A field that fills before the limit is cut where it fills. */
	check_at_limit(limit - 30, "ab", "abxxxxxxxxxxxxxxxxxx",
	    "abxxxxxxxxxxxxxxxxx" DOTS);
	/* One that fills at the limit: the last character read may yet
	 * have marks, so it goes. */
	check_at_limit(limit - 20, "ab", "abxxxxxxxxxxxxxxxxx",
	    "abxxxxxxxxxxxxxxxxx" DOTS);
}

/* ---- properties over generated input ----------------------------------- */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64*: small, fast, and the same everywhere. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t
gen_bytes(char *buf, size_t max)
{
	size_t n = rng() % (max + 1);

	for (size_t i = 0; i < n; i++) {
		/* Half the time, bytes where the trouble is. */
		if (rng() % 2)
			buf[i] = (char)(rng() % 256);
		else {
			static const unsigned char hot[] = { 0x1b, '[', ']',
			    '\\', 0x07, 0x9b, 0xc2, 0xe2, 0x80, 0xae, 0xed,
			    0xf4, 0xf0, 0x9f, '\n', ';', '2', 'J', 'a', 0xcc,
			    0x81, 0x18, 0x00, 0x7f };
			buf[i] = (char)hot[rng() % sizeof hot];
		}
	}
	return n;
}

#define PIECE(s) { s, sizeof(s) - 1 }
static const struct {
	const char *s;
	size_t n;
} pieces[] = {
	PIECE("\x1b[2J"), PIECE("\x1b[1;31m"), PIECE("\x1b[0m"), PIECE("\x1b["),
	PIECE("\x1b]52;c;SGVsbG8=\x07"), PIECE("\x1b]52;c;"),
	PIECE("\x1b]8;;https://evil.example/\x1b\\"), PIECE("\x1b]8;;\x1b\\"),
	PIECE("\x1b]0;title"), PIECE("\x1bP$q\"p\x1b\\"), PIECE("\x1b_apc"),
	PIECE("\x1b\\"), PIECE("\x1b"), PIECE("\x1b(B"), PIECE("\x1b#8"),
	PIECE("\x1b" "c"), PIECE("\xc2\x9b" "31m"), PIECE("\xc2\x9d" "0;t"),
	PIECE("\xc2\x9c"), PIECE("\x9b"), PIECE("\x9b" "2J"), PIECE("\x07"),
	PIECE("\x18"), PIECE("\x1a"), PIECE("\x00"), PIECE("\x7f"),
	PIECE("\t"), PIECE("\n"), PIECE("\r\n"), PIECE("\xe2\x80\xa8"),
	PIECE("\xc2\x85"), PIECE("\xe2\x80\xae"), PIECE("\xe2\x80\xad"),
	PIECE("\xe2\x81\xa6"), PIECE("\xe2\x81\xa9"), PIECE("\xe2\x80\x8f"),
	PIECE("\xd8\x9c"), PIECE("\xe2\x80\x8b"), PIECE("\xe2\x80\x8d"),
	PIECE("\xe2\x81\xa0"), PIECE("\xef\xbb\xbf"), PIECE("\xc2\xad"),
	PIECE("\xe1\xa0\x8e"), PIECE("\xf3\xa0\x80\x81"), PIECE("\xf3\xa0\x81\x81"),
	PIECE("\xef\xb8\x8f"), PIECE("\xcc\x81"), PIECE("\xcc\x81\xcc\x82"),
	PIECE("\xed\xa0\x80"), PIECE("\xc0\xaf"), PIECE("\xf4\x90\x80\x80"),
	PIECE("\xe6\x97"), PIECE("\x80"), PIECE("\xff"), PIECE("\xf0\x9f\x98"),
	PIECE("制御系"), PIECE("ネットワーク"), PIECE("水"), PIECE("é"),
	PIECE("e\xcc\x81"), PIECE("\xf0\x9f\x98\x80"), PIECE("\xe2\x9d\xa4\xef\xb8\x8f"),
	PIECE("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb"),
	PIECE("\xe3\x85\xa4"), PIECE("\xef\xbf\xbd"), PIECE("\xe2\x80\xa6"),
	PIECE("ICS-2026-0042"), PIECE("Tokyo Water"), PIECE(" "), PIECE("a"),
	PIECE("\xf0\x9d\x90\x80"), PIECE("\xee\x80\x80"), PIECE("\xcd\xb8"),
	/* The widest column there is: a 4-byte character, five 4-byte marks. */
	PIECE("\xf0\x9d\x90\x80\xf0\x9d\x85\xa7\xf0\x9d\x85\xa7"
	    "\xf0\x9d\x85\xa7\xf0\x9d\x85\xa7\xf0\x9d\x85\xa7"),
};

static size_t
gen_hostile(char *buf, size_t max)
{
	size_t n = 0, count = rng() % 40;

	for (size_t i = 0; i < count; i++) {
		size_t k = rng() % (sizeof pieces / sizeof pieces[0]);

		if (n + pieces[k].n > max)
			break;
		memcpy(buf + n, pieces[k].s, pieces[k].n);
		n += pieces[k].n;
	}
	return n;
}

/* The sanitised text S of an input: valid, nothing banned, no mark first,
 * no more than the allowed marks on a character, and its width. */
static int
check_safe(const char *s, size_t n, const void *in, size_t inlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	int marks = -1, w, total = 0;

	if (strlen(s) != n) {
		dump("input", in, inlen);
		fail_msg("output holds a NUL or the length is wrong");
	}
	while (i < n) {
		if (!test_utf8_next(u, n, &i, &cp)) {
			dump("input", in, inlen);
			dump("output", s, n);
			fail_msg("output is not valid UTF-8 at byte %zu", i);
		}
		if (test_utf8_banned(cp)) {
			dump("input", in, inlen);
			dump("output", s, n);
			fail_msg("output holds U+%04X", (unsigned)cp);
		}
		w = wcwidth((wchar_t)cp);
		if (w == 0) {
			if (marks < 0 || ++marks > BUS_TEXT_MARKS_MAX) {
				dump("input", in, inlen);
				dump("output", s, n);
				fail_msg("a mark at the start or too many marks");
			}
		} else
			marks = 0;
		total += w;
	}
	return total;
}

/* The first code point of s, which must be one taking columns. */
static int
first_width(const char *s)
{
	size_t i = 0;
	uint32_t cp;

	assert_true(test_utf8_next((const unsigned char *)s, strlen(s), &i, &cp));
	return wcwidth((wchar_t)cp);
}

/* Fit x to cols with and without padding and alignment, and hold the
 * results against S = sanitise(x). full: x is within the scan limit, so
 * fit must have seen all of it. */
static void
check_fit(const char *x, size_t xn, const char *S, size_t Sn, int W,
    int cols, int ell, int full)
{
	size_t sz = BUS_TEXT_FIT_SIZE(cols);
	char *C = malloc(sz), *L = malloc(sz), *R = malloc(sz);
	int c, flags = ell ? ELL : 0;
	size_t Cn, Pn, pad;

	assert_non_null(C);
	assert_non_null(L);
	assert_non_null(R);
	c = bus_text_fit(x, xn, cols, flags | BUS_TEXT_NOPAD, C, sz);
	assert_int_equal(bus_text_fit(x, xn, cols, flags, L, sz), cols);
	assert_int_equal(bus_text_fit(x, xn, cols, flags | BUS_TEXT_RIGHT, R,
	    sz), cols);
	Cn = strlen(C);

	/* Never wider than the field; with padding exactly the field. */
	if (check_safe(C, Cn, x, xn) != c || c > cols) {
		dump("input", x, xn);
		fail_msg("fit to %d gave %d columns, said %d", cols,
		    columns(C), c);
	}
	if (check_safe(L, strlen(L), x, xn) != cols ||
	    check_safe(R, strlen(R), x, xn) != cols) {
		dump("input", x, xn);
		fail_msg("padded fit to %d is not %d columns", cols, cols);
	}
	/* Padding is spaces after the text, or before it. */
	pad = (size_t)(cols - c);
	assert_int_equal(strlen(L), Cn + pad);
	assert_memory_equal(L, C, Cn);
	for (size_t i = 0; i < pad; i++) {
		assert_int_equal(L[Cn + i], ' ');
		assert_int_equal(R[i], ' ');
	}
	assert_string_equal(R + pad, C);

	/* The text is S, or a prefix of S at a character boundary (and "…"
	 * when asked for and there is a column for it). */
	Pn = Cn;
	if (full && W > cols && ell && cols >= 1) {
		/* Cut, and there is always room for the ellipsis. */
		if (Cn < 3 || memcmp(C + Cn - 3, DOTS, 3) != 0) {
			dump("input", x, xn);
			fail_msg("cut text lacks the ellipsis");
		}
		Pn = Cn - 3;
	} else if (!full && ell && Cn >= 3 && memcmp(C + Cn - 3, DOTS, 3) == 0 &&
	    (Cn > Sn || memcmp(C, S, Cn) != 0)) {
		/* Maybe cut by the scan limit: "…" unless S has it there. */
		Pn = Cn - 3;
	}
	if (Pn > Sn || memcmp(C, S, Pn) != 0) {
		dump("input", x, xn);
		dump("sanitised", S, Sn);
		dump("fitted", C, Cn);
		fail_msg("fit to %d is not a prefix of the sanitised text", cols);
	}
	if (full && W <= cols && Pn != Sn) {
		dump("input", x, xn);
		fail_msg("text of %d columns was cut to fit %d", W, cols);
	}
	if (full && W > cols) {
		/* It stopped at a character, and took as many as fit. */
		char *P = strndup(S, Pn);
		int next;

		assert_non_null(P);
		next = first_width(S + Pn);
		if (next <= 0 || columns(P) + next + (ell ? 1 : 0) <= cols) {
			dump("input", x, xn);
			dump("fitted", C, Cn);
			fail_msg("fit to %d stopped early", cols);
		}
		free(P);
	}
	/* Fitting the sanitised text gives the same. */
	if (full) {
		c = bus_text_fit(S, Sn, cols, flags | BUS_TEXT_NOPAD, L, sz);
		assert_string_equal(L, C);
	}
	free(C);
	free(L);
	free(R);
}

/* Into buffers too small for the field: still safe, never past outsz, and
 * the field narrowed to what fits; sanitising stops at a character. */
static void
check_small_out(const char *x, size_t xn, const char *S, size_t Sn)
{
	for (int k = 0; k < 4; k++) {
		size_t outsz = 1 + rng() % 24, n;
		int cols = (int)(rng() % 30), flags = (int)(rng() % 8), c;
		int field = cols < (int)outsz - 1 ? cols : (int)outsz - 1;
		char *out = malloc(outsz);  /* exact, for ASan */

		assert_non_null(out);
		c = bus_text_fit(x, xn, cols, flags, out, outsz);
		n = strlen(out);
		assert_true(n < outsz);
		if (check_safe(out, n, x, xn) != c || c > field ||
		    (!(flags & BUS_TEXT_NOPAD) && c != field)) {
			dump("input", x, xn);
			fail_msg("fit to %d in %zu bytes (flags %d) gave %d "
			    "columns", cols, outsz, flags, c);
		}
		n = bus_text_sanitize(x, xn, out, outsz);
		assert_int_equal(strlen(out), n);
		check_safe(out, n, x, xn);
		if (n > Sn || memcmp(out, S, n) != 0 ||
		    (n < Sn && first_width(S + n) <= 0)) {
			dump("input", x, xn);
			fail_msg("sanitising into %zu bytes is not a prefix "
			    "ending at a character", outsz);
		}
		free(out);
	}
}

static void
check_input(const char *x, size_t xn)
{
	static const int widths[] = { 0, 1, 2, 3, 5, 7, 12, 20, 40, 80 };
	size_t sz = BUS_TEXT_SANITIZE_SIZE(xn);
	char *S = malloc(sz), *S2 = malloc(sz);
	size_t Sn;
	int W, full = xn < BUS_TEXT_SCAN_SLACK;

	assert_non_null(S);
	assert_non_null(S2);
	Sn = bus_text_sanitize(x, xn, S, sz);
	W = check_safe(S, Sn, x, xn);
	assert_int_equal(bus_text_width(S), W);

	/* Idempotent. */
	assert_int_equal(bus_text_sanitize(S, Sn, S2, sz), Sn);
	if (strcmp(S, S2) != 0) {
		dump("input", x, xn);
		dump("once", S, Sn);
		dump("twice", S2, strlen(S2));
		fail_msg("sanitising is not idempotent");
	}
	/* As a C string, when it is one. */
	if (memchr(x, '\0', xn) == NULL) {
		char *z = strndup(x, xn);

		assert_non_null(z);
		bus_text_sanitize(z, BUS_TEXT_CSTR, S2, sz);
		assert_string_equal(S2, S);
		free(z);
	}
	check_small_out(x, xn, S, Sn);
	for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
		check_fit(x, xn, S, Sn, W, widths[i], 0, full);
		check_fit(x, xn, S, Sn, W, widths[i], 1, full);
	}
	free(S);
	free(S2);
}

static void
test_property_random_bytes(void **state)
{
	char buf[512];
	(void)state;

	rng_state = 0x5eed0001;
	for (int i = 0; i < 4000; i++)
		check_input(buf, gen_bytes(buf, sizeof buf));
}

static void
test_property_hostile_mixes(void **state)
{
	char buf[1024];
	(void)state;

	rng_state = 0x5eed0002;
	for (int i = 0; i < 6000; i++)
		check_input(buf, gen_hostile(buf, sizeof buf));
}

static void
test_property_long_inputs(void **state)
{
	static char buf[40000];
	(void)state;

	/* Longer than the scan limit: fit stops early, and its output is
	 * still a safe prefix of the whole. */
	rng_state = 0x5eed0003;
	for (int i = 0; i < 150; i++) {
		size_t n = 0;

		while (n < 5000 + rng() % 30000)
			n += gen_hostile(buf + n, sizeof buf - n);
		check_input(buf, n);
	}
}

/* ---- the work is bounded by the field ---------------------------------- */

/* A logical input: head, then unit repeated, to len bytes. */
struct filler {
	const char *name;
	const char *head;
	const char *unit;
};

static void
fill(const struct filler *f, char *out, size_t n)
{
	size_t hn = strlen(f->head), un = strlen(f->unit);

	for (size_t i = 0; i < n; i++)
		out[i] = i < hn ? f->head[i] : f->unit[(i - hn) % un];
}

/*
 * Whether bus_text_fit() of the len-byte input completes when only its first
 * r bytes can be read: the rest lies in pages mapped PROT_NONE, so reading
 * any of it kills the child that tries. The kernel is the byte counter.
 */
static int
fits_reading_only(const struct filler *f, size_t len, size_t r, int cols,
    int flags)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t head = (r + page - 1) / page * page;
	size_t total = head + (len + page - 1) / page * page + page;
	char *base, *in;
	pid_t pid;
	int status;

	if (head == 0)
		head = page, total += page;
	base = mmap(NULL, total, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	in = base + head - r;
	fill(f, in, r);
	assert_int_equal(mprotect(base + head, total - head, PROT_NONE), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char out[BUS_TEXT_FIT_SIZE(200)];
		int devnull = open("/dev/null", O_WRONLY);

		/* Die of the fault, quietly: no cmocka or sanitizer handler. */
		if (devnull >= 0)
			dup2(devnull, 2);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		bus_text_fit(in, len, cols, flags, out, sizeof out);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	munmap(base, total);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The bytes bus_text_fit() reads: the least readable prefix it needs. */
static size_t
bytes_read(const struct filler *f, size_t len, int cols, int flags)
{
	size_t lo = 0, hi = len < BUS_TEXT_SCAN_MAX(cols) ? len :
	    BUS_TEXT_SCAN_MAX(cols);

	/* The documented bound holds... */
	if (!fits_reading_only(f, len, hi, cols, flags))
		fail_msg("%s: fit to %d read past %zu bytes of %zu", f->name,
		    cols, hi, len);
	/* ...and this is the least that works. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fits_reading_only(f, len, mid, cols, flags))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void
test_fit_work_is_bounded(void **state)
{
	static const struct filler text[] = {
		{ "ascii", "", "a" },
		{ "kanji", "", "制御系ネットワーク" },
		{ "marks", "", "e\xcc\x81" },
		{ "title", "\x1b]8;;https://evil.example/\x1b\\", "Tokyo Water " },
	};
	static const struct filler junk[] = {
		{ "zwsp", "abc", "\xe2\x80\x8b" },
		{ "csi", "", "\x1b[31m" },
		{ "osc", "\x1b]52;c;", "QUJD" },
		{ "zalgo", "a", "\xcc\x81" },
		{ "controls", "", "\x01\x02\n" },
	};
	const size_t big = 1000000, small = 100;
	char *in = malloc(big + 1), out[BUS_TEXT_FIT_SIZE(20)],
	    want[BUS_TEXT_FIT_SIZE(20)];
	(void)state;

	assert_non_null(in);
	/* Text that fills the field: a million bytes read no more than a
	 * hundred do. */
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
		for (int flags = 0; flags <= ELL; flags++) {
			size_t r_big = bytes_read(&text[i], big, 20, flags);
			size_t r_small = bytes_read(&text[i], small, 20, flags);

			print_message("%-8s flags %d: reads %zu of %zu bytes, "
			    "%zu of %zu\n", text[i].name, flags, r_big, big,
			    r_small, small);
			assert_int_equal(r_big, r_small);
			assert_true(r_small < small);
		}
	}
	/* Nothing to show for a long way: reading stops at the scan limit,
	 * and the rest counts as cut. */
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		size_t r = bytes_read(&junk[i], big, 20, ELL);

		print_message("%-8s reads %zu of %zu bytes (limit %zu)\n",
		    junk[i].name, r, big, (size_t)BUS_TEXT_SCAN_MAX(20));
		assert_true(r <= BUS_TEXT_SCAN_MAX(20));
		fill(&junk[i], in, big);
		bus_text_fit(in, big, 20, ELL, out, sizeof out);
		assert_int_equal(columns(out), 20);
		assert_non_null(strstr(out, DOTS));
		/* A C string that long is cut the same way. */
		in[big] = '\0';
		bus_text_fit(in, BUS_TEXT_CSTR, 20, ELL, want, sizeof want);
		assert_string_equal(want, out);
	}

	/* Many fits of the million bytes, all readable, give what the
	 * hundred give; as a C string too, without a strlen() of it. */
	fill(&text[1], in, big);
	in[big] = '\0';
	bus_text_fit(in, small, 20, ELL, want, sizeof want);
	for (int i = 0; i < 20000; i++) {
		bus_text_fit(in, big, 20, ELL, out, sizeof out);
		assert_string_equal(out, want);
		bus_text_fit(in, BUS_TEXT_CSTR, 20, ELL, out, sizeof out);
		assert_string_equal(out, want);
	}
	assert_int_equal(columns(want), 20);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_sequences_leave_no_trace),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_bidi_and_invisible_removed),
		cmocka_unit_test(test_invalid_utf8_becomes_fffd),
		cmocka_unit_test(test_combining_marks),
		cmocka_unit_test(test_cjk_width_and_fit),
		cmocka_unit_test(test_long_title),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_narrow_fields),
		cmocka_unit_test(test_right_alignment),
		cmocka_unit_test(test_fit_middle_keeps_the_end),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_fit_at_the_scan_limit),
		cmocka_unit_test(test_property_random_bytes),
		cmocka_unit_test(test_property_hostile_mixes),
		cmocka_unit_test(test_property_long_inputs),
		cmocka_unit_test(test_fit_work_is_bounded),
	};

	/* Widths need a UTF-8 locale, as the console sets one at start. */
	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "test-bus-text: no C.UTF-8 locale\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
