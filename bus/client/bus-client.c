#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-client.h"
#include "bus-codec.h"
#include "bus-sock.h"
#include "bus-time.h"
#include "xmalloc.h"

struct bus_client {
	void *z;
	char *endpoint;
	char *user;
	long next_id;
};

/* The user name to present when none is given: $USER, else the login. */
char *
bus_client_login_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return xstrdup(u);
	pw = getpwuid(getuid());
	return xstrdup(pw != NULL ? pw->pw_name : "unknown");
}

struct bus_client *
bus_client_new(void *zctx, const char *control, const char *user,
    const struct bus_curve *curve, char **cause)
{
	struct bus_client *cl = xcalloc(1, sizeof *cl);
	/* Replies (snapshots) can be large: no size limit from our own hub. */
	struct bus_sock_opts o = { .type = ZMQ_DEALER, .endpoint = control, .maxmsgsize = -1,
		.curve = curve };

	cl->z = bus_sock_open(zctx, &o, cause);
	if (cl->z == NULL) {
		free(cl);
		return NULL;
	}
	int linger = 0;
	zmq_setsockopt(cl->z, ZMQ_LINGER, &linger, sizeof linger);
	cl->endpoint = xstrdup(control);
	cl->user = xstrdup(user);
	cl->next_id = 1;
	return cl;
}

void
bus_client_free(struct bus_client *cl)
{
	if (cl == NULL)
		return;
	zmq_close(cl->z);
	free(cl->endpoint);
	free(cl->user);
	free(cl);
}

/*
 * Send op OP with ARGS (an object, stolen; NULL for none) and wait up to
 * TIMEOUT_MS for the reply with our id. Returns the reply, ok or not, or
 * NULL with *CAUSE when no hub answered in time.
 */
json_t *
bus_client_call(struct bus_client *cl, const char *op, json_t *args, int timeout_ms,
    char **cause)
{
	json_t *req = args != NULL ? args : json_object();
	char id[32];

	snprintf(id, sizeof id, "%d-%ld", (int)getpid(), cl->next_id++);
	json_object_set_new(req, "op", json_string(op));
	json_object_set_new(req, "id", json_string(id));
	json_object_set_new(req, "user", json_string(cl->user));
	char *body = bus_codec_encode(req);
	json_decref(req);
	struct bus_frame f[2] = { { "request", 7 }, { body, strlen(body) } };
	/* The send waits too, but not for ever: a DEALER whose every
	 * connection is gone (a CURVE key the hub turned away does not
	 * reconnect) would otherwise block here. */
	zmq_setsockopt(cl->z, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
	int rc = bus_sock_send(cl->z, f, 2, 0);
	free(body);
	if (rc != 0) {
		if (errno == EAGAIN)
			xasprintf(cause, "no hub at %s took the request within %d s", cl->endpoint,
			    (timeout_ms + 999) / 1000);
		else
			xasprintf(cause, "cannot send to %s: %s", cl->endpoint, zmq_strerror(errno));
		return NULL;
	}

	int64_t deadline = bus_time_mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - bus_time_mono_ms();
		zmq_pollitem_t item = { cl->z, 0, ZMQ_POLLIN, 0 };
		if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0) {
			if (left > 0 && errno == EINTR)
				continue;
			xasprintf(cause, "no reply from a hub at %s within %d s", cl->endpoint,
			    (timeout_ms + 999) / 1000);
			return NULL;
		}
		struct bus_frame frames[BUS_SOCK_MAX_FRAMES];
		zmq_msg_t msgs[BUS_SOCK_MAX_FRAMES];
		size_t n;
		int truncated;
		if (bus_sock_recv(cl->z, frames, msgs, BUS_SOCK_MAX_FRAMES, &n, &truncated,
		    ZMQ_DONTWAIT) != 0)
			continue;
		json_t *reply = NULL;
		/* Replies (snapshots) may exceed the ingest body limit. */
		if (n == 2 && frames[0].size == 5 && memcmp(frames[0].data, "reply", 5) == 0)
			reply = json_loadb(frames[1].data, frames[1].size, 0, NULL);
		bus_sock_recv_done(msgs, n);
		if (!json_is_object(reply)) {
			json_decref(reply);
			continue;
		}
		const char *rid = json_string_value(json_object_get(reply, "id"));
		if (rid != NULL && strcmp(rid, id) == 0)
			return reply;
		json_decref(reply); /* a late reply to an earlier request */
	}
}
