#include <stddef.h>

#include "bus-rules.h"

/*
 * The case lifecycle. Analysis and on-site work are optional and may
 * repeat; follow-up may return to analysis. Closing is its own op (it
 * checks that no team is still on the case) and so is reopening.
 */
static const struct bus_case_move case_moves[] = {
	{ BUS_CASE_REPORTED, BUS_CASE_ASSIGNED, BUS_VIA_ASSIGN }, /* assign names the handler */
	{ BUS_CASE_REPORTED, BUS_CASE_INVESTIGATING, BUS_VIA_STATUS },
	{ BUS_CASE_ASSIGNED, BUS_CASE_INVESTIGATING, BUS_VIA_STATUS },
	{ BUS_CASE_INVESTIGATING, BUS_CASE_ANALYSIS, BUS_VIA_STATUS },
	{ BUS_CASE_INVESTIGATING, BUS_CASE_ONSITE, BUS_VIA_STATUS },
	{ BUS_CASE_INVESTIGATING, BUS_CASE_FOLLOWUP, BUS_VIA_STATUS },
	{ BUS_CASE_ANALYSIS, BUS_CASE_INVESTIGATING, BUS_VIA_STATUS },
	{ BUS_CASE_ANALYSIS, BUS_CASE_ONSITE, BUS_VIA_STATUS },
	{ BUS_CASE_ANALYSIS, BUS_CASE_FOLLOWUP, BUS_VIA_STATUS },
	{ BUS_CASE_ONSITE, BUS_CASE_FOLLOWUP, BUS_VIA_STATUS },
	{ BUS_CASE_ONSITE, BUS_CASE_ANALYSIS, BUS_VIA_STATUS },
	{ BUS_CASE_FOLLOWUP, BUS_CASE_ANALYSIS, BUS_VIA_STATUS },
	{ BUS_CASE_FOLLOWUP, BUS_CASE_INVESTIGATING, BUS_VIA_STATUS },
	{ BUS_CASE_FOLLOWUP, BUS_CASE_ONSITE, BUS_VIA_STATUS },
	/* A team arriving moves its case on site from wherever it is open. */
	{ BUS_CASE_REPORTED, BUS_CASE_ONSITE, 0 },
	{ BUS_CASE_ASSIGNED, BUS_CASE_ONSITE, 0 },
	{ BUS_CASE_REPORTED, BUS_CASE_CLOSED, BUS_VIA_CLOSE },
	{ BUS_CASE_ASSIGNED, BUS_CASE_CLOSED, BUS_VIA_CLOSE },
	{ BUS_CASE_INVESTIGATING, BUS_CASE_CLOSED, BUS_VIA_CLOSE },
	{ BUS_CASE_ANALYSIS, BUS_CASE_CLOSED, BUS_VIA_CLOSE },
	{ BUS_CASE_ONSITE, BUS_CASE_CLOSED, BUS_VIA_CLOSE },
	{ BUS_CASE_FOLLOWUP, BUS_CASE_CLOSED, BUS_VIA_CLOSE },
	{ BUS_CASE_CLOSED, BUS_CASE_INVESTIGATING, BUS_VIA_REOPEN },
};

/*
 * The team lifecycle. Going "returning" (by recall or by status) frees the
 * team from its case; a team on a case cannot reach available or offduty
 * any other way. Arriving on site moves the case on site; leaving the site
 * moves an on-site case to follow-up once no other team is on site there.
 */
#define STATUS_OR_RECALL (BUS_VIA_STATUS | BUS_VIA_RECALL)

static const struct bus_team_move team_moves[] = {
	{ BUS_TEAM_AVAILABLE, BUS_TEAM_DISPATCHED, BUS_VIA_DISPATCH, 0, -1, -1 },
	{ BUS_TEAM_AVAILABLE, BUS_TEAM_OFFDUTY, BUS_VIA_STATUS, 0, -1, -1 },
	{ BUS_TEAM_OFFDUTY, BUS_TEAM_AVAILABLE, BUS_VIA_STATUS, 0, -1, -1 },
	{ BUS_TEAM_DISPATCHED, BUS_TEAM_ENROUTE, BUS_VIA_STATUS, 0, -1, -1 },
	{ BUS_TEAM_DISPATCHED, BUS_TEAM_ONSITE, BUS_VIA_STATUS, 0, BUS_CASE_ONSITE, -1 },
	{ BUS_TEAM_ENROUTE, BUS_TEAM_ONSITE, BUS_VIA_STATUS, 0, BUS_CASE_ONSITE, -1 },
	{ BUS_TEAM_DISPATCHED, BUS_TEAM_RETURNING, STATUS_OR_RECALL, 1, -1, -1 },
	{ BUS_TEAM_ENROUTE, BUS_TEAM_RETURNING, STATUS_OR_RECALL, 1, -1, -1 },
	{ BUS_TEAM_ONSITE, BUS_TEAM_RETURNING, STATUS_OR_RECALL, 1, BUS_CASE_FOLLOWUP, BUS_CASE_ONSITE },
	{ BUS_TEAM_RETURNING, BUS_TEAM_AVAILABLE, BUS_VIA_STATUS, 0, -1, -1 },
};

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

/* The case move FROM -> TO if VIA may make it (VIA 0: any, even effects). */
const struct bus_case_move *
bus_rules_case_move(int from, int to, int via)
{
	for (size_t i = 0; i < NITEMS(case_moves); i++) {
		const struct bus_case_move *m = &case_moves[i];
		if ((int)m->from == from && (int)m->to == to && (via == 0 || (m->via & via)))
			return m;
	}
	return NULL;
}

const struct bus_team_move *
bus_rules_team_move(int from, int to, int via)
{
	for (size_t i = 0; i < NITEMS(team_moves); i++) {
		const struct bus_team_move *m = &team_moves[i];
		if ((int)m->from == from && (int)m->to == to && (m->via & via))
			return m;
	}
	return NULL;
}

/* Statuses a case in FROM may move to through VIA; their count. */
int
bus_rules_case_targets(int from, int via, int *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < NITEMS(case_moves) && n < max; i++) {
		if ((int)case_moves[i].from == from && (case_moves[i].via & via))
			out[n++] = case_moves[i].to;
	}
	return n;
}

int
bus_rules_team_targets(int from, int via, int *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < NITEMS(team_moves) && n < max; i++) {
		if ((int)team_moves[i].from == from && (team_moves[i].via & via))
			out[n++] = team_moves[i].to;
	}
	return n;
}

/* A case move another op makes (VIA other than status), or -1 for none. */
int
bus_rules_case_other_via(int from, int to)
{
	for (size_t i = 0; i < NITEMS(case_moves); i++) {
		const struct bus_case_move *m = &case_moves[i];
		if ((int)m->from == from && (int)m->to == to && !(m->via & BUS_VIA_STATUS))
			return m->via;
	}
	return -1;
}

/*
 * The ops behind the vias, for a refused "status" to point at: a person
 * who asks for "assigned" needs to hear that assign gets a case there.
 * Via 0 is no op of its own: a team's arrival on site, after a dispatch.
 */
static const struct {
	int via;
	const char *op, *does;
} via_words[] = {
	{ BUS_VIA_ASSIGN, "assign", "names its handler and moves it to assigned" },
	{ BUS_VIA_CLOSE, "close", "closes it once no team is on it" },
	{ BUS_VIA_REOPEN, "reopen", "opens it again, in investigating" },
	{ BUS_VIA_DISPATCH, "dispatch", "sends a team to it" },
	{ BUS_VIA_RECALL, "recall", "brings a team back from it" },
	{ 0, "dispatch", "sends a team, and the case goes on site when the team arrives "
	  "(team TEAM onsite)" },
};

const char *
bus_rules_via_op(int via)
{
	for (size_t i = 0; i < NITEMS(via_words); i++) {
		if (via_words[i].via == via)
			return via_words[i].op;
	}
	return NULL;
}

const char *
bus_rules_via_does(int via)
{
	for (size_t i = 0; i < NITEMS(via_words); i++) {
		if (via_words[i].via == via)
			return via_words[i].does;
	}
	return NULL;
}
