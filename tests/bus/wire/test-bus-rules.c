/* The case and team lifecycle tables (bus/wire/bus-rules.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bus-rules.h"

static void
test_case_lifecycle_follows_domain(void **state)
{
	(void)state;
	/* The path of docs/DOMAIN.md, step by step. */
	assert_non_null(bus_rules_case_move(BUS_CASE_REPORTED, BUS_CASE_ASSIGNED, BUS_VIA_ASSIGN));
	assert_non_null(bus_rules_case_move(BUS_CASE_ASSIGNED, BUS_CASE_INVESTIGATING, BUS_VIA_STATUS));
	assert_non_null(bus_rules_case_move(BUS_CASE_INVESTIGATING, BUS_CASE_ANALYSIS, BUS_VIA_STATUS));
	assert_non_null(bus_rules_case_move(BUS_CASE_ANALYSIS, BUS_CASE_ONSITE, BUS_VIA_STATUS));
	assert_non_null(bus_rules_case_move(BUS_CASE_ONSITE, BUS_CASE_FOLLOWUP, BUS_VIA_STATUS));
	assert_non_null(bus_rules_case_move(BUS_CASE_FOLLOWUP, BUS_CASE_CLOSED, BUS_VIA_CLOSE));
	/* Analysis and on-site work may repeat. */
	assert_non_null(bus_rules_case_move(BUS_CASE_FOLLOWUP, BUS_CASE_ANALYSIS, BUS_VIA_STATUS));
	assert_non_null(bus_rules_case_move(BUS_CASE_CLOSED, BUS_CASE_INVESTIGATING, BUS_VIA_REOPEN));
}

static void
test_case_moves_need_their_op(void **state)
{
	(void)state;
	/* Closing and reopening are their own ops, never a plain status move. */
	assert_null(bus_rules_case_move(BUS_CASE_INVESTIGATING, BUS_CASE_CLOSED, BUS_VIA_STATUS));
	assert_null(bus_rules_case_move(BUS_CASE_CLOSED, BUS_CASE_INVESTIGATING, BUS_VIA_STATUS));
	/* No skipping back to the start, no moves out of nowhere. */
	assert_null(bus_rules_case_move(BUS_CASE_INVESTIGATING, BUS_CASE_REPORTED, BUS_VIA_STATUS));
	assert_null(bus_rules_case_move(BUS_CASE_CLOSED, BUS_CASE_ONSITE, BUS_VIA_STATUS));
	/* A team's arrival may move a reported case on site (an effect only). */
	assert_null(bus_rules_case_move(BUS_CASE_REPORTED, BUS_CASE_ONSITE, BUS_VIA_STATUS));
	assert_non_null(bus_rules_case_move(BUS_CASE_REPORTED, BUS_CASE_ONSITE, 0));
	/* Every open status can be closed. */
	for (int s = BUS_CASE_REPORTED; s < BUS_CASE_CLOSED; s++)
		assert_non_null(bus_rules_case_move(s, BUS_CASE_CLOSED, BUS_VIA_CLOSE));
}

static void
test_case_targets_list_allowed_moves(void **state)
{
	int out[BUS_CASE_NSTATUS];
	int n = bus_rules_case_targets(BUS_CASE_ONSITE, BUS_VIA_STATUS, out, BUS_CASE_NSTATUS);
	(void)state;

	assert_int_equal(n, 2);
	assert_int_equal(out[0], BUS_CASE_FOLLOWUP);
	assert_int_equal(out[1], BUS_CASE_ANALYSIS);
	assert_int_equal(bus_rules_case_targets(BUS_CASE_CLOSED, BUS_VIA_STATUS, out, BUS_CASE_NSTATUS), 0);
}

static void
test_team_lifecycle_and_effects(void **state)
{
	const struct bus_team_move *m;
	(void)state;

	/* Only dispatch sends an available team out. */
	assert_null(bus_rules_team_move(BUS_TEAM_AVAILABLE, BUS_TEAM_DISPATCHED, BUS_VIA_STATUS));
	assert_non_null(bus_rules_team_move(BUS_TEAM_AVAILABLE, BUS_TEAM_DISPATCHED, BUS_VIA_DISPATCH));
	m = bus_rules_team_move(BUS_TEAM_ENROUTE, BUS_TEAM_ONSITE, BUS_VIA_STATUS);
	assert_non_null(m);
	assert_int_equal(m->case_to, BUS_CASE_ONSITE);
	assert_int_equal(m->unlink, 0);
	/* Recall frees the team; leaving the site moves the case to follow-up. */
	m = bus_rules_team_move(BUS_TEAM_ONSITE, BUS_TEAM_RETURNING, BUS_VIA_RECALL);
	assert_non_null(m);
	assert_int_equal(m->unlink, 1);
	assert_int_equal(m->case_to, BUS_CASE_FOLLOWUP);
	assert_int_equal(m->case_from, BUS_CASE_ONSITE);
	assert_non_null(bus_rules_team_move(BUS_TEAM_DISPATCHED, BUS_TEAM_RETURNING, BUS_VIA_RECALL));
	/* A team on a case cannot go off duty or available directly. */
	assert_null(bus_rules_team_move(BUS_TEAM_ONSITE, BUS_TEAM_OFFDUTY, BUS_VIA_STATUS));
	assert_null(bus_rules_team_move(BUS_TEAM_ONSITE, BUS_TEAM_AVAILABLE, BUS_VIA_STATUS));
	assert_null(bus_rules_team_move(BUS_TEAM_RETURNING, BUS_TEAM_RETURNING, BUS_VIA_RECALL));
	assert_non_null(bus_rules_team_move(BUS_TEAM_RETURNING, BUS_TEAM_AVAILABLE, BUS_VIA_STATUS));
}

/* A move "status" cannot make, and which op can, for refusals to name. */
static void
test_case_other_via_names_the_op(void **state)
{
	(void)state;
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_REPORTED, BUS_CASE_ASSIGNED), BUS_VIA_ASSIGN);
	assert_string_equal(bus_rules_via_op(BUS_VIA_ASSIGN), "assign");
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_ANALYSIS, BUS_CASE_CLOSED), BUS_VIA_CLOSE);
	assert_string_equal(bus_rules_via_op(BUS_VIA_CLOSE), "close");
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_CLOSED, BUS_CASE_INVESTIGATING), BUS_VIA_REOPEN);
	/* A team's arrival moves a reported case on site: no op of its own. */
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_REPORTED, BUS_CASE_ONSITE), 0);
	assert_string_equal(bus_rules_via_op(0), "dispatch");
	/* What status makes itself, or nothing makes, has no other way. */
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_INVESTIGATING, BUS_CASE_ONSITE), -1);
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_INVESTIGATING, BUS_CASE_ASSIGNED), -1);
	assert_int_equal(bus_rules_case_other_via(BUS_CASE_INVESTIGATING, BUS_CASE_REPORTED), -1);
	/* Every via a case move has is put in words. */
	for (int from = 0; from < BUS_CASE_NSTATUS; from++) {
		for (int to = 0; to < BUS_CASE_NSTATUS; to++) {
			int via = bus_rules_case_other_via(from, to);
			if (via >= 0) {
				assert_non_null(bus_rules_via_op(via));
				assert_non_null(bus_rules_via_does(via));
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_lifecycle_follows_domain),
		cmocka_unit_test(test_case_moves_need_their_op),
		cmocka_unit_test(test_case_targets_list_allowed_moves),
		cmocka_unit_test(test_team_lifecycle_and_effects),
		cmocka_unit_test(test_case_other_via_names_the_op),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
