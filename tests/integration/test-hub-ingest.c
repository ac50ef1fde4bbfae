/*
 * Ingest through a real watchd: producer PUSH -> hub -> subscriber SUB.
 * What arrives, what is refused (and counted, and changes nothing), how a
 * producer's ref updates its case, and sensors going down and up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "test-hub.h"

#define WAIT TEST_HUB_WAIT_MS

TEST_HUB_SETUP("ingest")

/* "ICS-<this year>-NNNN" */
static void
assert_case_id(const char *id)
{
	char want[32];
	time_t now = time(NULL);
	struct tm tm;

	assert_non_null(id);
	gmtime_r(&now, &tm);
	snprintf(want, sizeof want, "ICS-%d-", tm.tm_year + 1900);
	assert_int_equal(strlen(id), strlen(want) + 4);
	assert_memory_equal(id, want, strlen(want));
	for (size_t i = strlen(want); i < strlen(id); i++)
		assert_true(id[i] >= '0' && id[i] <= '9');
}

/* The next event (not a heartbeat) on SUB: its topic (caller frees) and body. */
static char *
next_event(void *sub, json_t **body)
{
	char *topic = NULL;

	*body = NULL;
	if (test_sub_recv(sub, &topic, body, WAIT, 1) != 0)
		fail_msg("no event within %d ms", WAIT);
	assert_non_null(*body);
	return topic;
}

static json_int_t
snapshot_seq(struct test_hub *h)
{
	json_t *snap = test_hub_snapshot(h);
	json_int_t seq;

	assert_non_null(snap);
	assert_true(json_is_true(json_object_get(snap, "ok")));
	seq = test_jint(snap, "seq");
	json_decref(snap);
	return seq;
}

/* ------------------------------------------------------------------ */
/* 1. A pushed incident arrives as a case event, then its sector. */

static void
test_incident_reaches_subscriber(void **state)
{
	struct test_hub *h = *state;
	json_t *body, *snap;
	char *topic;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, ""));
	void *cases_only = test_hub_own(h, test_hub_sub(h, "case."));
	void *push = test_hub_own(h, test_hub_push(h));
	assert_non_null(sub);
	assert_non_null(cases_only);

	/* A fresh database: the seeded floor and no cases. */
	snap = test_hub_snapshot(h);
	assert_non_null(snap);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 0);
	assert_int_equal(json_array_size(json_object_get(snap, "sectors")), 16);
	assert_int_equal(json_array_size(json_object_get(snap, "teams")), 6);
	assert_int_equal(json_array_size(json_object_get(snap, "staff")), 8);
	json_int_t seq0 = test_jint(snap, "seq");
	char hub_id[64];
	snprintf(hub_id, sizeof hub_id, "%s", test_jstr(snap, "hub"));
	assert_true(seq0 > 0);
	json_decref(snap);

	assert_int_equal(test_push(push, "incident",
	    "{\"title\":\"Historian beaconing to unknown host\","
	    "\"org\":\"Sample Water Authority\",\"sector\":\"water\",\"level\":3,"
	    "\"ref\":\"SWA-77\",\"summary\":\"Outbound TLS every 60 s\","
	    "\"reported_at\":\"2026-01-02T03:04:05Z\",\"contact\":\"ops@swa.example\","
	    "\"onsite_requested\":true}"), 0);

	/* The case, with every field, the next seq and status reported. */
	topic = next_event(sub, &body);
	assert_non_null(test_jstr(body, "id"));
	char want_topic[64], case_id[32];
	snprintf(case_id, sizeof case_id, "%s", test_jstr(body, "id"));
	snprintf(want_topic, sizeof want_topic, "case.%s", case_id);
	assert_string_equal(topic, want_topic);
	assert_case_id(case_id);
	assert_int_equal(test_jint(body, "seq"), seq0 + 1);
	assert_non_null(test_jstr(body, "ts"));
	assert_string_equal(test_jstr(body, "status"), "reported");
	assert_string_equal(test_jstr(body, "title"), "Historian beaconing to unknown host");
	assert_string_equal(test_jstr(body, "org"), "Sample Water Authority");
	assert_string_equal(test_jstr(body, "sector"), "water");
	assert_int_equal(test_jint(body, "level"), 3);
	assert_string_equal(test_jstr(body, "ref"), "SWA-77");
	assert_string_equal(test_jstr(body, "summary"), "Outbound TLS every 60 s");
	assert_string_equal(test_jstr(body, "contact"), "ops@swa.example");
	assert_string_equal(test_jstr(body, "reported_at"), "2026-01-02T03:04:05Z");
	assert_true(json_is_true(test_jget(body, "onsite_requested")));
	assert_string_equal(test_jstr(body, "opened_by"), "ingest");
	assert_string_equal(test_jstr(body, "timeline.0.action"), "opened");
	json_int_t case_seq = test_jint(body, "seq");
	free(topic);
	json_decref(body);

	/* Then its sector, counting the open case at its level. */
	topic = next_event(sub, &body);
	assert_string_equal(topic, "sector.water");
	assert_int_equal(test_jint(body, "seq"), case_seq + 1);
	assert_int_equal(test_jint(body, "open_cases"), 1);
	assert_int_equal(test_jint(body, "level"), 3);
	assert_string_equal(test_jstr(body, "level_source"), "auto");
	json_int_t last = test_jint(body, "seq");
	free(topic);
	json_decref(body);

	/* Intel and a sensor alert travel the same way. */
	assert_int_equal(test_push(push, "intel",
	    "{\"title\":\"PLC firmware flaw\",\"source\":\"Vendor PSIRT\","
	    "\"kind\":\"vulnerability\",\"tlp\":\"amber\",\"sectors\":[\"energy\"],"
	    "\"cves\":[\"CVE-2026-12345\"]}"), 0);
	topic = next_event(sub, &body);
	assert_int_equal(strncmp(topic, "intel.INT-", 10), 0);
	assert_int_equal(test_jint(body, "seq"), last + 1);
	assert_string_equal(test_jstr(body, "tlp"), "amber");
	assert_string_equal(test_jstr(body, "cves.0"), "CVE-2026-12345");
	last++;
	free(topic);
	json_decref(body);

	assert_int_equal(test_push(push, "sensor",
	    "{\"sensor\":\"ids-energy-1\",\"kind\":\"alert\",\"sector\":\"energy\","
	    "\"level\":4,\"signature\":\"Modbus write to coil\"}"), 0);
	topic = next_event(sub, &body);
	assert_string_equal(topic, "sensor.ids-energy-1");
	assert_int_equal(test_jint(body, "seq"), last + 1);
	assert_string_equal(test_jstr(body, "status"), "up");
	assert_int_equal(test_jint(body, "alerts"), 1);
	assert_int_equal(test_jint(body, "last_alert.level"), 4);
	free(topic);
	json_decref(body);
	topic = next_event(sub, &body);
	assert_string_equal(topic, "sector.energy");
	assert_int_equal(test_jint(body, "seq"), last + 2);
	assert_int_equal(test_jint(body, "level"), 4); /* raised by the alert */
	assert_int_equal(test_jint(body, "sensors_up"), 1);
	assert_non_null(test_jstr(body, "last_alert"));
	last += 2;
	free(topic);
	json_decref(body);

	/* The "case." subscriber saw the case and nothing but cases. */
	topic = next_event(cases_only, &body);
	assert_string_equal(topic, want_topic);
	free(topic);
	json_decref(body);
	char *t2 = NULL;
	json_t *b2 = NULL;
	if (test_sub_recv(cases_only, &t2, &b2, 300, 1) == 0)
		fail_msg("a \"case.\" subscriber got %s", t2);

	/* Heartbeats carry the last committed seq and the hub id, and do
	 * not consume seq themselves. */
	int64_t tries = 0;
	for (;;) {
		assert_int_equal(test_sub_wait(sub, "hub.heartbeat", NULL, &body, WAIT), 0);
		assert_string_equal(test_jstr(body, "hub"), hub_id);
		assert_non_null(test_jstr(body, "ts"));
		assert_non_null(test_jstr(body, "started_at"));
		json_int_t hb_seq = test_jint(body, "seq");
		json_decref(body);
		assert_true(hb_seq <= last);
		if (hb_seq == last)
			break;
		assert_true(++tries < 10);
	}
	assert_int_equal(test_sub_wait(sub, "hub.heartbeat", NULL, &body, WAIT), 0);
	assert_int_equal(test_jint(body, "seq"), last);
	json_decref(body);
	assert_int_equal(snapshot_seq(h), last);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* 2. Bad input is refused, counted by reason, and changes nothing. */

#define GOOD "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\"}"

struct bad_input {
	const char *what;
	const char *reason; /* the stats class it must count under */
	int nframes;
	const char *frames[3];
};

static const struct bad_input bad_inputs[] = {
	{ "bad JSON", "json", 2, { "incident", "{\"title\": \"x\", \"org\": " } },
	{ "trailing garbage", "json", 2, { "incident", GOOD " x" } },
	{ "two objects", "json", 2, { "incident", GOOD GOOD } },
	{ "JSON array body", "json", 2, { "incident", "[" GOOD "]" } },
	{ "JSON string body", "json", 2, { "incident", "\"incident\"" } },
	{ "empty body", "json", 2, { "incident", "" } },
	{ "duplicate key", "json", 2,
	  { "incident", "{\"title\":\"t\",\"title\":\"u\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "escaped lone surrogate", "json", 2,
	  { "incident", "{\"title\":\"\\ud800\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "escaped NUL", "json", 2,
	  { "incident", "{\"title\":\"a\\u0000b\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "title as number", "fields", 2,
	  { "incident", "{\"title\":42,\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "level as string", "fields", 2,
	  { "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\",\"level\":\"3\"}" } },
	{ "level out of range", "fields", 2,
	  { "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\",\"level\":9}" } },
	{ "unknown sector", "fields", 2,
	  { "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"moon\"}" } },
	{ "unknown field", "fields", 2,
	  { "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\",\"colour\":\"red\"}" } },
	{ "missing org", "fields", 2, { "incident", "{\"title\":\"t\",\"sector\":\"energy\"}" } },
	{ "empty title", "fields", 2,
	  { "incident", "{\"title\":\"\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "impossible date", "fields", 2,
	  { "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\","
	    "\"reported_at\":\"2026-02-30T00:00:00Z\"}" } },
	{ "onsite_requested as string", "fields", 2,
	  { "incident", "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\","
	    "\"onsite_requested\":\"yes\"}" } },
	{ "intel missing source", "fields", 2, { "intel", "{\"title\":\"t\"}" } },
	{ "intel unknown tlp", "fields", 2,
	  { "intel", "{\"title\":\"t\",\"source\":\"s\",\"tlp\":\"purple\"}" } },
	{ "intel bad CVE", "fields", 2,
	  { "intel", "{\"title\":\"t\",\"source\":\"s\",\"cves\":[\"CVE-26-1\"]}" } },
	{ "sensor unknown kind", "fields", 2,
	  { "sensor", "{\"sensor\":\"s1\",\"kind\":\"ping\"}" } },
	{ "sensor missing kind", "fields", 2, { "sensor", "{\"sensor\":\"s1\"}" } },
	{ "sensor id with a space", "fields", 2,
	  { "sensor", "{\"sensor\":\"s 1\",\"kind\":\"heartbeat\"}" } },
	{ "invalid UTF-8 0xff", "utf8", 2,
	  { "incident", "{\"title\":\"\xff\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "overlong slash", "utf8", 2,
	  { "incident", "{\"title\":\"\xc0\xaf\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "encoded lone surrogate", "utf8", 2,
	  { "incident", "{\"title\":\"\xed\xa0\x80\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "above U+10FFFF", "utf8", 2,
	  { "incident", "{\"title\":\"\xf4\x90\x80\x80\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "lone continuation byte", "utf8", 2,
	  { "incident", "{\"title\":\"\x80\",\"org\":\"o\",\"sector\":\"energy\"}" } },
	{ "truncated sequence", "utf8", 2, { "incident", "{\"title\":\"\xe2\x82" } },
	{ "empty topic", "topic", 2, { "", GOOD } },
	{ "unknown topic", "topic", 2, { "weather", GOOD } },
	{ "event topic", "topic", 2, { "case.ICS-2026-0001", GOOD } },
	{ "topic with a space", "topic", 2, { "incident ", GOOD } },
	{ "non-ASCII topic", "topic", 2, { "inc\xc3\xa9" "dent", GOOD } },
	{ "one frame", "frames", 1, { "incident" } },
	{ "one frame of JSON", "frames", 1, { GOOD } },
	{ "three frames", "frames", 3, { "incident", GOOD, "extra" } },
};
#define NBAD (sizeof bad_inputs / sizeof bad_inputs[0])

static const char *const reasons[] = { "frames", "topic", "size", "utf8", "json", "fields" };
#define NREASONS (sizeof reasons / sizeof reasons[0])

static int
reason_index(const char *r)
{
	for (size_t i = 0; i < NREASONS; i++) {
		if (strcmp(reasons[i], r) == 0)
			return (int)i;
	}
	fail_msg("unknown reason %s", r);
	return -1;
}

static void
test_bad_input_rejected_and_counted(void **state)
{
	struct test_hub *h = *state;
	long expect[NREASONS] = { 0 };
	long nsent = 0;
	json_t *body;
	char *topic;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, ""));
	void *push = test_hub_own(h, test_hub_push(h));
	assert_non_null(sub);
	json_int_t seq0 = snapshot_seq(h);

	/* All on one PUSH, so that the hub reads them in this order. */
	for (size_t i = 0; i < NBAD; i++) {
		const struct bad_input *b = &bad_inputs[i];
		const void *data[3];
		size_t sizes[3];
		for (int f = 0; f < b->nframes; f++) {
			data[f] = b->frames[f];
			sizes[f] = strlen(b->frames[f]);
		}
		assert_int_equal(test_send_frames(push, data, sizes, b->nframes), 0);
		expect[reason_index(b->reason)]++;
		nsent++;
	}

	/* Built at run time: bodies one byte over 64 KiB and well over it (but
	 * under the 256 KiB frame cut-off), valid JSON otherwise; a topic one
	 * byte over 128; nine frames. */
	const size_t oversize[] = { 64 * 1024 + 1, 200 * 1024 };
	for (size_t k = 0; k < sizeof oversize / sizeof oversize[0]; k++) {
		size_t big = oversize[k];
		char *over = malloc(big + 1);
		assert_non_null(over);
		const char *head = "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"energy\","
		    "\"summary\":\"";
		memset(over, 'x', big);
		memcpy(over, head, strlen(head));
		memcpy(over + big - 2, "\"}", 2);
		over[big] = '\0';
		assert_int_equal(test_push(push, "incident", over), 0);
		expect[reason_index("size")]++;
		nsent++;
		free(over);
	}

	char long_topic[130];
	memset(long_topic, 'a', 129);
	long_topic[129] = '\0';
	assert_int_equal(test_push(push, long_topic, GOOD), 0);
	expect[reason_index("topic")]++;
	nsent++;

	const void *nine[9];
	size_t nine_sizes[9];
	for (int f = 0; f < 9; f++) {
		nine[f] = f == 0 ? "incident" : GOOD;
		nine_sizes[f] = strlen(nine[f]);
	}
	assert_int_equal(test_send_frames(push, nine, nine_sizes, 9), 0);
	expect[reason_index("frames")]++;
	nsent++;

	/* And one valid message after all of them. */
	assert_int_equal(test_push(push, "incident",
	    "{\"title\":\"After the storm\",\"org\":\"Grid Co\",\"sector\":\"energy\","
	    "\"ref\":\"VALID-1\"}"), 0);
	topic = NULL;
	assert_int_equal(test_sub_wait(sub, "case.", &topic, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "title"), "After the storm");
	assert_int_equal(test_jint(body, "seq"), seq0 + 1);
	char case_topic[64];
	snprintf(case_topic, sizeof case_topic, "%s", topic);
	free(topic);
	json_decref(body);

	/* The hub read everything before the valid message: the counters. */
	json_t *stats = test_hub_stats(h);
	assert_non_null(stats);
	assert_int_equal(test_jint(stats, "ingest.received"), nsent + 1);
	assert_int_equal(test_jint(stats, "ingest.accepted"), 1);
	assert_int_equal(test_jint(stats, "ingest.rejected"), nsent);
	for (size_t r = 0; r < NREASONS; r++) {
		char path[64];
		snprintf(path, sizeof path, "ingest.rejected_by_reason.%s", reasons[r]);
		if (test_jint(stats, path) != expect[r])
			fail_msg("%s: %lld, expected %ld", path, (long long)test_jint(stats, path),
			    expect[r]);
	}
	json_decref(stats);

	/* Only the valid message's events: its case and its sector. */
	json_t *journal = test_hub_journal(h, seq0);
	assert_non_null(journal);
	assert_int_equal(json_array_size(journal), 2);
	assert_string_equal(test_jstr(journal, "0.topic"), case_topic);
	assert_string_equal(test_jstr(journal, "1.topic"), "sector.energy");
	assert_int_equal(test_jint(journal, "1.body.seq"), seq0 + 2);
	json_decref(journal);

	json_t *snap = test_hub_snapshot(h);
	assert_non_null(snap);
	assert_int_equal(test_jint(snap, "seq"), seq0 + 2);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 1);
	assert_string_equal(test_jstr(snap, "cases.0.title"), "After the storm");
	assert_int_equal(json_array_size(json_object_get(snap, "intel")), 0);
	assert_int_equal(json_array_size(json_object_get(snap, "sensors")), 0);
	json_decref(snap);

	/* Acknowledged reports are checked by the same rules and counted. */
	json_t *r = test_hub_call_timeout(h, "chen", "report", json_pack(
	    "{s:s, s:{s:s, s:s, s:s}}", "topic", "incident", "body", "title", "t",
	    "org", "o", "sector", "atlantis"), WAIT);
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(test_jstr(r, "error.code"), "invalid");
	assert_non_null(strstr(test_jstr(r, "error.message"), "atlantis"));
	json_decref(r);
	r = test_hub_call_timeout(h, "watch", "report", json_pack(
	    "{s:s, s:{s:s, s:s, s:s}}", "topic", "incident", "body", "title", "t",
	    "org", "o", "sector", "energy"), WAIT);
	assert_non_null(r);
	assert_string_equal(test_jstr(r, "error.code"), "forbidden");
	json_decref(r);
	stats = test_hub_stats(h);
	assert_int_equal(test_jint(stats, "ingest.rejected_by_reason.fields"),
	    expect[reason_index("fields")] + 1);
	assert_int_equal(test_jint(stats, "ingest.accepted"), 1);
	json_decref(stats);
	assert_int_equal(snapshot_seq(h), seq0 + 2);

	/* Refusals are logged with their reason. */
	FILE *log = fopen(h->log, "r");
	char line[2048];
	int logged = 0;
	assert_non_null(log);
	while (fgets(line, sizeof line, log) != NULL)
		logged += strstr(line, "ingest: rejected (") != NULL;
	fclose(log);
	assert_true(logged > 0);

	assert_true(test_hub_running(h));
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/*
 * A frame far over the limit (1 MiB) is cut off by libzmq at the connection
 * (PROTOCOL.md: neither counted nor logged): the hub lives on, nothing
 * changes, other producers go on, and the producer's PUSH reconnects.
 */
static void
test_huge_frame_cut_off(void **state)
{
	struct test_hub *h = *state;
	json_t *body;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, "case."));
	void *push = test_hub_own(h, test_hub_push(h));
	assert_non_null(sub);
	json_int_t seq0 = snapshot_seq(h);

	size_t big = 1024 * 1024;
	char *huge = malloc(big + 1);
	assert_non_null(huge);
	const char *head = "{\"title\":\"huge\",\"org\":\"o\",\"sector\":\"energy\","
	    "\"summary\":\"";
	memset(huge, 'x', big);
	memcpy(huge, head, strlen(head));
	memcpy(huge + big - 2, "\"}", 2);
	huge[big] = '\0';
	assert_int_equal(test_push(push, "incident", huge), 0);
	free(huge);

	/* Another producer is unaffected. */
	void *other = test_hub_own(h, test_hub_push(h));
	assert_int_equal(test_push(other, "incident",
	    "{\"title\":\"from another producer\",\"org\":\"o\",\"sector\":\"it\"}"), 0);
	assert_int_equal(test_sub_wait(sub, "case.", NULL, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "title"), "from another producer");
	json_decref(body);

	/* The first producer's socket reconnects: a message with a ref, resent
	 * until it gets through (resends of it change nothing). */
	int64_t tries = 0;
	for (;;) {
		assert_int_equal(test_push(push, "incident", "{\"title\":\"after the cut\","
		    "\"org\":\"o\",\"sector\":\"it\",\"ref\":\"AFTER-CUT\"}"), 0);
		if (test_sub_wait(sub, "case.", NULL, &body, 200) == 0)
			break;
		if (++tries > 50)
			fail_msg("the PUSH that sent 1 MiB never got through again");
	}
	assert_string_equal(test_jstr(body, "title"), "after the cut");
	json_decref(body);

	/* Nothing of the huge message: two cases, and their sector's events. */
	json_t *snap = test_hub_snapshot(h);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 2);
	assert_null(test_jfind(json_object_get(snap, "cases"), "title", "huge"));
	json_decref(snap);
	json_t *journal = test_hub_journal(h, seq0);
	size_t i, ncases = 0;
	json_t *ev;
	assert_non_null(journal);
	json_array_foreach(journal, i, ev) {
		const char *t = test_jstr(ev, "topic");
		if (strncmp(t, "case.", 5) == 0)
			ncases++;
		else
			assert_string_equal(t, "sector.it");
	}
	assert_int_equal(ncases, 2);
	json_decref(journal);
	assert_true(test_hub_running(h));
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* Malformed control requests get a bad_request reply; the hub lives. */

static void
expect_reply(void *sock, const char *code, const char *id)
{
	json_t *r;

	if (test_recv_reply(sock, &r, NULL, WAIT) != 0)
		fail_msg("no reply within %d ms (expected %s)", WAIT, code ? code : "ok");
	if (code == NULL) {
		assert_true(json_is_true(json_object_get(r, "ok")));
	} else {
		assert_true(json_is_false(json_object_get(r, "ok")));
		assert_string_equal(test_jstr(r, "error.code"), code);
		assert_non_null(test_jstr(r, "error.message"));
		assert_true(strlen(test_jstr(r, "error.message")) > 10);
	}
	if (id != NULL)
		assert_string_equal(test_jstr(r, "id"), id);
	json_decref(r);
}

static void
send_raw(void *sock, int n, const char *f0, const char *f1, const char *f2)
{
	const void *data[3] = { f0, f1, f2 };
	size_t sizes[3] = { strlen(f0), f1 ? strlen(f1) : 0, f2 ? strlen(f2) : 0 };

	assert_int_equal(test_send_frames(sock, data, sizes, n), 0);
}

static void
test_malformed_control(void **state)
{
	struct test_hub *h = *state;

	assert_int_equal(test_hub_start(h, NULL), 0);
	json_int_t seq0 = snapshot_seq(h);
	void *d = test_hub_dealer(h);
	assert_non_null(d);

	send_raw(d, 2, "request", "{\"op\": \"whoami\", ", NULL);
	expect_reply(d, "bad_request", NULL);
	send_raw(d, 2, "request", "[\"whoami\"]", NULL);
	expect_reply(d, "bad_request", NULL);
	send_raw(d, 2, "request", "{\"op\":\"whoami\",\"user\":\"\xc0\xaf\"}", NULL);
	expect_reply(d, "bad_request", NULL);
	send_raw(d, 2, "command", "{\"op\":\"whoami\",\"id\":\"m3\"}", NULL);
	expect_reply(d, "bad_request", NULL);
	send_raw(d, 1, "request", NULL, NULL);
	expect_reply(d, "bad_request", NULL);
	send_raw(d, 3, "request", "{\"op\":\"whoami\",\"id\":\"m5\"}", "extra");
	expect_reply(d, "bad_request", NULL);
	send_raw(d, 2, "request", "{\"id\":\"m6\",\"user\":\"mori\"}", NULL);
	expect_reply(d, "bad_request", "m6");
	send_raw(d, 2, "request", "{\"op\":42,\"id\":\"m7\"}", NULL);
	expect_reply(d, "bad_request", "m7");
	send_raw(d, 2, "request", "{\"op\":\"whoami\",\"id\":\"m8\",\"user\":\"no spaces\"}", NULL);
	expect_reply(d, "bad_request", "m8");
	send_raw(d, 2, "request", "{\"op\":\"whoami\",\"id\":{\"nested\":1}}", NULL);
	expect_reply(d, "bad_request", NULL);
	/* Well formed but unknown, and well formed with bad arguments. */
	send_raw(d, 2, "request", "{\"op\":\"fly\",\"id\":\"m10\",\"user\":\"mori\"}", NULL);
	expect_reply(d, "unknown_op", "m10");
	send_raw(d, 2, "request", "{\"op\":\"dispatch\",\"id\":\"m11\",\"user\":\"mori\","
	    "\"team\":\"FLY-1\"}", NULL);
	expect_reply(d, "invalid", "m11");
	send_raw(d, 2, "request", "{\"op\":\"replay\",\"id\":\"m12\",\"after\":0,\"limit\":5000}",
	    NULL);
	expect_reply(d, "invalid", "m12");
	/* The same DEALER still works. */
	assert_int_equal(test_send_request(d, "mori", "whoami", "m13", NULL), 0);
	expect_reply(d, NULL, "m13");

	/* A REQ socket (the envelope has an empty frame) works, and gets its
	 * bad_request too, so that it can go on. */
	void *req = test_hub_req(h);
	assert_non_null(req);
	send_raw(req, 2, "request", "{broken", NULL);
	expect_reply(req, "bad_request", NULL);
	assert_int_equal(test_send_request(req, "hayes", "whoami", "q2", NULL), 0);
	json_t *r;
	assert_int_equal(test_recv_reply(req, &r, NULL, WAIT), 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(test_jstr(r, "user"), "hayes");
	assert_string_equal(test_jstr(r, "role"), "lead");
	assert_string_equal(test_jstr(r, "id"), "q2");
	json_decref(r);

	json_t *stats = test_hub_stats(h);
	assert_non_null(stats);
	assert_true(test_jint(stats, "control.malformed") >= 7);
	json_decref(stats);
	assert_int_equal(snapshot_seq(h), seq0);
	assert_true(test_hub_running(h));
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* 6. The same ref again updates its case; an identical resend is no event. */

static void
test_same_ref_updates(void **state)
{
	struct test_hub *h = *state;
	json_t *body;
	char *topic;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, "case."));
	void *push = test_hub_own(h, test_hub_push(h));
	assert_non_null(sub);

	const char *first = "{\"title\":\"Ransomware on billing\",\"org\":\"Metro Transit\","
	    "\"sector\":\"transportation\",\"ref\":\"MT-2026-9\",\"level\":2}";
	const char *second = "{\"title\":\"Ransomware on billing\",\"org\":\"Metro Transit\","
	    "\"sector\":\"transportation\",\"ref\":\"MT-2026-9\",\"level\":4}";

	assert_int_equal(test_push(push, "incident", first), 0);
	assert_int_equal(test_sub_wait(sub, "case.", &topic, &body, WAIT), 0);
	char case_topic[64];
	snprintf(case_topic, sizeof case_topic, "%s", topic);
	json_int_t seq1 = test_jint(body, "seq");
	assert_int_equal(test_jint(body, "level"), 2);
	free(topic);
	json_decref(body);

	/* An officer acknowledges it; a worse level clears the ack. */
	json_t *r = test_hub_call_timeout(h, "okafor", "ack",
	    json_pack("{s:s}", "case", case_topic + 5), WAIT);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	assert_int_equal(test_sub_wait(sub, "case.", NULL, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "acked_by"), "okafor");
	json_decref(body);

	assert_int_equal(test_push(push, "incident", second), 0);
	assert_int_equal(test_sub_wait(sub, "case.", &topic, &body, WAIT), 0);
	assert_string_equal(topic, case_topic);
	assert_true(test_jint(body, "seq") > seq1);
	assert_int_equal(test_jint(body, "level"), 4);
	assert_true(json_is_null(test_jget(body, "acked_by")));
	json_t *tl = json_object_get(body, "timeline");
	json_t *updated = test_jfind(tl, "action", "updated");
	assert_non_null(updated);
	assert_non_null(strstr(test_jstr(updated, "text"), "level"));
	assert_int_equal(test_jcount(tl, "action", "updated"), 1);
	free(topic);
	json_decref(body);

	json_t *snap = test_hub_snapshot(h);
	json_int_t seq_before = test_jint(snap, "seq");
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 1);
	assert_int_equal(test_jint(snap, "cases.0.level"), 4);
	json_t *sector = test_jfind(json_object_get(snap, "sectors"), "id", "transportation");
	assert_int_equal(test_jint(sector, "open_cases"), 1);
	assert_int_equal(test_jint(sector, "level"), 4);
	json_decref(snap);

	/* An identical resend: accepted, no event. Then a sentinel. */
	assert_int_equal(test_push(push, "incident", second), 0);
	assert_int_equal(test_push(push, "incident",
	    "{\"title\":\"Sentinel\",\"org\":\"o\",\"sector\":\"it\",\"ref\":\"SENTINEL\"}"), 0);
	assert_int_equal(test_sub_wait(sub, "case.", &topic, &body, WAIT), 0);
	if (strcmp(topic, case_topic) == 0)
		fail_msg("an identical resend produced event seq %lld",
		    (long long)test_jint(body, "seq"));
	assert_string_equal(test_jstr(body, "title"), "Sentinel");
	assert_int_equal(test_jint(body, "seq"), seq_before + 1);
	free(topic);
	json_decref(body);

	json_t *journal = test_hub_journal(h, seq_before);
	size_t i;
	json_t *ev;
	json_array_foreach(journal, i, ev)
		assert_string_not_equal(test_jstr(ev, "topic"), case_topic);
	json_decref(journal);

	/* The same through an acknowledged report: ok, names the case, no event. */
	json_int_t seq_now = snapshot_seq(h);
	r = test_hub_call_timeout(h, "chen", "report", json_pack("{s:s, s:o}", "topic",
	    "incident", "body", json_loads(second, 0, NULL)), WAIT);
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(test_jstr(r, "object"), case_topic);
	json_decref(r);
	assert_int_equal(snapshot_seq(h), seq_now);

	json_t *stats = test_hub_stats(h);
	assert_int_equal(test_jint(stats, "ingest.accepted"), 5);
	json_decref(stats);
	snap = test_hub_snapshot(h);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 2);
	json_decref(snap);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* 8. Sensors: silent too long -> down; a heartbeat -> up again. */

static void
test_sensor_down_and_up(void **state)
{
	struct test_hub *h = *state;
	const char *const args[] = { "--sensor-interval", "1", "--sensor-misses", "2", NULL };
	json_t *body;
	char *topic;

	assert_int_equal(test_hub_start(h, args), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, ""));
	void *push = test_hub_own(h, test_hub_push(h));
	assert_non_null(sub);

	const char *hb = "{\"sensor\":\"plc-gw-7\",\"kind\":\"heartbeat\",\"sector\":\"water\"}";
	assert_int_equal(test_push(push, "sensor", hb), 0);
	assert_int_equal(test_sub_wait(sub, "sensor.plc-gw-7", NULL, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "status"), "up");
	assert_string_equal(test_jstr(body, "sector"), "water");
	json_decref(body);
	assert_int_equal(test_sub_wait(sub, "sector.water", NULL, &body, WAIT), 0);
	assert_int_equal(test_jint(body, "sensors_up"), 1);
	assert_int_equal(test_jint(body, "sensors_down"), 0);
	json_decref(body);

	/* Silent for 2 s: down within a few seconds (10 s upper bound). */
	assert_int_equal(test_sub_wait(sub, "sensor.", &topic, &body, WAIT), 0);
	assert_string_equal(topic, "sensor.plc-gw-7");
	assert_string_equal(test_jstr(body, "status"), "down");
	json_int_t down_seq = test_jint(body, "seq");
	free(topic);
	json_decref(body);
	assert_int_equal(test_sub_wait(sub, "sector.", &topic, &body, WAIT), 0);
	assert_string_equal(topic, "sector.water");
	assert_int_equal(test_jint(body, "seq"), down_seq + 1);
	assert_int_equal(test_jint(body, "sensors_down"), 1);
	assert_int_equal(test_jint(body, "sensors_up"), 0);
	free(topic);
	json_decref(body);

	json_t *snap = test_hub_snapshot(h);
	assert_string_equal(test_jstr(test_jfind(json_object_get(snap, "sensors"), "id",
	    "plc-gw-7"), "status"), "down");
	json_decref(snap);

	/* Contact again: up. */
	assert_int_equal(test_push(push, "sensor", hb), 0);
	assert_int_equal(test_sub_wait(sub, "sensor.", &topic, &body, WAIT), 0);
	assert_string_equal(topic, "sensor.plc-gw-7");
	assert_string_equal(test_jstr(body, "status"), "up");
	free(topic);
	json_decref(body);
	assert_int_equal(test_sub_wait(sub, "sector.", &topic, &body, WAIT), 0);
	assert_string_equal(topic, "sector.water");
	assert_int_equal(test_jint(body, "sensors_down"), 0);
	assert_int_equal(test_jint(body, "sensors_up"), 1);
	free(topic);
	json_decref(body);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_incident_reaches_subscriber),
		TEST_HUB_CASE(test_bad_input_rejected_and_counted),
		TEST_HUB_CASE(test_huge_frame_cut_off),
		TEST_HUB_CASE(test_malformed_control),
		TEST_HUB_CASE(test_same_ref_updates),
		TEST_HUB_CASE(test_sensor_down_and_up),
	};

	return cmocka_run_group_tests_name("hub ingest", tests, NULL, NULL);
}
