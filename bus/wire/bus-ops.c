#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-ops.h"
#include "bus-reply.h"
#include "bus-rules.h"
#include "bus-schema.h"
#include "xmalloc.h"

/* ------------------------------------------------------------------ */
/* Argument tables, one per op that the registry checks. */

#define F_CASE { "case", BUS_FIELD_STRING, 1, 1, 64, NULL, NULL }
#define F_TEAM { "team", BUS_FIELD_STRING, 1, 1, 32, NULL, bus_check_team_name }
#define F_END  { NULL, 0, 0, 0, 0, NULL, NULL }

static const struct bus_field assign_f[] = { F_CASE,
	{ "handler", BUS_FIELD_STRING, 1, 1, 64, NULL, bus_check_name }, F_END };
static const struct bus_field status_f[] = { F_CASE,
	{ "status", BUS_FIELD_STRING, 1, 1, 32, bus_case_status_names, NULL }, F_END };
static const struct bus_field level_f[] = { F_CASE,
	{ "level", BUS_FIELD_INT, 1, BUS_LEVEL_MIN, BUS_LEVEL_MAX, NULL, NULL }, F_END };
static const struct bus_field dispatch_f[] = { F_TEAM, F_CASE, F_END };
static const struct bus_field team_f[] = { F_TEAM,
	{ "status", BUS_FIELD_STRING, 1, 1, 32, bus_team_status_names, NULL }, F_END };
static const struct bus_field recall_f[] = { F_TEAM, F_END };
static const struct bus_field note_f[] = { F_CASE,
	{ "text", BUS_FIELD_STRING, 1, 1, 2000, NULL, NULL }, F_END };
static const struct bus_field close_f[] = { F_CASE,
	{ "reason", BUS_FIELD_STRING, 0, 1, 2000, NULL, NULL }, F_END };
static const struct bus_field case_f[] = { F_CASE, F_END };
static const struct bus_field sector_level_f[] = {
	{ "sector", BUS_FIELD_STRING, 1, 1, 32, NULL, bus_check_sector },
	{ "level", BUS_FIELD_LEVEL_OR_AUTO, 1, 0, 0, NULL, NULL }, F_END };
static const struct bus_field staff_add_f[] = {
	{ "name", BUS_FIELD_STRING, 1, 1, 64, NULL, bus_check_name },
	{ "role", BUS_FIELD_STRING, 1, 1, 16, bus_role_names, NULL }, F_END };
static const struct bus_field staff_remove_f[] = {
	{ "name", BUS_FIELD_STRING, 1, 1, 64, NULL, bus_check_name }, F_END };
static const struct bus_field team_add_f[] = { F_TEAM,
	{ "base", BUS_FIELD_STRING, 0, 0, 120, NULL, NULL },
	{ "members", BUS_FIELD_ARRAY, 0, 0, 12, NULL, NULL }, F_END };
static const struct bus_field replay_f[] = {
	{ "after", BUS_FIELD_INT, 1, 0, INT64_MAX, NULL, NULL },
	{ "limit", BUS_FIELD_INT, 0, 1, BUS_REPLAY_MAX, NULL, NULL }, F_END };
static const struct bus_field timeline_f[] = {
	{ "case", BUS_FIELD_STRING, 1, 1, 64, NULL, NULL },
	{ "after", BUS_FIELD_INT, 0, 0, INT64_MAX, NULL, NULL },
	{ "limit", BUS_FIELD_INT, 0, 1, BUS_REPLAY_MAX, NULL, NULL }, F_END };
static const struct bus_field report_f[] = {
	{ "topic", BUS_FIELD_STRING, 1, 1, 32, bus_ingest_names, NULL },
	{ "body", BUS_FIELD_OBJECT, 1, 0, 0, NULL, NULL }, F_END };
static const struct bus_field audit_f[] = {
	{ "since", BUS_FIELD_TIME, 0, 0, INT64_MAX, NULL, NULL },
	{ "case", BUS_FIELD_STRING, 0, 1, BUS_AUDIT_NAME_MAX, NULL, NULL },
	{ "after", BUS_FIELD_INT, 0, 0, INT64_MAX, NULL, NULL },
	{ "limit", BUS_FIELD_INT, 0, 1, BUS_AUDIT_PAGE_MAX, NULL, NULL }, F_END };

#define SCHEMA(name, fields) (&(const struct bus_schema){ name, fields })

#define CASE_WORKERS (BUS_ROLE_OFFICER | BUS_ROLE_INTAKE | BUS_ROLE_LEAD)
#define INTAKE_LEAD  (BUS_ROLE_INTAKE | BUS_ROLE_LEAD)

/*
 * The ops. "status" is open to officers here because a case's handler may
 * move their own case; the state checks the rest. Ops whose arguments are
 * NULL check them themselves: a snapshot's and the key ops' depend on the
 * hub's settings.
 */
const struct bus_op bus_ops[BUS_NOPS] = {
	[BUS_OP_OPEN] = { BUS_OP_OPEN, "open", INTAKE_LEAD, 1, &bus_incident_schema,
	    "open", { "sector", "org", "title" }, 3, 1, "SECTOR ORG TITLE...",
	    "open a case (quote an organisation of several words)", BUS_LIST_NONE },
	[BUS_OP_ASSIGN] = { BUS_OP_ASSIGN, "assign", INTAKE_LEAD, 1, SCHEMA("assign", assign_f),
	    "assign", { "case", "handler" }, 2, 0, "CASE HANDLER",
	    "assign a handler to a case", BUS_LIST_NONE },
	[BUS_OP_STATUS] = { BUS_OP_STATUS, "status", CASE_WORKERS, 1, SCHEMA("status", status_f),
	    "status", { "case", "status" }, 2, 0, "CASE STATUS",
	    "move a case", BUS_LIST_CASE_MOVES },
	[BUS_OP_LEVEL] = { BUS_OP_LEVEL, "level", INTAKE_LEAD, 1, SCHEMA("level", level_f),
	    "level", { "case", "level" }, 2, 0, "CASE LEVEL",
	    "set a case's NCISS level (0-5)", BUS_LIST_NONE },
	[BUS_OP_DISPATCH] = { BUS_OP_DISPATCH, "dispatch", BUS_ROLE_LEAD, 1,
	    SCHEMA("dispatch", dispatch_f),
	    "dispatch", { "team", "case" }, 2, 0, "TEAM CASE",
	    "dispatch an on-site team to a case (leads)", BUS_LIST_NONE },
	[BUS_OP_RECALL] = { BUS_OP_RECALL, "recall", BUS_ROLE_LEAD, 1, SCHEMA("recall", recall_f),
	    "recall", { "team" }, 1, 0, "TEAM",
	    "recall a team from its case", BUS_LIST_NONE },
	[BUS_OP_TEAM] = { BUS_OP_TEAM, "team", BUS_ROLE_LEAD, 1, SCHEMA("team", team_f),
	    "team", { "team", "status" }, 2, 0, "TEAM STATUS",
	    "move a team", BUS_LIST_TEAM_MOVES },
	[BUS_OP_NOTE] = { BUS_OP_NOTE, "note", CASE_WORKERS, 1, SCHEMA("note", note_f),
	    "note", { "case", "text" }, 2, 1, "CASE TEXT...",
	    "add a note to a case", BUS_LIST_NONE },
	[BUS_OP_CLOSE] = { BUS_OP_CLOSE, "close", INTAKE_LEAD, 1, SCHEMA("close", close_f),
	    "close", { "case", "reason" }, 1, 1, "CASE [REASON...]",
	    "close a case", BUS_LIST_NONE },
	[BUS_OP_REOPEN] = { BUS_OP_REOPEN, "reopen", INTAKE_LEAD, 1, SCHEMA("reopen", close_f),
	    "reopen", { "case", "reason" }, 1, 1, "CASE [REASON...]",
	    "reopen a closed case", BUS_LIST_NONE },
	[BUS_OP_ACK] = { BUS_OP_ACK, "ack", CASE_WORKERS, 1, SCHEMA("ack", case_f),
	    "ack", { "case" }, 1, 0, "CASE",
	    "acknowledge a case", BUS_LIST_NONE },
	[BUS_OP_SECTOR_LEVEL] = { BUS_OP_SECTOR_LEVEL, "sector_level", BUS_ROLE_LEAD, 1,
	    SCHEMA("sector_level", sector_level_f),
	    "sector-level", { "sector", "level" }, 2, 0, "SECTOR LEVEL|auto",
	    "set a sector's level by hand, or back to auto", BUS_LIST_NONE },
	[BUS_OP_STAFF_ADD] = { BUS_OP_STAFF_ADD, "staff_add", BUS_ROLE_LEAD, 1,
	    SCHEMA("staff_add", staff_add_f), .verb = NULL },
	[BUS_OP_STAFF_REMOVE] = { BUS_OP_STAFF_REMOVE, "staff_remove", BUS_ROLE_LEAD, 1,
	    SCHEMA("staff_remove", staff_remove_f), .verb = NULL },
	[BUS_OP_TEAM_ADD] = { BUS_OP_TEAM_ADD, "team_add", BUS_ROLE_LEAD, 1,
	    SCHEMA("team_add", team_add_f), .verb = NULL },
	[BUS_OP_TEAM_REMOVE] = { BUS_OP_TEAM_REMOVE, "team_remove", BUS_ROLE_LEAD, 1,
	    SCHEMA("team_remove", recall_f), .verb = NULL },
	[BUS_OP_SNAPSHOT] = { BUS_OP_SNAPSHOT, "snapshot", BUS_ROLE_ANY, 0, NULL, .verb = NULL },
	[BUS_OP_REPLAY] = { BUS_OP_REPLAY, "replay", BUS_ROLE_ANY, 0, SCHEMA("replay", replay_f),
	    .verb = NULL },
	[BUS_OP_TIMELINE] = { BUS_OP_TIMELINE, "timeline", BUS_ROLE_ANY, 0,
	    SCHEMA("timeline", timeline_f), .verb = NULL },
	[BUS_OP_STATS] = { BUS_OP_STATS, "stats", BUS_ROLE_ANY, 0, NULL, .verb = NULL },
	[BUS_OP_WHOAMI] = { BUS_OP_WHOAMI, "whoami", BUS_ROLE_ANY, 0, NULL, .verb = NULL },
	[BUS_OP_AUDIT] = { BUS_OP_AUDIT, "audit", BUS_ROLE_LEAD, 0, SCHEMA("audit", audit_f),
	    .verb = NULL },
	[BUS_OP_REPORT] = { BUS_OP_REPORT, "report", CASE_WORKERS, 1,
	    SCHEMA("report", report_f), .verb = NULL },
	[BUS_OP_KEY_ALLOW] = { BUS_OP_KEY_ALLOW, "key_allow", BUS_ROLE_LEAD, 1, NULL, .verb = NULL },
	[BUS_OP_KEY_REVOKE] = { BUS_OP_KEY_REVOKE, "key_revoke", BUS_ROLE_LEAD, 1, NULL,
	    .verb = NULL },
	[BUS_OP_KEY_LIST] = { BUS_OP_KEY_LIST, "key_list", BUS_ROLE_LEAD, 0, NULL, .verb = NULL },
};

const struct bus_op *
bus_op_find(const char *name)
{
	for (size_t i = 0; i < BUS_NOPS; i++) {
		if (strcmp(bus_ops[i].name, name) == 0)
			return &bus_ops[i];
	}
	return NULL;
}

const struct bus_op *
bus_op_typed(const char *word)
{
	for (size_t i = 0; i < BUS_NOPS; i++) {
		const struct bus_op *op = &bus_ops[i];
		if (op->verb != NULL && (strcmp(word, op->verb) == 0 || strcmp(word, op->name) == 0))
			return op;
	}
	return NULL;
}

int
bus_op_allowed(const struct bus_op *op, int role)
{
	return op != NULL && (op->roles & role) != 0;
}

char *
bus_op_roles_text(const struct bus_op *op)
{
	char buf[64] = "";
	int left = __builtin_popcount((unsigned)op->roles);

	/* "lead", "intake or lead", "officer, intake or lead" */
	for (int r = BUS_ROLE_VIEWER; r <= BUS_ROLE_LEAD; r <<= 1) {
		if (!(op->roles & r))
			continue;
		left--;
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
		    bus_role_name(r), left > 1 ? ", " : left == 1 ? " or " : "");
	}
	return xstrdup(buf);
}

/* The statuses some plain move reaches, in the lifecycle's order. */
static void
list_moves(int nstatus, const char *const *names,
    int (*targets)(int, int, int *, int), char *buf, size_t size)
{
	int reach[32] = { 0 }, out[32];
	const char *sep = " (";

	for (int from = 0; from < nstatus; from++) {
		int n = targets(from, BUS_VIA_STATUS, out, 32);
		for (int i = 0; i < n; i++)
			reach[out[i]] = 1;
	}
	for (int s = 0; s < nstatus; s++) {
		if (!reach[s])
			continue;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", sep, names[s]);
		sep = ", ";
	}
	if (*sep == ',')
		snprintf(buf + strlen(buf), size - strlen(buf), ")");
}

void
bus_op_help(const struct bus_op *op, char *buf, size_t size)
{
	snprintf(buf, size, "%s", op->help != NULL ? op->help : "");
	if (op->list == BUS_LIST_CASE_MOVES)
		list_moves(BUS_CASE_NSTATUS, bus_case_status_names, bus_rules_case_targets, buf, size);
	else if (op->list == BUS_LIST_TEAM_MOVES)
		list_moves(BUS_TEAM_NSTATUS, bus_team_status_names, bus_rules_team_targets, buf, size);
}

json_t *
bus_op_refusal(const struct bus_op *op, const char *name, const char *user, int role,
    json_t *args)
{
	char *cause = NULL;
	json_t *r;

	if (op == NULL)
		return bus_reply_error("unknown_op", "There is no op '%.64s'.", name);
	if (!bus_op_allowed(op, role)) {
		char *allowed = bus_op_roles_text(op);
		r = bus_reply_error("forbidden", "%s needs the role %s; %s has the role %s.",
		    op->name, allowed, user, bus_role_name(role));
		free(allowed);
		return r;
	}
	if (op->args != NULL && bus_schema_check(op->args, args, &cause) != 0) {
		r = bus_reply_error("invalid", "%s", cause);
		free(cause);
		return r;
	}
	return NULL;
}

/* A field value from a word: levels are numbers, the rest strings. */
static json_t *
word_value(const char *field, const char *word)
{
	char *end;
	long v;

	if (strcmp(field, "level") == 0) {
		v = strtol(word, &end, 10);
		if (*word != '\0' && *end == '\0')
			return json_integer(v);
	}
	return json_string(word);
}

json_t *
bus_op_args(const struct bus_op *op, int argc, const char *const *argv, char **cause)
{
	int nfields = op->fields[2] != NULL ? 3 : op->fields[1] != NULL ? 2 : 1;
	json_t *args;

	if (argc < op->nrequired || (!op->rest && argc > nfields)) {
		xasprintf(cause, "usage: %s %s", op->verb, op->usage);
		return NULL;
	}
	args = json_object();
	for (int i = 0; i < nfields && i < argc; i++) {
		if (op->rest && i == nfields - 1) {
			size_t n = 1;
			for (int k = i; k < argc; k++)
				n += strlen(argv[k]) + 1;
			char *text = xcalloc(1, n);
			for (int k = i; k < argc; k++) {
				if (k > i)
					strcat(text, " ");
				strcat(text, argv[k]);
			}
			json_object_set_new(args, op->fields[i], json_string(text));
			free(text);
		} else
			json_object_set_new(args, op->fields[i], word_value(op->fields[i], argv[i]));
	}
	return args;
}
