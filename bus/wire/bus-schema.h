/*
 * Field tables for JSON objects from outside: each ingest topic and each
 * control op describes its fields as data, and one checker walks the table.
 * A rejection names the object, the field and the reason, e.g.
 * "incident: field 'sector': unknown sector 'enrgy'".
 */
#ifndef BUS_SCHEMA_H
#define BUS_SCHEMA_H

#include <jansson.h>

enum bus_field_type {
	BUS_FIELD_STRING,
	BUS_FIELD_INT,
	BUS_FIELD_BOOL,
	BUS_FIELD_OBJECT,
	BUS_FIELD_STRINGS,        /* array of strings */
	BUS_FIELD_LEVEL_OR_AUTO,  /* NCISS level, or the string "auto" */
	BUS_FIELD_ARRAY,          /* array of objects, checked by the caller */
	BUS_FIELD_TIME,           /* RFC 3339 string, or integer ms since the epoch in min-max */
};

/* A check for one string value: 0 if good, else -1 and a reason in *CAUSE. */
typedef int (*bus_field_check)(const char *value, char **cause);

struct bus_field {
	const char *name;
	enum bus_field_type type;
	int required;
	long min, max;              /* string bytes, int range, array items */
	const char *const *choices; /* NULL-terminated allowed strings */
	bus_field_check check;
};

struct bus_schema {
	const char *what;             /* "incident", "dispatch", ... */
	const struct bus_field *fields; /* ends with a { NULL } entry */
};

int bus_schema_check(const struct bus_schema *, json_t *obj, char **cause);

/* Checks shared by many tables. */
int bus_check_sector(const char *, char **);
int bus_check_time(const char *, char **);
int bus_check_name(const char *, char **);
int bus_check_team_name(const char *, char **);
int bus_check_cve(const char *, char **);

#endif
