/*
 * The console's settings table (tui-opts.h): watchfloor's flags and the
 * keys of watchfloor.conf, one row each, and the [keys] section.
 */
#include <stddef.h>

#include "bus-endpoint.h"
#include "tui-keys.h"
#include "tui-opts.h"
#include "tui-theme.h"

#define SET(f) offsetof(struct tui_opts, f)
const struct bus_opt tui_opts_table[] = {
	BUS_ENDPOINT_CLIENT_OPTS(struct tui_opts),
	BUS_CURVE_CLIENT_OPTS(struct tui_opts),
	{ "user", "console", 0, BUS_OPT_STRING, SET(user), 0, 0, NULL, "NAME",
	  "who you are (default: your login name)" },
	{ "db", "console", 0, BUS_OPT_STRING, SET(db), 0, 0, NULL, "FILE",
	  "database of a hub run inside the console\n"
	  "(default $XDG_STATE_HOME/watchfloor/watchd.db)" },
	{ "theme", "console", 0, BUS_OPT_CHOICE, SET(theme), 0, 0, tui_theme_names, "NAME",
	  "dark (default), light (for light backgrounds) or mono" },
	{ "fps", "console", 0, BUS_OPT_INT, SET(fps), 1, 120, NULL, "N",
	  "at most N frames a second (default 20)" },
	{ "log", "console", 0, BUS_OPT_STRING, SET(log), 0, 0, NULL, "FILE",
	  "write a debug log to FILE (nothing is logged otherwise)" },
	{ "verbose", "console", 'v', BUS_OPT_BOOL, SET(verbose), 0, 0, NULL, NULL,
	  "more detail in the log" },
	{ "read-only", "console", 0, BUS_OPT_BOOL, SET(read_only), 0, 0, NULL, NULL,
	  "watch only: the console sends no command at all" },
	{ "demo", NULL, 0, BUS_OPT_BOOL, SET(demo), 0, 0, NULL, NULL,
	  "a demo floor of made-up incidents, intel and sensors:\n"
	  "in a hub of its own (demo.db), or a watchd --demo;\n"
	  "never into a live floor's hub" },
	{ "seed", NULL, 0, BUS_OPT_U64, SET(seed), 0, 0, NULL, "N",
	  "seed of the demo traffic (default: the time)" },
};
#undef SET

const struct bus_config_section tui_opts_sections[] = {
	{ "keys", tui_keys_bind, NULL },
};

const size_t tui_opts_count = sizeof tui_opts_table / sizeof tui_opts_table[0];
const size_t tui_opts_nsections = sizeof tui_opts_sections / sizeof tui_opts_sections[0];
