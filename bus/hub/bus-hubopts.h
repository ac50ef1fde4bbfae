/*
 * Everything the hub (watchd, or a hub inside a console) can be told, from
 * watchd.conf or watchd's flags: one table (bus-config.h) that watchd
 * parses with and the settings fuzzer loads files with.
 */
#ifndef BUS_HUBOPTS_H
#define BUS_HUBOPTS_H

#include <stddef.h>

#include "bus-config.h"
#include "bus-hub.h"

struct bus_hubopts {
	struct bus_hub_config hub;
	const char *log;
	int verbose;
};

extern const struct bus_opt bus_hubopts_table[];
extern const size_t bus_hubopts_count;

void bus_hubopts_defaults(struct bus_hubopts *);

#endif
