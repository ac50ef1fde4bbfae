#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-codec.h"
#include "bus-reply.h"

json_t *
bus_reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *
bus_reply_error(const char *code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	/* A message quotes what the client sent, maybe cut inside a character
	 * ("%.64s"); jansson builds no string that is not UTF-8, and a reply
	 * that cannot be built would leave the hub nothing to send. */
	bus_codec_scrub_utf8(msg);
	json_t *r = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code,
	    "message", msg);
	free(msg);
	return r;
}
