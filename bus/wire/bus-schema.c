#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-schema.h"
#include "bus-time.h"
#include "xmalloc.h"

static const struct bus_field *
schema_field(const struct bus_schema *schema, const char *name)
{
	for (const struct bus_field *f = schema->fields; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/*
 * How much of a value a reason quotes: at most 64 bytes, cut before a
 * character rather than inside one. Reasons go back to clients in JSON
 * replies, and jansson refuses to build a string that is not UTF-8: a
 * value cut mid-character left the hub with no reply to encode, and it
 * aborted (found by tests/fuzz/fuzz-codec).
 */
static int
schema_quote_len(const char *s)
{
	size_t n = strnlen(s, 64);

	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static const char *
schema_type_name(enum bus_field_type type)
{
	switch (type) {
	case BUS_FIELD_STRING: return "a string";
	case BUS_FIELD_INT: return "an integer";
	case BUS_FIELD_BOOL: return "true or false";
	case BUS_FIELD_OBJECT: return "an object";
	case BUS_FIELD_STRINGS: return "an array of strings";
	case BUS_FIELD_LEVEL_OR_AUTO: return "a level 0-5 or \"auto\"";
	case BUS_FIELD_ARRAY: return "an array";
	case BUS_FIELD_TIME: return "an RFC 3339 time or milliseconds since the epoch";
	}
	return "?";
}

/* Check one string against the field's length, choices and check. */
static int
schema_string(const struct bus_field *f, const char *s, size_t len, char **why)
{
	if ((long)len < (f->min > 0 ? f->min : 0) || (f->required && len == 0)) {
		*why = xstrdup("must not be empty");
		return -1;
	}
	if (f->max > 0 && (long)len > f->max) {
		xasprintf(why, "%zu bytes is over the limit of %ld", len, f->max);
		return -1;
	}
	if (f->choices != NULL && bus_domain_index(f->choices, (size_t)-1, s) < 0) {
		size_t n = 0;
		for (const char *const *c = f->choices; *c != NULL; c++)
			n += strlen(*c) + 2;
		char *list = xcalloc(1, n + 1);
		for (const char *const *c = f->choices; *c != NULL; c++) {
			if (c != f->choices)
				strcat(list, ", ");
			strcat(list, *c);
		}
		xasprintf(why, "'%.*s' is not one of %s", schema_quote_len(s), s, list);
		free(list);
		return -1;
	}
	if (f->check != NULL && f->check(s, why) != 0)
		return -1;
	return 0;
}

static int
schema_value(const struct bus_field *f, json_t *v, char **why)
{
	switch (f->type) {
	case BUS_FIELD_STRING:
		if (!json_is_string(v))
			break;
		return schema_string(f, json_string_value(v), json_string_length(v), why);
	case BUS_FIELD_TIME:
		if (json_is_string(v))
			return bus_check_time(json_string_value(v), why);
		/* Or milliseconds: an integer in the field's range. */
		/* FALLTHROUGH */
	case BUS_FIELD_INT:
		if (!json_is_integer(v))
			break;
		if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
			xasprintf(why, "%lld is outside %ld-%ld",
			    (long long)json_integer_value(v), f->min, f->max);
			return -1;
		}
		return 0;
	case BUS_FIELD_BOOL:
		if (!json_is_boolean(v))
			break;
		return 0;
	case BUS_FIELD_OBJECT:
		if (!json_is_object(v))
			break;
		return 0;
	case BUS_FIELD_LEVEL_OR_AUTO:
		if (json_is_string(v) && strcmp(json_string_value(v), "auto") == 0)
			return 0;
		if (json_is_integer(v) && json_integer_value(v) >= BUS_LEVEL_MIN &&
		    json_integer_value(v) <= BUS_LEVEL_MAX)
			return 0;
		break;
	case BUS_FIELD_STRINGS:
	case BUS_FIELD_ARRAY:
		if (!json_is_array(v))
			break;
		if (f->max > 0 && (long)json_array_size(v) > f->max) {
			xasprintf(why, "%zu items is over the limit of %ld",
			    json_array_size(v), f->max);
			return -1;
		}
		if (f->type == BUS_FIELD_ARRAY)
			return 0;
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			char *inner = NULL;
			if (!json_is_string(item)) {
				xasprintf(why, "item %zu is not a string", i);
				return -1;
			}
			/* Items follow the field's string rules, but a list item
			 * is never required to be non-empty by "required". */
			struct bus_field itemf = *f;
			itemf.required = 1;
			itemf.max = 256;
			if (schema_string(&itemf, json_string_value(item),
			    json_string_length(item), &inner) != 0) {
				xasprintf(why, "item %zu: %s", i, inner);
				free(inner);
				return -1;
			}
		}
		return 0;
	}
	xasprintf(why, "must be %s", schema_type_name(f->type));
	return -1;
}

/* Check OBJ against SCHEMA: unknown fields, missing fields, types, values. */
int
bus_schema_check(const struct bus_schema *schema, json_t *obj, char **cause)
{
	const char *key;
	json_t *v;
	char *why = NULL;

	if (!json_is_object(obj)) {
		xasprintf(cause, "%s: body must be a JSON object", schema->what);
		return -1;
	}
	json_object_foreach(obj, key, v) {
		const struct bus_field *f = schema_field(schema, key);
		if (f == NULL) {
			xasprintf(cause, "%s: unknown field '%.*s'", schema->what,
			    schema_quote_len(key), key);
			return -1;
		}
		if (schema_value(f, v, &why) != 0) {
			xasprintf(cause, "%s: field '%s': %s", schema->what, key, why);
			free(why);
			return -1;
		}
	}
	for (const struct bus_field *f = schema->fields; f->name != NULL; f++) {
		if (f->required && json_object_get(obj, f->name) == NULL) {
			xasprintf(cause, "%s: missing field '%s'", schema->what, f->name);
			return -1;
		}
	}
	return 0;
}

int
bus_check_sector(const char *s, char **why)
{
	if (bus_sector_find(s) >= 0)
		return 0;
	xasprintf(why, "unknown sector '%.*s'", schema_quote_len(s), s);
	return -1;
}

int
bus_check_time(const char *s, char **why)
{
	int64_t ms;

	if (bus_time_parse(s, &ms) == 0)
		return 0;
	xasprintf(why, "'%.*s' is not an RFC 3339 time", schema_quote_len(s), s);
	return -1;
}

/* Names of people and sensors: letters, digits, '.', '_', '-', '@'. */
int
bus_check_name(const char *s, char **why)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("._-@", *p) == NULL) {
			xasprintf(why, "'%.*s' may hold only letters, digits and . _ - @",
			    schema_quote_len(s), s);
			return -1;
		}
	}
	return 0;
}

/* Team names: upper-case letters, digits and '-', like FLY-2. */
int
bus_check_team_name(const char *s, char **why)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-') {
			xasprintf(why, "'%.*s' may hold only A-Z, 0-9 and '-'",
			    schema_quote_len(s), s);
			return -1;
		}
	}
	return 0;
}

int
bus_check_cve(const char *s, char **why)
{
	size_t n = strlen(s), digits = 0;

	if (n > 9 && strncmp(s, "CVE-", 4) == 0 && isdigit((unsigned char)s[4]) &&
	    isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) &&
	    isdigit((unsigned char)s[7]) && s[8] == '-') {
		for (const char *p = s + 9; isdigit((unsigned char)*p); p++)
			digits++;
		if (digits >= 4 && digits == n - 9)
			return 0;
	}
	xasprintf(why, "'%.*s' is not a CVE id (CVE-YYYY-NNNN)", schema_quote_len(s), s);
	return -1;
}
