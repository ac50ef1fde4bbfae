/* The field-table checker and the shared validators (bus/wire/bus-schema.c):
 * what a producer or a console is told when an object from outside is
 * refused, field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-schema.h"

static const char *const colours[] = { "red", "amber", "green", NULL };

/* One field of each type, with limits small enough to reach. */
static const struct bus_field test_fields[] = {
	{ "name", BUS_FIELD_STRING, 1, 1, 8, NULL, NULL },
	{ "note", BUS_FIELD_STRING, 0, 0, 16, NULL, NULL },
	{ "colour", BUS_FIELD_STRING, 0, 1, 16, colours, NULL },
	{ "sector", BUS_FIELD_STRING, 0, 1, 32, NULL, bus_check_sector },
	{ "count", BUS_FIELD_INT, 0, -3, 10, NULL, NULL },
	{ "flag", BUS_FIELD_BOOL, 0, 0, 0, NULL, NULL },
	{ "body", BUS_FIELD_OBJECT, 0, 0, 0, NULL, NULL },
	{ "sectors", BUS_FIELD_STRINGS, 0, 0, 3, NULL, bus_check_sector },
	{ "tags", BUS_FIELD_STRINGS, 0, 0, 0, NULL, NULL },
	{ "level", BUS_FIELD_LEVEL_OR_AUTO, 0, 0, 0, NULL, NULL },
	{ "members", BUS_FIELD_ARRAY, 0, 0, 2, NULL, NULL },
	{ "since", BUS_FIELD_TIME, 0, 0, 1000000, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema test_schema = { "thing", test_fields };

/* Check "{name: n1, ...EXTRA}" against the table: 0, or -1 and the cause. */
static int
check_json(const char *text, char **cause)
{
	json_error_t err;
	json_t *obj = json_loads(text, 0, &err);
	int rc;

	if (obj == NULL)
		fail_msg("test JSON '%s': %s", text, err.text);
	*cause = NULL;
	rc = bus_schema_check(&test_schema, obj, cause);
	json_decref(obj);
	if (rc == 0)
		assert_null(*cause);
	return rc;
}

static void
assert_good(const char *text)
{
	char *cause = NULL;

	if (check_json(text, &cause) != 0)
		fail_msg("'%s' refused: %s", text, cause);
}

/* Refused, with exactly CAUSE: the sentence a client sees. */
static void
assert_bad(const char *text, const char *want)
{
	char *cause = NULL;

	if (check_json(text, &cause) == 0)
		fail_msg("'%s' was taken", text);
	assert_non_null(cause);
	if (strcmp(cause, want) != 0)
		fail_msg("'%s': cause '%s', expected '%s'", text, cause, want);
	free(cause);
}

/* A validator: 0 and no cause, or -1 and a cause holding WANT (NULL: any)
 * that is valid UTF-8 and short, since it goes into a JSON reply. */
static void
assert_check(bus_field_check check, const char *value, int good, const char *want)
{
	char *cause = NULL;
	int rc = check(value, &cause);

	if (good) {
		if (rc != 0)
			fail_msg("'%.80s' refused: %s", value, cause);
		assert_null(cause);
		return;
	}
	if (rc == 0)
		fail_msg("'%.80s' was taken", value);
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	if (want != NULL && strcmp(cause, want) != 0)
		fail_msg("'%.80s': cause '%s', expected '%s'", value, cause, want);
	assert_true(strlen(cause) < 200);
	free(cause);
}

static void
test_strings(void **state)
{
	(void)state;
	assert_good("{\"name\":\"a\"}");
	assert_good("{\"name\":\"12345678\"}");
	assert_bad("{\"name\":\"\"}", "thing: field 'name': must not be empty");
	assert_bad("{\"name\":\"123456789\"}",
	    "thing: field 'name': 9 bytes is over the limit of 8");
	/* The limit is bytes of UTF-8, not characters: three kana are 9. */
	assert_good("{\"name\":\"制御\"}");
	assert_bad("{\"name\":\"制御系\"}", "thing: field 'name': 9 bytes is over the limit of 8");
	/* An optional field with no minimum may be empty. */
	assert_good("{\"name\":\"a\",\"note\":\"\"}");
	assert_bad("{\"name\":\"a\",\"note\":\"0123456789abcdefg\"}",
	    "thing: field 'note': 17 bytes is over the limit of 16");
	/* Wrong types are named by what was wanted; null is a wrong type. */
	assert_bad("{\"name\":7}", "thing: field 'name': must be a string");
	assert_bad("{\"name\":null}", "thing: field 'name': must be a string");
	assert_bad("{\"name\":[\"a\"]}", "thing: field 'name': must be a string");
}

static void
test_choices_and_checks(void **state)
{
	(void)state;
	assert_good("{\"name\":\"a\",\"colour\":\"amber\"}");
	assert_bad("{\"name\":\"a\",\"colour\":\"Amber\"}",
	    "thing: field 'colour': 'Amber' is not one of red, amber, green");
	assert_bad("{\"name\":\"a\",\"colour\":\"\"}", "thing: field 'colour': must not be empty");
	assert_good("{\"name\":\"a\",\"sector\":\"energy\"}");
	assert_bad("{\"name\":\"a\",\"sector\":\"enrgy\"}",
	    "thing: field 'sector': unknown sector 'enrgy'");
	/* Length is checked before the check runs, so a huge value never
	 * reaches it. */
	char big[100];
	memset(big, 'e', sizeof big);
	big[sizeof big - 1] = '\0';
	json_t *obj = json_pack("{s:s, s:s}", "name", "a", "sector", big);
	char *cause = NULL;
	assert_int_equal(bus_schema_check(&test_schema, obj, &cause), -1);
	assert_string_equal(cause, "thing: field 'sector': 99 bytes is over the limit of 32");
	free(cause);
	json_decref(obj);
}

static void
test_ints_bools_objects(void **state)
{
	(void)state;
	assert_good("{\"name\":\"a\",\"count\":-3}");
	assert_good("{\"name\":\"a\",\"count\":10}");
	assert_bad("{\"name\":\"a\",\"count\":11}", "thing: field 'count': 11 is outside -3-10");
	assert_bad("{\"name\":\"a\",\"count\":-4}", "thing: field 'count': -4 is outside -3-10");
	/* A real with an integral value is still not an integer. */
	assert_bad("{\"name\":\"a\",\"count\":3.0}", "thing: field 'count': must be an integer");
	assert_bad("{\"name\":\"a\",\"count\":\"3\"}", "thing: field 'count': must be an integer");
	assert_bad("{\"name\":\"a\",\"count\":true}", "thing: field 'count': must be an integer");
	assert_bad("{\"name\":\"a\",\"count\":9223372036854775807}",
	    "thing: field 'count': 9223372036854775807 is outside -3-10");

	assert_good("{\"name\":\"a\",\"flag\":true}");
	assert_good("{\"name\":\"a\",\"flag\":false}");
	assert_bad("{\"name\":\"a\",\"flag\":1}", "thing: field 'flag': must be true or false");
	assert_bad("{\"name\":\"a\",\"flag\":\"true\"}",
	    "thing: field 'flag': must be true or false");

	/* An object's inside is its owner's to check. */
	assert_good("{\"name\":\"a\",\"body\":{}}");
	assert_good("{\"name\":\"a\",\"body\":{\"anything\":[1,2]}}");
	assert_bad("{\"name\":\"a\",\"body\":[]}", "thing: field 'body': must be an object");
	assert_bad("{\"name\":\"a\",\"body\":\"{}\"}", "thing: field 'body': must be an object");
}

static void
test_string_arrays(void **state)
{
	(void)state;
	assert_good("{\"name\":\"a\",\"sectors\":[]}");
	assert_good("{\"name\":\"a\",\"sectors\":[\"energy\",\"water\",\"it\"]}");
	assert_bad("{\"name\":\"a\",\"sectors\":[\"energy\",\"water\",\"it\",\"dams\"]}",
	    "thing: field 'sectors': 4 items is over the limit of 3");
	/* Each item follows the field's string rules and check, by index. */
	assert_bad("{\"name\":\"a\",\"sectors\":[\"energy\",\"enrgy\"]}",
	    "thing: field 'sectors': item 1: unknown sector 'enrgy'");
	assert_bad("{\"name\":\"a\",\"sectors\":[\"energy\",7]}",
	    "thing: field 'sectors': item 1 is not a string");
	assert_bad("{\"name\":\"a\",\"sectors\":[\"\"]}",
	    "thing: field 'sectors': item 0: must not be empty");
	assert_bad("{\"name\":\"a\",\"sectors\":\"energy\"}",
	    "thing: field 'sectors': must be an array of strings");
	/* No item limit set: any count; items are capped at 256 bytes. */
	char item[258];
	memset(item, 'x', sizeof item);
	item[256] = '\0';
	json_t *obj = json_pack("{s:s, s:[s,s,s,s,s]}", "name", "a", "tags", "a", "b", "c", "d",
	    item);
	char *cause = NULL;
	assert_int_equal(bus_schema_check(&test_schema, obj, &cause), 0);
	json_decref(obj);
	item[256] = 'x';
	item[257] = '\0';
	obj = json_pack("{s:s, s:[s]}", "name", "a", "tags", item);
	assert_int_equal(bus_schema_check(&test_schema, obj, &cause), -1);
	assert_string_equal(cause, "thing: field 'tags': item 0: 257 bytes is over the limit "
	    "of 256");
	free(cause);
	json_decref(obj);
}

static void
test_level_or_auto(void **state)
{
	(void)state;
	assert_good("{\"name\":\"a\",\"level\":\"auto\"}");
	assert_good("{\"name\":\"a\",\"level\":0}");
	assert_good("{\"name\":\"a\",\"level\":5}");
	static const char *const bad[] = { "6", "-1", "\"Auto\"", "\"3\"", "true", "null",
		"3.5", "[3]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[64];
		snprintf(text, sizeof text, "{\"name\":\"a\",\"level\":%s}", bad[i]);
		assert_bad(text, "thing: field 'level': must be a level 0-5 or \"auto\"");
	}
}

static void
test_arrays(void **state)
{
	(void)state;
	/* Items of a plain array are the caller's to check, of any type. */
	assert_good("{\"name\":\"a\",\"members\":[]}");
	assert_good("{\"name\":\"a\",\"members\":[{\"x\":1},7]}");
	assert_bad("{\"name\":\"a\",\"members\":[{},{},{}]}",
	    "thing: field 'members': 3 items is over the limit of 2");
	assert_bad("{\"name\":\"a\",\"members\":{}}", "thing: field 'members': must be an array");
}

static void
test_times(void **state)
{
	(void)state;
	assert_good("{\"name\":\"a\",\"since\":\"2026-11-27T01:02:03Z\"}");
	assert_good("{\"name\":\"a\",\"since\":\"2026-11-27T01:02:03.250+09:00\"}");
	/* Milliseconds: an integer in the field's range. */
	assert_good("{\"name\":\"a\",\"since\":0}");
	assert_good("{\"name\":\"a\",\"since\":1000000}");
	assert_bad("{\"name\":\"a\",\"since\":1000001}",
	    "thing: field 'since': 1000001 is outside 0-1000000");
	assert_bad("{\"name\":\"a\",\"since\":-1}", "thing: field 'since': -1 is outside 0-1000000");
	assert_bad("{\"name\":\"a\",\"since\":\"yesterday\"}",
	    "thing: field 'since': 'yesterday' is not an RFC 3339 time");
	assert_bad("{\"name\":\"a\",\"since\":\"2026-11-27T01:02:03\"}",
	    "thing: field 'since': '2026-11-27T01:02:03' is not an RFC 3339 time");
	assert_bad("{\"name\":\"a\",\"since\":true}", "thing: field 'since': must be an RFC 3339 "
	    "time or milliseconds since the epoch");
	assert_bad("{\"name\":\"a\",\"since\":1.5}", "thing: field 'since': must be an RFC 3339 "
	    "time or milliseconds since the epoch");
}

static void
test_required_unknown_and_body(void **state)
{
	char *cause = NULL;
	(void)state;

	/* Only the required field is needed. */
	assert_good("{\"name\":\"a\"}");
	assert_bad("{}", "thing: missing field 'name'");
	assert_bad("{\"note\":\"x\"}", "thing: missing field 'name'");
	/* Tables are strict: a misspelt field is refused, not ignored. */
	assert_bad("{\"name\":\"a\",\"colour \":\"red\"}", "thing: unknown field 'colour '");
	assert_bad("{\"name\":\"a\",\"Name\":\"b\"}", "thing: unknown field 'Name'");
	/* Not an object at all. */
	json_t *arr = json_array();
	assert_int_equal(bus_schema_check(&test_schema, arr, &cause), -1);
	assert_string_equal(cause, "thing: body must be a JSON object");
	free(cause);
	json_decref(arr);
	cause = NULL;
	assert_int_equal(bus_schema_check(&test_schema, NULL, &cause), -1);
	assert_string_equal(cause, "thing: body must be a JSON object");
	free(cause);

	/* A long unknown key is quoted in part, cut before a character, never
	 * inside one: the cause must stay UTF-8 to go into a reply. */
	char key[3 * 40 + 1] = "";
	for (int i = 0; i < 40; i++)
		strcat(key, "界");
	json_t *obj = json_pack("{s:s, s:i}", "name", "a", key, 1);
	cause = NULL;
	assert_int_equal(bus_schema_check(&test_schema, obj, &cause), -1);
	assert_true(bus_codec_utf8_valid((const unsigned char *)cause, strlen(cause)));
	/* 21 characters of 3 bytes: the most that fits in 64. */
	char want[128];
	snprintf(want, sizeof want, "thing: unknown field '%.63s'", key);
	assert_string_equal(cause, want);
	free(cause);
	json_decref(obj);
}

static void
test_check_sector(void **state)
{
	(void)state;
	for (int i = 0; i < BUS_NSECTORS; i++)
		assert_check(bus_check_sector, bus_sectors[i].id, 1, NULL);
	assert_check(bus_check_sector, "enrgy", 0, "unknown sector 'enrgy'");
	assert_check(bus_check_sector, "Energy", 0, "unknown sector 'Energy'");
	assert_check(bus_check_sector, "energy ", 0, "unknown sector 'energy '");
	assert_check(bus_check_sector, "", 0, "unknown sector ''");
	assert_check(bus_check_sector, "Water and Wastewater", 0, NULL);
}

static void
test_check_time(void **state)
{
	static const char *const good[] = {
		"2026-11-27T01:02:03Z", "2026-11-27t01:02:03z", "2026-11-27 01:02:03Z",
		"2026-11-27T01:02:03.5Z", "2026-11-27T01:02:03.123456789+09:00",
		"2026-11-27T01:02:03-05:30", "2024-02-29T00:00:00Z",
		"2016-12-31T23:59:60Z", /* a leap second */
	};
	static const char *const bad[] = {
		"", "2026-11-27", "2026-11-27T01:02:03", "2026-11-27T01:02Z",
		"2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
		"2026-11-27T24:00:00Z", "2026-11-27T01:60:00Z", "2026-11-27T01:02:61Z",
		"2026-11-27T01:02:03.Z", "2026-11-27T01:02:03.1234567890Z",
		"2026-11-27T01:02:03+24:00", "2026-11-27T01:02:03+0900",
		"2026-11-27T01:02:03Z ", "2026-11-27T01:02:03Zjunk", "26-11-27T01:02:03Z",
		"1764205323000",
	};
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_check(bus_check_time, good[i], 1, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_check(bus_check_time, bad[i], 0, NULL);
	assert_check(bus_check_time, "soon", 0, "'soon' is not an RFC 3339 time");
}

static void
test_check_name(void **state)
{
	(void)state;
	assert_check(bus_check_name, "mori", 1, NULL);
	assert_check(bus_check_name, "s-energy-01", 1, NULL);
	assert_check(bus_check_name, "a.b_c-d@ridgeway.example", 1, NULL);
	assert_check(bus_check_name, "Okafor2", 1, NULL);
	/* Empty is the schema's minimum to refuse, not the check's. */
	assert_check(bus_check_name, "", 1, NULL);
	assert_check(bus_check_name, "mo ri", 0,
	    "'mo ri' may hold only letters, digits and . _ - @");
	assert_check(bus_check_name, "../etc/passwd", 0, NULL);
	assert_check(bus_check_name, "mori;rm", 0, NULL);
	/* Letters are ASCII letters: names go into logs and key files. */
	assert_check(bus_check_name, "森", 0, NULL);
	assert_check(bus_check_name, "mori\xff", 0, NULL);
	/* Terminal escapes and other control characters. */
	assert_check(bus_check_name, "mori\x1b[2J", 0, NULL);
	assert_check(bus_check_name, "mori\n", 0, NULL);
	assert_check(bus_check_name, "mori\t", 0, NULL);
	assert_check(bus_check_name, "\x7f", 0, NULL);
}

static void
test_check_team_name(void **state)
{
	(void)state;
	assert_check(bus_check_team_name, "FLY-2", 1, NULL);
	assert_check(bus_check_team_name, "CERT7", 1, NULL);
	assert_check(bus_check_team_name, "fly-2", 0, "'fly-2' may hold only A-Z, 0-9 and '-'");
	assert_check(bus_check_team_name, "FLY_2", 0, NULL);
	assert_check(bus_check_team_name, "FLY 2", 0, NULL);
	assert_check(bus_check_team_name, "FLY-\xc3\x84", 0, NULL); /* FLY-Ä */
	assert_check(bus_check_team_name, "FLY\x1b", 0, NULL);
}

static void
test_check_cve(void **state)
{
	static const char *const good[] = {
		"CVE-2012-1234", "CVE-2024-12345", "CVE-1999-0001", "CVE-2024-1234567",
	};
	static const char *const bad[] = {
		"", "CVE-", "CVE-2012-", "CVE-2012-123", "cve-2012-1234", "CVE-12-1234",
		"CVE-20121-1234", "CVE-2012-12a4", "CVE-2012-1234 ", " CVE-2012-1234",
		"CVE_2012_1234", "CVE-2012-1234\n", "CVE-２０１２-1234", "CVE-2012-1234-5",
	};
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_check(bus_check_cve, good[i], 1, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_check(bus_check_cve, bad[i], 0, NULL);
	assert_check(bus_check_cve, "CVE-2012-12", 0,
	    "'CVE-2012-12' is not a CVE id (CVE-YYYY-NNNN)");
}

/* Hostile values: every cause quotes at most 64 bytes of the value, cut
 * before a character, so that a megabyte of junk makes a short reason. */
static void
test_hostile_values_quote_little(void **state)
{
	static const bus_field_check checks[] = {
		bus_check_sector, bus_check_time, bus_check_name, bus_check_team_name,
		bus_check_cve,
	};
	size_t n = 1024 * 1024;
	char *huge = malloc(n + 1);
	(void)state;

	assert_non_null(huge);
	/* A megabyte of three-byte characters, plus one to put byte 64 inside
	 * a character at some start offset. */
	for (size_t off = 0; off < 3; off++) {
		memset(huge, 'x', off);
		for (size_t i = off; i + 3 <= n; i += 3)
			memcpy(huge + i, "界", 3);
		huge[n - (n - off) % 3] = '\0';
		for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
			char *cause = NULL;
			assert_int_equal(checks[c](huge, &cause), -1);
			assert_non_null(cause);
			assert_true(strlen(cause) < 64 + 80);
			if (!bus_codec_utf8_valid((const unsigned char *)cause, strlen(cause)))
				fail_msg("check %zu, offset %zu: cause not UTF-8: %s", c, off, cause);
			free(cause);
		}
	}
	free(huge);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_choices_and_checks),
		cmocka_unit_test(test_ints_bools_objects),
		cmocka_unit_test(test_string_arrays),
		cmocka_unit_test(test_level_or_auto),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_required_unknown_and_body),
		cmocka_unit_test(test_check_sector),
		cmocka_unit_test(test_check_time),
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_check_team_name),
		cmocka_unit_test(test_check_cve),
		cmocka_unit_test(test_hostile_values_quote_little),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
