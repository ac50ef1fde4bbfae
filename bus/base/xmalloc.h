/* Allocation that cannot fail: out of memory aborts with a message. */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
/* Say that SIZE bytes could not be had, and abort: for memory that does
 * not come from malloc (bus-arena's mappings). */
void  xmalloc_fail(size_t) __attribute__((noreturn));
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int   xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
char *xprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* A byte buffer that grows as bytes are added: { NULL, 0, 0 } is empty. */
struct xbuf {
	char *data;
	size_t len, cap;
};
void  xbuf_add(struct xbuf *, const void *, size_t);

#endif
