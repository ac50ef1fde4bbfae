/*
 * fuzz-text: untrusted text through bus_text_sanitize(), bus_text_width()
 * and bus_text_fit(), checking what bus-text.h promises (abort() if not):
 *
 *  - the output is valid UTF-8 and holds no C0 control, DEL, C1 control,
 *    line separator, bidi control or listed invisible character, nothing
 *    wcwidth() calls unprintable, and no combining mark except up to
 *    BUS_TEXT_MARKS_MAX right after a character that takes columns;
 *  - bus_text_width() of the output is the sum of wcwidth() over it, and of
 *    any C string the width of its sanitised form;
 *  - a sanitize into a short buffer is the longest start of the whole
 *    output that ends between characters and fits;
 *  - bus_text_fit() never uses more columns than asked (nor than the buffer
 *    allows), exactly that many when padding, and returns what it wrote;
 *    its text is the start of the sanitised input (then "…" if asked for),
 *    padded on the side asked for, and all of it when it fits.
 *
 * The checks decode and measure with code of their own, not the module's.
 *
 * Input: byte 0 the bus_text_fit() flags (low three bits), byte 1 the
 * columns minus 8 (so -8..247: negative counts as 0), byte 2 the size of
 * the output buffers (0: as large as the header says is enough), then the
 * text.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "test-utf8.h"
#include "bus-text.h"
#include "xmalloc.h"

#define ELLIPSIS "\xe2\x80\xa6"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);


/* Check that s[0..n) is safe to show (see the top); its columns. */
static int
check_safe(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int width = 0, marks = -1;
	uint32_t cp;

	if (strlen(s) != n)
		abort();
	while (i < n) {
		if (!test_utf8_next(u, n, &i, &cp) || test_utf8_banned(cp))
			abort();
		int w = wcwidth((wchar_t)cp);
		if (w == 0) {
			if (marks < 0 || ++marks > BUS_TEXT_MARKS_MAX)
				abort();
		} else
			marks = 0;
		width += w;
	}
	return width;
}

/* Where the character that starts at s[i] ends, with the marks on it. */
static size_t
cluster_end(const char *s, size_t n, size_t i)
{
	uint32_t cp;

	if (!test_utf8_next((const unsigned char *)s, n, &i, &cp))
		abort();
	for (size_t j = i; j < n; i = j) {
		if (!test_utf8_next((const unsigned char *)s, n, &j, &cp))
			abort();
		if (wcwidth((wchar_t)cp) != 0)
			break;
	}
	return i;
}

static int
is_mark_at(const char *s, size_t n, size_t i)
{
	uint32_t cp;

	return i < n && test_utf8_next((const unsigned char *)s, n, &i, &cp) &&
	    wcwidth((wchar_t)cp) == 0;
}

static size_t
common_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	while (i < an && i < bn && a[i] == b[i])
		i++;
	return i;
}

/* bus_text_sanitize() into a buffer of outsz bytes, against the whole
 * output full[0..n). */
static void
check_short_sanitize(const char *in, size_t len, size_t outsz, const char *full, size_t n)
{
	char *out = xmalloc(outsz);
	size_t m = bus_text_sanitize(in, len, out, outsz);

	check_safe(out, m);
	if (m > outsz - 1 || m > n || memcmp(out, full, m) != 0)
		abort();
	/* Cut between characters, and not before one that would have fit. */
	if (m < n && (is_mark_at(full, n, m) || cluster_end(full, n, m) <= outsz - 1))
		abort();
	free(out);
}

/* Is text[0..tn) the start of full[0..n), or with ELLIPSIS that and "…"? */
static int
starts_full(const char *text, size_t tn, int flags, const char *full, size_t n)
{
	if (common_prefix(text, tn, full, n) == tn)
		return 1;
	return (flags & BUS_TEXT_ELLIPSIS) && tn >= 3 &&
	    memcmp(text + tn - 3, ELLIPSIS, 3) == 0 &&
	    common_prefix(text, tn - 3, full, n) == tn - 3;
}

/* bus_text_fit() of in[0..len) (len may be BUS_TEXT_CSTR; inlen is then
 * its strlen), against its whole sanitised form full[0..n). */
static void
check_fit(const char *in, size_t len, size_t inlen, int cols, int flags, size_t outsz,
    const char *full, size_t n, int full_width)
{
	int want = cols < 0 ? 0 : cols;
	char *out;
	size_t on, lead = 0, trail = 0, j;

	if (outsz == 0)
		outsz = BUS_TEXT_FIT_SIZE(want);
	if ((size_t)want > outsz - 1)
		want = (int)(outsz - 1);
	out = xmalloc(outsz);
	int r = bus_text_fit(in, len, cols, flags, out, outsz);
	on = strlen(out);
	if (on > outsz - 1 || r < 0 || r > want || check_safe(out, on) != r)
		abort();
	if (!(flags & BUS_TEXT_NOPAD) && r != want)
		abort();

	/* The text, without the padding: the start of the sanitised input. */
	while (lead < on && out[lead] == ' ')
		lead++;
	while (trail < on && out[on - 1 - trail] == ' ')
		trail++;
	if (flags & BUS_TEXT_NOPAD) {
		if (!starts_full(out, on, flags, full, n))
			abort();
		/* Cut between characters (with an ellipsis, a "…" of the
		 * text's own could make the output look cut elsewhere). */
		if (!(flags & BUS_TEXT_ELLIPSIS) && is_mark_at(full, n, on))
			abort();
	} else if (flags & BUS_TEXT_RIGHT) {
		for (j = 0; j <= lead && !starts_full(out + j, on - j, flags, full, n); j++)
			;
		if (j > lead)
			abort();
	} else if (!starts_full(out, on - trail, flags, full, n) &&
	    common_prefix(out, on, full, n) < on - trail)
		abort();

	/* All of it when it fits: columns, bytes with the padding, and no more
	 * input than the scan reads (a C string that reaches the limit counts
	 * as going on). */
	size_t pad = flags & BUS_TEXT_NOPAD ? 0 : (size_t)(want - full_width);
	size_t limit = BUS_TEXT_SCAN_MAX(want);
	if (full_width <= want && n + pad <= outsz - 1 &&
	    (len == BUS_TEXT_CSTR ? inlen < limit : inlen <= limit)) {
		if (flags & BUS_TEXT_NOPAD) {
			if (on != n || memcmp(out, full, n) != 0)
				abort();
		} else if (flags & BUS_TEXT_RIGHT) {
			if (on != n + pad || memcmp(out + pad, full, n) != 0)
				abort();
		} else if (on != n + pad || memcmp(out, full, n) != 0)
			abort();
	}
	free(out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Widths need a UTF-8 locale, as the console sets one at start. */
	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "fuzz-text: no C.UTF-8 locale\n");
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	int flags = data[0] & 0x7, cols = (int)data[1] - 8;
	size_t outsz = data[2], len = size - 3;
	/* The text in a block of its own size: a read past it is caught. */
	char *in = xmalloc(len), *full, *cstr, *cfull;
	memcpy(in, data + 3, len);

	size_t fullsz = BUS_TEXT_SANITIZE_SIZE(len);
	full = xmalloc(fullsz);
	size_t n = bus_text_sanitize(in, len, full, fullsz);
	int width = check_safe(full, n);
	if (bus_text_width(full) != width)
		abort();
	if (outsz > 0)
		check_short_sanitize(in, len, outsz, full, n);
	check_fit(in, len, len, cols, flags, outsz, full, n, width);

	/* The same text as a C string: up to its first NUL. */
	size_t clen = strnlen(in, len);
	cstr = xmalloc(clen + 1);
	memcpy(cstr, in, clen);
	cstr[clen] = '\0';
	cfull = xmalloc(BUS_TEXT_SANITIZE_SIZE(clen));
	size_t cn = bus_text_sanitize(cstr, BUS_TEXT_CSTR, cfull, BUS_TEXT_SANITIZE_SIZE(clen));
	int cwidth = check_safe(cfull, cn);
	if (bus_text_width(cstr) != cwidth)
		abort();
	check_fit(cstr, BUS_TEXT_CSTR, clen, cols, flags, outsz, cfull, cn, cwidth);

	free(cfull);
	free(cstr);
	free(full);
	free(in);
	return 0;
}
