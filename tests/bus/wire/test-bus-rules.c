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
	assert_non_null(bus_rules_case_move(CASE_REPORTED, CASE_ASSIGNED, VIA_ASSIGN));
	assert_non_null(bus_rules_case_move(CASE_ASSIGNED, CASE_INVESTIGATING, VIA_STATUS));
	assert_non_null(bus_rules_case_move(CASE_INVESTIGATING, CASE_ANALYSIS, VIA_STATUS));
	assert_non_null(bus_rules_case_move(CASE_ANALYSIS, CASE_ONSITE, VIA_STATUS));
	assert_non_null(bus_rules_case_move(CASE_ONSITE, CASE_FOLLOWUP, VIA_STATUS));
	assert_non_null(bus_rules_case_move(CASE_FOLLOWUP, CASE_CLOSED, VIA_CLOSE));
	/* Analysis and on-site work may repeat. */
	assert_non_null(bus_rules_case_move(CASE_FOLLOWUP, CASE_ANALYSIS, VIA_STATUS));
	assert_non_null(bus_rules_case_move(CASE_CLOSED, CASE_INVESTIGATING, VIA_REOPEN));
}

static void
test_case_moves_need_their_op(void **state)
{
	(void)state;
	/* Closing and reopening are their own ops, never a plain status move. */
	assert_null(bus_rules_case_move(CASE_INVESTIGATING, CASE_CLOSED, VIA_STATUS));
	assert_null(bus_rules_case_move(CASE_CLOSED, CASE_INVESTIGATING, VIA_STATUS));
	/* No skipping back to the start, no moves out of nowhere. */
	assert_null(bus_rules_case_move(CASE_INVESTIGATING, CASE_REPORTED, VIA_STATUS));
	assert_null(bus_rules_case_move(CASE_CLOSED, CASE_ONSITE, VIA_STATUS));
	/* A team's arrival may move a reported case on site (an effect only). */
	assert_null(bus_rules_case_move(CASE_REPORTED, CASE_ONSITE, VIA_STATUS));
	assert_non_null(bus_rules_case_move(CASE_REPORTED, CASE_ONSITE, 0));
	/* Every open status can be closed. */
	for (int s = CASE_REPORTED; s < CASE_CLOSED; s++)
		assert_non_null(bus_rules_case_move(s, CASE_CLOSED, VIA_CLOSE));
}

static void
test_case_targets_list_allowed_moves(void **state)
{
	int out[CASE_NSTATUS];
	int n = bus_rules_case_targets(CASE_ONSITE, VIA_STATUS, out, CASE_NSTATUS);
	(void)state;

	assert_int_equal(n, 2);
	assert_int_equal(out[0], CASE_FOLLOWUP);
	assert_int_equal(out[1], CASE_ANALYSIS);
	assert_int_equal(bus_rules_case_targets(CASE_CLOSED, VIA_STATUS, out, CASE_NSTATUS), 0);
}

static void
test_team_lifecycle_and_effects(void **state)
{
	const struct bus_team_move *m;
	(void)state;

	/* Only dispatch sends an available team out. */
	assert_null(bus_rules_team_move(TEAM_AVAILABLE, TEAM_DISPATCHED, VIA_STATUS));
	assert_non_null(bus_rules_team_move(TEAM_AVAILABLE, TEAM_DISPATCHED, VIA_DISPATCH));
	m = bus_rules_team_move(TEAM_ENROUTE, TEAM_ONSITE, VIA_STATUS);
	assert_non_null(m);
	assert_int_equal(m->case_to, CASE_ONSITE);
	assert_int_equal(m->unlink, 0);
	/* Recall frees the team; leaving the site moves the case to follow-up. */
	m = bus_rules_team_move(TEAM_ONSITE, TEAM_RETURNING, VIA_RECALL);
	assert_non_null(m);
	assert_int_equal(m->unlink, 1);
	assert_int_equal(m->case_to, CASE_FOLLOWUP);
	assert_int_equal(m->case_from, CASE_ONSITE);
	assert_non_null(bus_rules_team_move(TEAM_DISPATCHED, TEAM_RETURNING, VIA_RECALL));
	/* A team on a case cannot go off duty or available directly. */
	assert_null(bus_rules_team_move(TEAM_ONSITE, TEAM_OFFDUTY, VIA_STATUS));
	assert_null(bus_rules_team_move(TEAM_ONSITE, TEAM_AVAILABLE, VIA_STATUS));
	assert_null(bus_rules_team_move(TEAM_RETURNING, TEAM_RETURNING, VIA_RECALL));
	assert_non_null(bus_rules_team_move(TEAM_RETURNING, TEAM_AVAILABLE, VIA_STATUS));
}

/* A move "status" cannot make, and which op can, for refusals to name. */
static void
test_case_other_via_names_the_op(void **state)
{
	(void)state;
	assert_int_equal(bus_rules_case_other_via(CASE_REPORTED, CASE_ASSIGNED), VIA_ASSIGN);
	assert_string_equal(bus_rules_via_op(VIA_ASSIGN), "assign");
	assert_int_equal(bus_rules_case_other_via(CASE_ANALYSIS, CASE_CLOSED), VIA_CLOSE);
	assert_string_equal(bus_rules_via_op(VIA_CLOSE), "close");
	assert_int_equal(bus_rules_case_other_via(CASE_CLOSED, CASE_INVESTIGATING), VIA_REOPEN);
	/* A team's arrival moves a reported case on site: no op of its own. */
	assert_int_equal(bus_rules_case_other_via(CASE_REPORTED, CASE_ONSITE), 0);
	assert_string_equal(bus_rules_via_op(0), "dispatch");
	/* What status makes itself, or nothing makes, has no other way. */
	assert_int_equal(bus_rules_case_other_via(CASE_INVESTIGATING, CASE_ONSITE), -1);
	assert_int_equal(bus_rules_case_other_via(CASE_INVESTIGATING, CASE_ASSIGNED), -1);
	assert_int_equal(bus_rules_case_other_via(CASE_INVESTIGATING, CASE_REPORTED), -1);
	/* Every via a case move has is put in words. */
	for (int from = 0; from < CASE_NSTATUS; from++) {
		for (int to = 0; to < CASE_NSTATUS; to++) {
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
