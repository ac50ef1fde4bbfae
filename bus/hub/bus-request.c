/*
 * Control requests off the wire (bus-request.h). Every refusal is a reply
 * the client can act on: what was wrong, in a sentence.
 */
#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-reply.h"
#include "bus-request.h"
#include "bus-schema.h"
#include "bus-sock.h"
#include "xmalloc.h"

int
bus_request_parse(const struct bus_frame *frames, size_t n, int truncated,
    struct bus_request *req, json_t **error)
{
	char topic[BUS_MAX_TOPIC + 1];
	char *cause = NULL;
	json_t *juser;

	memset(req, 0, sizeof *req);
	*error = NULL;
	if (bus_codec_decode(frames, truncated ? BUS_SOCK_MAX_FRAMES : n, topic, &req->body,
	    &cause) != BUS_REJECT_NONE || strcmp(topic, "request") != 0) {
		if (cause == NULL)
			xasprintf(&cause, "topic '%s'; expected 'request'", topic);
		*error = bus_reply_error("bad_request", "Malformed request: %s", cause);
		free(cause);
		/* A readable body still gets its id back, so the client can match. */
		json_t *id = req->body != NULL ? json_object_get(req->body, "id") : NULL;
		if (id != NULL && (json_is_integer(id) ||
		    (json_is_string(id) && json_string_length(id) <= 128)))
			req->id = id;
		return -1;
	}
	req->id = json_object_get(req->body, "id");
	if (req->id != NULL && !(json_is_string(req->id) && json_string_length(req->id) <= 128) &&
	    !json_is_integer(req->id)) {
		req->id = NULL;
		*error = bus_reply_error("bad_request", "Field 'id' must be a string of at most "
		    "128 bytes or an integer.");
		return -1;
	}
	req->op = json_string_value(json_object_get(req->body, "op"));
	if (req->op == NULL) {
		*error = bus_reply_error("bad_request", "Field 'op' (a string) is missing.");
		return -1;
	}
	juser = json_object_get(req->body, "user");
	if (juser != NULL) {
		req->user = json_string_value(juser);
		if (req->user == NULL || json_string_length(juser) == 0 ||
		    json_string_length(juser) > 64 || bus_check_name(req->user, &cause) != 0) {
			*error = bus_reply_error("bad_request", "Field 'user' must be a name of "
			    "1-64 bytes%s%s.", cause ? ": " : "", cause ? cause : "");
			free(cause);
			req->user = NULL;
			return -1;
		}
	}
	req->args = json_copy(req->body);
	json_object_del(req->args, "op");
	json_object_del(req->args, "id");
	json_object_del(req->args, "user");
	return 0;
}

void
bus_request_clear(struct bus_request *req)
{
	json_decref(req->args);
	json_decref(req->body);
	memset(req, 0, sizeof *req);
}
