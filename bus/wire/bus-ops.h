/*
 * The op registry: every control op of the wire contract, described once.
 * The hub binds its handlers to these entries and refuses, from here, an
 * op it does not know, a role that may not send it and arguments that do
 * not fit. watchctl's command line, the console's ':' line, its key table
 * and both programs' help read the same entries, so what people are
 * offered is what the hub accepts.
 *
 * An op with a verb can be typed ("dispatch FLY-2 ICS-2026-0007"): the
 * words after the verb fill the op's fields in order.
 */
#ifndef BUS_OPS_H
#define BUS_OPS_H

#include <stddef.h>

struct json_t;
struct bus_schema;

/* Limits of the contract that the argument tables hold requests to. */
#define BUS_REPLAY_MAX      1000 /* events in one replay or timeline reply */
#define BUS_AUDIT_NAME_MAX    64 /* bytes of an op, case or team an audit row keeps */
#define BUS_AUDIT_PAGE_MAX  1000 /* rows in one audit reply, at most */

/* Every op, in the registry's order; the hub's handler tables are indexed
 * by these. */
enum bus_op_id {
	BUS_OP_OPEN,
	BUS_OP_ASSIGN,
	BUS_OP_STATUS,
	BUS_OP_LEVEL,
	BUS_OP_DISPATCH,
	BUS_OP_RECALL,
	BUS_OP_TEAM,
	BUS_OP_NOTE,
	BUS_OP_CLOSE,
	BUS_OP_REOPEN,
	BUS_OP_ACK,
	BUS_OP_SECTOR_LEVEL,
	BUS_OP_STAFF_ADD,
	BUS_OP_STAFF_REMOVE,
	BUS_OP_TEAM_ADD,
	BUS_OP_TEAM_REMOVE,
	BUS_OP_SNAPSHOT,
	BUS_OP_REPLAY,
	BUS_OP_TIMELINE,
	BUS_OP_STATS,
	BUS_OP_WHOAMI,
	BUS_OP_AUDIT,
	BUS_OP_REPORT,
	BUS_OP_KEY_ALLOW,
	BUS_OP_KEY_REVOKE,
	BUS_OP_KEY_LIST,
	BUS_NOPS
};

/* What a verb's help lists after its text: the statuses a plain move can
 * reach, from the lifecycle rules (bus-rules). */
enum bus_op_list { BUS_LIST_NONE, BUS_LIST_CASE_MOVES, BUS_LIST_TEAM_MOVES };

struct bus_op {
	enum bus_op_id id;
	const char *name;               /* on the wire: "sector_level" */
	int roles;                      /* who may send it (role bits) */
	int writes;                     /* may change the floor: refused while
	                                   the store cannot commit, and every
	                                   one is logged and audited */
	const struct bus_schema *args;  /* checked before the handler runs;
	                                   NULL: the handler checks them */
	/* Typed ops only (verb != NULL). */
	const char *verb;               /* what people type: "sector-level" */
	const char *fields[3];          /* the op fields the words fill */
	int nrequired;                  /* words that must be there */
	int rest;                       /* the last field takes the remaining words */
	const char *usage;              /* "TEAM CASE" */
	const char *help;               /* "dispatch an on-site team to a case" */
	enum bus_op_list list;
};

extern const struct bus_op bus_ops[BUS_NOPS];

/* The op with wire name NAME, or NULL. */
const struct bus_op *bus_op_find(const char *name);
/* The typed op for WORD, its verb or its wire name; NULL if none. */
const struct bus_op *bus_op_typed(const char *word);
int    bus_op_allowed(const struct bus_op *, int role);
/* Who may send it, in words: "lead", "intake or lead" (caller frees). */
char  *bus_op_roles_text(const struct bus_op *);
/* The help line's text: "move a case (investigating, analysis, ...)". */
void   bus_op_help(const struct bus_op *, char *buf, size_t size);

/*
 * The refusal of op NAME (OP its entry, NULL if there is none) from USER
 * with ROLE and ARGS, before any handler runs: no such op, a role that
 * may not send it, arguments that do not fit its table. NULL: go ahead.
 */
struct json_t *bus_op_refusal(const struct bus_op *op, const char *name,
    const char *user, int role, struct json_t *args);

/* The op arguments for the words after a verb, or NULL and a usage line
 * in *CAUSE when the count is wrong. The hub checks the values. */
struct json_t *bus_op_args(const struct bus_op *, int argc, const char *const *argv,
    char **cause);

#endif
