/*
 * CurveZMQ keys: key files, and the socket options that make a socket a
 * CURVE server (the hub's three sockets) or a CURVE client (consoles,
 * watchctl, producers).
 *
 * A key is 32 bytes, written as 40 characters of Z85. A secret key file
 * holds the secret key on one line and must be readable by its owner only
 * (mode 0600 or narrower): a secret others can read is refused, not used.
 * A public key is given as its 40 characters or as the name of a file
 * holding them (NAME.pub beside NAME.key, as `watchctl keygen` writes).
 */
#ifndef BUS_CURVE_H
#define BUS_CURVE_H

#define BUS_CURVE_KEY_LEN 40 /* Z85 characters of a key */

struct bus_curve {
	char public_key[BUS_CURVE_KEY_LEN + 1];  /* ours */
	char secret_key[BUS_CURVE_KEY_LEN + 1];  /* ours */
	char server_key[BUS_CURVE_KEY_LEN + 1];  /* a client's: the hub's public key */
};

/* libzmq 4.3.3 or later, built with CURVE: earlier ones have known flaws
 * in the handshake's bounds checks (CVE-2020-15166 and others). */
int  bus_curve_available(char **cause);

/* Write PREFIX.key (the secret, mode 0600) and PREFIX.pub; neither may
 * exist already. */
int  bus_curve_keygen(const char *prefix, char public_key[BUS_CURVE_KEY_LEN + 1],
         char **cause);

/* Our key pair from a secret key file (the public key is derived). */
int  bus_curve_load_secret(const char *path, struct bus_curve *, char **cause);

/* A public key: 40 characters of Z85, or a file holding them. */
int  bus_curve_load_public(const char *text_or_path, char out[BUS_CURVE_KEY_LEN + 1],
         char **cause);

/* Is TEXT a key in Z85 (40 characters that decode)? */
int  bus_curve_key_valid(const char *text);

/* A client's CURVE from its settings: KEY_PATH (our secret key file) and
 * HUB_KEY (the hub's public key, or its file), both or neither. Returns 1
 * with OUT filled, 0 when neither is set (no CURVE), -1 with *cause. */
int  bus_curve_client_setup(const char *key_path, const char *hub_key, struct bus_curve *out,
         char **cause);

/* Socket options, before bind or connect. A server socket asks ZAP about
 * every client under DOMAIN (the socket's name: ingest, events, control). */
int  bus_curve_server(void *zsock, const struct bus_curve *, const char *domain,
         char **cause);
int  bus_curve_client(void *zsock, const struct bus_curve *, char **cause);

#endif
