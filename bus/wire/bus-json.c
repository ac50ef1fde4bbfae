/*
 * A recursive descent over the text: each value becomes its jansson node
 * as it is read, and a failure anywhere throws the partial tree away and
 * gives the whole text to json_loads() (see bus-json.h for why).
 *
 * Strings are scanned in one run up to the closing quote; one without an
 * escape goes to jansson straight from the text (json_stringn_nocheck and
 * json_object_setn_new_nocheck copy it), one with escapes is unescaped
 * into a scratch buffer first. Only strings may hold bytes above 0x7f
 * (anywhere else one is a syntax error), so only a string that has some
 * is checked for UTF-8, in the same pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bus-codec.h"
#include "bus-json.h"
#include "xmalloc.h"

struct json_in {
	const char *at, *end;
	char *buf; /* scratch for unescaped strings */
	size_t cap;
	int no_dups; /* a repeated key: leave the text to jansson, to refuse */
};

/* With BUILD 0 a value is checked and stepped over but not built: the
 * result is then json_null(), which allocates nothing, or NULL. */
static json_t *json_in_value(struct json_in *, int depth, int build);

static void
json_in_space(struct json_in *in)
{
	while (in->at < in->end && (*in->at == ' ' || *in->at == '\n' || *in->at == '\t' ||
	    *in->at == '\r'))
		in->at++;
}

/* Step P over the bytes of a string that need no attention: not the
 * quote, not a backslash, not a control character. Whether any of them
 * is above 0x7f goes into *HIGH. */
static const char *
json_in_plain(const char *p, const char *end, unsigned *high)
{
	const uint64_t ones = 0x0101010101010101ULL, tops = 0x8080808080808080ULL;
	uint64_t hw = 0;
	unsigned h = 0;

#ifdef __SSE2__
	/* Sixteen bytes at a time where the machine has SSE2 (every x86-64):
	 * the strings of a case are short, and finding the end of one in a
	 * single step made checking a restart's texts (bus_state_load) about
	 * a third faster than the eight-byte loop below alone. */
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
	    control = _mm_set1_epi8(0x1f);
	while (end - p >= 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* A byte is a control character when max(byte, 0x1f) is 0x1f. */
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote),
		    _mm_cmpeq_epi8(w, backslash)), _mm_cmpeq_epi8(_mm_max_epu8(w, control), control));
		unsigned found = (unsigned)_mm_movemask_epi8(stop);
		unsigned tops16 = (unsigned)_mm_movemask_epi8(w);
		if (found != 0) {
			unsigned at = (unsigned)__builtin_ctz(found);
			*high |= h | (tops16 & ((1u << at) - 1) ? 0x80 : 0);
			return p + at;
		}
		h |= tops16 != 0 ? 0x80 : 0;
		p += 16;
	}
#endif
	/* Eight bytes at a time while none is a quote, a backslash or a
	 * control character (each test is exact for the word as a whole:
	 * a borrow only runs on from a byte that matched). */
	while (end - p >= 8) {
		uint64_t w, q, b;
		memcpy(&w, p, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & tops)
			break;
		hw |= w;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		h |= (unsigned char)*p++;
	*high |= h | (hw & tops ? 0x80 : 0);
	return p;
}

/*
 * The string whose opening quote was just read: 0 with *S and *LEN (in
 * the text itself when it has no escape, else in the scratch buffer, NUL
 * terminated), and the text read past the closing quote; -1 for anything
 * this decoder leaves to jansson (a \u escape, a control character, bytes
 * that are not UTF-8, the end of the text).
 */
static int
json_in_string(struct json_in *in, const char **s, size_t *len)
{
	unsigned high = 0;
	const char *p = json_in_plain(in->at, in->end, &high);
	size_t n = 0;

	if (p < in->end && *p == '"') {
		/* Outside strings a byte above 0x7f is a syntax error, so
		 * checking the strings' bytes checks the whole text's. */
		if (high & 0x80 && !bus_codec_utf8_valid((const unsigned char *)in->at,
		    (size_t)(p - in->at)))
			return -1;
		*s = in->at;
		*len = (size_t)(p - in->at);
		in->at = p + 1;
		return 0;
	}
	p = in->at;
	for (;;) {
		const char *run = p;
		char c;
		high = 0;
		p = json_in_plain(p, in->end, &high);
		/* Escapes are ASCII, so each run between them is whole UTF-8. */
		if (high & 0x80 && !bus_codec_utf8_valid((const unsigned char *)run,
		    (size_t)(p - run)))
			return -1;
		/* Room for the run, one unescaped byte and the NUL. */
		if (n + (size_t)(p - run) + 2 > in->cap) {
			in->cap = 2 * (n + (size_t)(p - run) + 2);
			in->buf = xrealloc(in->buf, in->cap);
		}
		memcpy(in->buf + n, run, (size_t)(p - run));
		n += (size_t)(p - run);
		if (p >= in->end || (unsigned char)*p < 0x20)
			return -1;
		if (*p == '"')
			break;
		if (p + 1 >= in->end)
			return -1;
		switch (p[1]) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		default: return -1; /* \u, or not an escape at all */
		}
		in->buf[n++] = c;
		p += 2;
	}
	in->buf[n] = '\0';
	*s = in->buf;
	*len = n;
	in->at = p + 1;
	return 0;
}

/* An integer as jansson reads one (json_int_t); NULL for a real number,
 * one out of range, or a malformed one. */
static json_t *
json_in_integer(struct json_in *in, int build)
{
	const char *p = in->at;
	uint64_t v = 0, max = INT64_MAX;

	if (*p == '-') {
		p++;
		max = (uint64_t)INT64_MAX + 1;
	}
	if (p >= in->end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0' && p + 1 < in->end && p[1] >= '0' && p[1] <= '9')
		return NULL; /* a leading zero */
	for (; p < in->end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	if (p < in->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return NULL;
	json_int_t i = *in->at == '-' ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
	    -(json_int_t)v) : (json_int_t)v;
	in->at = p;
	return build ? json_integer(i) : json_null();
}

static json_t *
json_in_object(struct json_in *in, int depth, int build)
{
	json_t *obj = build ? json_object() : json_null();

	in->at++;
	json_in_space(in);
	if (in->at < in->end && *in->at == '}') {
		in->at++;
		return obj;
	}
	for (;;) {
		const char *key;
		char *copy = NULL;
		size_t len;
		json_t *v;

		json_in_space(in);
		if (in->at >= in->end || *in->at != '"')
			goto fail;
		in->at++;
		if (json_in_string(in, &key, &len) != 0)
			goto fail;
		/* The value may need the scratch buffer an escaped key is in. */
		if (key == in->buf && build)
			key = copy = xstrndup(key, len);
		json_in_space(in);
		if (in->at >= in->end || *in->at != ':' ||
		    (in->at++, v = json_in_value(in, depth + 1, build)) == NULL) {
			free(copy);
			goto fail;
		}
		if (build && in->no_dups && json_object_getn(obj, key, len) != NULL) {
			json_decref(v);
			free(copy);
			goto fail;
		}
		if (build)
			json_object_setn_new_nocheck(obj, key, len, v);
		free(copy);
		json_in_space(in);
		if (in->at < in->end && *in->at == ',') {
			in->at++;
			continue;
		}
		if (in->at < in->end && *in->at == '}') {
			in->at++;
			return obj;
		}
		goto fail;
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *
json_in_array(struct json_in *in, int depth, int build)
{
	json_t *arr = build ? json_array() : json_null(), *v;

	in->at++;
	json_in_space(in);
	if (in->at < in->end && *in->at == ']') {
		in->at++;
		return arr;
	}
	for (;;) {
		if ((v = json_in_value(in, depth + 1, build)) == NULL)
			break;
		if (build)
			json_array_append_new(arr, v);
		json_in_space(in);
		if (in->at < in->end && *in->at == ',') {
			in->at++;
			continue;
		}
		if (in->at < in->end && *in->at == ']') {
			in->at++;
			return arr;
		}
		break;
	}
	json_decref(arr);
	return NULL;
}

/* Match the literal WORD at the text, and step over it. */
static int
json_in_word(struct json_in *in, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(in->end - in->at) < n || memcmp(in->at, word, n) != 0)
		return 0;
	in->at += n;
	return 1;
}

static json_t *
json_in_value(struct json_in *in, int depth, int build)
{
	const char *s;
	size_t len;

	json_in_space(in);
	if (in->at >= in->end || depth > BUS_JSON_MAX_DEPTH)
		return NULL;
	switch (*in->at) {
	case '{':
		return json_in_object(in, depth, build);
	case '[':
		return json_in_array(in, depth, build);
	case '"':
		in->at++;
		if (json_in_string(in, &s, &len) != 0)
			return NULL;
		return build ? json_stringn_nocheck(s, len) : json_null();
	case 't':
		return json_in_word(in, "true") ? json_true() : NULL;
	case 'f':
		return json_in_word(in, "false") ? json_false() : NULL;
	case 'n':
		return json_in_word(in, "null") ? json_null() : NULL;
	default:
		return *in->at == '-' || (*in->at >= '0' && *in->at <= '9') ?
		    json_in_integer(in, build) : NULL;
	}
}

/* The tree of TEXT (LEN bytes), or NULL when TEXT is not in the part of
 * JSON this decoder takes, or not JSON. */
json_t *
bus_json_try(const char *text, size_t len)
{
	struct json_in in = { text, text + len, NULL, 0, 0 };
	json_t *v = NULL;

	/* Only an object or an array is a text json_loads() takes by default. */
	json_in_space(&in);
	if (in.at < in.end && (*in.at == '{' || *in.at == '[')) {
		v = json_in_value(&in, 1, 1);
		json_in_space(&in);
		if (v != NULL && in.at != in.end) {
			json_decref(v);
			v = NULL;
		}
	}
	free(in.buf);
	return v;
}

json_t *
bus_json_loads(const char *text, json_error_t *error)
{
	json_t *v = bus_json_try(text, strlen(text));

	if (v == NULL)
		return json_loads(text, 0, error);
	if (error != NULL) {
		memset(error, 0, sizeof *error);
		error->line = error->column = -1;
	}
	return v;
}

/*
 * Some members of the object TEXT (LEN bytes): VALUES[i] gets the value of
 * member KEYS[i] (NULL-terminated), or NULL if it has none; the rest is
 * checked as bus_json_try() checks it but not built. 0, or -1 (and no
 * values) when TEXT is not an object in the part of JSON taken here.
 */
int
bus_json_fields(const char *text, size_t len, const char *const *keys, json_t **values)
{
	struct json_in in = { text, text + len, NULL, 0, 0 };
	size_t nkeys = 0;
	int rc = -1;

	while (keys[nkeys] != NULL)
		values[nkeys++] = NULL;
	json_in_space(&in);
	if (in.at >= in.end || *in.at != '{')
		goto out;
	in.at++;
	json_in_space(&in);
	if (in.at < in.end && *in.at == '}') {
		in.at++;
		goto end;
	}
	for (;;) {
		const char *key;
		size_t klen, i;
		json_t *v;

		json_in_space(&in);
		if (in.at >= in.end || *in.at != '"')
			goto out;
		in.at++;
		if (json_in_string(&in, &key, &klen) != 0)
			goto out;
		for (i = 0; i < nkeys && (strlen(keys[i]) != klen ||
		    memcmp(keys[i], key, klen) != 0); i++)
			;
		json_in_space(&in);
		if (in.at >= in.end || *in.at != ':' ||
		    (in.at++, v = json_in_value(&in, 2, i < nkeys)) == NULL)
			goto out;
		if (i < nkeys) {
			json_decref(values[i]); /* a repeated key: the last wins, as in jansson */
			values[i] = v;
		}
		json_in_space(&in);
		if (in.at < in.end && *in.at == ',') {
			in.at++;
			continue;
		}
		if (in.at < in.end && *in.at == '}') {
			in.at++;
			break;
		}
		goto out;
	}
end:
	json_in_space(&in);
	rc = in.at == in.end ? 0 : -1;
out:
	free(in.buf);
	if (rc != 0) {
		for (size_t i = 0; i < nkeys; i++) {
			json_decref(values[i]);
			values[i] = NULL;
		}
	}
	return rc;
}

/*
 * The one value (of any kind) at the start of TEXT (LEN bytes), as
 * json_loadb(JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
 * JSON_REJECT_DUPLICATES) reads it, and in *USED the bytes it took; NULL
 * when it is not in the part of JSON taken here: ask jansson then.
 */
json_t *
bus_json_take(const char *text, size_t len, size_t *used)
{
	struct json_in in = { text, text + len, NULL, 0, 1 };
	json_t *v = json_in_value(&in, 1, 1);

	free(in.buf);
	*used = v != NULL ? (size_t)(in.at - text) : 0;
	return v;
}
