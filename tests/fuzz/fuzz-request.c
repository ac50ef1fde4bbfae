/*
 * fuzz-request: a control request through bus_request_parse(), as the hub
 * gets it once the routing envelope is off.
 *
 * Input: the frames after the envelope, as fuzz-frames.h lays them out:
 * the first byte is the separator, e.g. "|request|{\"op\":\"whoami\"}".
 * More than BUS_SOCK_MAX_FRAMES frames are passed as truncated.
 *
 * Besides crashes and leaks, it checks what bus-request.h promises and the
 * hub relies on: a refusal comes with an error reply the hub can encode
 * and send (bad_request), and an id only when it is one the client may get
 * back; an accepted request has an op, a user that is a name or none, and
 * arguments without op, id and user.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bus-request.h"
#include "fuzz-frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The id a reply may carry: a string of at most 128 bytes, or an integer. */
static int
id_ok(json_t *id)
{
	return id == NULL || json_is_integer(id) ||
	    (json_is_string(id) && json_string_length(id) <= 128);
}

/* The error code of a reply, or "" if it has none. */
static const char *
error_code(json_t *reply)
{
	const char *code = json_string_value(json_object_get(json_object_get(reply, "error"),
	    "code"));

	return code != NULL ? code : "";
}

/* A name as bus_check_name() allows it, 1-64 bytes. */
static int
user_ok(const char *user)
{
	size_t n = strlen(user);

	return n >= 1 && n <= 64 && strspn(user, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") == n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_frames fr;
	struct bus_request req;
	json_t *error = NULL;
	char *text;

	if (fuzz_frames_split(data, size, &fr) != 0)
		return 0;
	if (bus_request_parse(fr.f, fr.n, fr.truncated, &req, &error) != 0) {
		if (error == NULL || !json_is_false(json_object_get(error, "ok")) ||
		    strcmp(error_code(error), "bad_request") != 0 || !id_ok(req.id))
			abort();
		/* What hub_queue_reply() does with it. */
		if (req.id != NULL)
			json_object_set(error, "id", req.id);
		text = json_dumps(error, JSON_COMPACT);
		if (text == NULL)
			abort();
		free(text);
	} else {
		if (error != NULL || !json_is_object(req.body) || req.op == NULL ||
		    !json_is_object(req.args) || !id_ok(req.id) ||
		    json_object_get(req.args, "op") != NULL ||
		    json_object_get(req.args, "id") != NULL ||
		    json_object_get(req.args, "user") != NULL)
			abort();
		if (req.user != NULL && !user_ok(req.user))
			abort();
	}
	json_decref(error);
	bus_request_clear(&req);
	fuzz_frames_free(&fr);
	return 0;
}
