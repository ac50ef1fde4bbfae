/*
 * Work run on a second thread while the caller is still producing it.
 *
 * The caller adds items one at a time; a helper thread runs the work
 * function on each, one at a time and in the order they were added, while
 * the caller goes on. bus_offload_finish() waits until every item has run.
 *
 * At a restart the hub reads its cases from the store on one core while
 * the other checks and tallies the ones already read (bus_state_load):
 * reading and checking each took about half of the start.
 *
 * The work function may touch its item and whatever the caller leaves
 * alone until bus_offload_finish() returns, nothing else. If no thread
 * can be started the caller runs each item itself as it adds it: slower,
 * never different.
 */
#ifndef BUS_OFFLOAD_H
#define BUS_OFFLOAD_H

typedef void (*bus_offload_fn)(void *item, void *arg);

struct bus_offload;

struct bus_offload *bus_offload_new(bus_offload_fn, void *arg);
void bus_offload_add(struct bus_offload *, void *item);
/* Wait until every item added has run; free. */
void bus_offload_finish(struct bus_offload *);

#endif
