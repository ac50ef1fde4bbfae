/*
 * The audit trail: every control request the hub parsed, except a read
 * that succeeded, becomes one row: when, who (the person and the role
 * they had then), the op, the case and team it names, its arguments, and
 * the outcome with the hub's sentence. A loop turn's rows wait here and
 * are written in the same transaction as the turn's events, so no reply
 * goes out before its row is committed. The store keeps the rows
 * append-only; the "audit" op reads them back, for leads, page by page.
 */
#ifndef BUS_AUDIT_H
#define BUS_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bus-ops.h"

#define BUS_AUDIT_ARGS_MAX  4096 /* bytes of arguments (compact JSON) a row keeps */
#define BUS_AUDIT_VALUE_MAX  256 /* bytes of one argument kept when they are over */
#define BUS_AUDIT_PAGE       200 /* rows in one audit reply, by default; at
                                    most BUS_AUDIT_PAGE_MAX (bus-ops.h) */

struct bus_actor;
struct bus_store;
struct bus_audit;

struct bus_audit *bus_audit_new(void);
void    bus_audit_free(struct bus_audit *);

/* Rows waiting for the turn's commit. */
void    bus_audit_add(struct bus_audit *, const struct bus_actor *, const char *op,
            json_t *args, json_t *reply, int64_t now);
size_t  bus_audit_pending(const struct bus_audit *);
int     bus_audit_write(const struct bus_audit *, struct bus_store *, char **cause);
void    bus_audit_failed(struct bus_audit *, const char *why);
void    bus_audit_clear(struct bus_audit *);

/* The arguments as a row keeps them (caller frees). */
char   *bus_audit_args(json_t *args);

/* The "audit" op: its reply. */
json_t *bus_audit_op(struct bus_store *, json_t *args);

#endif
