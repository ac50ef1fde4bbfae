/* Work run on a second thread while the caller produces it, shared at
 * the end (bus-offload.h). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "bus-offload.h"
#include "xmalloc.h"

/*
 * Items go over in blocks of this many, not one at a time: taking the lock
 * and waking the helper for each item cost the adding thread more than
 * the helper's work on one (a case's check), and made the load slower
 * than doing it all on one core.
 */
#define OFFLOAD_BLOCK 32

struct offload_block {
	struct offload_block *next;
	size_t n;
	void *items[OFFLOAD_BLOCK];
};

struct bus_offload {
	bus_offload_fn fn;
	void *arg;
	pthread_t thread;
	int started;                   /* the helper thread runs */
	int failed;                    /* it could not start: the caller runs all */
	struct offload_block *filling; /* the caller's, not handed over yet */

	pthread_mutex_t lock;
	pthread_cond_t more;           /* a block came, or the caller closed */
	struct offload_block *head, *tail; /* handed over; under lock */
	int closed;                    /* the caller has no more to add */
	int waiting;                   /* the helper sleeps on MORE */
};

/* Take blocks and run their items until none is left; with WAIT, sleep
 * for more until the caller closes. The lock is held only to take. */
static void
offload_run(struct bus_offload *o, int wait)
{
	struct offload_block *b;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (wait && o->head == NULL && !o->closed) {
			o->waiting = 1;
			pthread_cond_wait(&o->more, &o->lock);
			o->waiting = 0;
		}
		if ((b = o->head) == NULL)
			break;
		if ((o->head = b->next) == NULL)
			o->tail = NULL;
		pthread_mutex_unlock(&o->lock);
		for (size_t i = 0; i < b->n; i++)
			o->fn(b->items[i], o->arg);
		free(b);
		pthread_mutex_lock(&o->lock);
	}
	pthread_mutex_unlock(&o->lock);
}

static void *
offload_helper(void *arg)
{
	offload_run(arg, 1);
	return NULL;
}

struct bus_offload *
bus_offload_new(bus_offload_fn fn, void *arg)
{
	struct bus_offload *o = xcalloc(1, sizeof *o);

	o->fn = fn;
	o->arg = arg;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->more, NULL);
	return o;
}

/* The helper starts with the first item: a start with nothing to check
 * (an empty store) costs no thread. It blocks every signal, so that the
 * process's handlers run on the thread that expects them. */
static void
offload_start(struct bus_offload *o)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&o->thread, NULL, offload_helper, o) == 0)
		o->started = 1;
	else
		o->failed = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Give the helper the block being filled. */
static void
offload_hand_over(struct bus_offload *o)
{
	struct offload_block *b = o->filling;

	o->filling = NULL;
	pthread_mutex_lock(&o->lock);
	if (o->tail != NULL)
		o->tail->next = b;
	else
		o->head = b;
	o->tail = b;
	if (o->waiting)
		pthread_cond_signal(&o->more);
	pthread_mutex_unlock(&o->lock);
}

void
bus_offload_add(struct bus_offload *o, void *item)
{
	if (!o->started && !o->failed)
		offload_start(o);
	if (o->failed) {
		o->fn(item, o->arg);
		return;
	}
	if (o->filling == NULL)
		o->filling = xcalloc(1, sizeof *o->filling);
	o->filling->items[o->filling->n++] = item;
	if (o->filling->n == OFFLOAD_BLOCK)
		offload_hand_over(o);
}

void
bus_offload_finish(struct bus_offload *o)
{
	if (o == NULL)
		return;
	if (o->started) {
		if (o->filling != NULL)
			offload_hand_over(o);
		pthread_mutex_lock(&o->lock);
		o->closed = 1;
		pthread_cond_signal(&o->more);
		pthread_mutex_unlock(&o->lock);
		/* The caller's share: the blocks the helper has not taken. */
		offload_run(o, 0);
		pthread_join(o->thread, NULL);
	}
	pthread_cond_destroy(&o->more);
	pthread_mutex_destroy(&o->lock);
	free(o);
}
