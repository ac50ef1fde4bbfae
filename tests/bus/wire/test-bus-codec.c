/* The wire codec and the ingest field tables (bus/wire/bus-codec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"

/* Decode TOPIC + BODY as two frames and check the ingest table; the class
 * of refusal (BUS_REJECT_NONE if accepted) and the reason in *CAUSE. */
static int
decode(const char *topic, const char *body, size_t body_len, char **cause)
{
	struct bus_frame f[2] = { { topic, strlen(topic) }, { body, body_len } };
	char t[BUS_MAX_TOPIC + 1];
	json_t *obj = NULL;
	int class;

	*cause = NULL;
	class = bus_codec_decode(f, 2, t, &obj, cause);
	if (class == BUS_REJECT_NONE)
		class = bus_codec_check_ingest(t, obj, cause);
	json_decref(obj);
	return class;
}

static int
decode_str(const char *topic, const char *body, char **cause)
{
	return decode(topic, body, strlen(body), cause);
}

static void
assert_rejected(const char *topic, const char *body, int class, const char *reason)
{
	char *cause;

	assert_int_equal(decode_str(topic, body, &cause), class);
	assert_non_null(cause);
	if (strstr(cause, reason) == NULL)
		fail_msg("reason '%s' does not contain '%s'", cause, reason);
	free(cause);
}

static void
test_valid_messages_accepted(void **state)
{
	char *cause;
	(void)state;

	assert_int_equal(decode_str("incident", "{\"title\":\"Failed logins on HMI\","
	    "\"org\":\"Ridgeway Power\",\"sector\":\"energy\",\"level\":3,\"ref\":\"rp-1\","
	    "\"reported_at\":\"2026-11-27T01:02:03+09:00\",\"onsite_requested\":true}",
	    &cause), BUS_REJECT_NONE);
	assert_int_equal(decode_str("intel", "{\"title\":\"Weak keys in network devices\","
	    "\"source\":\"ICS-CERT\",\"tlp\":\"amber+strict\",\"kind\":\"vulnerability\","
	    "\"sectors\":[\"energy\",\"water\"],\"cves\":[\"CVE-2012-12345\"]}", &cause),
	    BUS_REJECT_NONE);
	assert_int_equal(decode_str("sensor", "{\"sensor\":\"s-energy-01\",\"kind\":\"alert\","
	    "\"sector\":\"energy\",\"level\":4,\"signature\":\"ET SCADA Modbus write\"}",
	    &cause), BUS_REJECT_NONE);
	/* Japanese titles are normal on this floor. */
	assert_int_equal(decode_str("incident", "{\"title\":\"制御系ネットワークへの不正アクセス\","
	    "\"org\":\"関西電力網\",\"sector\":\"energy\"}", &cause), BUS_REJECT_NONE);
}

static void
test_field_errors_name_the_field(void **state)
{
	(void)state;
	assert_rejected("incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"enrgy\"}",
	    BUS_REJECT_FIELDS, "incident: field 'sector': unknown sector 'enrgy'");
	assert_rejected("incident", "{\"title\":7,\"org\":\"o\",\"sector\":\"it\"}",
	    BUS_REJECT_FIELDS, "field 'title': must be a string");
	assert_rejected("incident", "{\"org\":\"o\",\"sector\":\"it\"}", BUS_REJECT_FIELDS,
	    "missing field 'title'");
	assert_rejected("incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\","
	    "\"sectr\":\"x\"}", BUS_REJECT_FIELDS, "unknown field 'sectr'");
	assert_rejected("incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\","
	    "\"level\":6}", BUS_REJECT_FIELDS, "field 'level': 6 is outside 0-5");
	assert_rejected("incident", "{\"title\":\"\",\"org\":\"o\",\"sector\":\"it\"}",
	    BUS_REJECT_FIELDS, "field 'title': must not be empty");
	assert_rejected("incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\","
	    "\"reported_at\":\"2026-02-30T00:00:00Z\"}", BUS_REJECT_FIELDS,
	    "is not an RFC 3339 time");
	assert_rejected("incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\","
	    "\"onsite_requested\":\"yes\"}", BUS_REJECT_FIELDS, "must be true or false");
	assert_rejected("intel", "{\"title\":\"t\",\"source\":\"s\",\"tlp\":\"purple\"}",
	    BUS_REJECT_FIELDS, "'purple' is not one of clear, green, amber, amber+strict, red");
	assert_rejected("intel", "{\"title\":\"t\",\"source\":\"s\",\"sectors\":[\"it\",3]}",
	    BUS_REJECT_FIELDS, "field 'sectors': item 1 is not a string");
	assert_rejected("intel", "{\"title\":\"t\",\"source\":\"s\",\"cves\":[\"CVE-12\"]}",
	    BUS_REJECT_FIELDS, "is not a CVE id");
	assert_rejected("sensor", "{\"sensor\":\"s 1\",\"kind\":\"alert\"}", BUS_REJECT_FIELDS,
	    "may hold only letters");
	assert_rejected("sensor", "{\"sensor\":\"s1\",\"kind\":\"ping\"}", BUS_REJECT_FIELDS,
	    "'ping' is not one of alert, heartbeat");
}

static void
test_body_errors_are_classified(void **state)
{
	(void)state;
	assert_rejected("incident", "{\"title\":", BUS_REJECT_JSON, "bad JSON");
	assert_rejected("incident", "[1,2]", BUS_REJECT_JSON, "not a JSON object");
	assert_rejected("incident", "{\"a\":1,\"a\":2}", BUS_REJECT_JSON, "bad JSON");
	assert_rejected("incident", "{\"title\":\"\xff\"}", BUS_REJECT_UTF8, "not valid UTF-8");
	assert_rejected("incidents", "{}", BUS_REJECT_TOPIC, "unknown topic 'incidents'");
	assert_rejected("in cident", "{}", BUS_REJECT_TOPIC, "outside [A-Za-z0-9._+-]");

	size_t big = BUS_MAX_BODY + 1;
	char *body = malloc(big);
	char *cause;
	memset(body, ' ', big);
	body[0] = '{';
	body[big - 1] = '}';
	assert_int_equal(decode("incident", body, big, &cause), BUS_REJECT_SIZE);
	assert_non_null(strstr(cause, "over the limit"));
	free(cause);
	free(body);
}

static void
test_frame_count(void **state)
{
	struct bus_frame f[3] = { { "incident", 8 }, { "{}", 2 }, { "x", 1 } };
	char t[BUS_MAX_TOPIC + 1];
	json_t *obj;
	char *cause;
	(void)state;

	assert_int_equal(bus_codec_decode(f, 1, t, &obj, &cause), BUS_REJECT_FRAMES);
	assert_non_null(strstr(cause, "1 frame;"));
	free(cause);
	assert_int_equal(bus_codec_decode(f, 3, t, &obj, &cause), BUS_REJECT_FRAMES);
	assert_non_null(strstr(cause, "3 frames"));
	free(cause);
	struct bus_frame empty[2] = { { "", 0 }, { "{}", 2 } };
	assert_int_equal(bus_codec_decode(empty, 2, t, &obj, &cause), BUS_REJECT_TOPIC);
	free(cause);
}

static void
test_utf8_strictness(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		int valid;
	} cases[] = {
		{ "plain", 1 },
		{ "\xe6\x97\xa5\xe6\x9c\xac", 1 },     /* 日本 */
		{ "\xf0\x9f\x9a\xa8", 1 },             /* U+1F6A8 */
		{ "\xc0\xaf", 0 },                     /* overlong '/' */
		{ "\xe0\x80\xaf", 0 },                 /* overlong, 3 bytes */
		{ "\xed\xa0\x80", 0 },                 /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 0 },             /* above U+10FFFF */
		{ "\xe6\x97", 0 },                     /* truncated */
		{ "\x80", 0 },                         /* lone continuation */
		{ "\xfe", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *b = cases[i].bytes;
		if (bus_codec_utf8_valid((const unsigned char *)b, strlen(b)) != cases[i].valid)
			fail_msg("case %zu: expected %s", i, cases[i].valid ? "valid" : "invalid");
	}
}

/* 63 bytes, so that a 2-byte character after them straddles byte 64. */
#define A8  "aaaaaaaa"
#define A63 A8 A8 A8 A8 A8 A8 A8 "aaaaaaa"

/* The hub sends reasons back inside JSON replies (report, the control ops,
 * bad_request), and jansson builds no string that is not UTF-8: a reason
 * must be UTF-8 even where it quotes input cut short. The first two are
 * what tests/fuzz found. */
static void
test_reasons_are_utf8(void **state)
{
	static const struct {
		const char *topic, *body, *quoted;
	} cases[] = {
		/* jansson quotes the input near an error, cut mid-character */
		{ "incident", "\"u2!\\u2\xe3\x82\xaf\"", "invalid escape" },
		{ "incident", "{\"title\":\"\\ud80\xce\x8c\"}", "invalid escape" },
		/* values quoted up to 64 bytes: "é" no longer split there */
		{ "incident", "{\"" A63 "\xc3\xa9\":1}", "unknown field '" A63 "'" },
		{ "intel", "{\"title\":\"t\",\"source\":\"s\",\"cves\":[\"" A63 "\xc3\xa9\"]}",
		  "'" A63 "' is not a CVE id" },
		{ "intel", "{\"title\":\"t\",\"source\":\"s\",\"sectors\":[\"" A63 "\xc3\xa9\"]}",
		  "unknown sector '" A63 "'" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cause;
		assert_int_not_equal(decode_str(cases[i].topic, cases[i].body, &cause),
		    BUS_REJECT_NONE);
		json_t *reply = json_pack("{s:s}", "message", cause);
		if (reply == NULL)
			fail_msg("case %zu: reason is not UTF-8: %s", i, cause);
		if (strstr(cause, cases[i].quoted) == NULL)
			fail_msg("case %zu: reason '%s' does not contain '%s'", i, cause,
			    cases[i].quoted);
		json_decref(reply);
		free(cause);
	}
}

/* What bus_codec_load_lists handed over, element by element. */
struct listed {
	char seen[256];
	size_t n;
};

static void
on_element(void *arg, size_t list, json_t *element)
{
	struct listed *l = arg;
	char *s = json_dumps(element, JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(l->seen + strlen(l->seen), sizeof l->seen - strlen(l->seen), "%zu:%s;", list, s);
	l->n++;
	free(s);
}

/* A large reply parsed a piece at a time must give what a whole parse
 * gives: list elements one by one, in order, the rest as an object. */
static void
test_load_lists(void **state)
{
	static const char *const lists[] = { "cases", "teams", NULL };
	static const char text[] = " { \"ok\" : true, \"cases\":[ {\"id\":\"A\",\"t\":[1,2]} ,"
	    "{\"id\":\"B\"}],\"seq\":-42,\"teams\" : [ ] , \"hub\":\"h\\u00e9\", "
	    "\"intel\":[{\"id\":\"I\"}], \"teams2\":[7],\"n\":null}\r\n";
	struct listed l = { "", 0 };
	char *cause = NULL;
	(void)state;

	json_t *head = bus_codec_load_lists(text, strlen(text), lists, on_element, &l, &cause);
	assert_non_null(head);
	assert_string_equal(l.seen, "0:{\"id\":\"A\",\"t\":[1,2]};0:{\"id\":\"B\"};");
	assert_int_equal(l.n, 2);
	assert_true(json_is_true(json_object_get(head, "ok")));
	assert_int_equal(json_integer_value(json_object_get(head, "seq")), -42);
	assert_string_equal(json_string_value(json_object_get(head, "hub")), "h\xc3\xa9");
	/* A list not named stays whole in the object; a named one is not kept. */
	assert_int_equal(json_array_size(json_object_get(head, "intel")), 1);
	assert_int_equal(json_array_size(json_object_get(head, "teams2")), 1);
	assert_true(json_is_null(json_object_get(head, "cases")));
	assert_true(json_is_null(json_object_get(head, "n")));
	json_decref(head);

	/* A named member that is not an array is an ordinary member. */
	l = (struct listed){ "", 0 };
	head = bus_codec_load_lists("{\"cases\":5}", 11, lists, on_element, &l, &cause);
	assert_non_null(head);
	assert_int_equal(json_integer_value(json_object_get(head, "cases")), 5);
	assert_int_equal(l.n, 0);
	json_decref(head);

	/* Not one JSON object: refused with where. Elements before the fault
	 * may have been handed over; the caller drops them with the reply. */
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{\"a\":1", "expected ',' or '}'" },
		{ "{\"a\":1}x", "text after the object" },
		{ "{\"a\":1}{}", "text after the object" },
		{ "{a:1}", "bad JSON at byte" },
		{ "{1:1}", "expected a key and ':'" },
		{ "{\"a\" 1}", "expected a key and ':'" },
		{ "{\"a\":1,}", "bad JSON at byte" },
		{ "{\"a\":1,\"a\":2}", "duplicate key 'a'" },
		{ "{\"cases\":[],\"cases\":[]}", "duplicate key 'cases'" },
		{ "{\"cases\":[{}{}]}", "expected ',' or ']'" },
		{ "{\"cases\":[{},]}", "bad JSON at byte" },
		{ "{\"cases\":[{\"x\":\"\\u0000\"}]}", "bad JSON" },
		{ "{\"a\":\"\xff\"}", "bad JSON" },
		{ "{\"cases\":[{\"a\":1,\"a\":1}]}", "bad JSON" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		l = (struct listed){ "", 0 };
		cause = NULL;
		head = bus_codec_load_lists(bad[i].text, strlen(bad[i].text), lists, on_element, &l,
		    &cause);
		if (head != NULL)
			fail_msg("'%s' was taken", bad[i].text);
		if (cause == NULL || strstr(cause, bad[i].why) == NULL)
			fail_msg("'%s': reason '%s', expected '%s'", bad[i].text, cause, bad[i].why);
		free(cause);
	}
	/* A NUL byte is never JSON, though jansson lets some pass. */
	static const char nul[] = "{\"ok\":true,\"seq\":4\0,\"hub\":\"x\"}";
	cause = NULL;
	assert_null(bus_codec_load_lists(nul, sizeof nul - 1, lists, on_element, &l, &cause));
	assert_non_null(strstr(cause, "a NUL byte"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_messages_accepted),
		cmocka_unit_test(test_field_errors_name_the_field),
		cmocka_unit_test(test_body_errors_are_classified),
		cmocka_unit_test(test_frame_count),
		cmocka_unit_test(test_utf8_strictness),
		cmocka_unit_test(test_reasons_are_utf8),
		cmocka_unit_test(test_load_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
