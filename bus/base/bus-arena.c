/* Pieces taken from large blocks, freed all at once (bus-arena.h). */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
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
	void *map;           /* the mapping, as mmap gave it */
	size_t map_len;
	char *base;          /* in it, aligned to ARENA_ALIGN */
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
		munmap(b->map, b->map_len);
		free(b);
	}
	free(a);
}

/* A new block of at least LEN bytes: a mapping of its own, so that the
 * huge-page advice ends with it (memory from malloc could go back to the
 * heap with the advice still on). */
static struct arena_block *
arena_grow(struct bus_arena *a, size_t len)
{
	struct arena_block *b = xcalloc(1, sizeof *b);

	b->size = len <= ARENA_BLOCK ? ARENA_BLOCK : (len + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	/* One huge page more, to place the block on a boundary inside. */
	b->map_len = b->size + ARENA_ALIGN;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (b->map == MAP_FAILED)
		xmalloc_fail(b->map_len);
	b->base = (char *)(((uintptr_t)b->map + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1));
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

	if (len > SIZE_MAX / 2)
		xmalloc_fail(len);
	struct arena_block *b = a->blocks;
	size_t at = b != NULL ? (b->used + align - 1) & ~(align - 1) : 0;

	if (b == NULL || at > b->size || len > b->size - at) {
		b = arena_grow(a, len);
		at = 0;
	}
	b->used = at + len;
	return b->base + at;
}

char *
bus_arena_copy(struct bus_arena *a, const char *p, size_t len)
{
	char *copy = bus_arena_alloc(a, len < SIZE_MAX ? len + 1 : len);

	memcpy(copy, p, len);
	copy[len] = '\0';
	return copy;
}

size_t
bus_arena_size(const struct bus_arena *a)
{
	return a->total;
}
