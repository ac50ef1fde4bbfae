/* Control requests off the wire (bus/hub/bus-request.c): what a client's
 * frames become, and the reply it gets when they are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"
#include "bus-request.h"
#include "bus-sock.h"

/* Parse TOPIC + BODY (BODY_LEN bytes) as the two frames of a request. */
static int
parse2(const char *topic, const char *body, size_t body_len, struct bus_request *req,
    json_t **error)
{
	struct bus_frame f[2] = { { topic, strlen(topic) }, { body, body_len } };

	return bus_request_parse(f, 2, 0, req, error);
}

static int
parse(const char *body, struct bus_request *req, json_t **error)
{
	return parse2("request", body, strlen(body), req, error);
}

/* The refusal is {"ok":false,"error":{"code":CODE,"message":...}} with a
 * message holding WANT; it is freed. */
static void
assert_refusal(json_t *error, const char *code, const char *want)
{
	assert_non_null(error);
	assert_true(json_is_false(json_object_get(error, "ok")));
	json_t *e = json_object_get(error, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), code);
	const char *msg = json_string_value(json_object_get(e, "message"));
	assert_non_null(msg);
	if (want != NULL && strstr(msg, want) == NULL)
		fail_msg("message '%s' does not hold '%s'", msg, want);
	/* The reply must encode: the hub has nothing else to send. */
	char *text = bus_codec_encode(error);
	free(text);
	json_decref(error);
}

/* Refused as bad_request with WANT in the message; the id echoed is ID
 * (a JSON text, e.g. "\"c1\"" or "7"), or none if ID is NULL. */
static void
assert_bad_body(const char *body, const char *want, const char *id)
{
	struct bus_request req;
	json_t *error;

	assert_int_equal(parse(body, &req, &error), -1);
	if (id == NULL) {
		if (req.id != NULL)
			fail_msg("'%s': an id was echoed", body);
	} else {
		json_t *expect = json_loads(id, JSON_DECODE_ANY, NULL);
		assert_non_null(req.id);
		if (!json_equal(req.id, expect))
			fail_msg("'%s': the id echoed is not %s", body, id);
		json_decref(expect);
	}
	assert_refusal(error, "bad_request", want);
	bus_request_clear(&req);
}

static void
test_well_formed(void **state)
{
	struct bus_request req;
	json_t *error;
	(void)state;

	assert_int_equal(parse("{\"op\":\"dispatch\",\"id\":\"c1\",\"user\":\"mori\","
	    "\"team\":\"FLY-2\",\"case\":\"ICS-2026-0007\"}", &req, &error), 0);
	assert_null(error);
	assert_string_equal(req.op, "dispatch");
	assert_string_equal(req.user, "mori");
	assert_string_equal(json_string_value(req.id), "c1");
	/* The arguments are what the op's table sees: op, id and user are not
	 * fields of any op. */
	assert_int_equal(json_object_size(req.args), 2);
	assert_string_equal(json_string_value(json_object_get(req.args, "team")), "FLY-2");
	assert_string_equal(json_string_value(json_object_get(req.args, "case")),
	    "ICS-2026-0007");
	assert_null(json_object_get(req.args, "op"));
	/* The body is left whole. */
	assert_non_null(json_object_get(req.body, "op"));
	bus_request_clear(&req);
	assert_null(req.body);
	assert_null(req.args);

	/* id and user are optional; an integer id is fine. */
	assert_int_equal(parse("{\"op\":\"stats\"}", &req, &error), 0);
	assert_null(req.id);
	assert_null(req.user);
	assert_int_equal(json_object_size(req.args), 0);
	bus_request_clear(&req);
	assert_int_equal(parse("{\"op\":\"stats\",\"id\":42}", &req, &error), 0);
	assert_int_equal(json_integer_value(req.id), 42);
	bus_request_clear(&req);

	/* Limits are inclusive: a 128-byte id, a 64-byte user. */
	char body[512];
	snprintf(body, sizeof body, "{\"op\":\"stats\",\"id\":\"%0128d\",\"user\":\"%064d\"}",
	    0, 0);
	assert_int_equal(parse(body, &req, &error), 0);
	assert_int_equal(json_string_length(req.id), 128);
	assert_int_equal(strlen(req.user), 64);
	bus_request_clear(&req);
}

static void
test_frames(void **state)
{
	struct bus_frame f[BUS_SOCK_MAX_FRAMES];
	struct bus_request req;
	json_t *error;
	static const char body[] = "{\"op\":\"stats\",\"id\":\"c1\"}";
	(void)state;

	for (size_t i = 0; i < BUS_SOCK_MAX_FRAMES; i++) {
		f[i].data = i == 0 ? "request" : body;
		f[i].size = i == 0 ? 7 : sizeof body - 1;
	}
	assert_int_equal(bus_request_parse(f, 1, 0, &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request",
	    "Malformed request: message has 1 frame; expected 2 (topic, body)");
	bus_request_clear(&req);
	assert_int_equal(bus_request_parse(f, 0, 0, &req, &error), -1);
	assert_refusal(error, "bad_request", "message has 0 frames");
	bus_request_clear(&req);
	/* An extra frame (e.g. a proxy's envelope) is malformed, even when
	 * the body would have been fine. */
	assert_int_equal(bus_request_parse(f, 3, 0, &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request", "message has 3 frames");
	bus_request_clear(&req);
	/* More frames than a socket keeps: refused whatever was kept. */
	assert_int_equal(bus_request_parse(f, BUS_SOCK_MAX_FRAMES, 1, &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request", "expected 2 (topic, body)");
	bus_request_clear(&req);
	assert_int_equal(bus_request_parse(f, 2, 1, &req, &error), -1);
	assert_refusal(error, "bad_request", "expected 2 (topic, body)");
	bus_request_clear(&req);
}

static void
test_topic(void **state)
{
	struct bus_request req;
	json_t *error;
	static const char body[] = "{\"op\":\"stats\",\"id\":\"c9\"}";
	(void)state;

	/* Another topic: the body could be read, so the client gets its id. */
	assert_int_equal(parse2("reply", body, strlen(body), &req, &error), -1);
	assert_string_equal(json_string_value(req.id), "c9");
	assert_refusal(error, "bad_request",
	    "Malformed request: topic 'reply'; expected 'request'");
	bus_request_clear(&req);
	assert_int_equal(parse2("requests", body, strlen(body), &req, &error), -1);
	assert_refusal(error, "bad_request", "topic 'requests'; expected 'request'");
	bus_request_clear(&req);
	assert_int_equal(parse2("", body, strlen(body), &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request", "topic of 0 bytes");
	bus_request_clear(&req);
	assert_int_equal(parse2("re quest", body, strlen(body), &req, &error), -1);
	assert_refusal(error, "bad_request", "topic has a byte 0x20");
	bus_request_clear(&req);
	/* A readable body with an unusable id gets none back. */
	char big[300];
	snprintf(big, sizeof big, "{\"op\":\"stats\",\"id\":\"%0129d\"}", 0);
	assert_int_equal(parse2("reply", big, strlen(big), &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request", "topic 'reply'");
	bus_request_clear(&req);
	assert_int_equal(parse2("reply", "{\"op\":\"stats\",\"id\":true}", 24, &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request", NULL);
	bus_request_clear(&req);
}

static void
test_bad_bodies(void **state)
{
	struct bus_request req;
	json_t *error;
	(void)state;

	assert_bad_body("{\"op\":\"stats\",\"id\":\"c1\"", "Malformed request: request: bad JSON",
	    NULL);
	assert_bad_body("", "bad JSON", NULL);
	assert_bad_body("{\"op\":\"stats\",\"op\":\"snapshot\"}", "bad JSON", NULL);
	assert_bad_body("[\"op\",\"stats\"]", "request: body is not a JSON object", NULL);
	/* A bare value is not even JSON text to the hub's parser. */
	assert_bad_body("\"stats\"", "bad JSON", NULL);
	assert_bad_body("null", "bad JSON", NULL);
	assert_bad_body("{\"op\":\"st\xffts\",\"id\":\"c1\"}", "body is not valid UTF-8", NULL);

	/* Over the body limit: refused unread, so no id comes back. */
	size_t n = BUS_MAX_BODY + 1;
	char *body = malloc(n + 1);
	assert_non_null(body);
	memset(body, ' ', n);
	memcpy(body, "{\"op\":\"stats\",\"id\":\"c1\"}", 24);
	body[n] = '\0';
	assert_int_equal(parse2("request", body, n, &req, &error), -1);
	assert_null(req.id);
	assert_refusal(error, "bad_request", "body of 65537 bytes is over the limit of 65536");
	bus_request_clear(&req);
	/* At the limit it is fine. */
	assert_int_equal(parse2("request", body, n - 1, &req, &error), 0);
	assert_string_equal(req.op, "stats");
	bus_request_clear(&req);
	free(body);

	/* A NUL byte in the body is not a shorter body. */
	static const char nul[] = "{\"op\":\"stats\"}\0junk";
	assert_int_equal(parse2("request", nul, sizeof nul - 1, &req, &error), -1);
	assert_refusal(error, "bad_request", NULL);
	bus_request_clear(&req);
}

static void
test_id(void **state)
{
	(void)state;
	static const char *const bad[] = { "true", "null", "1.5", "{}", "[\"c1\"]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char body[128];
		snprintf(body, sizeof body, "{\"op\":\"stats\",\"id\":%s}", bad[i]);
		assert_bad_body(body, "Field 'id' must be a string of at most 128 bytes or an "
		    "integer.", NULL);
	}
	char body[300];
	snprintf(body, sizeof body, "{\"op\":\"stats\",\"id\":\"%0129d\"}", 0);
	assert_bad_body(body, "Field 'id' must be a string", NULL);
	/* The id is checked before the op: a bad id with no op is about the id. */
	assert_bad_body("{\"id\":false}", "Field 'id'", NULL);
}

static void
test_op(void **state)
{
	(void)state;
	/* Past the id, every refusal carries the id back. */
	assert_bad_body("{\"id\":\"c3\"}", "Field 'op' (a string) is missing.", "\"c3\"");
	assert_bad_body("{\"id\":3,\"op\":7}", "Field 'op' (a string) is missing.", "3");
	assert_bad_body("{\"op\":null}", "Field 'op' (a string) is missing.", NULL);
	assert_bad_body("{\"op\":[\"stats\"],\"id\":\"c4\"}", "Field 'op'", "\"c4\"");
}

static void
test_user(void **state)
{
	struct bus_request req;
	json_t *error;
	(void)state;

	assert_bad_body("{\"op\":\"stats\",\"id\":\"c5\",\"user\":\"\"}",
	    "Field 'user' must be a name of 1-64 bytes.", "\"c5\"");
	assert_bad_body("{\"op\":\"stats\",\"id\":\"c5\",\"user\":null}",
	    "Field 'user' must be a name of 1-64 bytes.", "\"c5\"");
	assert_bad_body("{\"op\":\"stats\",\"id\":\"c5\",\"user\":7}",
	    "Field 'user' must be a name of 1-64 bytes.", "\"c5\"");
	assert_bad_body("{\"op\":\"stats\",\"id\":\"c5\",\"user\":\"mo ri\"}",
	    "Field 'user' must be a name of 1-64 bytes: 'mo ri' may hold only letters, digits "
	    "and . _ - @.", "\"c5\"");
	/* Hostile names: escapes, other scripts, a path. */
	assert_bad_body("{\"op\":\"stats\",\"user\":\"mori\\u001b[2J\"}", "Field 'user'", NULL);
	assert_bad_body("{\"op\":\"stats\",\"user\":\"森\"}", "Field 'user'", NULL);
	assert_bad_body("{\"op\":\"stats\",\"user\":\"../root\"}", "Field 'user'", NULL);
	/* jansson reads no \u0000, so a NUL cannot cut a name short. */
	assert_bad_body("{\"op\":\"stats\",\"user\":\"mori\\u0000lead\"}", "bad JSON", NULL);
	char body[300];
	snprintf(body, sizeof body, "{\"op\":\"stats\",\"id\":1,\"user\":\"%065d\"}", 0);
	assert_bad_body(body, "Field 'user' must be a name of 1-64 bytes.", "1");

	/* A refused user is not left for the hub to trust. */
	assert_int_equal(parse("{\"op\":\"stats\",\"user\":\"a b\"}", &req, &error), -1);
	assert_null(req.user);
	assert_null(req.args);
	json_decref(error);
	bus_request_clear(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_topic),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_op),
		cmocka_unit_test(test_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
