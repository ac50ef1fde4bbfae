/*
 * The allow-list of CURVE keys (bus-keys.h). Three lists feed one view:
 * the allow file's keys, the keys allowed by op, and the keys revoked by
 * op (the last two kept in the table curve_keys of the hub's database).
 * The view is rebuilt on every change, which is rare, and kept sorted so
 * that the lookups made for every handshake and every message are a
 * binary search.
 */
#include <ctype.h>
#include <jansson.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-domain.h"
#include "bus-keys.h"
#include "bus-reply.h"
#include "bus-schema.h"
#include "bus-store.h"
#include "bus-time.h"
#include "xmalloc.h"

struct key_list {
	struct bus_key *v;
	size_t n;
};

struct bus_keys {
	struct bus_store *store;  /* NULL: the file's keys only */
	struct key_list file;     /* from the allow file */
	struct key_list allowed;  /* by op, not revoked since */
	struct key_list revoked;  /* by op: only .key matters */
	struct key_list view;     /* what is allowed now, sorted by key */
};

static const struct {
	const char *name;
	unsigned bit;
} socket_names[] = {
	{ "ingest", BUS_SOCKET_INGEST },
	{ "events", BUS_SOCKET_EVENTS },
	{ "control", BUS_SOCKET_CONTROL },
};

int
bus_keys_parse_sockets(const char *text, unsigned *out)
{
	char copy[128], *save = NULL;

	*out = 0;
	snprintf(copy, sizeof copy, "%s", text);
	for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof socket_names / sizeof socket_names[0]; i++) {
			if (strcmp(w, socket_names[i].name) == 0)
				break;
		}
		if (i == sizeof socket_names / sizeof socket_names[0])
			return -1;
		*out |= socket_names[i].bit;
	}
	return *out != 0 ? 0 : -1;
}

void
bus_keys_format_sockets(unsigned sockets, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof socket_names / sizeof socket_names[0]; i++) {
		if (sockets & socket_names[i].bit)
			used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s",
			    used ? "," : "", socket_names[i].name);
	}
}

/* Topic prefixes: "incident.,sensor." (lowercase letters, digits, '.', '-'). */
static int
topics_valid(const char *t)
{
	if (strlen(t) >= BUS_KEY_TOPICS)
		return 0;
	for (const char *p = t; *p != '\0'; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.' &&
		    *p != '-' && *p != ',')
			return 0;
	}
	return 1;
}

int
bus_keys_may(const struct bus_key *k, unsigned socket, const char *topic)
{
	char copy[BUS_KEY_TOPICS], *save = NULL;

	if ((k->sockets & socket) == 0)
		return 0;
	if (topic == NULL || k->topics[0] == '\0')
		return 1;
	snprintf(copy, sizeof copy, "%s", k->topics);
	for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(w);
		/* "sensor." covers the topic "sensor" itself as well as any
		 * "sensor.<more>" a later version may add. */
		if (strncmp(topic, w, len) == 0 ||
		    (len > 1 && w[len - 1] == '.' && strlen(topic) == len - 1 &&
		    strncmp(topic, w, len - 1) == 0))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The lists and the view. */

static void
list_put(struct key_list *l, const struct bus_key *k)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].key, k->key) == 0) {
			l->v[i] = *k;
			return;
		}
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = *k;
}

static int
list_drop(struct key_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].key, key) == 0) {
			l->v[i] = l->v[--l->n];
			return 1;
		}
	}
	return 0;
}

static const struct bus_key *
list_find(const struct key_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	}
	return NULL;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bus_key *)a)->key, ((const struct bus_key *)b)->key);
}

/* Allowed by op, else in the file and not revoked by op. */
static void
keys_rebuild(struct bus_keys *ks)
{
	ks->view.n = 0;
	for (size_t i = 0; i < ks->allowed.n; i++)
		list_put(&ks->view, &ks->allowed.v[i]);
	for (size_t i = 0; i < ks->file.n; i++) {
		if (list_find(&ks->allowed, ks->file.v[i].key) == NULL &&
		    list_find(&ks->revoked, ks->file.v[i].key) == NULL)
			list_put(&ks->view, &ks->file.v[i]);
	}
	if (ks->view.n > 1)
		qsort(ks->view.v, ks->view.n, sizeof *ks->view.v, key_cmp);
}

const struct bus_key *
bus_keys_find(const struct bus_keys *ks, const char *key)
{
	struct bus_key probe;

	if (key == NULL || strlen(key) != BUS_CURVE_KEY_LEN)
		return NULL;
	memcpy(probe.key, key, sizeof probe.key);
	return bsearch(&probe, ks->view.v, ks->view.n, sizeof *ks->view.v, key_cmp);
}

const struct bus_key *
bus_keys_find_revoked(const struct bus_keys *ks, const char *key)
{
	return key != NULL ? list_find(&ks->revoked, key) : NULL;
}

size_t
bus_keys_count(const struct bus_keys *ks)
{
	return ks->view.n;
}

const struct bus_key *
bus_keys_at(const struct bus_keys *ks, size_t i)
{
	return i < ks->view.n ? &ks->view.v[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* The database. */

/* KEY, allowed or revoked now, in the store. */
static int
keys_store(struct bus_keys *ks, const struct bus_key *k, int revoked, char **cause)
{
	char sockets[64];

	bus_keys_format_sockets(k->sockets, sockets, sizeof sockets);
	struct bus_store_key_row row = { k->key, k->person, bus_role_name(k->role), sockets,
		k->topics, revoked, bus_time_now_ms() };
	return bus_store_put_key(ks->store, &row, cause);
}

static int
keys_load_row(const struct bus_store_key_row *row, void *arg)
{
	struct bus_keys *ks = arg;
	struct bus_key k;

	memset(&k, 0, sizeof k);
	snprintf(k.key, sizeof k.key, "%s", row->key);
	snprintf(k.person, sizeof k.person, "%s", row->person);
	k.role = bus_role_find(row->role);
	snprintf(k.topics, sizeof k.topics, "%s", row->topics);
	if (k.role == 0 || bus_keys_parse_sockets(row->sockets, &k.sockets) != 0 ||
	    !bus_curve_key_valid(k.key))
		return 0; /* written by us, so never; but never trust a file */
	list_put(row->revoked ? &ks->revoked : &ks->allowed, &k);
	return 0;
}

struct bus_keys *
bus_keys_new(struct bus_store *store, char **cause)
{
	struct bus_keys *ks = xcalloc(1, sizeof *ks);

	ks->store = store;
	if (store != NULL && bus_store_keys(store, keys_load_row, ks, cause) != 0) {
		bus_keys_free(ks);
		return NULL;
	}
	keys_rebuild(ks);
	return ks;
}

void
bus_keys_free(struct bus_keys *ks)
{
	if (ks == NULL)
		return;
	free(ks->file.v);
	free(ks->allowed.v);
	free(ks->revoked.v);
	free(ks->view.v);
	free(ks);
}

int
bus_keys_allow(struct bus_keys *ks, const struct bus_key *k, char **cause)
{
	if (ks->store != NULL && keys_store(ks, k, 0, cause) != 0)
		return -1;
	list_drop(&ks->revoked, k->key);
	list_put(&ks->allowed, k);
	keys_rebuild(ks);
	return 0;
}

int
bus_keys_revoke(struct bus_keys *ks, const char *key, char **cause)
{
	const struct bus_key *k = bus_keys_find(ks, key);
	struct bus_key copy;

	if (k == NULL) {
		xasprintf(cause, "no allowed key %.40s", key);
		return -1;
	}
	copy = *k;
	if (ks->store != NULL && keys_store(ks, &copy, 1, cause) != 0)
		return -1;
	list_drop(&ks->allowed, copy.key);
	list_put(&ks->revoked, &copy);
	keys_rebuild(ks);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ops. */

static int
check_key(const char *v, char **cause)
{
	if (bus_curve_key_valid(v))
		return 0;
	xasprintf(cause, "not a CURVE public key (40 characters of Z85)");
	return -1;
}

static int
check_role(const char *v, char **cause)
{
	if (bus_role_find(v) != 0)
		return 0;
	xasprintf(cause, "not a role (viewer, officer, intake or lead)");
	return -1;
}

static int
check_sockets(const char *v, char **cause)
{
	unsigned bits;

	if (bus_keys_parse_sockets(v, &bits) == 0)
		return 0;
	xasprintf(cause, "not a list of sockets (ingest, events, control, separated by commas)");
	return -1;
}

static int
check_topics(const char *v, char **cause)
{
	if (topics_valid(v))
		return 0;
	xasprintf(cause, "not a list of topic prefixes (incident.,sensor.)");
	return -1;
}

static const struct bus_field key_allow_f[] = {
	{ "key", BUS_FIELD_STRING, 1, 40, 40, NULL, check_key },
	{ "person", BUS_FIELD_STRING, 1, 1, 64, NULL, bus_check_name },
	{ "role", BUS_FIELD_STRING, 1, 1, 16, NULL, check_role },
	{ "sockets", BUS_FIELD_STRING, 0, 1, 64, NULL, check_sockets },
	{ "topics", BUS_FIELD_STRING, 0, 0, BUS_KEY_TOPICS - 1, NULL, check_topics },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema key_allow_schema = { "key_allow", key_allow_f };
static const struct bus_field key_revoke_f[] = {
	{ "key", BUS_FIELD_STRING, 1, 40, 40, NULL, check_key },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
static const struct bus_schema key_revoke_schema = { "key_revoke", key_revoke_f };
static const struct bus_field key_list_f[] = { { NULL, 0, 0, 0, 0, NULL, NULL } };
static const struct bus_schema key_list_schema = { "key_list", key_list_f };

int
bus_keys_is_op(const char *op)
{
	return strcmp(op, "key_allow") == 0 || strcmp(op, "key_revoke") == 0 ||
	    strcmp(op, "key_list") == 0;
}

static json_t *
key_json(const struct bus_key *k)
{
	char sockets[64];

	bus_keys_format_sockets(k->sockets, sockets, sizeof sockets);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", k->key, "person", k->person,
	    "role", bus_role_name(k->role), "sockets", sockets, "topics", k->topics);
}

json_t *
bus_keys_op(struct bus_keys *ks, const char *op, json_t *args, int *revoked)
{
	const struct bus_schema *schema = strcmp(op, "key_allow") == 0 ? &key_allow_schema :
	    strcmp(op, "key_revoke") == 0 ? &key_revoke_schema : &key_list_schema;
	char *cause = NULL;
	json_t *r;

	*revoked = 0;
	if (bus_schema_check(schema, args, &cause) != 0) {
		r = bus_reply_error("invalid", "%s", cause);
		free(cause);
		return r;
	}
	const char *key = json_string_value(json_object_get(args, "key"));
	if (schema == &key_list_schema) {
		json_t *keys = json_array();
		for (size_t i = 0; i < ks->view.n; i++)
			json_array_append_new(keys, key_json(&ks->view.v[i]));
		return json_pack("{s:b, s:o}", "ok", 1, "keys", keys);
	}
	if (schema == &key_revoke_schema) {
		if (bus_keys_revoke(ks, key, &cause) != 0) {
			r = bus_reply_error(bus_keys_find(ks, key) == NULL ? "not_found" : "store",
			    "%s", cause);
			free(cause);
			return r;
		}
		*revoked = 1;
		return json_pack("{s:b, s:s}", "ok", 1, "revoked", key);
	}
	struct bus_key k;
	const char *sockets = json_string_value(json_object_get(args, "sockets"));
	const char *topics = json_string_value(json_object_get(args, "topics"));
	memset(&k, 0, sizeof k);
	snprintf(k.key, sizeof k.key, "%s", key);
	snprintf(k.person, sizeof k.person, "%s",
	    json_string_value(json_object_get(args, "person")));
	k.role = bus_role_find(json_string_value(json_object_get(args, "role")));
	k.sockets = BUS_SOCKET_ALL;
	if (sockets != NULL)
		bus_keys_parse_sockets(sockets, &k.sockets);
	snprintf(k.topics, sizeof k.topics, "%s", topics != NULL ? topics : "");
	/* A change that narrows a key's sockets must cut what it no longer may. */
	const struct bus_key *was = bus_keys_find(ks, k.key);
	*revoked = was != NULL && (was->sockets & ~k.sockets) != 0;
	if (bus_keys_allow(ks, &k, &cause) != 0) {
		r = bus_reply_error("store", "%s", cause);
		free(cause);
		*revoked = 0;
		return r;
	}
	return json_pack("{s:b, s:o}", "ok", 1, "key", key_json(&k));
}

/* ------------------------------------------------------------------ */
/* The allow file. */

static int
parse_line(char *line, struct bus_key *k, char **cause)
{
	char *save = NULL, *word[6];
	int n = 0;

	for (char *w = strtok_r(line, " \t", &save); w != NULL && n < 6;
	    w = strtok_r(NULL, " \t", &save))
		word[n++] = w;
	if (n < 3 || n > 5) {
		xasprintf(cause, "expected KEY PERSON ROLE [SOCKETS] [TOPICS], %d word%s found", n,
		    n == 1 ? "" : "s");
		return -1;
	}
	memset(k, 0, sizeof *k);
	if (!bus_curve_key_valid(word[0])) {
		xasprintf(cause, "'%.50s' is not a key (40 characters of Z85)", word[0]);
		return -1;
	}
	snprintf(k->key, sizeof k->key, "%s", word[0]);
	if (strlen(word[1]) >= sizeof k->person || bus_check_name(word[1], cause) != 0) {
		if (*cause == NULL)
			xasprintf(cause, "the name '%.70s' is too long", word[1]);
		return -1;
	}
	snprintf(k->person, sizeof k->person, "%s", word[1]);
	if ((k->role = bus_role_find(word[2])) == 0) {
		xasprintf(cause, "'%.30s' is not a role (viewer, officer, intake or lead)", word[2]);
		return -1;
	}
	k->sockets = BUS_SOCKET_ALL;
	if (n >= 4 && bus_keys_parse_sockets(word[3], &k->sockets) != 0) {
		xasprintf(cause, "'%.60s' is not a list of sockets (ingest, events, control, "
		    "separated by commas)", word[3]);
		return -1;
	}
	if (n == 5) {
		if (!topics_valid(word[4])) {
			xasprintf(cause, "'%.60s' is not a list of topic prefixes (incident.,sensor.)",
			    word[4]);
			return -1;
		}
		snprintf(k->topics, sizeof k->topics, "%s", word[4]);
	}
	return 0;
}

int
bus_keys_load_file(struct bus_keys *ks, const char *path, FILE *err)
{
	struct key_list fresh = { NULL, 0 };
	char line[1024];
	int lineno = 0, errors = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *cause = NULL, *s = line;
		struct bus_key k;
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			fprintf(err, "%s:%d: line longer than %zu characters\n", path, lineno,
			    sizeof line - 2);
			errors++;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (parse_line(s, &k, &cause) != 0) {
			fprintf(err, "%s:%d: %s\n", path, lineno, cause);
			free(cause);
			errors++;
		} else if (list_find(&fresh, k.key) != NULL) {
			fprintf(err, "%s:%d: this key is already listed above\n", path, lineno);
			errors++;
		} else
			list_put(&fresh, &k);
	}
	fclose(f);
	if (errors > 0) {
		free(fresh.v);
		return errors;
	}
	free(ks->file.v);
	ks->file = fresh;
	keys_rebuild(ks);
	return 0;
}
