/*
 * CurveZMQ keys and socket options (bus-curve.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-curve.h"
#include "xmalloc.h"

int
bus_curve_available(char **cause)
{
	int major, minor, patch;

	zmq_version(&major, &minor, &patch);
	if (major * 10000 + minor * 100 + patch < 40303) {
		xasprintf(cause, "libzmq %d.%d.%d is older than 4.3.3, whose CURVE handshake has "
		    "known flaws; install libzmq 4.3.3 or later", major, minor, patch);
		return -1;
	}
	if (!zmq_has("curve")) {
		xasprintf(cause, "this libzmq was built without CURVE (libsodium)");
		return -1;
	}
	return 0;
}

int
bus_curve_key_valid(const char *text)
{
	uint8_t raw[32];

	return text != NULL && strlen(text) == BUS_CURVE_KEY_LEN &&
	    zmq_z85_decode(raw, text) != NULL;
}

/* Write TEXT and a newline to a new file PATH with MODE. */
static int
write_new(const char *path, const char *text, mode_t mode, char **cause)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);

	if (fd < 0) {
		xasprintf(cause, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	/* The umask may have narrowed MODE; it must not have widened it, and
	 * fchmod makes the secret's 0600 exact whatever the umask. */
	if (fchmod(fd, mode) != 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		xasprintf(cause, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int
bus_curve_keygen(const char *prefix, char public_key[BUS_CURVE_KEY_LEN + 1], char **cause)
{
	char secret_key[BUS_CURVE_KEY_LEN + 1];
	char *key_path = xprintf("%s.key", prefix), *pub_path = xprintf("%s.pub", prefix);
	int rc = -1;

	if (bus_curve_available(cause) != 0)
		goto out;
	if (zmq_curve_keypair(public_key, secret_key) != 0) {
		xasprintf(cause, "cannot make a key pair: %s", zmq_strerror(errno));
		goto out;
	}
	if (write_new(key_path, secret_key, 0600, cause) != 0)
		goto out;
	if (write_new(pub_path, public_key, 0644, cause) != 0) {
		unlink(key_path);
		goto out;
	}
	rc = 0;
out:
	memset(secret_key, 0, sizeof secret_key);
	free(key_path);
	free(pub_path);
	return rc;
}

/* The first line of PATH, which must be a key. */
static int
read_key_file(const char *path, char out[BUS_CURVE_KEY_LEN + 1], char **cause)
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		xasprintf(cause, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!bus_curve_key_valid(line)) {
		memset(line, 0, sizeof line);
		xasprintf(cause, "%s does not hold a key (40 characters of Z85 on its first "
		    "line; watchctl keygen writes them)", path);
		return -1;
	}
	memcpy(out, line, BUS_CURVE_KEY_LEN + 1);
	memset(line, 0, sizeof line);
	return 0;
}

int
bus_curve_load_secret(const char *path, struct bus_curve *c, char **cause)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		xasprintf(cause, "cannot read the secret key %s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(cause, "the secret key %s can be read by others (mode %04o); it must "
		    "be readable by its owner only: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	if (read_key_file(path, c->secret_key, cause) != 0)
		return -1;
	if (zmq_curve_public(c->public_key, c->secret_key) != 0) {
		xasprintf(cause, "cannot derive the public key of %s: %s", path,
		    zmq_strerror(errno));
		return -1;
	}
	return 0;
}

int
bus_curve_load_public(const char *text, char out[BUS_CURVE_KEY_LEN + 1], char **cause)
{
	if (bus_curve_key_valid(text)) {
		memcpy(out, text, BUS_CURVE_KEY_LEN + 1);
		return 0;
	}
	return read_key_file(text, out, cause);
}

int
bus_curve_client_setup(const char *key_path, const char *hub_key, struct bus_curve *out,
    char **cause)
{
	if (key_path == NULL && hub_key == NULL)
		return 0;
	if (key_path == NULL || hub_key == NULL) {
		xasprintf(cause, "CURVE needs both our secret key (key, --key) and the hub's "
		    "public key (hub-key, --hub-key); only the %s is set",
		    key_path != NULL ? "secret key" : "hub's key");
		return -1;
	}
	if (bus_curve_available(cause) != 0 || bus_curve_load_secret(key_path, out, cause) != 0 ||
	    bus_curve_load_public(hub_key, out->server_key, cause) != 0)
		return -1;
	return 1;
}

static int
set_key(void *z, int option, const char *key, const char *what, char **cause)
{
	if (zmq_setsockopt(z, option, key, BUS_CURVE_KEY_LEN + 1) != 0) { /* Z85 and its NUL */
		xasprintf(cause, "cannot set the %s: %s", what, zmq_strerror(errno));
		return -1;
	}
	return 0;
}

int
bus_curve_server(void *z, const struct bus_curve *c, const char *domain, char **cause)
{
	int one = 1;

	if (zmq_setsockopt(z, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(z, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0) {
		xasprintf(cause, "cannot make a CURVE server: %s", zmq_strerror(errno));
		return -1;
	}
	return set_key(z, ZMQ_CURVE_SECRETKEY, c->secret_key, "hub's secret key", cause);
}

int
bus_curve_client(void *z, const struct bus_curve *c, char **cause)
{
	if (set_key(z, ZMQ_CURVE_SERVERKEY, c->server_key, "hub's public key", cause) != 0 ||
	    set_key(z, ZMQ_CURVE_PUBLICKEY, c->public_key, "public key", cause) != 0 ||
	    set_key(z, ZMQ_CURVE_SECRETKEY, c->secret_key, "secret key", cause) != 0)
		return -1;
	return 0;
}
