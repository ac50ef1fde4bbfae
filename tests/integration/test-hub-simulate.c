/*
 * watchctl simulate (bus/bus-demo.c) against a real watchd: within seconds
 * the floor has cases across sectors at mixed levels, worked through their
 * lifecycle, intel with TLP markings, and sensors reporting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "test-hub.h"

static int
setup(void **state)
{
	return test_hub_fixture_setup(state, "simulate");
}

static void
test_simulate_makes_a_floor(void **state)
{
	struct test_hub *h = *state;
	/* Fast lifecycles (speed 30) so that a few seconds show them. */
	const char *const args[] = { "simulate", "--rate", "20", "--seed", "1", "--speed", "30",
		"--duration", "6", NULL };
	char *out = NULL, *err = NULL;

	assert_int_equal(test_hub_start(h, NULL), 0);
	assert_int_equal(test_watchctl(h, args, NULL, &out, &err), 0);
	free(out);
	free(err);

	json_t *snap = test_hub_snapshot(h);
	json_t *cases = json_object_get(snap, "cases"), *c;
	size_t i;
	int levels[6] = { 0 }, sectors = 0, worked = 0, acked = 0;
	char seen[16][32];
	json_array_foreach(cases, i, c) {
		json_int_t l = test_jint(c, "level");
		assert_true(l >= 1 && l <= 5);
		levels[l]++;
		const char *st = test_jstr(c, "status");
		worked += strcmp(st, "reported") != 0;
		acked += json_is_string(json_object_get(c, "acked_by"));
		int known = 0;
		for (int k = 0; k < sectors; k++)
			known |= strcmp(seen[k], test_jstr(c, "sector")) == 0;
		if (!known && sectors < 16)
			snprintf(seen[sectors++], sizeof seen[0], "%s", test_jstr(c, "sector"));
	}
	/* 20 events a second for 6 s, about 40% of them reports. */
	assert_true(json_array_size(cases) >= 20);
	assert_true(sectors >= 8);
	assert_true(levels[1] + levels[2] > levels[3] + levels[4] + levels[5]);
	assert_true(levels[3] + levels[4] + levels[5] > 0);
	assert_true(worked > 0);
	assert_true(acked > 0);

	json_t *intel = json_object_get(snap, "intel");
	assert_true(json_array_size(intel) >= 10);
	json_array_foreach(intel, i, c)
		assert_non_null(test_jstr(c, "tlp"));
	/* Two sensors a sector, heartbeating. */
	assert_true(json_array_size(json_object_get(snap, "sensors")) >= 24);
	json_decref(snap);
	test_hub_passed(h);
}

static void
test_simulate_usage_errors(void **state)
{
	struct test_hub *h = *state;
	const char *const bad[] = { "simulate", "--rate", "fast", NULL };
	char *out = NULL, *err = NULL;

	assert_int_equal(test_watchctl(h, bad, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "not a number"));
	free(out);
	free(err);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simulate_makes_a_floor, setup,
		    test_hub_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_simulate_usage_errors, setup,
		    test_hub_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
