#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bus-verbs.h"
#include "xmalloc.h"

const struct bus_verb bus_verbs[] = {
	{ "open", "open", { "sector", "org", "title" }, 3, 1, "SECTOR ORG TITLE...",
	  "open a case (quote an organisation of several words)" },
	{ "assign", "assign", { "case", "handler" }, 2, 0, "CASE HANDLER",
	  "assign a handler to a case" },
	{ "status", "status", { "case", "status" }, 2, 0, "CASE STATUS",
	  "move a case (investigating, analysis, onsite, followup)" },
	{ "level", "level", { "case", "level" }, 2, 0, "CASE LEVEL",
	  "set a case's NCISS level (0-5)" },
	{ "dispatch", "dispatch", { "team", "case" }, 2, 0, "TEAM CASE",
	  "dispatch an on-site team to a case (leads)" },
	{ "recall", "recall", { "team" }, 1, 0, "TEAM", "recall a team from its case" },
	{ "team", "team", { "team", "status" }, 2, 0, "TEAM STATUS",
	  "move a team (enroute, onsite, returning, available, offduty)" },
	{ "note", "note", { "case", "text" }, 2, 1, "CASE TEXT...", "add a note to a case" },
	{ "close", "close", { "case", "reason" }, 1, 1, "CASE [REASON...]", "close a case" },
	{ "reopen", "reopen", { "case", "reason" }, 1, 1, "CASE [REASON...]",
	  "reopen a closed case" },
	{ "ack", "ack", { "case" }, 1, 0, "CASE", "acknowledge a case" },
	{ "sector-level", "sector_level", { "sector", "level" }, 2, 0, "SECTOR LEVEL|auto",
	  "set a sector's level by hand, or back to auto" },
};
const size_t bus_nverbs = sizeof bus_verbs / sizeof bus_verbs[0];

/* The verb NAME, or its op's own name ("sector_level"); NULL if none. */
const struct bus_verb *
bus_verb_find(const char *name)
{
	for (size_t i = 0; i < bus_nverbs; i++) {
		if (strcmp(name, bus_verbs[i].name) == 0 || strcmp(name, bus_verbs[i].op) == 0)
			return &bus_verbs[i];
	}
	return NULL;
}

/* A field value from a word: levels are numbers, the rest strings. */
static json_t *
verb_value(const char *field, const char *word)
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

/*
 * The op arguments for the words after the verb, or NULL and a usage line
 * in *CAUSE when the count is wrong. The hub checks the values themselves.
 */
json_t *
bus_verb_args(const struct bus_verb *v, int argc, char *const *argv, char **cause)
{
	int nfields = v->fields[2] != NULL ? 3 : v->fields[1] != NULL ? 2 : 1;
	json_t *args;

	if (argc < v->nrequired || (!v->rest && argc > nfields)) {
		xasprintf(cause, "usage: %s %s", v->name, v->usage);
		return NULL;
	}
	args = json_object();
	for (int i = 0; i < nfields && i < argc; i++) {
		if (v->rest && i == nfields - 1) {
			size_t n = 1;
			for (int k = i; k < argc; k++)
				n += strlen(argv[k]) + 1;
			char *text = xcalloc(1, n);
			for (int k = i; k < argc; k++) {
				if (k > i)
					strcat(text, " ");
				strcat(text, argv[k]);
			}
			json_object_set_new(args, v->fields[i], json_string(text));
			free(text);
		} else
			json_object_set_new(args, v->fields[i], verb_value(v->fields[i], argv[i]));
	}
	return args;
}
