/*
 * The command verbs people type: "dispatch FLY-2 ICS-2026-0007" on the
 * watchctl command line and on the console's ':' line. One table, so the
 * two cannot drift apart. Each verb names its op and the op fields its
 * words fill, in order.
 */
#ifndef BUS_VERBS_H
#define BUS_VERBS_H

#include <stddef.h>

struct json_t;

struct bus_verb {
	const char *name;      /* what people type */
	const char *op;        /* the control op */
	const char *fields[3]; /* op fields the words fill, in order */
	int nrequired;         /* words that must be there */
	int rest;              /* the last field takes all remaining words */
	const char *usage;
	const char *help;
};

extern const struct bus_verb bus_verbs[];
extern const size_t bus_nverbs;

const struct bus_verb *bus_verb_find(const char *name);
struct json_t *bus_verb_args(const struct bus_verb *, int argc, char *const *argv,
    char **cause);

#endif
