/*
 * Demo traffic: a seeded generator of a realistic floor (docs/DOMAIN.md).
 * Incident reports from organisations across the sixteen sectors, mostly
 * NCISS 1-2, sometimes 3-4, rarely 5; intel with TLP markings; sensor
 * alerts (mostly 0-1) and heartbeats from two sensors a sector, one of
 * which now and then falls silent; and cases that move through their
 * lifecycle, worked by the demo roster (chen assigns, lowers a contained
 * case to Low and closes, okafor acknowledges, hayes dispatches teams).
 * Every case closes in the end, so over hours the floor stays mostly
 * Baseline and Low with a few sectors raised (tests/bus/hub/test-bus-state.c
 * runs it for hours of floor time).
 *
 * It knows no sockets: a driver asks for the actions due, sends them, and
 * tells it the case ids the hub gave to its reports.
 */
#ifndef BUS_DEMO_H
#define BUS_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct json_t;
struct bus_demo;

struct bus_demo_action {
	const char *op;    /* "report" (an incident, learn its id), a control op, or NULL */
	const char *topic; /* for op NULL: an ingest topic to push */
	const char *user;  /* who makes the op */
	struct json_t *args; /* the op's arguments or the ingest body; caller frees */
};

struct bus_demo *bus_demo_new(uint64_t seed, double rate, double speed, int64_t now_ms);
void     bus_demo_free(struct bus_demo *);
size_t   bus_demo_due(struct bus_demo *, int64_t now_ms, struct bus_demo_action *, size_t max);
int64_t  bus_demo_next(const struct bus_demo *);
void     bus_demo_opened(struct bus_demo *, const char *case_id, int level, int onsite,
             int64_t now_ms);

/* Drivers with a PUSH socket on the hub's ingest and a DEALER on its
 * control: send what is due (freeing each action's args), and read a
 * reply (to learn the ids of reported cases). */
struct bus_frame;
size_t   bus_demo_send_due(struct bus_demo *, void *push, void *ctl, int64_t now_ms);
void     bus_demo_reply(struct bus_demo *, const struct bus_frame *, size_t n, int64_t now_ms);
unsigned long bus_demo_sent(const struct bus_demo *);
unsigned long bus_demo_refused(const struct bus_demo *);

#endif
