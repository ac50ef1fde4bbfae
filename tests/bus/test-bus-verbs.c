/* The command verbs shared by watchctl and the console (bus/bus-verbs.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bus-verbs.h"

static json_t *
args_of(const char *verb, int argc, char *const *argv)
{
	const struct bus_verb *v = bus_verb_find(verb);
	char *cause = NULL;

	assert_non_null(v);
	json_t *a = bus_verb_args(v, argc, argv, &cause);
	if (a == NULL)
		fail_msg("%s: %s", verb, cause);
	return a;
}

static void
test_words_fill_fields(void **state)
{
	char *dispatch[] = { "FLY-2", "ICS-2026-0007" };
	char *note[] = { "ICS-2026-0007", "called", "the", "CISO" };
	char *level[] = { "ICS-2026-0007", "4" };
	char *open[] = { "energy", "Ridgeway Power", "Failed", "logins" };
	(void)state;

	json_t *a = args_of("dispatch", 2, dispatch);
	assert_string_equal(json_string_value(json_object_get(a, "team")), "FLY-2");
	assert_string_equal(json_string_value(json_object_get(a, "case")), "ICS-2026-0007");
	json_decref(a);
	a = args_of("note", 4, note);
	assert_string_equal(json_string_value(json_object_get(a, "text")), "called the CISO");
	json_decref(a);
	a = args_of("level", 2, level);
	assert_true(json_is_integer(json_object_get(a, "level")));
	assert_int_equal(json_integer_value(json_object_get(a, "level")), 4);
	json_decref(a);
	a = args_of("open", 4, open);
	assert_string_equal(json_string_value(json_object_get(a, "org")), "Ridgeway Power");
	assert_string_equal(json_string_value(json_object_get(a, "title")), "Failed logins");
	json_decref(a);
}

static void
test_wrong_counts_give_usage(void **state)
{
	char *one[] = { "FLY-2" };
	char *three[] = { "FLY-2", "ICS-1", "extra" };
	char *cause = NULL;
	(void)state;

	assert_null(bus_verb_args(bus_verb_find("dispatch"), 1, one, &cause));
	assert_string_equal(cause, "usage: dispatch TEAM CASE");
	free(cause);
	cause = NULL;
	assert_null(bus_verb_args(bus_verb_find("dispatch"), 3, three, &cause));
	free(cause);
	/* A close takes an optional reason. */
	json_t *a = args_of("close", 1, one);
	assert_null(json_object_get(a, "reason"));
	json_decref(a);
}

static void
test_names_and_ops(void **state)
{
	(void)state;
	assert_string_equal(bus_verb_find("sector-level")->op, "sector_level");
	assert_ptr_equal(bus_verb_find("sector_level"), bus_verb_find("sector-level"));
	assert_null(bus_verb_find("launch"));
	/* A level that is not a number goes as text, for the hub to refuse. */
	char *lv[] = { "energy", "auto" };
	json_t *a = args_of("sector-level", 2, lv);
	assert_string_equal(json_string_value(json_object_get(a, "level")), "auto");
	json_decref(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_fill_fields),
		cmocka_unit_test(test_wrong_counts_give_usage),
		cmocka_unit_test(test_names_and_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
