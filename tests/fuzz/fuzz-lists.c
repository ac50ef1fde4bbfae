/*
 * fuzz-lists: a control reply as the console reads it, a list element at a
 * time (bus_codec_load_lists(), used by bus-sync for every reply), against
 * jansson parsing the whole text at once.
 *
 * Input: the reply's text. Whatever the text, the walk must agree with
 * json_loadb(JSON_REJECT_DUPLICATES): when that gives an object, the walk
 * gives the same members, with each named list's elements handed over in
 * order; when it refuses the text (or gives something other than an
 * object), the walk refuses it too, with a reason. Two differences are
 * allowed: each element is parsed on its own, so an element nested deeper
 * than jansson's limit allows inside the whole may pass; and a text with a
 * NUL byte, which jansson sometimes takes, is always refused by the walk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bus-codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const lists[] = { "cases", "intel", NULL };

static void
collect(void *arg, size_t list, json_t *element)
{
	json_t **got = arg;

	if (list >= sizeof lists / sizeof lists[0] - 1 || !json_is_array(got[list]))
		abort();
	json_array_append(got[list], element);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *whole = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	json_t *got[2] = { json_array(), json_array() };
	char *cause = NULL;
	json_t *head = bus_codec_load_lists((const char *)data, size, lists, collect, got,
	    &cause);

	if (head == NULL) {
		if (cause == NULL)
			abort();
		/* jansson took an object the walk refused: wrong, unless the text
		 * has a NUL byte, which jansson sometimes lets pass and the walk
		 * (as JSON's grammar) never does. */
		if (json_is_object(whole) && memchr(data, 0, size) == NULL)
			abort();
	} else {
		if (cause != NULL || !json_is_object(head) || memchr(data, 0, size) != NULL)
			abort();
		if (whole == NULL && strstr(err.text, "depth") == NULL)
			abort(); /* the walk took what jansson refused */
		if (whole != NULL) {
			/* The lists, put back in the members they came from. */
			for (size_t l = 0; lists[l] != NULL; l++) {
				if (json_is_null(json_object_get(head, lists[l])) &&
				    json_is_array(json_object_get(whole, lists[l])))
					json_object_set(head, lists[l], got[l]);
			}
			if (!json_equal(head, whole))
				abort();
		}
	}
	free(cause);
	json_decref(head);
	json_decref(whole);
	json_decref(got[0]);
	json_decref(got[1]);
	return 0;
}
