/*
 * An oracle for tests of the text sanitiser (tests/bus/base/test-bus-text.c,
 * tests/fuzz/fuzz-text.c): UTF-8 decoded, and the code points that must
 * never reach a terminal listed, independently of bus/base/bus-text.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "test-utf8.h"

/* Decode one code point at s[*i] strictly (no overlong, surrogate or
 * value above U+10FFFF); 0 if it is not UTF-8. */
int
test_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned char c = s[*i];
	size_t len;
	uint32_t v;

	if (c < 0x80)
		len = 1, v = c;
	else if ((c & 0xE0) == 0xC0)
		len = 2, v = c & 0x1F;
	else if ((c & 0xF0) == 0xE0)
		len = 3, v = c & 0x0F;
	else if ((c & 0xF8) == 0xF0)
		len = 4, v = c & 0x07;
	else
		return 0;
	if (*i + len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[*i + k] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[*i + k] & 0x3F);
	}
	if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*i += len;
	*cp = v;
	return 1;
}

/* Code points that must never reach the terminal, written out again here
 * from bus-text.h rather than taken from the module. */
int
test_utf8_banned(uint32_t cp)
{
	static const struct {
		uint32_t first, last;
	} ranges[] = {
		{ 0x0000, 0x001F }, { 0x007F, 0x009F },   /* C0, DEL, C1 */
		{ 0x2028, 0x2029 },                       /* line breaks */
		{ 0x061C, 0x061C }, { 0x200E, 0x200F },   /* bidi controls */
		{ 0x202A, 0x202E }, { 0x2066, 0x2069 },
		{ 0x00AD, 0x00AD }, { 0x034F, 0x034F },   /* invisibles */
		{ 0x115F, 0x1160 }, { 0x17B4, 0x17B5 }, { 0x180B, 0x180F },
		{ 0x200B, 0x200D }, { 0x2060, 0x2064 }, { 0x3164, 0x3164 },
		{ 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF }, { 0xFFA0, 0xFFA0 },
		{ 0xE0000, 0xE007F }, { 0xE0100, 0xE01EF },
	};

	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		if (cp >= ranges[i].first && cp <= ranges[i].last)
			return 1;
	}
	return wcwidth((wchar_t)cp) < 0;
}
