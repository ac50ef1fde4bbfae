/*
 * The headless replica checker (watchctl follow --check): the console's
 * own sync code (bus-sync) following a hub without a screen, through gaps,
 * resyncs and restarts, and checking what a console relies on:
 *
 *  - contiguity: between two snapshots, every seq the replica moved on by
 *    was an event it applied (no event skipped, none applied twice), and
 *    the seq never went back;
 *  - equality: when asked to finish, the replica, once caught up, holds
 *    exactly what a fresh snapshot of the hub holds at the same seq.
 *
 * The fault and load tests run many of these as stand-in consoles.
 */
#ifndef BUS_CHECK_H
#define BUS_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bus_sync_config;
struct bus_checker;

/* A line about the connection or the check, for whoever prints them. */
typedef void (*bus_checker_say_cb)(void *arg, const char *line);

struct bus_checker *bus_checker_new(struct event_base *, void *zctx,
    const struct bus_sync_config *, bus_checker_say_cb, void *arg, char **cause);
void bus_checker_free(struct bus_checker *);

/* Compare with a fresh snapshot as soon as the replica has caught up
 * with the hub, giving up after SETTLE_MS. */
void bus_checker_finish(struct bus_checker *, int settle_ms);
/* 1 once the comparison is over (or given up). */
int  bus_checker_done(const struct bus_checker *);
/* Divergences found so far (0: the replica told the truth). */
long bus_checker_divergences(const struct bus_checker *);
/* One line: the hub, the seq, the counters, and the verdict. */
void bus_checker_summary(const struct bus_checker *, char *buf, size_t size);

#endif
