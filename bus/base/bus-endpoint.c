#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-endpoint.h"

/*
 * True for endpoints that only this machine can reach: ipc://, inproc://
 * and TCP on a loopback address. Anything else needs CURVE (DESIGN.md).
 */
int
bus_endpoint_is_local(const char *ep)
{
	static const char *const local_prefixes[] = {
		"ipc://", "inproc://", "tcp://127.", "tcp://localhost:", "tcp://[::1]:",
		NULL
	};

	/* An abstract unix socket (ipc://@name) has no file, so no permissions
	 * say who may connect: anyone on the machine can. */
	if (strncmp(ep, "ipc://@", 7) == 0)
		return 0;
	for (const char *const *p = local_prefixes; *p != NULL; p++) {
		if (strncmp(ep, *p, strlen(*p)) == 0)
			return 1;
	}
	return 0;
}

/*
 * True when EP is an ipc:// endpoint (a socket file) that a process
 * listens on now: a connection to it is accepted. Binding such a path
 * would take it from that process (ZeroMQ removes the file first), so a
 * console that finds a hub there too slow to answer must follow it, not
 * replace it. A file left by a process that died refuses the connection.
 */
int
bus_endpoint_is_listened(const char *ep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ep + 6;
	int fd, ok;

	if (strncmp(ep, "ipc://", 6) != 0 || *path == '@' || *path == '\0' ||
	    strlen(path) >= sizeof sa.sun_path)
		return 0;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}
