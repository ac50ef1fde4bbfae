/* An independent UTF-8 oracle for the sanitiser's tests (test-utf8.c). */
#ifndef WATCHFLOOR_TEST_UTF8_H
#define WATCHFLOOR_TEST_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode one code point at s[*i] strictly (no overlong, surrogate or value
 * above U+10FFFF), advancing *I; 0 if it is not UTF-8. */
int test_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp);
/* 1 if CP must never reach the terminal: controls, bidi, invisibles,
 * and what wcwidth() calls unprintable (needs a UTF-8 locale). */
int test_utf8_banned(uint32_t cp);

#endif
