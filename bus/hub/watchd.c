/*
 * watchd: the hub. Parses options, opens the store, binds the three
 * sockets and runs the loop: one libevent turn, then the hub's flush
 * (commit, publish, reply), until a signal asks it to stop.
 */
#include <event2/event.h>
#include <stddef.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-config.h"
#include "bus-curve.h"
#include "bus-keys.h"
#include "bus-endpoint.h"
#include "bus-hub.h"
#include "bus-hubopts.h"
#include "bus-log.h"

#define WATCHD_CONFIG "/etc/watchfloor/watchd.conf"


static const char synopsis[] =
	"usage: watchd [options]\n"
	"\n"
	"The watchfloor hub: validates, sequences, stores (SQLite) and publishes\n"
	"incident, intel and sensor traffic, and answers console commands.\n";

static const char epilogue[] =
	"Settings come from " WATCHD_CONFIG " ([endpoints], [hub] and\n"
	"[curve]) when it exists; options override them. SIGHUP reads the allow\n"
	"file again.\n"
	"\n"
	"Without --key the endpoints must be local (127.0.0.1, localhost, ::1,\n"
	"ipc://), and the hub trusts the user name each client presents: it trusts\n"
	"the local machine. With --key every socket admits allow-listed CURVE keys\n"
	"only, and a request's person and role are its key's. See watchd(8) and\n"
	"docs/PROTOCOL.md.\n";

static volatile int quit;

/* SIGHUP: read the allow file again; a mistake keeps the keys in force. */
static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	char *cause = NULL;

	(void)sig;
	(void)what;
	if (bus_hub_reload_keys(arg, &cause) != 0) {
		log_error("SIGHUP: keys not reloaded, the previous ones stay in force:\n%s", cause);
		free(cause);
	}
}

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
	struct bus_hubopts set;
	struct bus_cli cli = {
		.prog = "watchd", .synopsis = synopsis, .epilogue = epilogue,
		.opts = bus_hubopts_table, .nopts = bus_hubopts_count,
		.settings = &set, .default_config = WATCHD_CONFIG,
	};
	char *cause = NULL;

	bus_hubopts_defaults(&set);
	int rc = bus_cli_parse(&cli, argc, argv);
	if (rc < 0) {
		bus_cli_free(&cli);
		return rc == BUS_CLI_EXIT_OK ? 0 : 2;
	}
	struct bus_hub_config cfg = set.hub;
	const char *eps[] = { cfg.ingest, cfg.events, cfg.control };
	for (size_t i = 0; i < 3 && cfg.curve_key == NULL; i++) {
		if (!bus_endpoint_is_local(eps[i])) {
			fprintf(stderr, "watchd: refusing to bind %s: it is not a loopback or "
			    "ipc:// address, and without CURVE anyone who can reach it could "
			    "read the floor's traffic and act as any user\n", eps[i]);
			return 2;
		}
	}
	/* The keys are checked before anything opens, so that a mistake in
	 * them is reported like one in the settings (and by --check-config). */
	if (cfg.curve_key != NULL) {
		struct bus_curve mine;
		struct bus_keys *keys = NULL;
		int bad = bus_curve_available(&cause) != 0 ||
		    bus_curve_load_secret(cfg.curve_key, &mine, &cause) != 0;
		memset(&mine, 0, sizeof mine);
		if (bad) {
			fprintf(stderr, "watchd: %s\n", cause);
			free(cause);
			bus_cli_free(&cli);
			return 2;
		}
		if (cfg.allow != NULL && (keys = bus_keys_new(NULL, &cause)) != NULL &&
		    bus_keys_load_file(keys, cfg.allow, stderr) != 0) {
			fprintf(stderr, "watchd: mistakes in the allow file %s; not starting\n",
			    cfg.allow);
			bus_keys_free(keys);
			bus_cli_free(&cli);
			return 2;
		}
		bus_keys_free(keys);
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
	/* Each client is a descriptor: take the most the system allows, so
	 * that a thousand idle or hostile connections cannot crowd out the
	 * floor's own. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

	struct event_base *base = event_base_new();
	void *zctx = zmq_ctx_new();
	struct bus_hub *hub = bus_hub_new(base, zctx, &cfg, &cause);
	if (hub == NULL) {
		/* A refused start (a damaged database, a busy endpoint) leaves
		 * nothing behind: the sanitizers' leak check would otherwise turn
		 * its exit status 1 into theirs. */
		log_error("%s", cause);
		fprintf(stderr, "watchd: %s\n", cause);
		free(cause);
		zmq_ctx_term(zctx);
		event_base_free(base);
		bus_log_close();
		bus_cli_free(&cli);
		return 1;
	}
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *sighup = evsignal_new(base, SIGHUP, on_reload, hub);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sighup, NULL);

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
	event_free(sighup);
	zmq_ctx_term(zctx);
	event_base_free(base);
	log_info("stopped at seq %lld", (long long)seq);
	bus_log_close();
	bus_cli_free(&cli);
	return 0;
}
