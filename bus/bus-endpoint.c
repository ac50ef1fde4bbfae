#include <string.h>

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
