/* The op registry (bus/wire/bus-ops.c): what the hub refuses before any
 * handler, and the typed verbs watchctl and the console share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-ops.h"

static json_t *
args_of(const char *verb, int argc, const char *const *argv)
{
	const struct bus_op *v = bus_op_typed(verb);
	char *cause = NULL;

	assert_non_null(v);
	json_t *a = bus_op_args(v, argc, argv, &cause);
	if (a == NULL)
		fail_msg("%s: %s", verb, cause);
	return a;
}

static void
test_words_fill_fields(void **state)
{
	const char *dispatch[] = { "FLY-2", "ICS-2026-0007" };
	const char *note[] = { "ICS-2026-0007", "called", "the", "CISO" };
	const char *level[] = { "ICS-2026-0007", "4" };
	const char *open[] = { "energy", "Ridgeway Power", "Failed", "logins" };
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
	const char *one[] = { "FLY-2" };
	const char *three[] = { "FLY-2", "ICS-1", "extra" };
	char *cause = NULL;
	(void)state;

	assert_null(bus_op_args(bus_op_typed("dispatch"), 1, one, &cause));
	assert_string_equal(cause, "usage: dispatch TEAM CASE");
	free(cause);
	cause = NULL;
	assert_null(bus_op_args(bus_op_typed("dispatch"), 3, three, &cause));
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
	assert_string_equal(bus_op_typed("sector-level")->name, "sector_level");
	assert_ptr_equal(bus_op_typed("sector_level"), bus_op_typed("sector-level"));
	assert_ptr_equal(bus_op_typed("sector-level"), bus_op_find("sector_level"));
	assert_null(bus_op_typed("launch"));
	/* Ops nobody types are in the registry but not offered as verbs. */
	assert_non_null(bus_op_find("staff_add"));
	assert_null(bus_op_typed("staff_add"));
	assert_null(bus_op_typed("snapshot"));
	assert_null(bus_op_find("sector-level"));
	/* A level that is not a number goes as text, for the hub to refuse. */
	const char *lv[] = { "energy", "auto" };
	json_t *a = args_of("sector-level", 2, lv);
	assert_string_equal(json_string_value(json_object_get(a, "level")), "auto");
	json_decref(a);
}

/* The table is indexed by id, every entry named, and what is typed has a
 * usage line and help. */
static void
test_registry_is_whole(void **state)
{
	(void)state;
	for (int i = 0; i < BUS_NOPS; i++) {
		const struct bus_op *op = &bus_ops[i];
		assert_int_equal(op->id, i);
		assert_non_null(op->name);
		assert_ptr_equal(bus_op_find(op->name), op);
		assert_int_not_equal(op->roles, 0);
		if (op->verb != NULL) {
			assert_non_null(op->usage);
			assert_non_null(op->help);
			assert_non_null(op->fields[0]);
			assert_true(op->nrequired >= 1);
		}
	}
}

static void
expect_refusal(json_t *r, const char *code, const char *message)
{
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_t *e = json_object_get(r, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), code);
	if (message != NULL)
		assert_string_equal(json_string_value(json_object_get(e, "message")), message);
	json_decref(r);
}

/* What the hub refuses before a handler runs, in the hub's own words. */
static void
test_refusals(void **state)
{
	(void)state;
	json_t *args = json_pack("{s:s, s:s}", "team", "FLY-2", "case", "ICS-2026-0007");

	expect_refusal(bus_op_refusal(NULL, "launch", "mori", BUS_ROLE_LEAD, args), "unknown_op",
	    "There is no op 'launch'.");
	expect_refusal(bus_op_refusal(bus_op_find("dispatch"), "dispatch", "watch", BUS_ROLE_VIEWER,
	    args), "forbidden", "dispatch needs the role lead; watch has the role viewer.");
	expect_refusal(bus_op_refusal(bus_op_find("report"), "report", "watch", BUS_ROLE_VIEWER,
	    args), "forbidden", "report needs the role officer, intake or lead; watch has the "
	    "role viewer.");
	assert_null(bus_op_refusal(bus_op_find("dispatch"), "dispatch", "mori", BUS_ROLE_LEAD, args));
	json_decref(args);

	/* Arguments against the op's table: a missing field, a bad status. */
	args = json_pack("{s:s}", "team", "FLY-2");
	expect_refusal(bus_op_refusal(bus_op_find("dispatch"), "dispatch", "mori", BUS_ROLE_LEAD,
	    args), "invalid", NULL);
	json_decref(args);
	args = json_pack("{s:s, s:s}", "case", "ICS-2026-0007", "status", "finished");
	expect_refusal(bus_op_refusal(bus_op_find("status"), "status", "okafor", BUS_ROLE_OFFICER,
	    args), "invalid", NULL);
	json_decref(args);
	/* Reads are open to everyone. */
	args = json_pack("{s:i}", "after", 0);
	assert_null(bus_op_refusal(bus_op_find("replay"), "replay", "watch", BUS_ROLE_VIEWER, args));
	json_decref(args);
}

static void
test_roles_and_help_in_words(void **state)
{
	char *who;
	char help[160];
	(void)state;

	assert_string_equal(who = bus_op_roles_text(bus_op_find("dispatch")), "lead");
	free(who);
	assert_string_equal(who = bus_op_roles_text(bus_op_find("close")), "intake or lead");
	free(who);
	assert_string_equal(who = bus_op_roles_text(bus_op_find("note")),
	    "officer, intake or lead");
	free(who);
	/* The statuses a plain move reaches come from the lifecycle rules. */
	bus_op_help(bus_op_find("status"), help, sizeof help);
	assert_string_equal(help, "move a case (investigating, analysis, onsite, followup)");
	bus_op_help(bus_op_find("team"), help, sizeof help);
	assert_string_equal(help, "move a team (available, enroute, onsite, returning, offduty)");
	bus_op_help(bus_op_find("ack"), help, sizeof help);
	assert_string_equal(help, "acknowledge a case");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_fill_fields),
		cmocka_unit_test(test_wrong_counts_give_usage),
		cmocka_unit_test(test_names_and_ops),
		cmocka_unit_test(test_registry_is_whole),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_roles_and_help_in_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
