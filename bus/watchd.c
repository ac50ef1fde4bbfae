/*
 * watchd: the hub. Parses options, opens the store, binds the three
 * sockets and runs the loop: one libevent turn, then the hub's flush
 * (commit, publish, reply), until a signal asks it to stop.
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-endpoint.h"
#include "bus-hub.h"
#include "bus-log.h"

static const char usage_text[] =
	"usage: watchd [options]\n"
	"\n"
	"The watchfloor hub: validates, sequences, stores (SQLite) and publishes\n"
	"incident, intel and sensor traffic, and answers console commands.\n"
	"\n"
	"  --ingest EP            PULL endpoint for producers (default " BUS_DEFAULT_INGEST ")\n"
	"  --events EP            PUB endpoint for consoles (default " BUS_DEFAULT_EVENTS ")\n"
	"  --control EP           ROUTER endpoint for commands (default " BUS_DEFAULT_CONTROL ")\n"
	"  --db FILE              SQLite database (default watchd.db)\n"
	"  --synchronous MODE     normal (survives a hub crash), full (also power\n"
	"                         loss) or extra (SQLite's extra); default normal\n"
	"  --sensor-interval SEC  expected sensor heartbeat period (default 10)\n"
	"  --sensor-misses N      missed heartbeats before a sensor is down (default 3)\n"
	"  --alert-window SEC     how long an alert raises its sector's level (default 3600)\n"
	"  --pub-hwm N            events queued for each slow subscriber before it\n"
	"                         misses some and repairs the gap (default 100000)\n"
	"  --log FILE             log to FILE instead of stderr\n"
	"  -v, --verbose          log debug records\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show the version\n"
	"\n"
	"Endpoints must be local (127.0.0.1, localhost, ::1, ipc://) until CURVE\n"
	"is configured. In this mode the hub trusts the user name each client\n"
	"presents: it trusts the local machine. See watchd(8) and docs/PROTOCOL.md.\n";

enum { OPT_INGEST = 256, OPT_EVENTS, OPT_CONTROL, OPT_DB, OPT_SYNC, OPT_SINTERVAL,
	OPT_SMISSES, OPT_AWINDOW, OPT_LOG, OPT_PUBHWM };

static const struct option long_options[] = {
	{ "ingest", required_argument, NULL, OPT_INGEST },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "db", required_argument, NULL, OPT_DB },
	{ "synchronous", required_argument, NULL, OPT_SYNC },
	{ "sensor-interval", required_argument, NULL, OPT_SINTERVAL },
	{ "sensor-misses", required_argument, NULL, OPT_SMISSES },
	{ "alert-window", required_argument, NULL, OPT_AWINDOW },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "pub-hwm", required_argument, NULL, OPT_PUBHWM },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static volatile int quit;

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	quit = 1;
	event_base_loopbreak(arg);
}

/* A whole number in 1..max (seconds, counts), or exit with a usage error. */
static int
seconds_arg(const char *name, const char *value, int max)
{
	char *end;
	long v = strtol(value, &end, 10);

	if (*value == '\0' || *end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "watchd: --%s takes a whole number from 1 to %d, not '%s'\n",
		    name, max, value);
		exit(2);
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	struct bus_hub_config cfg;
	const char *log_path = NULL;
	int verbose = 0, c;
	char *cause = NULL;

	bus_hub_config_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "vhV", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_INGEST: cfg.ingest = optarg; break;
		case OPT_EVENTS: cfg.events = optarg; break;
		case OPT_CONTROL: cfg.control = optarg; break;
		case OPT_DB: cfg.db = optarg; break;
		case OPT_SYNC: cfg.synchronous = optarg; break;
		case OPT_SINTERVAL:
			cfg.sensor_interval_ms = 1000 * seconds_arg("sensor-interval", optarg, 86400);
			break;
		case OPT_SMISSES:
			cfg.sensor_misses = seconds_arg("sensor-misses", optarg, 1000);
			break;
		case OPT_AWINDOW:
			cfg.alert_window_ms = 1000 * seconds_arg("alert-window", optarg, 7 * 86400);
			break;
		case OPT_LOG: log_path = optarg; break;
		case OPT_PUBHWM:
			cfg.pub_hwm = seconds_arg("pub-hwm", optarg, 10000000);
			break;
		case 'v': verbose = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("watchd %s\n", WATCHFLOOR_VERSION); return 0;
		default:
			fputs("Try 'watchd --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "watchd: unexpected argument '%s'\nTry 'watchd --help'.\n",
		    argv[optind]);
		return 2;
	}
	const char *eps[] = { cfg.ingest, cfg.events, cfg.control };
	for (size_t i = 0; i < 3; i++) {
		if (!bus_endpoint_is_local(eps[i])) {
			fprintf(stderr, "watchd: refusing to bind %s: it is not a loopback or "
			    "ipc:// address, and without CURVE anyone who can reach it could "
			    "read the floor's traffic and act as any user\n", eps[i]);
			return 2;
		}
	}
	if (bus_log_open(log_path, verbose, &cause) != 0) {
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
	return 0;
}
