/*
 * The lifecycles of docs/DOMAIN.md as data: which case and team transitions
 * exist, which op makes each, and what a team transition does to its case.
 * bus-state applies them; the console reads them to offer only moves the
 * hub will accept.
 */
#ifndef BUS_RULES_H
#define BUS_RULES_H

#include "bus-domain.h"

/* Which op may make a transition. */
enum bus_via {
	BUS_VIA_STATUS = 1 << 0,   /* "status" / "team" ops: a plain move */
	BUS_VIA_ASSIGN = 1 << 1,   /* "assign": reported -> assigned */
	BUS_VIA_CLOSE = 1 << 2,    /* "close" */
	BUS_VIA_REOPEN = 1 << 3,   /* "reopen" */
	BUS_VIA_DISPATCH = 1 << 4, /* "dispatch": available -> dispatched */
	BUS_VIA_RECALL = 1 << 5,   /* "recall" */
};

struct bus_case_move {
	enum bus_case_status from, to;
	int via;
};

struct bus_team_move {
	enum bus_team_status from, to;
	int via;
	int unlink;  /* the team leaves its case */
	int case_to; /* then move that case here if it is in case_from, or -1 */
	int case_from;
};

const struct bus_case_move *bus_rules_case_move(int from, int to, int via);
const struct bus_team_move *bus_rules_team_move(int from, int to, int via);
int bus_rules_case_targets(int from, int via, int *out, int max);
int bus_rules_team_targets(int from, int via, int *out, int max);

/* How a case gets from FROM to TO when "status" cannot take it there: the
 * via of the op that can (BUS_VIA_ASSIGN, ...; 0 for a team's arrival), or -1
 * if nothing makes that move. For refusals that name the way. */
int bus_rules_case_other_via(int from, int to);
/* The op that makes moves through VIA, and what it does, in words:
 * "assign", "names its handler and moves it to assigned". */
const char *bus_rules_via_op(int via);
const char *bus_rules_via_does(int via);

#endif
