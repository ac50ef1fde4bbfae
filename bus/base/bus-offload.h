/*
 * Work run on a second thread while the caller is still producing it.
 *
 * The caller adds items one at a time; a helper thread runs the work
 * function on each while the caller goes on. When the caller has no more,
 * bus_offload_finish() runs what the helper has not started yet on the
 * caller's thread too, and returns when every item has run once.
 *
 * At a restart the hub reads its cases from the store on one core while
 * the other checks the texts already read (bus_state_load); the reading
 * and the checking each took about half of the load.
 *
 * The work function runs on two threads at once (on different items) at
 * the end, and in no set order: it may touch its item, and read what
 * nobody writes until bus_offload_finish() returns, nothing else. If no
 * thread can be started the caller runs each item itself as it adds it:
 * slower, never different.
 */
#ifndef BUS_OFFLOAD_H
#define BUS_OFFLOAD_H

typedef void (*bus_offload_fn)(void *item, void *arg);

struct bus_offload;

struct bus_offload *bus_offload_new(bus_offload_fn, void *arg);
void bus_offload_add(struct bus_offload *, void *item);
/* Run what is left on both threads, wait until every item has run; free. */
void bus_offload_finish(struct bus_offload *);

#endif
