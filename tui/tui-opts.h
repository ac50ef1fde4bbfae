/*
 * Everything the console can be told, from watchfloor.conf or its flags:
 * one table (bus-config.h) that watchfloor parses with and the settings
 * fuzzer loads files with; [keys] goes to the key map (tui-keys.h).
 */
#ifndef TUI_OPTS_H
#define TUI_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "bus-config.h"

struct tui_opts {
	const char *events, *control, *ingest;
	const char *key, *hub_key;
	const char *user, *db, *theme, *log;
	int fps, verbose, demo, read_only;
	uint64_t seed;
};

extern const struct bus_opt tui_opts_table[];
extern const size_t tui_opts_count;
extern const struct bus_config_section tui_opts_sections[];
extern const size_t tui_opts_nsections;

#endif
