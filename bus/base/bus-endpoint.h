/* What an endpoint string says about where it listens. */
#ifndef BUS_ENDPOINT_H
#define BUS_ENDPOINT_H

#include <stddef.h>

#include "bus-config.h"

/* Where the hub listens unless told otherwise (DESIGN.md). */
#define BUS_DEFAULT_INGEST  "tcp://127.0.0.1:7401"
#define BUS_DEFAULT_EVENTS  "tcp://127.0.0.1:7402"
#define BUS_DEFAULT_CONTROL "tcp://127.0.0.1:7403"

int bus_endpoint_is_local(const char *endpoint);
/* 1 if ENDPOINT is an ipc:// socket file some process listens on now. */
int bus_endpoint_is_listened(const char *endpoint);

/* The [endpoints] rows of a client's settings table (bus-config.h), for
 * the console and watchctl alike: TYPE has const char *events, *control
 * and *ingest. */
#define BUS_ENDPOINT_CLIENT_OPTS(type)                                              \
	{ "events", "endpoints", 0, BUS_OPT_ENDPOINT, offsetof(type, events), 0, 0, NULL, \
	  "EP", "hub events endpoint (default " BUS_DEFAULT_EVENTS ")" },             \
	{ "control", "endpoints", 0, BUS_OPT_ENDPOINT, offsetof(type, control), 0, 0,    \
	  NULL, "EP", "hub control endpoint (default " BUS_DEFAULT_CONTROL ")" },       \
	{ "ingest", "endpoints", 0, BUS_OPT_ENDPOINT, offsetof(type, ingest), 0, 0, NULL, \
	  "EP", "hub ingest endpoint (default " BUS_DEFAULT_INGEST ")" }

/* The [curve] rows of a client's settings table: TYPE has const char *key
 * (our secret key file) and *hub_key (the hub's public key or its file);
 * see bus_curve_client_setup(). */
#define BUS_CURVE_CLIENT_OPTS(type)                                                  \
	{ "key", "curve", 0, BUS_OPT_STRING, offsetof(type, key), 0, 0, NULL, "FILE",      \
	  "our CURVE secret key (watchctl keygen writes one)" },                          \
	{ "hub-key", "curve", 0, BUS_OPT_STRING, offsetof(type, hub_key), 0, 0, NULL,      \
	  "KEY", "the hub's CURVE public key, or the file holding it" }

#endif
