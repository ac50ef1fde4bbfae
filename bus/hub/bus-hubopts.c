/*
 * The hub's settings table (bus-hubopts.h): watchd's flags and the keys of
 * watchd.conf, one row each.
 */
#include <stddef.h>
#include <string.h>

#include "bus-hubopts.h"

static const char *const synchronous_modes[] = { "normal", "full", "extra", NULL };

#define SET(f) offsetof(struct bus_hubopts, f)
const struct bus_opt bus_hubopts_table[] = {
	{ "ingest", "endpoints", 0, BUS_OPT_ENDPOINT, SET(hub.ingest), 0, 0, NULL, "EP",
	  "PULL endpoint for producers (default " BUS_DEFAULT_INGEST ")" },
	{ "events", "endpoints", 0, BUS_OPT_ENDPOINT, SET(hub.events), 0, 0, NULL, "EP",
	  "PUB endpoint for consoles (default " BUS_DEFAULT_EVENTS ")" },
	{ "control", "endpoints", 0, BUS_OPT_ENDPOINT, SET(hub.control), 0, 0, NULL, "EP",
	  "ROUTER endpoint for commands (default " BUS_DEFAULT_CONTROL ")" },
	{ "db", "hub", 0, BUS_OPT_STRING, SET(hub.db), 0, 0, NULL, "FILE",
	  "SQLite database (default watchd.db)" },
	{ "synchronous", "hub", 0, BUS_OPT_CHOICE, SET(hub.synchronous), 0, 0, synchronous_modes,
	  "MODE", "normal (survives a hub crash), full (also power\n"
	  "loss) or extra (SQLite's extra); default normal" },
	{ "wal-limit", "hub", 0, BUS_OPT_INT, SET(hub.wal_limit_mib), 1, 1024 * 1024, NULL,
	  "MIB", "the most SQLite's write-ahead log (the database's\n"
	  "-wal file) may hold, in MiB (default 64)" },
	{ "sensor-interval", "hub", 0, BUS_OPT_SECONDS, SET(hub.sensor_interval_ms), 1000,
	  86400 * 1000, NULL, "SEC", "expected sensor heartbeat period (default 10)" },
	{ "sensor-misses", "hub", 0, BUS_OPT_INT, SET(hub.sensor_misses), 1, 1000, NULL, "N",
	  "missed heartbeats before a sensor is down (default 3)" },
	{ "alert-window", "hub", 0, BUS_OPT_SECONDS, SET(hub.alert_window_ms), 1000,
	  7 * 86400 * 1000, NULL, "SEC", "an alert holds its sector at its level this\n"
	  "long, then one level less each further SEC\n(default 300)" },
	{ "pub-hwm", "hub", 0, BUS_OPT_INT, SET(hub.pub_hwm), 1, 10000000, NULL, "N",
	  "events queued for each slow subscriber before it\n"
	  "misses some and repairs the gap (default 100000)" },
	{ "control-rate", "hub", 0, BUS_OPT_INT, SET(hub.control_rate), 1, 100000, NULL, "N",
	  "control requests a second per connection, bursts\n"
	  "of twice that (default 50)" },
	{ "handshake", "hub", 0, BUS_OPT_SECONDS, SET(hub.handshake_ms), 100, 60 * 1000, NULL,
	  "SEC", "a connection's handshake must end within (default 5)" },
	{ "key", "curve", 0, BUS_OPT_STRING, SET(hub.curve_key), 0, 0, NULL, "FILE",
	  "the hub's CURVE secret key: every socket then\n"
	  "admits allow-listed client keys only" },
	{ "allow", "curve", 0, BUS_OPT_STRING, SET(hub.allow), 0, 0, NULL, "FILE",
	  "the allow file of client keys, read again on\n"
	  "SIGHUP (watchd(8))" },
	{ "demo", NULL, 0, BUS_OPT_BOOL, SET(hub.demo), 0, 0, NULL, NULL,
	  "serve a demo floor, which takes made-up traffic\n"
	  "(watchfloor --demo, watchctl simulate); only on a\n"
	  "new database or one made for a demo" },
	{ "log", "hub", 0, BUS_OPT_STRING, SET(log), 0, 0, NULL, "FILE",
	  "log to FILE instead of stderr" },
	{ "verbose", "hub", 'v', BUS_OPT_BOOL, SET(verbose), 0, 0, NULL, NULL,
	  "log debug records" },
};
#undef SET

const size_t bus_hubopts_count = sizeof bus_hubopts_table / sizeof bus_hubopts_table[0];

void
bus_hubopts_defaults(struct bus_hubopts *o)
{
	memset(o, 0, sizeof *o);
	bus_hub_config_defaults(&o->hub);
}
