#include <stdlib.h>
#include <string.h>

#include "bus-codec.h"
#include "bus-domain.h"
#include "bus-json.h"
#include "xmalloc.h"

const char *const bus_ingest_names[BUS_INGEST_NKINDS + 1] = {
	[BUS_INGEST_INCIDENT] = "incident",
	[BUS_INGEST_INTEL] = "intel",
	[BUS_INGEST_SENSOR] = "sensor",
	[BUS_INGEST_NKINDS] = NULL,
};

const char *const bus_reject_names[BUS_REJECT_NCLASSES] = {
	[BUS_REJECT_NONE] = "none",
	[BUS_REJECT_FRAMES] = "frames",
	[BUS_REJECT_TOPIC] = "topic",
	[BUS_REJECT_SIZE] = "size",
	[BUS_REJECT_UTF8] = "utf8",
	[BUS_REJECT_JSON] = "json",
	[BUS_REJECT_FIELDS] = "fields",
	[BUS_REJECT_KEY] = "key",
	[BUS_REJECT_STORE_FULL] = "store_full",
};

static const char *const sensor_kinds[] = { "alert", "heartbeat", NULL };

/* Limits are bytes of UTF-8; titles fit a line, summaries a screen. */
static const struct bus_field incident_fields[] = {
	{ "title", BUS_FIELD_STRING, 1, 1, 200, NULL, NULL },
	{ "org", BUS_FIELD_STRING, 1, 1, 120, NULL, NULL },
	{ "sector", BUS_FIELD_STRING, 1, 1, 32, NULL, bus_check_sector },
	{ "ref", BUS_FIELD_STRING, 0, 1, 128, NULL, NULL },
	{ "level", BUS_FIELD_INT, 0, BUS_LEVEL_MIN, BUS_LEVEL_MAX, NULL, NULL },
	{ "summary", BUS_FIELD_STRING, 0, 0, 4000, NULL, NULL },
	{ "reported_at", BUS_FIELD_STRING, 0, 1, 40, NULL, bus_check_time },
	{ "contact", BUS_FIELD_STRING, 0, 0, 200, NULL, NULL },
	{ "onsite_requested", BUS_FIELD_BOOL, 0, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
const struct bus_schema bus_incident_schema = { "incident", incident_fields };

static const struct bus_field intel_fields[] = {
	{ "title", BUS_FIELD_STRING, 1, 1, 300, NULL, NULL },
	{ "source", BUS_FIELD_STRING, 1, 1, 120, NULL, NULL },
	{ "ref", BUS_FIELD_STRING, 0, 1, 128, NULL, NULL },
	{ "kind", BUS_FIELD_STRING, 0, 1, 32, bus_intel_kind_names, NULL },
	{ "tlp", BUS_FIELD_STRING, 0, 1, 32, bus_tlp_names, NULL },
	{ "sectors", BUS_FIELD_STRINGS, 0, 0, BUS_NSECTORS, NULL, bus_check_sector },
	{ "published", BUS_FIELD_STRING, 0, 1, 40, NULL, bus_check_time },
	{ "url", BUS_FIELD_STRING, 0, 1, 2048, NULL, NULL },
	{ "summary", BUS_FIELD_STRING, 0, 0, 4000, NULL, NULL },
	{ "cves", BUS_FIELD_STRINGS, 0, 0, 64, NULL, bus_check_cve },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema intel_schema = { "intel", intel_fields };

static const struct bus_field sensor_fields[] = {
	{ "sensor", BUS_FIELD_STRING, 1, 1, 64, NULL, bus_check_name },
	{ "kind", BUS_FIELD_STRING, 1, 1, 16, sensor_kinds, NULL },
	{ "sector", BUS_FIELD_STRING, 0, 1, 32, NULL, bus_check_sector },
	{ "level", BUS_FIELD_INT, 0, BUS_LEVEL_MIN, BUS_LEVEL_MAX, NULL, NULL },
	{ "signature", BUS_FIELD_STRING, 0, 0, 200, NULL, NULL },
	{ "message", BUS_FIELD_STRING, 0, 0, 1000, NULL, NULL },
	{ "src", BUS_FIELD_STRING, 0, 0, 100, NULL, NULL },
	{ "dst", BUS_FIELD_STRING, 0, 0, 100, NULL, NULL },
	{ "ts", BUS_FIELD_STRING, 0, 1, 40, NULL, bus_check_time },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema sensor_schema = { "sensor", sensor_fields };

static const struct bus_schema *const ingest_schemas[BUS_INGEST_NKINDS] = {
	[BUS_INGEST_INCIDENT] = &bus_incident_schema,
	[BUS_INGEST_INTEL] = &intel_schema,
	[BUS_INGEST_SENSOR] = &sensor_schema,
};

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
int
bus_codec_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned int cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/*
 * Make a reason valid UTF-8, each byte of a broken sequence becoming '?'.
 * jansson quotes the input near a syntax error and may cut it inside a
 * character ("invalid escape near '"\u2\xe3'"); the reason goes back to
 * the client in a JSON reply, which jansson then refuses to build, and the
 * hub had no reply to send (found by tests/fuzz).
 */
void
bus_codec_scrub_utf8(char *s)
{
	size_t n = strlen(s), len;

	for (size_t i = 0; i < n; i += len) {
		unsigned char c = (unsigned char)s[i];
		len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
		    (c & 0xf8) == 0xf0 ? 4 : 0;
		if (len == 0 || i + len > n ||
		    !bus_codec_utf8_valid((const unsigned char *)s + i, len)) {
			s[i] = '?';
			len = 1;
		}
	}
}

/* Parse a body frame into a JSON object; WHAT names it in the reason. */
int
bus_codec_decode_body(const void *data, size_t size, const char *what,
    json_t **body, char **cause)
{
	json_error_t err;

	if (size > BUS_MAX_BODY) {
		xasprintf(cause, "%s: body of %zu bytes is over the limit of %d",
		    what, size, BUS_MAX_BODY);
		return BUS_REJECT_SIZE;
	}
	if (!bus_codec_utf8_valid(data, size)) {
		xasprintf(cause, "%s: body is not valid UTF-8", what);
		return BUS_REJECT_UTF8;
	}
	*body = json_loadb(data, size, JSON_REJECT_DUPLICATES, &err);
	if (*body == NULL) {
		bus_codec_scrub_utf8(err.text);
		xasprintf(cause, "%s: bad JSON at line %d column %d: %s", what,
		    err.line, err.column, err.text);
		return BUS_REJECT_JSON;
	}
	if (!json_is_object(*body)) {
		json_decref(*body);
		*body = NULL;
		xasprintf(cause, "%s: body is not a JSON object", what);
		return BUS_REJECT_JSON;
	}
	return BUS_REJECT_NONE;
}

/*
 * Decode the frames of one message. Topics are short ASCII words with
 * dots, so that they can be logged and used as subscription prefixes.
 */
int
bus_codec_decode(const struct bus_frame *frames, size_t nframes,
    char topic[BUS_MAX_TOPIC + 1], json_t **body, char **cause)
{
	*body = NULL;
	if (nframes != 2) {
		xasprintf(cause, "message has %zu frame%s; expected 2 (topic, body)",
		    nframes, nframes == 1 ? "" : "s");
		return BUS_REJECT_FRAMES;
	}
	if (frames[0].size == 0 || frames[0].size > BUS_MAX_TOPIC) {
		xasprintf(cause, "topic of %zu bytes; expected 1-%d", frames[0].size,
		    BUS_MAX_TOPIC);
		return BUS_REJECT_TOPIC;
	}
	const char *t = frames[0].data;
	for (size_t i = 0; i < frames[0].size; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '+')) {
			xasprintf(cause, "topic has a byte 0x%02x outside [A-Za-z0-9._+-]",
			    (unsigned char)c);
			return BUS_REJECT_TOPIC;
		}
	}
	memcpy(topic, t, frames[0].size);
	topic[frames[0].size] = '\0';
	return bus_codec_decode_body(frames[1].data, frames[1].size, topic, body, cause);
}

/* Check BODY against the field table of ingest TOPIC. */
int
bus_codec_check_ingest(const char *topic, json_t *body, char **cause)
{
	int kind = bus_domain_index(bus_ingest_names, BUS_INGEST_NKINDS, topic);

	if (kind < 0) {
		xasprintf(cause, "unknown topic '%.64s'; expected incident, intel or sensor",
		    topic);
		return BUS_REJECT_TOPIC;
	}
	if (bus_schema_check(ingest_schemas[kind], body, cause) != 0)
		return BUS_REJECT_FIELDS;
	return BUS_REJECT_NONE;
}

char *
bus_codec_encode(const json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);

	if (s == NULL)
		abort(); /* only on out of memory: jansson encodes any valid tree */
	return s;
}

/* ------------------------------------------------------------------ */
/* Parsing a large object a member, or a list element, at a time. */

struct walk {
	const char *text;
	size_t len, at;
};

static void
walk_space(struct walk *w)
{
	while (w->at < w->len && (w->text[w->at] == ' ' || w->text[w->at] == '\t' ||
	    w->text[w->at] == '\r' || w->text[w->at] == '\n'))
		w->at++;
}

/* The next byte after white space is C: step over it. */
static int
walk_take(struct walk *w, char c)
{
	walk_space(w);
	if (w->at < w->len && w->text[w->at] == c) {
		w->at++;
		return 1;
	}
	return 0;
}

/* One JSON value at the cursor, which moves past it. */
static json_t *
walk_value(struct walk *w, char **cause)
{
	json_error_t err;
	size_t used;
	json_t *v = bus_json_take(w->text + w->at, w->len - w->at, &used);

	/* The fast decoder for the common case (a snapshot's ten thousand
	 * cases); jansson for the rest, and for the reason of a refusal. */
	if (v != NULL) {
		w->at += used;
		return v;
	}
	v = json_loadb(w->text + w->at, w->len - w->at,
	    JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);

	if (v == NULL) {
		bus_codec_scrub_utf8(err.text);
		xasprintf(cause, "bad JSON at byte %zu: %s", w->at + (size_t)err.position, err.text);
		return NULL;
	}
	w->at += (size_t)err.position;
	return v;
}

static int
walk_list(struct walk *w, size_t list, bus_codec_element_cb element, void *arg,
    char **cause)
{
	if (walk_take(w, ']'))
		return 0;
	do {
		json_t *v = walk_value(w, cause);
		if (v == NULL)
			return -1;
		element(arg, list, v);
		json_decref(v);
	} while (walk_take(w, ','));
	if (!walk_take(w, ']')) {
		xasprintf(cause, "bad JSON at byte %zu: expected ',' or ']'", w->at);
		return -1;
	}
	return 0;
}

json_t *
bus_codec_load_lists(const char *text, size_t len, const char *const *lists,
    bus_codec_element_cb element, void *arg, char **cause)
{
	struct walk w = { text, len, 0 };
	json_t *head = json_object();
	const char *nul = memchr(text, '\0', len);

	/* Never valid in JSON text, and jansson lets some pass. */
	if (nul != NULL) {
		xasprintf(cause, "bad JSON at byte %zu: a NUL byte", (size_t)(nul - text));
		goto fail;
	}
	if (!walk_take(&w, '{')) {
		xasprintf(cause, "not a JSON object");
		goto fail;
	}
	if (!walk_take(&w, '}')) {
		do {
			walk_space(&w);
			json_t *key = walk_value(&w, cause);
			if (key == NULL)
				goto fail;
			const char *name = json_string_value(key);
			if (name == NULL || !walk_take(&w, ':')) {
				json_decref(key);
				xasprintf(cause, "bad JSON at byte %zu: expected a key and ':'", w.at);
				goto fail;
			}
			size_t list = 0;
			while (lists[list] != NULL && strcmp(lists[list], name) != 0)
				list++;
			if (json_object_get(head, name) != NULL) {
				xasprintf(cause, "bad JSON at byte %zu: duplicate key '%.64s'", w.at, name);
				json_decref(key);
				goto fail;
			}
			int rc;
			if (lists[list] != NULL && walk_take(&w, '[')) {
				/* Its presence, for the duplicate check. */
				json_object_set_new(head, name, json_null());
				rc = walk_list(&w, list, element, arg, cause);
			} else {
				walk_space(&w);
				json_t *v = walk_value(&w, cause);
				rc = v != NULL ? json_object_set_new(head, name, v) : -1;
			}
			json_decref(key);
			if (rc != 0)
				goto fail;
		} while (walk_take(&w, ','));
		if (!walk_take(&w, '}')) {
			xasprintf(cause, "bad JSON at byte %zu: expected ',' or '}'", w.at);
			goto fail;
		}
	}
	walk_space(&w);
	if (w.at != w.len) {
		xasprintf(cause, "bad JSON at byte %zu: text after the object", w.at);
		goto fail;
	}
	return head;
fail:
	json_decref(head);
	return NULL;
}
