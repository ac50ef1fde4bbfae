/*
 * bus-offload: every item runs once, in the order added, on a thread that
 * is not the caller's, and adding does not wait for the work. What the
 * hub's restart relies on to check cases on the second core
 * (bus_state_load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "bus-offload.h"

#define MANY 5000

struct record {
	size_t order[MANY]; /* the items in the order they ran */
	size_t n;
	int on_caller;      /* items run on the caller's thread */
	pthread_t caller;
};

struct item {
	size_t index;
	struct record *rec;
};

static void
note(void *arg, void *unused)
{
	struct item *it = arg;

	(void)unused;
	/* Items run one at a time, so the record needs no lock. */
	it->rec->order[it->rec->n++] = it->index;
	if (pthread_equal(pthread_self(), it->rec->caller))
		it->rec->on_caller++;
}

static void
test_every_item_once_in_order_elsewhere(void **state)
{
	struct record *rec = calloc(1, sizeof *rec);
	struct item *items = calloc(MANY, sizeof *items);

	(void)state;
	rec->caller = pthread_self();
	struct bus_offload *o = bus_offload_new(note, NULL);
	/* Not a multiple of the blocks items go over in: the last part-full
	 * one must run too. */
	for (size_t i = 0; i < MANY - 7; i++) {
		items[i] = (struct item){ i, rec };
		bus_offload_add(o, &items[i]);
	}
	bus_offload_finish(o);

	assert_int_equal(rec->n, MANY - 7);
	for (size_t i = 0; i < rec->n; i++)
		assert_int_equal(rec->order[i], i);
	assert_int_equal(rec->on_caller, 0);
	free(items);
	free(rec);
}

/* Finishing with nothing added, or with a single item. */
static void
test_none_and_one(void **state)
{
	struct record *rec = calloc(1, sizeof *rec);
	struct item one = { 41, rec };

	(void)state;
	rec->caller = pthread_self();
	bus_offload_finish(bus_offload_new(note, NULL));
	assert_int_equal(rec->n, 0);

	struct bus_offload *o = bus_offload_new(note, NULL);
	bus_offload_add(o, &one);
	bus_offload_finish(o);
	assert_int_equal(rec->n, 1);
	assert_int_equal(rec->order[0], 41);
	assert_int_equal(rec->on_caller, 0);
	free(rec);
}

/*
 * The caller goes on while items wait: the first item blocks until the
 * caller, after adding many more, says so. Were the work done inside
 * bus_offload_add, the caller would never get there and the item would
 * give up waiting (10 s) and say so.
 */
struct gate {
	sem_t open;
	int gave_up;
	size_t ran;
};

static void
wait_at_gate(void *arg, void *gatep)
{
	struct gate *g = gatep;
	struct timespec until;

	(void)arg;
	if (g->ran++ == 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (sem_timedwait(&g->open, &until) != 0) {
			if (errno != EINTR) {
				g->gave_up = 1;
				break;
			}
		}
	}
}

static void
test_adding_does_not_wait_for_the_work(void **state)
{
	struct gate g = { .gave_up = 0, .ran = 0 };
	int dummy;

	(void)state;
	sem_init(&g.open, 0, 0);
	struct bus_offload *o = bus_offload_new(wait_at_gate, &g);
	for (int i = 0; i < 1000; i++)
		bus_offload_add(o, &dummy);
	sem_post(&g.open);
	bus_offload_finish(o);
	assert_false(g.gave_up);
	assert_int_equal(g.ran, 1000);
	sem_destroy(&g.open);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once_in_order_elsewhere),
		cmocka_unit_test(test_none_and_one),
		cmocka_unit_test(test_adding_does_not_wait_for_the_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
