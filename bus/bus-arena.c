/* Pieces taken from large blocks, freed all at once (bus-arena.h). */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bus-arena.h"
#include "xmalloc.h"

/* A huge page on x86-64 and most arm64 kernels; the blocks are aligned to
 * it so that each one can be backed by whole huge pages. */
#define ARENA_ALIGN ((size_t)2 << 20)
#define ARENA_BLOCK ((size_t)4 << 20)

struct arena_block {
	struct arena_block *next;
	char *base;
	size_t used, size;
};

struct bus_arena {
	struct arena_block *blocks; /* the newest first: pieces come from it */
	size_t total;
};

struct bus_arena *
bus_arena_new(void)
{
	return xcalloc(1, sizeof(struct bus_arena));
}

void
bus_arena_free(struct bus_arena *a)
{
	if (a == NULL)
		return;
	while (a->blocks != NULL) {
		struct arena_block *b = a->blocks;
		a->blocks = b->next;
		free(b->base);
		free(b);
	}
	free(a);
}

/* A new block of at least LEN bytes. */
static struct arena_block *
arena_grow(struct bus_arena *a, size_t len)
{
	struct arena_block *b = xcalloc(1, sizeof *b);

	b->size = len <= ARENA_BLOCK ? ARENA_BLOCK : (len + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if ((b->base = aligned_alloc(ARENA_ALIGN, b->size)) == NULL) {
		/* As xmalloc does: out of memory is not survivable here. */
		b->base = xmalloc(b->size);
	}
#ifdef MADV_HUGEPAGE
	/* Advice only: without transparent huge pages it changes nothing. */
	madvise(b->base, b->size, MADV_HUGEPAGE);
#endif
	b->next = a->blocks;
	a->blocks = b;
	a->total += b->size;
	return b;
}

void *
bus_arena_alloc(struct bus_arena *a, size_t len)
{
	const size_t align = alignof(max_align_t);
	struct arena_block *b = a->blocks;
	size_t at = b != NULL ? (b->used + align - 1) & ~(align - 1) : 0;

	if (b == NULL || len > b->size - at || at > b->size) {
		b = arena_grow(a, len);
		at = 0;
	}
	b->used = at + len;
	return b->base + at;
}

char *
bus_arena_copy(struct bus_arena *a, const char *p, size_t len)
{
	char *copy = bus_arena_alloc(a, len + 1);

	memcpy(copy, p, len);
	copy[len] = '\0';
	return copy;
}

size_t
bus_arena_size(const struct bus_arena *a)
{
	return a->total;
}
