/*
 * Untrusted text made safe for the terminal, and measured in columns.
 *
 * Every string from the wire (titles, org names, summaries, sensor
 * messages) goes through bus_text_fit() or bus_text_sanitize() before it
 * reaches waddnstr(). The output is valid UTF-8 that holds:
 *
 *  - no C0 control, DEL or C1 control. TAB, LF, CR, U+2028 and U+2029 are
 *    line breaks: a run of them (with anything removed between them) becomes
 *    one space. Every other control is removed, not shown.
 *  - no escape sequence: ESC and the whole sequence it starts are removed,
 *    payload included (CSI "ESC [ ... final", OSC "ESC ] ... BEL or ESC \",
 *    DCS, SOS, PM and APC "ESC P/X/^/_ ... ST", and the short ones, ESC,
 *    any intermediate bytes 0x20-0x2F, and a final byte, as "ESC ( B"), and
 *    so are the same sequences begun by the C1 introducers U+009B, U+009D,
 *    U+0090, U+0098, U+009E, U+009F. An unterminated sequence runs to the end
 *    of the input. A raw byte 0x9B is not UTF-8 and shows as U+FFFD.
 *  - no bidi control (U+061C, U+200E, U+200F, U+202A-202E, U+2066-2069) and
 *    no invisible or format character that could hide or spoof text: every
 *    format character (category Cf, which includes U+00AD, U+180E,
 *    U+200B-200D, U+2060-2064, U+FEFF and the tag block U+E0000-E007F),
 *    the variation selectors, U+034F and the Hangul and Khmer fillers.
 *  - no code point that wcwidth() calls unprintable (unassigned,
 *    noncharacters, private planes as the C library sees them).
 *  - combining marks (wcwidth 0) only right after a character they can sit
 *    on, at most BUS_TEXT_MARKS_MAX of them (ncurses keeps no more in a
 *    cell); a mark at the start, or after anything removed, is removed.
 *  - each ill-formed UTF-8 sequence (overlong, surrogate, above U+10FFFF,
 *    truncated, stray continuation byte) as one U+FFFD, by Unicode's
 *    "maximal subpart" rule.
 *
 * Widths are wcwidth() sums, the same ncurses uses, so the caller must have
 * set a UTF-8 LC_CTYPE first (the console calls setlocale(LC_ALL, "") at
 * start and refuses a non-UTF-8 codeset). Without one, wcwidth() rejects all
 * non-ASCII and this module removes it: safe, but lossy. "…" (U+2026) counts
 * as one column, as wcwidth() says.
 *
 * No call allocates; all write into the caller's buffer and always end it
 * with a NUL when outsz > 0.
 */
#ifndef BUS_TEXT_H
#define BUS_TEXT_H

#include <stddef.h>

/* Flags of bus_text_fit(). */
#define BUS_TEXT_ELLIPSIS 0x1 /* end text that was cut with "…" */
#define BUS_TEXT_RIGHT    0x2 /* pad on the left (numbers, counts) */
#define BUS_TEXT_NOPAD    0x4 /* do not pad; return the columns used */

/* As a length: "in" is a C string, read only as far as needed. */
#define BUS_TEXT_CSTR ((size_t)-1)

#define BUS_TEXT_MARKS_MAX 4 /* combining marks per character (CCHARW_MAX-1) */

/* Bytes that always hold the sanitised form of len input bytes, with NUL:
 * the worst case is every byte ill-formed, each becoming a 3-byte U+FFFD. */
#define BUS_TEXT_SANITIZE_SIZE(len) ((size_t)(len) * 3 + 1)

/* Bytes that always hold a fitted field of cols columns, with NUL: a
 * 4-byte character with BUS_TEXT_MARKS_MAX 4-byte marks per column. */
#define BUS_TEXT_FIT_SIZE(cols) \
	((size_t)(cols) * (4 + 4 * BUS_TEXT_MARKS_MAX) + 1)

/* The most input bytes bus_text_fit() reads for a field of cols columns,
 * however long the input: room for the field's own bytes and 4 KiB of
 * escape sequences and removed characters. Input that goes on past it
 * (a C string that reaches it) counts as cut there. */
#define BUS_TEXT_SCAN_SLACK 4096
#define BUS_TEXT_SCAN_MAX(cols) \
	(BUS_TEXT_SCAN_SLACK + BUS_TEXT_FIT_SIZE(cols))

/*
 * Sanitise all of in[0..len) (or a C string, len BUS_TEXT_CSTR) into out.
 * Returns the bytes written, without the NUL. If out is too small the text
 * is cut before the first character (with its marks) that does not fit;
 * BUS_TEXT_SANITIZE_SIZE(len) bytes are always enough. The work follows
 * len; for drawing, use bus_text_fit().
 */
size_t	bus_text_sanitize(const char *in, size_t len, char *out, size_t outsz);

/*
 * Columns that text takes on screen. Meant for text that is already safe
 * (the output of this module), where it is the sum of wcwidth(); any other
 * text is measured as bus_text_sanitize() would show it.
 */
int	bus_text_width(const char *s);

/*
 * Sanitise in[0..len) (or a C string, len BUS_TEXT_CSTR) and fit it to a
 * field of cols columns, in out. Text is cut by whole characters: a
 * double-width character that would straddle the edge is left out and its
 * column padded. With BUS_TEXT_ELLIPSIS, text that was cut ends with "…"
 * in the last column it can take (so "制御系ネットワーク" in 7 columns is
 * "制御系…", in 6 "制御… "). Unless BUS_TEXT_NOPAD, spaces pad the field
 * to exactly cols columns, after the text or, with BUS_TEXT_RIGHT, before
 * it.
 *
 * Returns the columns written: cols when padding. The work is bounded by
 * the field, not the input: at most BUS_TEXT_SCAN_MAX(cols) input bytes
 * are read. out needs BUS_TEXT_FIT_SIZE(cols) bytes to be sure of room;
 * with fewer the field narrows to what out can hold (cols <= outsz - 1).
 * cols < 0 counts as 0.
 */
int	bus_text_fit(const char *in, size_t len, int cols, int flags, char *out,
	    size_t outsz);

/*
 * As bus_text_fit() with BUS_TEXT_ELLIPSIS, but text that does not fit is
 * cut in the middle: its start, "…" and its end, the end the larger part,
 * so that names that differ only at the end stay different
 * ("s-transportation-01" in 16 columns is "s-trans…ation-01", and -02 is
 * "s-trans…ation-02"). Cuts fall between whole characters, as for
 * bus_text_fit(). flags: BUS_TEXT_RIGHT and BUS_TEXT_NOPAD. Text longer
 * than BUS_TEXT_SCAN_MAX(cols) bytes, a field under 3 columns, or an out
 * smaller than BUS_TEXT_FIT_SIZE(cols) get bus_text_fit()'s cut at the end.
 */
int	bus_text_fit_middle(const char *in, size_t len, int cols, int flags, char *out,
	    size_t outsz);

#endif
