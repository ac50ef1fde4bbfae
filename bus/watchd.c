/*
 * watchd: the hub. Parses options, opens the store, binds the three
 * sockets and runs the loop: one libevent turn, then the hub's flush
 * (commit, publish, reply), until a signal asks it to stop.
 */
#include <event2/event.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-config.h"
#include "bus-endpoint.h"
#include "bus-hub.h"
#include "bus-log.h"

#define WATCHD_CONFIG "/etc/watchfloor/watchd.conf"

/* Everything the hub can be told, from watchd.conf or its flags. */
struct watchd_settings {
	struct bus_hub_config hub;
	const char *log;
	int verbose;
};

static const char *const synchronous_modes[] = { "normal", "full", "extra", NULL };

#define SET(f) offsetof(struct watchd_settings, f)
static const struct bus_opt watchd_opts[] = {
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
	{ "sensor-interval", "hub", 0, BUS_OPT_SECONDS, SET(hub.sensor_interval_ms), 1000,
	  86400 * 1000, NULL, "SEC", "expected sensor heartbeat period (default 10)" },
	{ "sensor-misses", "hub", 0, BUS_OPT_INT, SET(hub.sensor_misses), 1, 1000, NULL, "N",
	  "missed heartbeats before a sensor is down (default 3)" },
	{ "alert-window", "hub", 0, BUS_OPT_SECONDS, SET(hub.alert_window_ms), 1000,
	  7 * 86400 * 1000, NULL, "SEC", "how long an alert raises its sector's level\n"
	  "(default 3600)" },
	{ "pub-hwm", "hub", 0, BUS_OPT_INT, SET(hub.pub_hwm), 1, 10000000, NULL, "N",
	  "events queued for each slow subscriber before it\n"
	  "misses some and repairs the gap (default 100000)" },
	{ "log", "hub", 0, BUS_OPT_STRING, SET(log), 0, 0, NULL, "FILE",
	  "log to FILE instead of stderr" },
	{ "verbose", "hub", 'v', BUS_OPT_BOOL, SET(verbose), 0, 0, NULL, NULL,
	  "log debug records" },
};
#undef SET

static const char synopsis[] =
	"usage: watchd [options]\n"
	"\n"
	"The watchfloor hub: validates, sequences, stores (SQLite) and publishes\n"
	"incident, intel and sensor traffic, and answers console commands.\n";

static const char epilogue[] =
	"Settings come from " WATCHD_CONFIG " ([endpoints] and [hub])\n"
	"when it exists; options override them.\n"
	"\n"
	"Endpoints must be local (127.0.0.1, localhost, ::1, ipc://) until CURVE\n"
	"is configured. In this mode the hub trusts the user name each client\n"
	"presents: it trusts the local machine. See watchd(8) and docs/PROTOCOL.md.\n";

static volatile int quit;

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	quit = 1;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct watchd_settings set = { .log = NULL, .verbose = 0 };
	struct bus_cli cli = {
		.prog = "watchd", .synopsis = synopsis, .epilogue = epilogue,
		.opts = watchd_opts, .nopts = sizeof watchd_opts / sizeof watchd_opts[0],
		.settings = &set, .default_config = WATCHD_CONFIG,
	};
	char *cause = NULL;

	bus_hub_config_defaults(&set.hub);
	int rc = bus_cli_parse(&cli, argc, argv);
	if (rc < 0) {
		bus_cli_free(&cli);
		return rc == BUS_CLI_EXIT_OK ? 0 : 2;
	}
	struct bus_hub_config cfg = set.hub;
	const char *eps[] = { cfg.ingest, cfg.events, cfg.control };
	for (size_t i = 0; i < 3; i++) {
		if (!bus_endpoint_is_local(eps[i])) {
			fprintf(stderr, "watchd: refusing to bind %s: it is not a loopback or "
			    "ipc:// address, and without CURVE anyone who can reach it could "
			    "read the floor's traffic and act as any user\n", eps[i]);
			return 2;
		}
	}
	if (bus_cli_check_done(&cli)) {
		bus_cli_free(&cli);
		return 0;
	}
	if (bus_log_open(set.log, set.verbose, &cause) != 0) {
		fprintf(stderr, "watchd: %s\n", cause);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	struct event_base *base = event_base_new();
	void *zctx = zmq_ctx_new();
	struct bus_hub *hub = bus_hub_new(base, zctx, &cfg, &cause);
	if (hub == NULL) {
		log_error("%s", cause);
		fprintf(stderr, "watchd: %s\n", cause);
		return 1;
	}
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);

	/* One turn of the loop, then the after-events hook: commit the batch
	 * the turn accepted, publish it, answer the requests; then write out
	 * the turn's log records. */
	while (!quit) {
		if (event_base_loop(base, EVLOOP_ONCE) < 0) {
			log_error("event loop failed");
			break;
		}
		bus_hub_flush(hub);
		bus_log_flush();
	}
	int64_t seq = bus_hub_seq(hub);
	bus_hub_free(hub);
	event_free(sigint);
	event_free(sigterm);
	zmq_ctx_term(zctx);
	event_base_free(base);
	log_info("stopped at seq %lld", (long long)seq);
	bus_log_close();
	bus_cli_free(&cli);
	return 0;
}
