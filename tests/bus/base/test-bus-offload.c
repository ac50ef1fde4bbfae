/*
 * bus-offload: every item runs once, adding does not wait for the work,
 * and the caller runs what is left when it finishes. What the hub's
 * restart relies on to check cases on both cores (bus_state_load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "bus-offload.h"

#define MANY 5000

/* Each item counts its own runs: items run on two threads at the end, so
 * nothing else is written by more than one. */
struct item {
	int runs;
};

static void
count(void *arg, void *unused)
{
	(void)unused;
	((struct item *)arg)->runs++;
}

static void
test_every_item_runs_once(void **state)
{
	struct item *items = calloc(MANY, sizeof *items);

	(void)state;
	struct bus_offload *o = bus_offload_new(count, NULL);
	/* Not a multiple of the blocks items go over in: the last part-full
	 * one must run too. */
	for (size_t i = 0; i < MANY - 7; i++)
		bus_offload_add(o, &items[i]);
	bus_offload_finish(o);
	for (size_t i = 0; i < MANY; i++)
		assert_int_equal(items[i].runs, i < MANY - 7 ? 1 : 0);
	free(items);
}

/* Finishing with nothing added, or with a single item. */
static void
test_none_and_one(void **state)
{
	struct item one = { 0 };

	(void)state;
	bus_offload_finish(bus_offload_new(count, NULL));
	struct bus_offload *o = bus_offload_new(count, NULL);
	bus_offload_add(o, &one);
	bus_offload_finish(o);
	assert_int_equal(one.runs, 1);
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
	struct item *first;
};

/* Wait for SEM at most 10 s: 0, or -1 when it gave up. */
static int
wait_10s(sem_t *sem)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 10;
	while (sem_clockwait(sem, CLOCK_MONOTONIC, &until) != 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static void
wait_at_gate(void *arg, void *gatep)
{
	struct gate *g = gatep;

	((struct item *)arg)->runs++;
	if (arg == g->first && wait_10s(&g->open) != 0)
		g->gave_up = 1;
}

static void
test_adding_does_not_wait_for_the_work(void **state)
{
	struct item *items = calloc(1000, sizeof *items);
	struct gate g = { .gave_up = 0, .first = &items[0] };

	(void)state;
	sem_init(&g.open, 0, 0);
	struct bus_offload *o = bus_offload_new(wait_at_gate, &g);
	for (int i = 0; i < 1000; i++)
		bus_offload_add(o, &items[i]);
	sem_post(&g.open);
	bus_offload_finish(o);
	assert_false(g.gave_up);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(items[i].runs, 1);
	sem_destroy(&g.open);
	free(items);
}

/*
 * The caller runs what is left when it finishes: the first item waits for
 * the last to run. Whichever thread takes the first, the other must run
 * the last; were the rest left to the helper alone, in order, the first
 * would wait for ever (here: give up after 10 s, and say so).
 */
struct chain {
	sem_t last_ran;
	int gave_up;
};

static void
first_waits_for_last(void *arg, void *chainp)
{
	struct chain *c = chainp;
	int which = *(int *)arg;

	if (which == 1)
		sem_post(&c->last_ran);
	else if (which == -1 && wait_10s(&c->last_ran) != 0)
		c->gave_up = 1;
}

static void
test_caller_shares_the_rest(void **state)
{
	struct chain c = { .gave_up = 0 };
	int first = -1, middle = 0, last = 1;

	(void)state;
	sem_init(&c.last_ran, 0, 0);
	struct bus_offload *o = bus_offload_new(first_waits_for_last, &c);
	bus_offload_add(o, &first);
	for (int i = 0; i < 200; i++)
		bus_offload_add(o, &middle);
	bus_offload_add(o, &last);
	bus_offload_finish(o);
	assert_false(c.gave_up);
	sem_destroy(&c.last_ran);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_runs_once),
		cmocka_unit_test(test_none_and_one),
		cmocka_unit_test(test_adding_does_not_wait_for_the_work),
		cmocka_unit_test(test_caller_shares_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
