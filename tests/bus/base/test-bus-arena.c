/*
 * bus-arena: every piece keeps its bytes while the arena lives, however
 * many blocks it takes, pieces are aligned for any object, and a piece
 * larger than a block gets a block of its own. The hub keeps a restart's
 * case texts there (bus_state_load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-arena.h"

#define PIECES 20000

/* Piece I: its number, then its letter up to its length (8 to 699). */
static size_t
piece_len(int i)
{
	return 8 + (size_t)(i * 37) % 692;
}

static void
test_pieces_keep_their_bytes(void **state)
{
	struct bus_arena *a = bus_arena_new();
	char **pieces = calloc(PIECES, sizeof *pieces);
	char text[700], number[16];

	(void)state;
	/* About 7 MB: more than one block. */
	for (int i = 0; i < PIECES; i++) {
		memset(text, 'a' + i % 26, sizeof text);
		memcpy(text, number, (size_t)snprintf(number, sizeof number, "%d", i));
		pieces[i] = bus_arena_copy(a, text, piece_len(i));
		assert_int_equal((uintptr_t)pieces[i] % alignof(max_align_t), 0);
	}
	assert_true(bus_arena_size(a) >= (size_t)7 << 20);
	for (int i = 0; i < PIECES; i++) {
		snprintf(number, sizeof number, "%d", i);
		assert_int_equal(strlen(pieces[i]), piece_len(i));
		assert_memory_equal(pieces[i], number, strlen(number));
		assert_int_equal(pieces[i][piece_len(i) - 1], 'a' + i % 26);
	}
	free(pieces);
	bus_arena_free(a);
}

static void
test_piece_larger_than_a_block(void **state)
{
	struct bus_arena *a = bus_arena_new();
	size_t big = (size_t)9 << 20;
	char *small = bus_arena_copy(a, "before", 6);
	char *p = bus_arena_alloc(a, big);
	char *after = bus_arena_copy(a, "after", 5);

	(void)state;
	memset(p, 'x', big);
	assert_string_equal(small, "before");
	assert_string_equal(after, "after");
	assert_int_equal(p[0], 'x');
	assert_int_equal(p[big - 1], 'x');
	assert_true(bus_arena_size(a) >= big + ((size_t)4 << 20));
	bus_arena_free(a);
	bus_arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_keep_their_bytes),
		cmocka_unit_test(test_piece_larger_than_a_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
