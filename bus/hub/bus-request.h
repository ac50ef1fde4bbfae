/*
 * A control request as it comes off the wire: one "request" message whose
 * body names the op, the client's id for matching the reply, and the op's
 * arguments. Parsing is pure (no hub, no sockets) so that it can be fuzzed
 * and tested alone; who sent the request is the hub's to decide (the
 * CURVE key of the connection, or the body's "user" on a trusted machine).
 */
#ifndef BUS_REQUEST_H
#define BUS_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "bus-codec.h"

struct bus_request {
	json_t *body;      /* the whole body (owned) */
	json_t *id;        /* the client's id, borrowed from body; NULL if none */
	const char *op;    /* borrowed from body */
	const char *user;  /* the body's "user", or NULL if it has none */
	json_t *args;      /* the body without op, id and user (owned) */
};

/*
 * Parse the frames of one request (topic, body; the routing envelope
 * already taken off). Returns 0, or -1 with *ERROR holding the error reply
 * to send; req->id is then set if the id could be read, so that the
 * client can still match the reply. Either way, clear REQ afterwards.
 */
int  bus_request_parse(const struct bus_frame *, size_t nframes, int truncated,
         struct bus_request *req, json_t **error);
void bus_request_clear(struct bus_request *);

#endif
