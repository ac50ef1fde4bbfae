/*
 * Text from the wire on its way to the terminal.
 *
 * A terminal acts on bytes: it does not know that a title came from an
 * outside producer. An ESC or a C1 control in a title can clear the screen,
 * write the operator's clipboard (OSC 52), plant a link (OSC 8), or retitle
 * the window; a bidi override can make "lanigiro" read as "original"; a
 * zero-width or tag character can hide text from the eye but not from a
 * copy. So every wire string reaches waddnstr() through this module, and
 * this module measures it too, because curses lays out columns, not bytes.
 *
 * The model is one stream, the same for every entry point:
 *
 *   bytes -> text_decode()    strict UTF-8, each ill-formed sequence one
 *                             U+FFFD (Unicode's maximal subpart rule)
 *         -> text_sequence()  a recogniser shaped like a terminal's own
 *                             parser (ground, escape, CSI, string states),
 *                             so what a terminal would take as a sequence
 *                             is swallowed whole, payload and all
 *         -> text_next()      keeps printable characters; turns a run of
 *                             line breaks into one space; drops controls,
 *                             bidi and invisible characters and whatever
 *                             wcwidth() cannot print; lets at most
 *                             BUS_TEXT_MARKS_MAX combining marks ride on the
 *                             character right before them
 *         -> units            a code point and its width in columns
 *
 * The recogniser only decides how much disappears; safety never rests on it,
 * because nothing below U+0020 or in U+007F-009F ever leaves text_next().
 * The stream depends only on what came before, so any prefix of the output
 * of a prefix of the input is a prefix of the output of the whole input:
 * bus_text_fit() can stop reading as soon as its field is full, and its
 * result is still the start of what bus_text_sanitize() gives. Units are
 * written at "cluster" boundaries (before a character that takes columns),
 * so a cut never separates a character from its marks.
 *
 * bus_text_fit() is what panels call while drawing: no allocation, and its
 * reading stops at the first character that does not fit or after
 * BUS_TEXT_SCAN_MAX(cols) bytes, whichever is first, so a 10,000-character
 * title costs what a 40-column one does.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "bus-text.h"

#define TEXT_REPLACEMENT 0xFFFD
#define TEXT_ELLIPSIS    "\xe2\x80\xa6" /* U+2026, one column */
#define TEXT_ELLIPSIS_LEN 3

/* Where the recogniser is in an escape sequence. */
enum text_state {
	TEXT_GROUND,  /* not in a sequence */
	TEXT_ESC,     /* after ESC */
	TEXT_INTER,   /* ESC and intermediate bytes: "ESC ( B", "ESC # 8" */
	TEXT_CSI,     /* ESC [ or U+009B, up to a final byte */
	TEXT_STR,     /* OSC, DCS, SOS, PM, APC payload, up to ST or BEL */
	TEXT_STR_ESC  /* ESC in a string payload: ST if "\" follows */
};

struct text_scan {
	const unsigned char *p;
	const unsigned char *end;   /* where reading stops */
	int more;                   /* the input goes on past end */
	enum text_state state;
	int brk;                    /* the last unit was a line break */
	int marks;                  /* marks on the last unit; -1: none may follow */
};

struct text_unit {
	uint32_t cp;
	int width;                  /* 0 for a combining mark */
};

/*
 * Removed although wcwidth() would print them: bidi controls, every format
 * character (Cf, Unicode 15) and other invisibles used to hide or spoof
 * text. Sorted, for a binary search.
 */
static const struct {
	uint32_t first, last;
} text_removed_ranges[] = {
	{ 0x00AD, 0x00AD },   /* soft hyphen */
	{ 0x034F, 0x034F },   /* combining grapheme joiner */
	{ 0x0600, 0x0605 },   /* Arabic prepended marks (Cf) */
	{ 0x061C, 0x061C },   /* Arabic letter mark (bidi) */
	{ 0x06DD, 0x06DD },
	{ 0x070F, 0x070F },
	{ 0x0890, 0x0891 },
	{ 0x08E2, 0x08E2 },
	{ 0x115F, 0x1160 },   /* Hangul fillers */
	{ 0x17B4, 0x17B5 },   /* Khmer inherent vowels, invisible */
	{ 0x180B, 0x180F },   /* Mongolian variation selectors, U+180E */
	{ 0x200B, 0x200F },   /* ZWSP, ZWNJ, ZWJ, LRM, RLM */
	{ 0x202A, 0x202E },   /* LRE, RLE, PDF, LRO, RLO */
	{ 0x2060, 0x206F },   /* word joiner, invisible operators, LRI..PDI */
	{ 0x3164, 0x3164 },   /* Hangul filler */
	{ 0xFE00, 0xFE0F },   /* variation selectors */
	{ 0xFEFF, 0xFEFF },   /* BOM, zero-width no-break space */
	{ 0xFFA0, 0xFFA0 },   /* halfwidth Hangul filler */
	{ 0xFFF9, 0xFFFB },   /* interlinear annotation */
	{ 0x110BD, 0x110BD },
	{ 0x110CD, 0x110CD },
	{ 0x13430, 0x1343F }, /* Egyptian hieroglyph format controls */
	{ 0x1BCA0, 0x1BCA3 }, /* shorthand format controls */
	{ 0x1D173, 0x1D17A }, /* musical format controls */
	{ 0xE0000, 0xE007F }, /* tags */
	{ 0xE0100, 0xE01EF }, /* variation selectors supplement */
};

static int
text_removed(uint32_t cp)
{
	size_t lo = 0, hi = sizeof text_removed_ranges /
	    sizeof text_removed_ranges[0];

	if (cp < text_removed_ranges[0].first)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < text_removed_ranges[mid].first)
			hi = mid;
		else if (cp > text_removed_ranges[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * Decode the code point at p (p < end) into *cp and its length into *n.
 * Ill-formed input becomes U+FFFD over its maximal subpart: the longest
 * start of a well-formed sequence (Unicode table 3-7), or one byte. Returns
 * 0 if the input ends inside a sequence that could still have been
 * well-formed, so the caller can tell "truncated" from "cut by our limit".
 */
static int
text_decode(const unsigned char *p, const unsigned char *end, uint32_t *cp,
    size_t *n)
{
	unsigned int c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		*n = 1;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;  /* overlong */
		else if (c == 0xED)
			hi = 0x9F;  /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;  /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;  /* above U+10FFFF */
	} else {
		/* Continuation byte, C0/C1 (overlong) or F5-FF. */
		*cp = TEXT_REPLACEMENT;
		*n = 1;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (p + i == end) {
			*cp = TEXT_REPLACEMENT;
			*n = i;
			return 0;
		}
		if (p[i] < lo || p[i] > hi) {
			*cp = TEXT_REPLACEMENT;
			*n = i;
			return 1;
		}
		v = v << 6 | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	*n = need + 1;
	return 1;
}

/*
 * Feed cp to the escape-sequence recogniser. Returns 1 if cp belongs to a
 * sequence (and is swallowed), 0 if it is ordinary text. What ends a
 * sequence follows a terminal's parser: CAN and SUB abort, ESC starts a new
 * one, and C0 controls inside a CSI do not end it.
 */
static int
text_sequence(struct text_scan *s, uint32_t cp)
{
	for (;;) {
		switch (s->state) {
		case TEXT_GROUND:
			if (cp == 0x1B)
				s->state = TEXT_ESC;
			else if (cp == 0x9B)
				s->state = TEXT_CSI;
			else if (cp == 0x90 || cp == 0x98 || cp == 0x9D ||
			    cp == 0x9E || cp == 0x9F)
				s->state = TEXT_STR;
			else
				return 0;
			return 1;
		case TEXT_ESC:
			if (cp == '[')
				s->state = TEXT_CSI;
			else if (cp == ']' || cp == 'P' || cp == 'X' ||
			    cp == '^' || cp == '_')
				s->state = TEXT_STR;
			else if (cp >= 0x20 && cp <= 0x2F)
				s->state = TEXT_INTER;
			else if (cp >= 0x30 && cp <= 0x7E)
				s->state = TEXT_GROUND; /* two-byte sequence */
			else if (cp == 0x1B)
				;
			else if (cp == 0x18 || cp == 0x1A)
				s->state = TEXT_GROUND;
			else {
				/* Not a sequence: drop the ESC, keep cp. */
				s->state = TEXT_GROUND;
				return 0;
			}
			return 1;
		case TEXT_INTER:
			if (cp >= 0x20 && cp <= 0x2F)
				;
			else if (cp >= 0x30 && cp <= 0x7E)
				s->state = TEXT_GROUND;
			else if (cp == 0x1B)
				s->state = TEXT_ESC;
			else if (cp == 0x18 || cp == 0x1A)
				s->state = TEXT_GROUND;
			else {
				s->state = TEXT_GROUND;
				return 0;
			}
			return 1;
		case TEXT_CSI:
			if (cp >= 0x40 && cp <= 0x7E)
				s->state = TEXT_GROUND; /* final byte */
			else if (cp == 0x1B)
				s->state = TEXT_ESC;
			else if (cp == 0x18 || cp == 0x1A)
				s->state = TEXT_GROUND;
			else if (cp >= 0x80) {
				/* Text (or a C1 introducer) ends a broken CSI. */
				s->state = TEXT_GROUND;
				continue;
			}
			return 1;
		case TEXT_STR:
			if (cp == 0x07 || cp == 0x9C || cp == 0x18 || cp == 0x1A)
				s->state = TEXT_GROUND;
			else if (cp == 0x1B)
				s->state = TEXT_STR_ESC;
			return 1;
		case TEXT_STR_ESC:
			if (cp == '\\') {
				s->state = TEXT_GROUND; /* ST */
				return 1;
			}
			/* The ESC ended the string and starts a sequence of
			 * its own, which cp continues. */
			s->state = TEXT_ESC;
			continue;
		}
	}
}

/* Begin scanning in[0..len), reading at most limit bytes of it. */
static void
text_scan_init(struct text_scan *s, const char *in, size_t len, size_t limit)
{
	if (in == NULL) {
		in = "";
		len = 0;
	}
	s->p = (const unsigned char *)in;
	s->more = len > limit;
	s->end = s->p + (s->more ? limit : len);
	s->state = TEXT_GROUND;
	s->brk = 0;
	s->marks = -1;  /* nothing yet for a mark to sit on */
}

/* The next unit to show, in *u; 0 when the input, or the limit, ends. */
static int
text_next(struct text_scan *s, struct text_unit *u)
{
	uint32_t cp;
	size_t n;
	int w;

	while (s->p < s->end) {
		if (!text_decode(s->p, s->end, &cp, &n) && s->more)
			return 0;   /* a character cut by the limit, not bad */
		s->p += n;

		if (text_sequence(s, cp))
			goto removed;
		if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x2028 ||
		    cp == 0x2029) {
			if (s->brk)
				goto removed;
			s->brk = 1;
			s->marks = 0;
			u->cp = ' ';
			u->width = 1;
			return 1;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || text_removed(cp))
			goto removed;
		w = wcwidth((wchar_t)cp);
		if (w < 0)
			goto removed;
		if (w == 0) {
			if (s->marks < 0 || s->marks >= BUS_TEXT_MARKS_MAX)
				goto removed;
			s->marks++;
		} else
			s->marks = 0;
		s->brk = 0;
		u->cp = cp;
		u->width = w;
		return 1;

	removed:
		/* A mark after something removed would land on whatever
		 * came before it, which is not what the text said. A run of
		 * line breaks stays one run across removed things. */
		s->marks = -1;
	}
	return 0;
}

static size_t
text_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static size_t
text_encoded_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

size_t
bus_text_sanitize(const char *in, size_t len, char *out, size_t outsz)
{
	struct text_scan s;
	struct text_unit u;
	size_t used = 0, cluster = 0, n;

	if (outsz == 0)
		return 0;
	if (in != NULL && len == BUS_TEXT_CSTR)
		len = strlen(in);
	text_scan_init(&s, in, len, len);
	while (text_next(&s, &u)) {
		n = text_encoded_len(u.cp);
		if (u.width != 0)
			cluster = used;
		if (used + n > outsz - 1) {
			/* Out of room: end before this character, or before
			 * the character this mark belongs to. */
			used = cluster;
			break;
		}
		used += text_encode(u.cp, out + used);
	}
	out[used] = '\0';
	return used;
}

int
bus_text_width(const char *s)
{
	struct text_scan scan;
	struct text_unit u;
	size_t len = s == NULL ? 0 : strlen(s);
	int width = 0;

	text_scan_init(&scan, s, len, len);
	while (text_next(&scan, &u)) {
		if (width > INT_MAX - u.width)
			return INT_MAX;
		width += u.width;
	}
	return width;
}

/*
 * A field being filled. Text is written at out[0..used); a cut goes back to
 * a boundary between characters, and with an ellipsis to the last boundary
 * that leaves a column (and bytes) for "…".
 */
struct text_field {
	char *out;
	size_t room;      /* bytes for text and padding, NUL not counted */
	int cols;
	int pad;
	size_t used;      /* bytes of text */
	int width;        /* columns of text */
	size_t cl_used;   /* the last boundary between characters */
	int cl_width;
	size_t el_used;   /* the last boundary with room for "…" after it */
	int el_width;
	int el_ok;
};

/* Note that the text so far ends between two characters. */
static void
text_field_boundary(struct text_field *f)
{
	size_t pad_bytes;

	f->cl_used = f->used;
	f->cl_width = f->width;
	if (f->width + 1 > f->cols)
		return;
	pad_bytes = f->pad ? (size_t)(f->cols - f->width - 1) : 0;
	if (f->used + TEXT_ELLIPSIS_LEN + pad_bytes <= f->room) {
		f->el_used = f->used;
		f->el_width = f->width;
		f->el_ok = 1;
	}
}

/* Add a unit if its columns, and its bytes with the padding still to come,
 * fit; 0 if not. */
static int
text_field_add(struct text_field *f, const struct text_unit *u)
{
	size_t pad_bytes;

	if (u->width != 0) {
		text_field_boundary(f);
		if (f->width + u->width > f->cols)
			return 0;
	}
	pad_bytes = f->pad ? (size_t)(f->cols - f->width - u->width) : 0;
	if (f->used + text_encoded_len(u->cp) + pad_bytes > f->room)
		return 0;
	f->used += text_encode(u->cp, f->out + f->used);
	f->width += u->width;
	return 1;
}

int
bus_text_fit(const char *in, size_t len, int cols, int flags, char *out,
    size_t outsz)
{
	struct text_field f = { .out = out, .pad = !(flags & BUS_TEXT_NOPAD) };
	struct text_scan s;
	struct text_unit u;
	size_t limit, n;
	int cut = 0;

	if (outsz == 0)
		return 0;
	f.room = outsz - 1;
	/* Every column takes at least one byte: a field never outgrows out. */
	f.cols = cols < 0 ? 0 : cols;
	if ((size_t)f.cols > f.room)
		f.cols = (int)f.room;

	limit = BUS_TEXT_SCAN_MAX(f.cols);
	if (in != NULL && len == BUS_TEXT_CSTR) {
		/* No strlen(): a string that reaches the limit goes on. */
		len = strnlen(in, limit);
		text_scan_init(&s, in, len, limit);
		s.more = len == limit;
	} else
		text_scan_init(&s, in, len, limit);

	while (text_next(&s, &u)) {
		if (!text_field_add(&f, &u)) {
			cut = 1;
			break;
		}
	}
	if (!cut && s.more) {
		/* The limit came first: the text goes on. If a mark could
		 * still follow the last character, it may lie beyond the
		 * limit, so that character goes; otherwise (something was
		 * removed after it) it is whole and here is a boundary. */
		cut = 1;
		if (s.marks < 0)
			text_field_boundary(&f);
	}
	if (cut) {
		f.used = f.cl_used;
		f.width = f.cl_width;
		if ((flags & BUS_TEXT_ELLIPSIS) && f.el_ok) {
			f.used = f.el_used;
			f.width = f.el_width;
			memcpy(out + f.used, TEXT_ELLIPSIS, TEXT_ELLIPSIS_LEN);
			f.used += TEXT_ELLIPSIS_LEN;
			f.width++;
		}
	}

	if (f.pad && f.width < f.cols) {
		n = (size_t)(f.cols - f.width);
		if (flags & BUS_TEXT_RIGHT) {
			memmove(out + n, out, f.used);
			memset(out, ' ', n);
		} else
			memset(out + f.used, ' ', n);
		f.used += n;
		f.width = f.cols;
	}
	out[f.used] = '\0';
	return f.width;
}

int
bus_text_fit_middle(const char *in, size_t len, int cols, int flags, char *out,
    size_t outsz)
{
	struct text_scan s;
	struct text_unit u;
	size_t limit = BUS_TEXT_SCAN_MAX(cols < 0 ? 0 : cols), used = 0;
	int total = 0, head, tail, width = 0, seen = 0, in_tail = 0;

	flags &= BUS_TEXT_RIGHT | BUS_TEXT_NOPAD;
	if (in != NULL && len == BUS_TEXT_CSTR)
		len = strnlen(in, limit + 1);
	if (in == NULL || cols < 3 || outsz < BUS_TEXT_FIT_SIZE(cols) || len > limit)
		return bus_text_fit(in, len, cols, flags | BUS_TEXT_ELLIPSIS, out, outsz);
	/* The whole width first: only text that does not fit is cut. */
	text_scan_init(&s, in, len, len);
	while (text_next(&s, &u))
		total += u.width;
	if (total <= cols)
		return bus_text_fit(in, len, cols, flags, out, outsz);

	/* Then the start up to HEAD columns, "…", and the end from the first
	 * character after which no more than TAIL columns are left. */
	head = (cols - 1) / 2;
	tail = cols - 1 - head;
	text_scan_init(&s, in, len, len);
	while (text_next(&s, &u)) {
		if (u.width > 0 && !in_tail && total - seen <= tail) {
			in_tail = 1;
			memcpy(out + used, TEXT_ELLIPSIS, TEXT_ELLIPSIS_LEN);
			used += TEXT_ELLIPSIS_LEN;
			width++;
		}
		if (!in_tail && u.width > 0 && seen + u.width > head)
			head = -1; /* the start is full: skip to the end */
		if (in_tail || head >= 0) { /* a mark goes with its character */
			used += text_encode(u.cp, out + used);
			width += u.width;
		}
		seen += u.width;
	}
	if (!(flags & BUS_TEXT_NOPAD) && width < cols) {
		size_t n = (size_t)(cols - width);
		if (flags & BUS_TEXT_RIGHT) {
			memmove(out + n, out, used);
			memset(out, ' ', n);
		} else
			memset(out + used, ' ', n);
		used += n;
		width = cols;
	}
	out[used] = '\0';
	return width;
}
