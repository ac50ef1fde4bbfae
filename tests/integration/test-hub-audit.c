/*
 * The audit trail through a real watchd and its SQLite file: what goes on
 * record (every change, every refusal, never a successful read) and what
 * each entry says; that it survives a restart and kill -9; that the
 * database itself refuses to change it; the audit op's filters, pages and
 * checks; and watchctl audit, as a table and as JSON lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-time.h"
#include "test-hub.h"

#define WAIT TEST_HUB_WAIT_MS

TEST_HUB_SETUP("audit")

/* One audit reply as lead mori; it must be ok. QUERY is stolen. */
static json_t *
audit_page(struct test_hub *h, json_t *query)
{
	json_t *r = test_hub_call_timeout(h, "mori", "audit", query, WAIT);

	if (r == NULL)
		fail_msg("audit: no reply");
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("audit refused (%s): %s", test_jstr(r, "error.code"),
		    test_jstr(r, "error.message"));
	if (!json_is_array(json_object_get(r, "entries")))
		fail_msg("audit: no entries array");
	return r;
}

/* Every entry that QUERY (stolen, may be NULL) matches, page by page. */
static json_t *
audit_all(struct test_hub *h, json_t *query)
{
	json_t *all = json_array();

	if (query == NULL)
		query = json_object();
	json_object_set_new(query, "limit", json_integer(1000));
	for (int pages = 0; pages < 100; pages++) {
		json_t *r = audit_page(h, json_deep_copy(query));
		json_t *next = json_object_get(r, "next");
		json_array_extend(all, json_object_get(r, "entries"));
		if (json_is_null(next)) {
			json_decref(r);
			json_decref(query);
			return all;
		}
		json_object_set_new(query, "after", json_integer(json_integer_value(next)));
		json_decref(r);
	}
	fail_msg("audit: more than 100 pages");
	return NULL;
}

static size_t
audit_count(struct test_hub *h)
{
	json_t *all = audit_all(h, NULL);
	size_t n = json_array_size(all);

	json_decref(all);
	return n;
}

/* E[KEY] is the string WANT, or JSON null when WANT is NULL. */
static void
expect_str(json_t *e, const char *key, const char *want)
{
	json_t *v = json_object_get(e, key);

	if (want == NULL && !json_is_null(v))
		fail_msg("entry %lld: %s should be null, is %s", (long long)test_jint(e, "id"),
		    key, json_is_string(v) ? json_string_value(v) : "not a string or missing");
	if (want != NULL && (!json_is_string(v) || strcmp(json_string_value(v), want) != 0))
		fail_msg("entry %lld: %s should be '%s', is '%s'", (long long)test_jint(e, "id"),
		    key, want, json_is_string(v) ? json_string_value(v) : "(not a string)");
}

/* An entry says exactly this; ARGS (stolen, may be NULL) is its args. */
static void
expect_entry(json_t *e, const char *person, const char *role, const char *op,
    const char *kase, const char *team, const char *outcome, const char *message,
    json_t *args)
{
	if (e == NULL)
		fail_msg("no such entry (%s by %s)", op, person);
	expect_str(e, "person", person);
	expect_str(e, "role", role);
	expect_str(e, "op", op);
	expect_str(e, "case", kase);
	expect_str(e, "team", team);
	expect_str(e, "outcome", outcome);
	expect_str(e, "message", message);
	if (args != NULL) {
		if (!json_equal(json_object_get(e, "args"), args)) {
			char *got = json_dumps(json_object_get(e, "args"), JSON_COMPACT);
			char *want = json_dumps(args, JSON_COMPACT);
			fail_msg("entry %lld: args %s, expected %s", (long long)test_jint(e, "id"),
			    got, want);
		}
		json_decref(args);
	}
}

/* OP by USER must be refused with CODE; its sentence (caller frees). */
static char *
refused(struct test_hub *h, const char *user, const char *op, json_t *args,
    const char *code)
{
	json_t *r = test_hub_call_timeout(h, user, op, args, WAIT);

	if (r == NULL)
		fail_msg("%s by %s: no reply", op, user);
	if (json_is_true(json_object_get(r, "ok")) || test_jstr(r, "error.code") == NULL ||
	    strcmp(test_jstr(r, "error.code"), code) != 0)
		fail_msg("%s by %s: %s (%s); expected %s", op, user,
		    json_is_true(json_object_get(r, "ok")) ? "ok" : test_jstr(r, "error.code"),
		    test_jstr(r, "error.message"), code);
	char *msg = strdup(test_jstr(r, "error.message"));
	json_decref(r);
	return msg;
}

static char *
open_case(struct test_hub *h, const char *title)
{
	json_t *r = test_hub_ok(h, "chen", "open", json_pack("{s:s, s:s, s:s, s:i}", "title",
	    title, "org", "Ridgeway Power", "sector", "energy", "level", 2));
	char *id = strdup(test_jstr(r, "case"));

	json_decref(r);
	return id;
}

/* The wall clock moves on by at least a few milliseconds. */
static void
tick(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */

/* Accepted commands and refusals are on record with who, what and the
 * outcome; successful reads are not; malformed requests are not. */
static void
test_what_is_recorded(void **state)
{
	struct test_hub *h = *state;
	char *msg_watch, *msg_okafor, *msg_busy;

	assert_int_equal(test_hub_start(h, NULL), 0);
	int64_t t0 = bus_time_now_ms();
	char *c = open_case(h, "Failed logins on HMI");
	test_hub_ok_(h, "okafor", "ack", json_pack("{s:s}", "case", c));
	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-2", "case", c));

	/* Reads that succeed: none of them goes on record. */
	json_decref(test_hub_snapshot(h));
	test_hub_ok_(h, "okafor", "whoami", NULL);
	test_hub_ok_(h, "watch", "replay", json_pack("{s:i}", "after", 0));
	test_hub_ok_(h, "okafor", "timeline", json_pack("{s:s}", "case", c));
	json_decref(test_hub_stats(h));
	json_decref(audit_page(h, NULL));

	msg_watch = refused(h, "watch", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-3",
	    "case", c), "forbidden");
	assert_string_equal(msg_watch, "dispatch needs the role lead; watch has the role viewer.");
	msg_okafor = refused(h, "okafor", "close", json_pack("{s:s}", "case", c), "forbidden");
	assert_string_equal(msg_okafor, "close needs the role intake or lead; okafor has the "
	    "role officer.");
	msg_busy = refused(h, "hayes", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-2",
	    "case", c), "team_busy");
	/* Refused reads are on record. */
	free(refused(h, "watch", "timeline", json_pack("{s:s}", "case", "ICS-1999-0001"),
	    "unknown_case"));
	free(refused(h, "watch", "replay", json_pack("{s:i}", "after", -1), "invalid"));
	/* Arguments too big to keep whole keep their shape. */
	char *text = malloc(10001);
	memset(text, 'a', 10000);
	text[10000] = '\0';
	free(refused(h, "watch", "note", json_pack("{s:s, s:s}", "case", c, "text", text),
	    "forbidden"));
	free(text);
	/* A request that does not parse names nobody: not on record. */
	void *d = test_hub_dealer(h);
	json_t *r;
	assert_int_equal(test_send_request(d, "", "ack", "x", json_pack("{s:s}", "case", c)), 0);
	assert_int_equal(test_recv_reply(d, &r, NULL, WAIT), 0);
	assert_string_equal(test_jstr(r, "error.code"), "bad_request");
	json_decref(r);
	test_hub_close(h, d);
	int64_t t1 = bus_time_now_ms();

	json_t *all = audit_all(h, NULL);
	assert_int_equal(json_array_size(all), 9);
	for (size_t i = 0; i < 9; i++) {
		json_t *e = json_array_get(all, i);
		int64_t ts;
		assert_int_equal(test_jint(e, "id"), (json_int_t)i + 1);
		if (bus_time_parse(test_jstr(e, "ts"), &ts) != 0 || ts < t0 || ts > t1)
			fail_msg("entry %zu: ts %s is not between the test's start and end", i,
			    test_jstr(e, "ts"));
	}
	expect_entry(json_array_get(all, 0), "chen", "intake", "open", c, NULL, "ok", NULL,
	    json_pack("{s:s, s:s, s:s, s:i}", "title", "Failed logins on HMI", "org",
	    "Ridgeway Power", "sector", "energy", "level", 2));
	expect_entry(json_array_get(all, 1), "okafor", "officer", "ack", c, NULL, "ok", NULL,
	    json_pack("{s:s}", "case", c));
	expect_entry(json_array_get(all, 2), "mori", "lead", "dispatch", c, "FLY-2", "ok", NULL,
	    json_pack("{s:s, s:s}", "team", "FLY-2", "case", c));
	expect_entry(json_array_get(all, 3), "watch", "viewer", "dispatch", c, "FLY-3",
	    "forbidden", msg_watch, json_pack("{s:s, s:s}", "team", "FLY-3", "case", c));
	expect_entry(json_array_get(all, 4), "okafor", "officer", "close", c, NULL, "forbidden",
	    msg_okafor, json_pack("{s:s}", "case", c));
	expect_entry(json_array_get(all, 5), "hayes", "lead", "dispatch", c, "FLY-2",
	    "team_busy", msg_busy, NULL);
	expect_entry(json_array_get(all, 6), "watch", "viewer", "timeline", "ICS-1999-0001",
	    NULL, "unknown_case", "There is no case ICS-1999-0001.", NULL);
	expect_entry(json_array_get(all, 7), "watch", "viewer", "replay", NULL, NULL, "invalid",
	    "replay: field 'after': -1 is outside 0-9223372036854775807",
	    json_pack("{s:i}", "after", -1));
	expect_entry(json_array_get(all, 8), "watch", "viewer", "note", c, NULL, "forbidden",
	    "note needs the role officer, intake or lead; watch has the role viewer.",
	    json_pack("{s:s, s:s}", "case", c, "text", "(10002 bytes left out)"));
	json_decref(all);

	free(msg_watch);
	free(msg_okafor);
	free(msg_busy);
	free(c);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* Only leads read the audit; everyone else's try is itself on record, and
 * every argument is checked. */
static void
test_audit_op_is_for_leads(void **state)
{
	struct test_hub *h = *state;
	static const char *const others[][2] = {
		{ "watch", "viewer" }, { "okafor", "officer" }, { "chen", "intake" },
		{ "someone-new", "viewer" },
	};
	char want[128];

	assert_int_equal(test_hub_start(h, NULL), 0);
	for (size_t i = 0; i < 4; i++) {
		char *msg = refused(h, others[i][0], "audit", NULL, "forbidden");
		snprintf(want, sizeof want, "audit needs the role lead; %s has the role %s.",
		    others[i][0], others[i][1]);
		assert_string_equal(msg, want);
		free(msg);
	}
	/* A viewer is refused before its arguments are looked at. */
	free(refused(h, "watch", "audit", json_pack("{s:i}", "limit", 0), "forbidden"));

	static const struct {
		const char *args, *message;
	} bad[] = {
		{ "{\"limit\":0}", "audit: field 'limit': 0 is outside 1-1000" },
		{ "{\"limit\":1001}", "audit: field 'limit': 1001 is outside 1-1000" },
		{ "{\"limit\":\"5\"}", "audit: field 'limit': must be an integer" },
		{ "{\"since\":\"yesterday\"}",
		  "audit: field 'since': 'yesterday' is not an RFC 3339 time" },
		{ "{\"since\":\"2026-02-30T00:00:00Z\"}",
		  "audit: field 'since': '2026-02-30T00:00:00Z' is not an RFC 3339 time" },
		{ "{\"since\":-1}",
		  "audit: field 'since': -1 is outside 0-9223372036854775807" },
		{ "{\"since\":true}", "audit: field 'since': must be an RFC 3339 time or "
		  "milliseconds since the epoch" },
		{ "{\"after\":-1}", "audit: field 'after': -1 is outside 0-9223372036854775807" },
		{ "{\"case\":\"\"}", "audit: field 'case': must not be empty" },
		{ "{\"case\":5}", "audit: field 'case': must be a string" },
		{ "{\"verbose\":true}", "audit: unknown field 'verbose'" },
	};
	size_t nbad = sizeof bad / sizeof bad[0];
	for (size_t i = 0; i < nbad; i++) {
		char *msg = refused(h, "mori", "audit", json_loads(bad[i].args, 0, NULL), "invalid");
		assert_string_equal(msg, bad[i].message);
		free(msg);
	}
	/* Good arguments of every kind are accepted. */
	json_decref(audit_page(h, json_pack("{s:s, s:s, s:i, s:i}", "since",
	    "2026-01-01T00:00:00+02:00", "case", "ICS-2026-0001", "after", 0, "limit", 1000)));
	json_decref(audit_page(h, json_pack("{s:I}", "since", (json_int_t)0)));

	json_t *all = audit_all(h, NULL);
	assert_int_equal(json_array_size(all), 5 + nbad);
	for (size_t i = 0; i < 4; i++) {
		snprintf(want, sizeof want, "audit needs the role lead; %s has the role %s.",
		    others[i][0], others[i][1]);
		expect_entry(json_array_get(all, i), others[i][0], others[i][1], "audit", NULL,
		    NULL, "forbidden", want, json_object());
	}
	expect_entry(json_array_get(all, 4), "watch", "viewer", "audit", NULL, NULL,
	    "forbidden", "audit needs the role lead; watch has the role viewer.",
	    json_pack("{s:i}", "limit", 0));
	for (size_t i = 0; i < nbad; i++) {
		json_t *args = json_loads(bad[i].args, 0, NULL);
		/* A string "case" is the entry's case, even an empty one. */
		char *kase = json_is_string(json_object_get(args, "case")) ?
		    strdup(json_string_value(json_object_get(args, "case"))) : NULL;
		expect_entry(json_array_get(all, 5 + i), "mori", "lead", "audit", kase, NULL,
		    "invalid", bad[i].message, args);
		free(kase);
	}
	json_decref(all);
	/* Reading it, again and again, adds nothing. */
	assert_int_equal(audit_count(h), 5 + nbad);
	assert_int_equal(audit_count(h), 5 + nbad);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* The ids of ENTRIES, as a string "1,2,3". */
static void
ids_of(json_t *entries, char *out, size_t size)
{
	size_t i, len = 0;
	json_t *e;

	out[0] = '\0';
	json_array_foreach(entries, i, e)
		len += (size_t)snprintf(out + len, size - len, "%s%lld", i ? "," : "",
		    (long long)test_jint(e, "id"));
}

static void
expect_ids(struct test_hub *h, json_t *query, const char *want)
{
	char got[512];
	json_t *all = audit_all(h, query);

	ids_of(all, got, sizeof got);
	json_decref(all);
	assert_string_equal(got, want);
}

/* since (as a time or as ms) and case filter; pages of any size return
 * every entry exactly once, and "next" says exactly whether more follow. */
static void
test_filters_and_pages(void **state)
{
	struct test_hub *h = *state;
	char mid_text[BUS_TIME_LEN];

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c1 = open_case(h, "Relay tampering");                              /* 1 */
	char *c2 = open_case(h, "Pump station HMI defaced");                     /* 2 */
	test_hub_ok_(h, "okafor", "ack", json_pack("{s:s}", "case", c1));        /* 3 */
	test_hub_ok_(h, "okafor", "note", json_pack("{s:s, s:s}", "case", c2,    /* 4 */
	    "text", "Logs received."));
	tick();
	int64_t mid = bus_time_now_ms();
	bus_time_format(mid, mid_text);
	tick();
	test_hub_ok_(h, "mori", "level", json_pack("{s:s, s:i}", "case", c1, "level", 4)); /* 5 */
	free(refused(h, "watch", "ack", json_pack("{s:s}", "case", c2), "forbidden"));    /* 6 */
	test_hub_ok_(h, "tanaka", "ack", json_pack("{s:s}", "case", c2));                  /* 7 */
	test_hub_ok_(h, "chen", "note", json_pack("{s:s, s:s}", "case", c1, "text", "Call back."));
	test_hub_ok_(h, "mori", "sector_level", json_pack("{s:s, s:i}", "sector", "it", /* 9 */
	    "level", 2));

	expect_ids(h, NULL, "1,2,3,4,5,6,7,8,9");
	expect_ids(h, json_pack("{s:s}", "since", mid_text), "5,6,7,8,9");
	expect_ids(h, json_pack("{s:I}", "since", (json_int_t)mid), "5,6,7,8,9");
	expect_ids(h, json_pack("{s:s}", "case", c1), "1,3,5,8");
	expect_ids(h, json_pack("{s:s}", "case", c2), "2,4,6,7");
	expect_ids(h, json_pack("{s:s, s:s}", "case", c1, "since", mid_text), "5,8");
	expect_ids(h, json_pack("{s:s, s:I}", "case", c2, "after", (json_int_t)6), "7");
	expect_ids(h, json_pack("{s:s}", "case", "ICS-1999-0001"), "");
	expect_ids(h, json_pack("{s:I}", "since", (json_int_t)bus_time_now_ms() + 60000), "");
	/* The case of an open comes from the hub's reply. */
	json_t *firsts = audit_all(h, json_pack("{s:s}", "case", c2));
	expect_entry(json_array_get(firsts, 0), "chen", "intake", "open", c2, NULL, "ok", NULL,
	    NULL);
	json_decref(firsts);

	for (int limit = 1; limit <= 10; limit++) {
		char got[512] = "";
		size_t len = 0;
		json_int_t after = 0;
		int pages = 0;
		for (;;) {
			json_t *r = audit_page(h, json_pack("{s:i, s:I}", "limit", limit, "after",
			    after));
			json_t *entries = json_object_get(r, "entries"), *next = json_object_get(r, "next");
			size_t n = json_array_size(entries);
			pages++;
			for (size_t i = 0; i < n; i++)
				len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld",
				    len ? "," : "", (long long)test_jint(json_array_get(entries, i), "id"));
			if (json_is_null(next)) {
				json_decref(r);
				break;
			}
			/* A full page; next is its last id. */
			assert_int_equal(n, limit);
			assert_int_equal(json_integer_value(next),
			    test_jint(json_array_get(entries, n - 1), "id"));
			after = json_integer_value(next);
			json_decref(r);
			if (pages > 20)
				fail_msg("limit %d: more than 20 pages", limit);
		}
		if (strcmp(got, "1,2,3,4,5,6,7,8,9") != 0)
			fail_msg("limit %d: pages gave %s", limit, got);
		assert_int_equal(pages, (9 + limit - 1) / limit);
	}
	/* The default page is 200 entries. */
	json_t *r = audit_page(h, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "entries")), 9);
	assert_true(json_is_null(json_object_get(r, "next")));
	json_decref(r);

	free(c1);
	free(c2);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* Start the hub and put three entries on record: chen opens a case (its
 * id, caller frees), okafor acknowledges it, watch is refused a dispatch. */
static char *
start_with_three_entries(struct test_hub *h)
{
	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c = open_case(h, "Wiper on SCADA server");
	test_hub_ok_(h, "okafor", "ack", json_pack("{s:s}", "case", c));
	free(refused(h, "watch", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-1", "case", c),
	    "forbidden"));
	return c;
}

/* A restart, and kill -9 right after a reply: what was answered is on
 * record, refusals too, and ids go on without reuse. */
static void
test_survives_restart_and_kill(void **state)
{
	struct test_hub *h = *state;
	char *c = start_with_three_entries(h);

	assert_int_equal(test_hub_stop_clean(h), 0);
	assert_int_equal(test_hub_start(h, NULL), 0);
	expect_ids(h, NULL, "1,2,3");

	/* An accepted command, then SIGKILL as soon as its reply is in. */
	test_hub_ok_(h, "tanaka", "ack", json_pack("{s:s}", "case", c));
	assert_true(test_hub_stop(h, SIGKILL) >= 0);
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *all = audit_all(h, NULL);
	assert_int_equal(json_array_size(all), 4);
	expect_entry(json_array_get(all, 3), "tanaka", "officer", "ack", c, NULL, "ok", NULL,
	    json_pack("{s:s}", "case", c));
	json_decref(all);

	/* A turn with a refusal and no event commits its entry all the same. */
	char *msg = refused(h, "watch", "close", json_pack("{s:s}", "case", c), "forbidden");
	assert_true(test_hub_stop(h, SIGKILL) >= 0);
	assert_int_equal(test_hub_start(h, NULL), 0);
	all = audit_all(h, NULL);
	assert_int_equal(json_array_size(all), 5);
	expect_entry(json_array_get(all, 4), "watch", "viewer", "close", c, NULL, "forbidden",
	    msg, NULL);
	assert_int_equal(test_jint(json_array_get(all, 4), "id"), 5);
	json_decref(all);
	free(msg);

	test_hub_ok_(h, "mori", "level", json_pack("{s:s, s:i}", "case", c, "level", 3));
	expect_ids(h, NULL, "1,2,3,4,5,6");
	free(c);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

static sqlite3 *
open_db(struct test_hub *h)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", h->db, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static long long
db_number(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* With the hub stopped, SQL on the file cannot change or delete an entry. */
static void
test_database_refuses_changes(void **state)
{
	struct test_hub *h = *state;
	static const char *const attempts[] = {
		"UPDATE audit SET outcome = 'ok' WHERE outcome = 'forbidden'",
		"UPDATE audit SET person = 'nobody'",
		"DELETE FROM audit WHERE id = 1",
		"DELETE FROM audit",
		"INSERT OR REPLACE INTO audit(id, ts, person, role, op, outcome, args) "
		"VALUES (2, 0, 'nobody', 'lead', 'ack', 'ok', '{}')",
		"REPLACE INTO audit(id, ts, person, role, op, outcome, args) "
		"VALUES (3, 0, 'nobody', 'lead', 'ack', 'ok', '{}')",
		"INSERT INTO audit(id, ts, person, role, op, outcome, args) "
		"VALUES (3, 0, 'nobody', 'lead', 'ack', 'ok', '{}') "
		"ON CONFLICT(id) DO UPDATE SET person = 'nobody'",
	};

	char *c = start_with_three_entries(h);
	json_t *before = audit_all(h, NULL);
	assert_int_equal(json_array_size(before), 3);
	assert_int_equal(test_hub_stop_clean(h), 0);

	sqlite3 *db = open_db(h);
	assert_int_equal(db_number(db, "PRAGMA user_version"), 3);
	for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
		char *err = NULL;
		int rc = sqlite3_exec(db, attempts[i], NULL, NULL, &err);
		if (rc != SQLITE_CONSTRAINT || err == NULL ||
		    strcmp(err, "the audit trail is append-only") != 0)
			fail_msg("%s: rc %d (%s); expected the append-only refusal", attempts[i],
			    rc, err ? err : "no message");
		sqlite3_free(err);
	}
	assert_int_equal(db_number(db, "SELECT COUNT(*) FROM audit"), 3);
	assert_int_equal(db_number(db, "SELECT COUNT(*) FROM audit WHERE person = 'nobody'"), 0);
	assert_int_equal(db_number(db, "SELECT COUNT(*) FROM audit WHERE outcome = 'forbidden'"),
	    1);
	sqlite3_close(db);

	/* The hub reads the same trail back, and goes on appending to it. */
	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *after = audit_all(h, NULL);
	assert_true(json_equal(before, after));
	json_decref(after);
	test_hub_ok_(h, "tanaka", "ack", json_pack("{s:s}", "case", c));
	expect_ids(h, NULL, "1,2,3,4");
	json_decref(before);
	free(c);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* A database from before the audit trail (no table, schema version 1)
 * gets it when watchd opens it, and keeps its state. */
static void
test_database_from_before(void **state)
{
	struct test_hub *h = *state;

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c = open_case(h, "Phishing wave");
	assert_int_equal(test_hub_stop_clean(h), 0);
	sqlite3 *db = open_db(h);
	/* What an older watchd left: the four tables, version 1. */
	assert_int_equal(sqlite3_exec(db, "DROP TABLE audit; PRAGMA user_version = 1;", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(db_number(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit'"),
	    0);
	sqlite3_close(db);

	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *snap = test_hub_snapshot(h);
	assert_non_null(test_jfind(json_object_get(snap, "cases"), "id", c));
	json_decref(snap);
	assert_int_equal(audit_count(h), 0);
	test_hub_ok_(h, "okafor", "ack", json_pack("{s:s}", "case", c));
	json_t *all = audit_all(h, NULL);
	assert_int_equal(json_array_size(all), 1);
	expect_entry(json_array_get(all, 0), "okafor", "officer", "ack", c, NULL, "ok", NULL,
	    NULL);
	json_decref(all);
	assert_int_equal(test_hub_stop_clean(h), 0);

	db = open_db(h);
	assert_int_equal(db_number(db, "PRAGMA user_version"), 3);
	char *err = NULL;
	assert_int_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, &err),
	    SQLITE_CONSTRAINT);
	assert_string_equal(err, "the audit trail is append-only");
	sqlite3_free(err);
	sqlite3_close(db);
	free(c);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* watchctl audit */

/* The lines of TEXT (a copy, caller frees with json_decref). */
static json_t *
lines_of(const char *text)
{
	json_t *lines = json_array();
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		json_array_append_new(lines, json_stringn(p, n));
		p = nl != NULL ? nl + 1 : NULL;
	}
	return lines;
}

/*
 * Run watchctl with ARGS; it must exit with RC and end what it prints with
 * a newline. Its stdout as an array of lines (caller frees); its stderr in
 * *ERR unless ERR is NULL (caller frees).
 */
static json_t *
ctl_lines(struct test_hub *h, const char *const *args, int rc, char **err)
{
	char *out = NULL, *errtext = NULL;
	int got = test_watchctl(h, args, NULL, &out, &errtext);

	if (got != rc)
		fail_msg("watchctl: exit %d, expected %d; stderr: %s", got, rc,
		    errtext ? errtext : "(none)");
	if (out == NULL)
		fail_msg("watchctl: no stdout");
	if (*out != '\0' && out[strlen(out) - 1] != '\n')
		fail_msg("watchctl: the last line has no newline");
	json_t *lines = lines_of(out);
	free(out);
	if (err != NULL)
		*err = errtext;
	else
		free(errtext);
	return lines;
}

static const char *
line(json_t *lines, size_t i)
{
	return json_string_value(json_array_get(lines, i));
}

/* What watchctl audit prints for the entry E, as a line. */
static void
human_line(json_t *e, const char *where, char *out, size_t size)
{
	const char *msg = test_jstr(e, "message");

	snprintf(out, size, "%s  %-12s %-7s %-12s %-22s %s%s%s", test_jstr(e, "ts"),
	    test_jstr(e, "person"), test_jstr(e, "role"), test_jstr(e, "op"), where,
	    test_jstr(e, "outcome"), msg ? ": " : "", msg ? msg : "");
}

static void
test_watchctl_audit(void **state)
{
	struct test_hub *h = *state;
	char *err, want[512], where[64], mid_text[BUS_TIME_LEN];
	json_t *lines;

	assert_int_equal(test_hub_start(h, NULL), 0);
	char *c = open_case(h, "Failed logins on HMI");
	test_hub_ok_(h, "okafor", "ack", json_pack("{s:s}", "case", c));
	free(refused(h, "watch", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-3", "case", c),
	    "forbidden"));
	tick();
	bus_time_format(bus_time_now_ms(), mid_text);
	tick();
	test_hub_ok_(h, "mori", "dispatch", json_pack("{s:s, s:s}", "team", "FLY-2", "case", c));
	/* What a client sends is on record as sent; the terminal gets it inert. */
	free(refused(h, "watch", "ev\x1b[2Jil\xe2\x80\xae", NULL, "unknown_op"));
	json_t *all = audit_all(h, NULL);
	assert_int_equal(json_array_size(all), 5);

	/* --export: one JSON object a line, exactly the op's entries. */
	const char *export[] = { "--user", "mori", "audit", "--export", NULL };
	lines = ctl_lines(h, export, 0, NULL);
	assert_int_equal(json_array_size(lines), 5);
	for (size_t i = 0; i < 5; i++) {
		json_error_t jerr;
		json_t *e = json_loads(line(lines, i), 0, &jerr);
		if (!json_is_object(e))
			fail_msg("line %zu is not a JSON object: %s", i, jerr.text);
		if (!json_equal(e, json_array_get(all, i)))
			fail_msg("line %zu differs from the audit op's entry %zu", i, i);
		json_decref(e);
	}
	json_decref(lines);

	/* The table: a readable line per entry. */
	const char *table[] = { "--user", "mori", "audit", NULL };
	lines = ctl_lines(h, table, 0, NULL);
	assert_int_equal(json_array_size(lines), 5);
	human_line(json_array_get(all, 0), c, want, sizeof want);
	assert_string_equal(line(lines, 0), want);
	assert_non_null(strstr(want, "  chen         intake  open         ICS-"));
	snprintf(where, sizeof where, "FLY-3 %s", c);
	human_line(json_array_get(all, 2), where, want, sizeof want);
	assert_string_equal(line(lines, 2), want);
	assert_non_null(strstr(want, "forbidden: dispatch needs the role lead; watch has the "
	    "role viewer."));
	for (size_t i = 0; i < 5; i++) {
		assert_null(strchr(line(lines, i), '\x1b'));
		assert_null(strstr(line(lines, i), "\xe2\x80\xae"));
	}
	/* The escape sequence and the bidi override are gone, payload and all:
	 * what is left cannot move the cursor or reorder the line. */
	assert_non_null(strstr(line(lines, 4), "  watch        viewer  evil"));
	assert_non_null(strstr(line(lines, 4), "unknown_op: There is no op 'evil'."));
	json_decref(lines);

	/* --case and --since filter as the op does. */
	const char *by_case[] = { "--user", "mori", "audit", "--case", c, "--export", NULL };
	lines = ctl_lines(h, by_case, 0, NULL);
	assert_int_equal(json_array_size(lines), 4);
	json_decref(lines);
	const char *since[] = { "--user", "mori", "audit", "--since", mid_text, NULL };
	lines = ctl_lines(h, since, 0, NULL);
	assert_int_equal(json_array_size(lines), 2);
	snprintf(where, sizeof where, "FLY-2 %s", c);
	human_line(json_array_get(all, 3), where, want, sizeof want);
	assert_string_equal(line(lines, 0), want);
	json_decref(lines);

	/* Refused: exit 1 and the hub's sentence; that try is on record. */
	const char *as_watch[] = { "--user", "watch", "audit", NULL };
	lines = ctl_lines(h, as_watch, 1, &err);
	assert_int_equal(json_array_size(lines), 0);
	assert_string_equal(err, "watchctl: refused (forbidden): audit needs the role lead; "
	    "watch has the role viewer.\n");
	json_decref(lines);
	free(err);
	assert_int_equal(audit_count(h), 6);

	/* Usage mistakes: exit 2, nothing sent. */
	const char *bad_since[] = { "--user", "mori", "audit", "--since", "yesterday", NULL };
	json_decref(ctl_lines(h, bad_since, 2, &err));
	assert_non_null(strstr(err, "--since takes an RFC 3339 time or milliseconds since the "
	    "epoch, not 'yesterday'"));
	free(err);
	const char *bad_arg[] = { "--user", "mori", "audit", "--all", NULL };
	json_decref(ctl_lines(h, bad_arg, 2, &err));
	assert_non_null(strstr(err, "audit: unexpected '--all'"));
	free(err);
	const char *no_value[] = { "--user", "mori", "audit", "--case", NULL };
	json_decref(ctl_lines(h, no_value, 2, NULL));
	assert_int_equal(audit_count(h), 6);

	/* No hub: exit 3. */
	assert_int_equal(test_hub_stop_clean(h), 0);
	const char *nohub[] = { "--timeout", "1", "--user", "mori", "audit", NULL };
	json_decref(ctl_lines(h, nohub, 3, NULL));

	json_decref(all);
	free(c);
	test_hub_passed(h);
}

/* More entries than one page: watchctl prints every one exactly once. */
static void
test_watchctl_all_pages(void **state)
{
	struct test_hub *h = *state;
	enum { NCONN = 22, PER_CONN = 50 }; /* within each connection's request budget */

	assert_int_equal(test_hub_start(h, NULL), 0);
	for (int d = 0; d < NCONN; d++) {
		void *sock = test_hub_dealer(h);
		for (int i = 0; i < PER_CONN; i++) {
			char id[16];
			snprintf(id, sizeof id, "%d", i);
			assert_int_equal(test_send_request(sock, "watch", "ack", id,
			    json_pack("{s:s}", "case", "ICS-1999-0001")), 0);
		}
		for (int i = 0; i < PER_CONN; i++) {
			json_t *r;
			if (test_recv_reply(sock, &r, NULL, WAIT) != 0)
				fail_msg("connection %d: reply %d did not come", d, i);
			assert_string_equal(test_jstr(r, "error.code"), "forbidden");
			json_decref(r);
		}
		test_hub_close(h, sock);
	}
	const size_t total = NCONN * PER_CONN;

	const char *export[] = { "--user", "mori", "audit", "--export", NULL };
	json_t *lines = ctl_lines(h, export, 0, NULL);
	assert_int_equal(json_array_size(lines), total);
	for (size_t i = 0; i < total; i++) {
		json_t *e = json_loads(line(lines, i), 0, NULL);
		if (e == NULL)
			fail_msg("line %zu is not JSON", i);
		if (test_jint(e, "id") != (json_int_t)i + 1)
			fail_msg("line %zu has id %lld", i, (long long)test_jint(e, "id"));
		expect_entry(e, "watch", "viewer", "ack", "ICS-1999-0001", NULL, "forbidden",
		    "ack needs the role officer, intake or lead; watch has the role viewer.", NULL);
		json_decref(e);
	}
	json_decref(lines);

	const char *table[] = { "--user", "mori", "audit", NULL };
	lines = ctl_lines(h, table, 0, NULL);
	assert_int_equal(json_array_size(lines), total);
	json_decref(lines);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_what_is_recorded),
		TEST_HUB_CASE(test_audit_op_is_for_leads),
		TEST_HUB_CASE(test_filters_and_pages),
		TEST_HUB_CASE(test_survives_restart_and_kill),
		TEST_HUB_CASE(test_database_refuses_changes),
		TEST_HUB_CASE(test_database_from_before),
		TEST_HUB_CASE(test_watchctl_audit),
		TEST_HUB_CASE(test_watchctl_all_pages),
	};

	return cmocka_run_group_tests_name("hub audit", tests, NULL, NULL);
}
