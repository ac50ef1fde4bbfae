/*
 * The hub's allow-list of CURVE keys: who each public key is, the role it
 * acts with, which of the hub's sockets it may use, and (for producers)
 * which topics it may publish. With CURVE on, this list is the only source
 * of identity: a request's person and role come from the key its
 * connection proved, never from the message.
 *
 * Keys come from two places. An allow file (watchd.conf's [curve] allow),
 * one key a line, read at start and again on SIGHUP:
 *
 *   # KEY (Z85)                                PERSON   ROLE    [SOCKETS]  [TOPICS]
 *   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7   mori     lead
 *   Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID   gw-east  viewer  ingest     sensor.,incident.
 *
 * and the key_allow / key_revoke ops, which a lead sends and which are
 * kept in the hub's database. A change from either takes effect at once,
 * for new connections (ZAP) and for every message on existing ones. A
 * revocation in the database also hides the key in the file.
 */
#ifndef BUS_KEYS_H
#define BUS_KEYS_H

#include <stdio.h>

#include "bus-curve.h"

struct bus_store;
struct bus_keys;

/* The hub's sockets, as a key's permissions name them. */
enum {
	BUS_SOCKET_INGEST = 1 << 0,
	BUS_SOCKET_EVENTS = 1 << 1,
	BUS_SOCKET_CONTROL = 1 << 2,
	BUS_SOCKET_ALL = (1 << 3) - 1,
};

#define BUS_KEY_TOPICS 256

struct bus_key {
	char key[BUS_CURVE_KEY_LEN + 1];
	char person[65];
	int role;                     /* enum bus_role */
	unsigned sockets;             /* BUS_SOCKET_* bits */
	char topics[BUS_KEY_TOPICS];  /* comma-separated topic prefixes; "" for any */
};

/* STORE NULL: no persistence (the keys of the file only). */
struct bus_keys *bus_keys_new(struct bus_store *store, char **cause);
void bus_keys_free(struct bus_keys *);

/* Read the allow file again: its keys replace those it gave before.
 * Returns the number of errors, each written to ERR as "path:line: ...";
 * with any error the previous list stays in force. */
int  bus_keys_load_file(struct bus_keys *, const char *path, FILE *err);

/* The ops: allow (or change) a key, revoke one. 0, or -1 with *cause. */
int  bus_keys_allow(struct bus_keys *, const struct bus_key *, char **cause);
int  bus_keys_revoke(struct bus_keys *, const char *key, char **cause);

/* The key's entry if it is allowed now, else NULL. */
const struct bus_key *bus_keys_find(const struct bus_keys *, const char *key);
/* The entry of a key revoked by op, to say who it was; else NULL. */
const struct bus_key *bus_keys_find_revoked(const struct bus_keys *, const char *key);
/* May KEY use SOCKET (and, on ingest, publish TOPIC; NULL for any)? */
int  bus_keys_may(const struct bus_key *, unsigned socket, const char *topic);
size_t bus_keys_count(const struct bus_keys *);
const struct bus_key *bus_keys_at(const struct bus_keys *, size_t i);

/* The ops key_allow {key, person, role, sockets?, topics?}, key_revoke
 * {key} and key_list {}: the reply; *REVOKED set when a key lost access
 * (its open connections must then be cut). The caller checks the role. */
struct json_t;
struct json_t *bus_keys_op(struct bus_keys *, const char *op, struct json_t *args,
    int *revoked);
int  bus_keys_is_op(const char *op);

/* "ingest,events,control" <-> bits; -1 if a word is not a socket. */
int  bus_keys_parse_sockets(const char *text, unsigned *out);
void bus_keys_format_sockets(unsigned sockets, char *buf, size_t size);

#endif
