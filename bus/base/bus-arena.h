/*
 * Memory for many small pieces that all live as long as their owner: one
 * large block after another, each piece taken from the end of the last,
 * and all of it freed at once.
 *
 * The hub keeps the texts of the cases it loads at a restart here (6 MB
 * for 2,000 cases with their timeline tails). Copied into separate
 * allocations, each fresh 4 kB page cost a page fault, and the faults
 * were a third of the load; the arena's blocks ask the kernel for huge
 * pages (MADV_HUGEPAGE; where transparent huge pages are off the blocks
 * are ordinary memory, only slower to fill).
 */
#ifndef BUS_ARENA_H
#define BUS_ARENA_H

#include <stddef.h>

struct bus_arena;

struct bus_arena *bus_arena_new(void);
void  bus_arena_free(struct bus_arena *);
/* LEN bytes aligned for any object; never NULL (out of memory aborts). */
void *bus_arena_alloc(struct bus_arena *, size_t len);
/* A copy of the LEN bytes at P, with a NUL after them. */
char *bus_arena_copy(struct bus_arena *, const char *p, size_t len);
/* The bytes the arena holds from the system (its blocks). */
size_t bus_arena_size(const struct bus_arena *);

#endif
