/*
 * The ZAP handler (bus-zap.h): a REP socket on the hub's loop. libzmq
 * holds each handshake until the answer comes, so answers are quick and
 * never wait on anything but the allow-list in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-keys.h"
#include "bus-log.h"
#include "bus-sock.h"
#include "bus-zap.h"
#include "xmalloc.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_BUDGET   256 /* handshakes answered per loop turn */

struct bus_zap {
	void *z;
	struct bus_sock *watch;
	const struct bus_keys *keys;
	struct bus_zap_stats stats;
	struct bus_log_limit log;
};

static const struct {
	const char *domain;
	unsigned socket;
} zap_domains[] = {
	{ "ingest", BUS_SOCKET_INGEST },
	{ "events", BUS_SOCKET_EVENTS },
	{ "control", BUS_SOCKET_CONTROL },
};

unsigned
bus_zap_domain_socket(const char *domain, size_t len)
{
	for (size_t i = 0; i < sizeof zap_domains / sizeof zap_domains[0]; i++) {
		if (strlen(zap_domains[i].domain) == len && memcmp(zap_domains[i].domain, domain,
		    len) == 0)
			return zap_domains[i].socket;
	}
	return 0;
}

static void
zap_reply(struct bus_zap *zap, const struct bus_frame *request_id, const char *code,
    const char *text, const char *user_id)
{
	struct bus_frame f[6] = {
		{ "1.0", 3 },
		{ request_id->data, request_id->size },
		{ code, strlen(code) },
		{ text, strlen(text) },
		{ user_id, strlen(user_id) },
		{ "", 0 }, /* no metadata */
	};

	if (bus_sock_send(zap->z, f, 6, 0) != 0)
		log_warn("zap: cannot answer: %s", zmq_strerror(errno));
}

/*
 * One request (RFC 27): version, request id, domain, address, routing id,
 * mechanism, credentials. Only CURVE is spoken here: its one credential is
 * the client's 32-byte public key, proved by the handshake.
 */
static void
zap_request(const struct bus_frame *f, size_t n, int truncated, void *arg)
{
	struct bus_zap *zap = arg;
	char key[BUS_CURVE_KEY_LEN + 1] = "", address[64] = "";
	static const struct bus_frame no_id = { "", 0 };

	if (truncated || n < 7 || f[0].size != 3 || memcmp(f[0].data, "1.0", 3) != 0) {
		/* Only libzmq can reach an inproc endpoint; answer anyway, or
		 * the REP socket would wait for a reply forever. */
		zap->stats.malformed++;
		zap_reply(zap, n >= 2 ? &f[1] : &no_id, "500", "malformed ZAP request", "");
		return;
	}
	snprintf(address, sizeof address, "%.*s", (int)(f[3].size < 60 ? f[3].size : 60),
	    (const char *)f[3].data);
	unsigned socket = bus_zap_domain_socket(f[2].data, f[2].size);
	if (f[5].size != 5 || memcmp(f[5].data, "CURVE", 5) != 0 || n != 7 || f[6].size != 32) {
		zap->stats.denied++;
		zap_reply(zap, &f[1], "400", "only CURVE clients are admitted", "");
		if (bus_log_limited(&zap->log))
			log_warn("zap: %s refused: not a CURVE client", address);
		return;
	}
	zmq_z85_encode(key, f[6].data, 32);
	const struct bus_key *k = bus_keys_find(zap->keys, key);
	if (k == NULL || socket == 0 || !bus_keys_may(k, socket, NULL)) {
		zap->stats.denied++;
		zap_reply(zap, &f[1], "400", k == NULL ? "key not allowed" :
		    "key not allowed on this socket", "");
		if (bus_log_limited(&zap->log))
			log_warn("zap: %s with key %s refused on %.*s: %s", address, key,
			    (int)(f[2].size < 16 ? f[2].size : 16), (const char *)f[2].data,
			    k == NULL ? "not on the allow-list" : "not allowed on this socket");
		return;
	}
	zap->stats.allowed++;
	/* The key as User-Id: each message then says which key sent it, and
	 * the hub asks the allow-list about it as the list stands then. */
	zap_reply(zap, &f[1], "200", "OK", key);
	log_debug("zap: %s is %s (%s) on %.*s", address, k->person, key, (int)f[2].size,
	    (const char *)f[2].data);
}

struct bus_zap *
bus_zap_new(struct event_base *base, void *zctx, const struct bus_keys *keys, char **cause)
{
	struct bus_zap *zap = xcalloc(1, sizeof *zap);
	struct bus_sock_opts o = { .type = ZMQ_REP, .endpoint = ZAP_ENDPOINT, .bind = 1 };

	zap->keys = keys;
	zap->log = (struct bus_log_limit){ "zap: refusals", 20, 0, 0, 0 };
	if ((zap->z = bus_sock_open(zctx, &o, cause)) == NULL) {
		char *inner = *cause;
		xasprintf(cause, "cannot start the ZAP handler, without which any client key "
		    "would be let in: %s", inner);
		free(inner);
		free(zap);
		return NULL;
	}
	zap->watch = bus_sock_watch(base, zap->z, ZAP_BUDGET, zap_request, zap);
	return zap;
}

void
bus_zap_free(struct bus_zap *zap)
{
	if (zap == NULL)
		return;
	bus_sock_unwatch(zap->watch);
	zmq_close(zap->z);
	free(zap);
}

const struct bus_zap_stats *
bus_zap_stats(const struct bus_zap *zap)
{
	return &zap->stats;
}
