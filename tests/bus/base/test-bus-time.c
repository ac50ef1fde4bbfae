/* RFC 3339 parsing and formatting (bus/base/bus-time.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bus-time.h"

static void
test_parse_accepts_rfc3339(void **state)
{
	int64_t ms;
	(void)state;

	assert_int_equal(bus_time_parse("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(bus_time_parse("2026-11-27T00:45:12.123Z", &ms), 0);
	assert_int_equal(ms, 1795740312123LL);
	/* An offset names the same instant. */
	assert_int_equal(bus_time_parse("2026-11-27T09:45:12.123+09:00", &ms), 0);
	assert_int_equal(ms, 1795740312123LL);
	assert_int_equal(bus_time_parse("2024-02-29T12:00:00-05:30", &ms), 0);
	assert_int_equal(bus_time_parse("2016-12-31T23:59:60Z", &ms), 0);
}

static void
test_parse_rejects_non_times(void **state)
{
	static const char *const bad[] = {
		"", "2026-11-27", "2026-11-27T00:45:12", "2026-13-01T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-27T24:00:00Z",
		"2026-11-27T00:60:00Z", "2026-11-27T00:00:00.Z", "2026-11-27T00:00:00+9:00",
		"2026-11-27T00:00:00Zjunk", "26-11-27T00:00:00Z", "yesterday",
	};
	int64_t ms;
	(void)state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (bus_time_parse(bad[i], &ms) == 0)
			fail_msg("'%s' was accepted", bad[i]);
	}
}

static void
test_format_round_trips(void **state)
{
	char out[BUS_TIME_LEN];
	int64_t ms;
	(void)state;

	bus_time_format(1795740312123LL, out);
	assert_string_equal(out, "2026-11-27T00:45:12.123Z");
	assert_int_equal(bus_time_parse(out, &ms), 0);
	assert_int_equal(ms, 1795740312123LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_rfc3339),
		cmocka_unit_test(test_parse_rejects_non_times),
		cmocka_unit_test(test_format_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
