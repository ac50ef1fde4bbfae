/*
 * fuzz-codec: an ingest message through the wire decoder and the ingest
 * field tables, as hub_ingest_msg() takes it: bus_codec_decode(), then
 * bus_codec_check_ingest() when it decoded.
 *
 * Input: the frames of one message, as fuzz-frames.h lays them out: the
 * first byte is the separator, e.g. "|incident|{\"title\":...}". More than
 * BUS_SOCK_MAX_FRAMES frames count as truncated, which the hub decodes as
 * BUS_SOCK_MAX_FRAMES + 1 frames.
 *
 * Besides crashes and leaks, it checks what the hub relies on: a refusal
 * has a class and a reason, and the reason is valid UTF-8, because the
 * `report` op and the control ops send the same reasons back inside JSON
 * replies, which jansson refuses to build from anything else; an accepted
 * message is an object under one of the three ingest topics.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bus-codec.h"
#include "fuzz-frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_frames fr;
	char topic[BUS_MAX_TOPIC + 1];
	json_t *body = NULL;
	char *cause = NULL;
	int class;

	if (fuzz_frames_split(data, size, &fr) != 0)
		return 0;
	class = bus_codec_decode(fr.f, fr.truncated ? BUS_SOCK_MAX_FRAMES + 1 : fr.n, topic,
	    &body, &cause);
	if (class == BUS_REJECT_NONE) {
		if (!json_is_object(body) || strlen(topic) == 0 || strlen(topic) > BUS_MAX_TOPIC)
			abort();
		class = bus_codec_check_ingest(topic, body, &cause);
	}
	if (class < BUS_REJECT_NONE || class >= BUS_REJECT_NCLASSES)
		abort();
	if (class == BUS_REJECT_NONE) {
		if (cause != NULL || (strcmp(topic, "incident") != 0 &&
		    strcmp(topic, "intel") != 0 && strcmp(topic, "sensor") != 0))
			abort();
	} else {
		/* What bus_reply_error() does with a reason. */
		json_t *reply = cause != NULL ? json_pack("{s:s}", "message", cause) : NULL;
		if (reply == NULL)
			abort();
		json_decref(reply);
	}
	free(cause);
	json_decref(body);
	fuzz_frames_free(&fr);
	return 0;
}
