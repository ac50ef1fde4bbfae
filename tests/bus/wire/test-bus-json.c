/*
 * The fast decoder (bus/wire/bus-json.c) against jansson's json_loads(): for
 * every text, the same tree with its members in the same order, or NULL
 * and the same error; and the hub's own bodies take the fast path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"
#include "bus-json.h"

/* bus_json_loads(TEXT) is json_loads(TEXT, 0): the same tree, or the same
 * error. */
static void
same_as_jansson(const char *text)
{
	json_error_t want_err, got_err;
	json_t *want = json_loads(text, 0, &want_err);
	json_t *got = bus_json_loads(text, &got_err);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("'%s': jansson refuses it (%s), bus_json_loads took it", text,
			    want_err.text);
		assert_string_equal(got_err.text, want_err.text);
		assert_int_equal(got_err.line, want_err.line);
		assert_int_equal(got_err.column, want_err.column);
		return;
	}
	if (got == NULL)
		fail_msg("'%s': jansson takes it, bus_json_loads refused it: %s", text,
		    got_err.text);
	char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
	char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_true(json_equal(want, got));
	assert_string_equal(b, a); /* members in the same order too */
	free(a);
	free(b);
	json_decref(want);
	json_decref(got);
}

/* TEXT takes the fast path (and gives jansson's tree). */
static void
fast(const char *text)
{
	json_t *v = bus_json_try(text, strlen(text));

	if (v == NULL)
		fail_msg("'%s' did not take the fast path", text);
	json_decref(v);
	same_as_jansson(text);
}

/* TEXT is left to jansson (and still gives jansson's answer). */
static void
left_to_jansson(const char *text)
{
	json_t *v = bus_json_try(text, strlen(text));

	if (v != NULL)
		fail_msg("'%s' took the fast path", text);
	same_as_jansson(text);
}

/* A case as the hub keeps and stores it: the body bus_codec_encode()
 * writes, with its timeline tail, text in several scripts, quotes, a new
 * line, a tab and a control character in it. */
static char *
hub_case_body(int control_char)
{
	json_t *tl = json_array();

	for (int n = 1; n <= 20; n++)
		json_array_append_new(tl, json_pack("{s:i, s:s, s:s, s:s, s:s}", "n", n,
		    "who", "mori", "action", "note", "ts", "2026-11-27T06:18:12.776Z",
		    "text", "said \"stop\" at the Zürich site,\nthen\tleft / 東京 ✓"));
	json_t *c = json_pack("{s:s, s:i, s:s, s:n, s:[s, s], s:b, s:s, s:o, s:I, s:I}",
	    "id", "ICS-2026-0001", "level", 3, "summary", control_char ?
	    "bell \a in it" : "no control character", "handler", "teams", "FLY-1", "FLY-2",
	    "onsite_requested", 1, "sector", "defense", "timeline", tl,
	    "timeline_count", (json_int_t)500, "seq", (json_int_t)9007199254740993LL);
	char *body = bus_codec_encode(c);
	json_decref(c);
	return body;
}

static void
test_hub_bodies_take_the_fast_path(void **state)
{
	(void)state;
	char *body = hub_case_body(0);

	fast(body);
	free(body);
	/* jansson writes a control character as \u0007: left to jansson. */
	body = hub_case_body(1);
	assert_non_null(strstr(body, "\\u0007"));
	left_to_jansson(body);
	free(body);
}

static void
test_values(void **state)
{
	(void)state;
	fast("{}");
	fast("[]");
	fast(" \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 , true , false , null , \"\" , { } , [ ] ] }\n");
	fast("[9223372036854775807, -9223372036854775808, 1234567890123]");
	fast("{\"k\\\"ey\\\\\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\n\": \"x\"}");
	fast("[\"caf\xc3\xa9\", \"\xf0\x9f\x9a\x92\", \"\xe2\x9c\x93\"]");
	fast("{\"a\":1,\"b\":2,\"a\":3}"); /* the last one wins, in the first's place */
	fast("{\"z\":1,\"a\":2,\"m\":3}");
	/* Nested as deep as taken here; one deeper goes to jansson. */
	char deep[2 * BUS_JSON_MAX_DEPTH + 8];
	memset(deep, '[', BUS_JSON_MAX_DEPTH);
	memset(deep + BUS_JSON_MAX_DEPTH, ']', BUS_JSON_MAX_DEPTH);
	deep[2 * BUS_JSON_MAX_DEPTH] = '\0';
	fast(deep);
	memset(deep, '[', BUS_JSON_MAX_DEPTH + 1);
	memset(deep + BUS_JSON_MAX_DEPTH + 1, ']', BUS_JSON_MAX_DEPTH + 1);
	deep[2 * BUS_JSON_MAX_DEPTH + 2] = '\0';
	left_to_jansson(deep);
}

/* What this decoder does not take, jansson decides: the same tree, or the
 * same error. */
static void
test_the_rest_is_jansson_s(void **state)
{
	(void)state;
	static const char *const texts[] = {
		/* taken by jansson */
		"[\"\\u00e9\", \"\\ud83d\\ude92\"]", "{\"\\u0041\": 1}", "[1.5, -0.0, 1e3, 2E-2]",
		"[0.1]",
		/* refused by jansson */
		"", " ", "1", "\"s\"", "true", "null", "{", "[", "}", "]", "{\"a\"}",
		"{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}", "{}x", "[] []",
		"[01]", "[-]", "[-a]", "[--1]", "[+1]", "[1.]", "[.5]", "[1e]",
		"[9223372036854775808]", "[-9223372036854775809]",
		"[99999999999999999999999]", "[tru]", "[truex]", "[nul]", "[falsey]",
		"[\"\\u0000\"]", "{\"\\u0000\": 1}", "[\"\\x\"]", "[\"\\ud800\"]", "[\"abc]",
		"[\"a\tb\"]", "[\"a\nb\"]", "[\"\x01\"]",
		"[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]", "[\"\xf5\x80\x80\x80\"]", "[\"\xff\"]",
		"[\"\xe2\x9c\"]", "[\xc3\xa9]", "{\"a\":1}\xc3\xa9",
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		same_as_jansson(texts[i]);
	/* Deeper than jansson goes. */
	char *deep = malloc(2 * 3000 + 1);
	memset(deep, '[', 3000);
	memset(deep + 3000, ']', 3000);
	deep[6000] = '\0';
	left_to_jansson(deep);
	free(deep);
	/* A text with a NUL inside is not taken. */
	assert_null(bus_json_try("[1]\0", 4));
}

/* A case loaded at a restart: only the fields asked for are built; the
 * rest is checked exactly as the fast path checks it. */
static void
test_fields(void **state)
{
	static const char *const keys[] = { "ref", "status", "level", "sector", NULL };
	json_t *v[4];
	(void)state;

	const char *text = " {\"id\":\"ICS-2026-0001\",\"ref\":\"MT-9\",\"level\":3,"
	    "\"timeline\":[{\"n\":1,\"status\":\"no\",\"who\":\"a\\\\b\\n\"}],\"x\":{\"sector\":1},"
	    "\"status\":\"investigating\",\"status\":\"analysis\",\"y\":[true,false,null,-7,[]]} ";
	assert_int_equal(bus_json_fields(text, strlen(text), keys, v), 0);
	assert_string_equal(json_string_value(v[0]), "MT-9");
	assert_string_equal(json_string_value(v[1]), "analysis"); /* the last, as jansson */
	assert_int_equal(json_integer_value(v[2]), 3);
	assert_null(v[3]); /* only a nested "sector": none of its own */
	for (int i = 0; i < 3; i++)
		json_decref(v[i]);

	assert_int_equal(bus_json_fields("{}", 2, keys, v), 0);
	for (int i = 0; i < 4; i++)
		assert_null(v[i]);

	/* What the fast path does not take whole, these do not either: the
	 * caller then decodes the text whole. No value is left behind. */
	static const char *const refused[] = {
		"", "[1]", "{\"ref\":\"a\"", "{\"ref\":\"a\"} x", "{\"ref\":\"a\",}",
		"{\"ref\":\"\\u00e9\"}", "{\"x\":\"\\u00e9\",\"ref\":\"a\"}", "{\"ref\":1.5}",
		"{\"x\":[1,}", "{\"ref\":\"a\",\"x\":\"\xff\"}", "{ref:1}",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (bus_json_fields(refused[i], strlen(refused[i]), keys, v) != -1)
			fail_msg("'%s' was taken", refused[i]);
		for (int k = 0; k < 4; k++)
			assert_null(v[k]);
	}
}

/*
 * The string scanner reads sixteen bytes at a time where it can, then
 * eight, then one: a byte that ends or breaks the plain run (a quote, a
 * backslash, a control character) or needs the UTF-8 check (above 0x7f)
 * must be seen at every position of a long string, each at every place
 * of a step, and the result must be jansson's each time.
 */
static void
test_every_position_of_a_long_string(void **state)
{
	static const char *const specials[] = { "\\\"", "\\\\", "\\n", "\\/", "\x01", "\x1f",
		"\xc3\xa9", "\xe2\x80\xae", "\xff", "\xc3", "\x7f", NULL };
	char text[128];

	(void)state;
	for (size_t k = 0; specials[k] != NULL; k++) {
		for (int at = 0; at < 40; at++) {
			/* {"k":"aaa…<special>…aaa","n":1}, the string 48 bytes
			 * or so, the special byte(s) at AT. */
			int n = snprintf(text, sizeof text, "{\"k\":\"%.*s%s%.*s\",\"n\":1}", at,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", specials[k],
			    40 - at, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
			assert_true(n > 0 && (size_t)n < sizeof text);
			same_as_jansson(text);
			/* And as the last thing in the text, where fewer than
			 * sixteen bytes are left after the quote. */
			n = snprintf(text, sizeof text, "\"%.*s%s\"", at % 20,
			    "abcdefghijklmnopqrstuvwxyz", specials[k]);
			same_as_jansson(text);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hub_bodies_take_the_fast_path),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_the_rest_is_jansson_s),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_every_position_of_a_long_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
