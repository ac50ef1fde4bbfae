/*
 * fuzz-json: the fast decoder of the hub's stored bodies (bus/wire/bus-json.c)
 * against jansson's json_loads(), on any text: bus_json_loads() must give
 * exactly what json_loads(text, 0) gives, the same tree with its members
 * in the same order, or NULL with the same error. A body in the store is
 * the hub's own writing, but a damaged or altered database file is any
 * text at all.
 *
 * bus_json_fields(), which reads a case's few fields at a restart, must
 * take exactly the texts the fast path takes whole when they are objects,
 * and give the very members that tree has.
 *
 * Input: the text; it ends at the first NUL, as a column's text does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bus-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_error_t want_err, got_err;

	memcpy(text, data, size);
	text[size] = '\0';
	json_t *want = json_loads(text, 0, &want_err);
	json_t *got = bus_json_loads(text, &got_err);
	if ((want == NULL) != (got == NULL))
		abort();
	if (want == NULL) {
		if (strcmp(want_err.text, got_err.text) != 0 || want_err.line != got_err.line ||
		    want_err.column != got_err.column || want_err.position != got_err.position)
			abort();
	} else {
		char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
		if (!json_equal(want, got) || strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
	}
	static const char *const keys[] = { "ref", "status", "level", "sector", NULL };
	json_t *fast = bus_json_try(text, strlen(text)), *v[4];
	int rc = bus_json_fields(text, strlen(text), keys, v);
	if ((rc == 0) != json_is_object(fast))
		abort();
	for (size_t i = 0; rc == 0 && keys[i] != NULL; i++) {
		json_t *member = json_object_get(fast, keys[i]);
		if ((member == NULL) != (v[i] == NULL) || (member != NULL && !json_equal(member, v[i])))
			abort();
		json_decref(v[i]);
	}
	json_decref(fast);
	json_decref(want);
	json_decref(got);
	free(text);
	return 0;
}
