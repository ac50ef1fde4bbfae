/*
 * Decoding JSON texts into jansson trees faster than json_loads() does,
 * for the texts the hub reads back by the thousand: the bodies in its own
 * store, which it rebuilds its state from at every start (bus_state_load).
 *
 * jansson's decoder reads its input a byte at a time through a stream and
 * copies every string through a growing buffer; at a restart on 2,000 cases
 * with their timeline tails (6 MB of JSON) that decoding was nine tenths of
 * the start-up (docs/PERFORMANCE.md, "Hub restart"). This one scans each
 * string in one run and hands jansson the bytes in place.
 *
 * It takes the common part of JSON only: objects, arrays, strings whose
 * escapes are the two-character ones (\" \\ \/ \b \f \n \r \t), integers,
 * true, false and null, nested at most BUS_JSON_MAX_DEPTH deep. On
 * anything else (a \u escape, a real number, an integer out of range, an
 * error of any kind) it leaves the whole text to json_loads(). So the
 * result is always exactly json_loads(TEXT, 0, ERROR)'s: the same tree, or
 * NULL and jansson's own error.
 */
#ifndef BUS_JSON_H
#define BUS_JSON_H

#include <jansson.h>

#define BUS_JSON_MAX_DEPTH 64

/* json_loads(TEXT, 0, ERROR), faster. ERROR may be NULL. */
json_t *bus_json_loads(const char *text, json_error_t *error);
/* The fast part alone: the tree of TEXT (LEN bytes), or NULL when TEXT is
 * not in the part of JSON taken here (or is not JSON at all). */
json_t *bus_json_try(const char *text, size_t len);
/* One value of any kind at the start of TEXT, duplicate keys refused, and
 * the bytes it took; NULL when it is outside the part of JSON taken here
 * (bus_codec_load_lists reads a snapshot's elements with it). */
json_t  *bus_json_take(const char *text, size_t len, size_t *used);
/* Only the members KEYS (NULL-terminated) of the object TEXT, into VALUES
 * (NULL for a member it lacks); the rest is checked, not built. 0, or -1
 * when TEXT is not an object bus_json_try() takes whole. */
int      bus_json_fields(const char *text, size_t len, const char *const *keys,
             json_t **values);

#endif
