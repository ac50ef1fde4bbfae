/*
 * watchctl against a real watchd: its exit codes (0 ok, 1 refused, 2 usage,
 * 3 no hub), what it prints, and `tail` as JSON lines for scripts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-time.h"
#include "test-hub.h"

#define WAIT TEST_HUB_WAIT_MS

TEST_HUB_SETUP("watchctl")

/* Run watchctl; check its exit code; return stdout (caller frees). */
static char *
run(struct test_hub *h, int want, const char *const *args, const char *input,
    const char *err_has)
{
	char *out = NULL, *err = NULL;
	int rc = test_watchctl(h, args, input, &out, &err);

	if (rc != want) {
		fprintf(stderr, "watchctl");
		for (int i = 0; args[i] != NULL; i++)
			fprintf(stderr, " %s", args[i]);
		fprintf(stderr, "\nstdout: %s\nstderr: %s\n", out, err);
		free(out);
		free(err);
		fail_msg("exit code %d, expected %d", rc, want);
	}
	if (err_has != NULL && strstr(err, err_has) == NULL) {
		fprintf(stderr, "stderr: %s\n", err);
		free(out);
		free(err);
		fail_msg("stderr does not say \"%s\"", err_has);
	}
	free(err);
	return out;
}

static void
run_(struct test_hub *h, int want, const char *const *args, const char *input,
    const char *err_has)
{
	free(run(h, want, args, input, err_has));
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* One line from FD within TIMEOUT_MS into BUF: 0, or -1 on timeout or EOF. */
static int
read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	int64_t deadline = bus_time_mono_ms() + timeout_ms;
	size_t n = 0;

	while (n + 1 < size) {
		int64_t left = deadline - bus_time_mono_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n') {
			buf[n] = '\0';
			return 0;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

/* A tail line must be {"topic": "...", "body": {...}}. */
static json_t *
parse_tail_line(const char *line)
{
	json_error_t err;
	json_t *v = json_loads(line, 0, &err);

	if (!json_is_object(v))
		fail_msg("tail printed a line that is not a JSON object: %s (%s)", line, err.text);
	assert_true(json_is_string(json_object_get(v, "topic")));
	assert_true(json_is_object(json_object_get(v, "body")));
	assert_true(json_is_integer(test_jget(v, "body.seq")));
	return v;
}

static void
test_exit_codes(void **state)
{
	struct test_hub *h = *state;
	char *out;

	assert_int_equal(test_hub_start(h, NULL), 0);

	/* 0: ok, with what the reply names. */
	out = run(h, 0, ARGS("--user", "mori", "whoami"), NULL, NULL);
	assert_string_equal(out, "ok: user mori, role lead\n");
	free(out);
	out = run(h, 0, ARGS("--user", "chen", "open", "energy", "Grid Co",
	    "Relay settings changed", "--level", "3", "--ref", "GC-1"), NULL, NULL);
	assert_int_equal(strncmp(out, "ok: case ICS-", 13), 0);
	char case_id[32];
	assert_int_equal(sscanf(out, "ok: case %31s", case_id), 1);
	free(out);

	/* 1: refused, with the code and the sentence on stderr. */
	char *err = NULL;
	out = NULL;
	assert_int_equal(test_watchctl(h, ARGS("--user", "watch", "dispatch", "FLY-1", case_id),
	    NULL, &out, &err), 1);
	assert_non_null(strstr(err, "refused (forbidden)"));
	assert_non_null(strstr(err, "dispatch needs the role lead; watch has the role viewer."));
	assert_string_equal(out, "");
	free(out);
	free(err);
	run_(h, 0, ARGS("--user", "mori", "dispatch", "FLY-1", case_id), NULL, NULL);
	run_(h, 1, ARGS("--user", "hayes", "dispatch", "FLY-1", case_id), NULL,
	    "refused (team_busy)");
	run_(h, 1, ARGS("--user", "chen", "close", case_id, "all", "good"), NULL,
	    "refused (team_assigned)");
	run_(h, 1, ARGS("--user", "chen", "status", case_id, "closed"), NULL,
	    "refused (bad_transition)");
	run_(h, 1, ARGS("--user", "mori", "request", "launch"), NULL, "refused (unknown_op)");
	run_(h, 0, ARGS("--user", "mori", "recall", "FLY-1"), NULL, NULL);
	run_(h, 0, ARGS("--user", "mori", "team", "FLY-1", "available"), NULL, NULL);
	run_(h, 0, ARGS("--user", "chen", "close", case_id, "contained"), NULL, NULL);
	run_(h, 1, ARGS("--user", "mori", "dispatch", "FLY-1", case_id), NULL,
	    "refused (case_closed)");

	/* 2: usage. */
	run_(h, 2, ARGS("--user", "mori"), NULL, "usage");
	run_(h, 2, ARGS("frobnicate"), NULL, "unknown command");
	run_(h, 2, ARGS("--user", "mori", "dispatch", "FLY-1"), NULL, "usage");
	run_(h, 2, ARGS("--timeout", "soon", "whoami"), NULL, "--timeout");
	run_(h, 2, ARGS("--no-such-option", "whoami"), NULL, NULL);
	run_(h, 2, ARGS("replay", "yesterday"), NULL, "replay");
	run_(h, 2, ARGS("open", "energy", "Grid Co"), NULL, "usage");
	run_(h, 2, ARGS("publish", "incident", "{\"title\": "), NULL, "JSON");
	run_(h, 2, ARGS("request", "whoami", "[1, 2]"), NULL, "object");

	/* 3: no hub within the timeout. */
	char dead_control[400], dead_ingest[400];
	snprintf(dead_control, sizeof dead_control, "ipc://%s/nobody-control", h->dir);
	snprintf(dead_ingest, sizeof dead_ingest, "ipc://%s/nobody-ingest", h->dir);
	run_(h, 3, ARGS("--timeout", "1", "--control", dead_control, "whoami"), NULL, "no reply");
	run_(h, 3, ARGS("--timeout", "1", "--control", dead_control, "--user", "mori",
	    "dispatch", "FLY-1", case_id), NULL, NULL);
	run_(h, 3, ARGS("--timeout", "1", "--control", dead_control, "snapshot"), NULL, NULL);
	run_(h, 3, ARGS("--timeout", "1", "--ingest", dead_ingest, "publish", "incident",
	    "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\"}"), NULL, NULL);

	/* The hub is untouched by all of that. */
	json_t *r = test_hub_call_timeout(h, "test", "whoami", NULL, WAIT);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

static void
test_publish_snapshot_replay(void **state)
{
	struct test_hub *h = *state;
	json_t *body, *v;
	char *out;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, "case."));
	assert_non_null(sub);

	/* publish without --ack: through PUSH, and it arrives. */
	run_(h, 0, ARGS("publish", "incident",
	    "{\"title\":\"Published from the CLI\",\"org\":\"o\",\"sector\":\"it\"}"), NULL, NULL);
	assert_int_equal(test_sub_wait(sub, "case.", NULL, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "title"), "Published from the CLI");
	json_decref(body);

	/* With --ack: an acknowledged report; refused when invalid. */
	out = run(h, 0, ARGS("--user", "alvarez", "publish", "intel",
	    "{\"title\":\"Advisory\",\"source\":\"CERT\"}", "--ack"), NULL, NULL);
	assert_int_equal(strncmp(out, "ok: object intel.INT-", 21), 0);
	free(out);
	run_(h, 1, ARGS("--user", "alvarez", "publish", "incident",
	    "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"mars\"}", "--ack"), NULL,
	    "refused (invalid)");
	run_(h, 1, ARGS("--user", "watch", "publish", "incident",
	    "{\"title\":\"t\",\"org\":\"o\",\"sector\":\"it\"}", "--ack"), NULL,
	    "refused (forbidden)");

	/* Lines on stdin: the good ones go, a bad one is reported (exit 2). */
	run_(h, 2, ARGS("publish", "incident"),
	    "{\"title\":\"line one\",\"org\":\"o\",\"sector\":\"it\"}\n"
	    "{\"title\": broken\n"
	    "\n"
	    "{\"title\":\"line three\",\"org\":\"o\",\"sector\":\"it\"}\n", "stdin line 2");
	assert_int_equal(test_sub_wait(sub, "case.", NULL, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "title"), "line one");
	json_decref(body);
	assert_int_equal(test_sub_wait(sub, "case.", NULL, &body, WAIT), 0);
	assert_string_equal(test_jstr(body, "title"), "line three");
	json_decref(body);

	/* snapshot: one JSON document, the hub's state. */
	out = run(h, 0, ARGS("snapshot"), NULL, NULL);
	v = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(v);
	assert_true(json_is_integer(json_object_get(v, "seq")));
	assert_int_equal(json_array_size(json_object_get(v, "cases")), 3);
	assert_int_equal(json_array_size(json_object_get(v, "sectors")), 16);
	json_int_t seq = test_jint(v, "seq");
	json_decref(v);

	/* stats: JSON with the counters. */
	out = run(h, 0, ARGS("stats"), NULL, NULL);
	v = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(v);
	assert_int_equal(test_jint(v, "ingest.accepted"), 4);
	assert_int_equal(test_jint(v, "ingest.rejected_by_reason.fields"), 1);
	json_decref(v);

	/* replay AFTER LIMIT: that many JSON lines, in seq order. */
	out = run(h, 0, ARGS("replay", "3", "5"), NULL, NULL);
	char *save = NULL, *line = strtok_r(out, "\n", &save);
	int n = 0;
	while (line != NULL) {
		v = parse_tail_line(line);
		assert_int_equal(test_jint(v, "body.seq"), 4 + n);
		json_decref(v);
		n++;
		line = strtok_r(NULL, "\n", &save);
	}
	assert_int_equal(n, 5);
	free(out);
	out = run(h, 0, ARGS("replay", "0"), NULL, NULL);
	n = 0;
	for (char *p = out; *p != '\0'; p++)
		n += *p == '\n';
	assert_int_equal(n, seq);
	free(out);

	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

static void
test_tail(void **state)
{
	struct test_hub *h = *state;
	char line[65536];
	int fd_all, fd_cases;

	assert_int_equal(test_hub_start(h, NULL), 0);
	pid_t all = test_watchctl_spawn(h, ARGS("tail"), &fd_all);
	pid_t cases = test_watchctl_spawn(h, ARGS("tail", "case.", "team."), &fd_cases);
	assert_true(all > 0);
	assert_true(cases > 0);

	/* A heartbeat line proves tail's subscription is live. */
	for (;;) {
		if (read_line(fd_all, line, sizeof line, WAIT) != 0)
			fail_msg("tail printed no heartbeat");
		json_t *v = parse_tail_line(line);
		int hb = strcmp(test_jstr(v, "topic"), "hub.heartbeat") == 0;
		json_decref(v);
		if (hb)
			break;
	}

	/* The prefix tail has no heartbeats to show; give its subscription
	 * time to reach the hub by waiting for an event it must see. */
	void *push = test_hub_own(h, test_hub_push(h));
	json_t *r = test_hub_call_timeout(h, "mori", "team", json_pack("{s:s, s:s}", "team",
	    "FLY-5", "status", "offduty"), WAIT);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	int64_t deadline = bus_time_mono_ms() + WAIT;
	int live = 0, offduty = 1;
	while (!live && bus_time_mono_ms() < deadline) {
		struct pollfd p = { fd_cases, POLLIN, 0 };
		if (poll(&p, 1, 200) > 0)
			live = 1;
		else {
			/* Another event it must see, until one gets through. */
			offduty = !offduty;
			r = test_hub_call_timeout(h, "mori", "team", json_pack("{s:s, s:s}",
			    "team", "FLY-5", "status", offduty ? "offduty" : "available"), WAIT);
			assert_true(json_is_true(json_object_get(r, "ok")));
			json_decref(r);
		}
	}
	assert_true(live);

	assert_int_equal(test_push(push, "incident",
	    "{\"title\":\"Tail me\",\"org\":\"o\",\"sector\":\"food\",\"summary\":"
	    "\"quotes \\\" and \\u00e9 and newline \\n inside\"}"), 0);

	/* The full tail: the case line, then its sector, every line JSON. */
	int saw_case = 0, saw_sector = 0;
	while (!(saw_case && saw_sector)) {
		if (read_line(fd_all, line, sizeof line, WAIT) != 0)
			fail_msg("tail did not print the case and its sector");
		json_t *v = parse_tail_line(line);
		const char *t = test_jstr(v, "topic");
		if (strncmp(t, "case.", 5) == 0 &&
		    strcmp(test_jstr(v, "body.title"), "Tail me") == 0) {
			assert_string_equal(test_jstr(v, "body.summary"),
			    "quotes \" and \xc3\xa9 and newline \n inside");
			assert_string_equal(test_jstr(v, "body.status"), "reported");
			saw_case = 1;
		}
		if (strcmp(t, "sector.food") == 0) {
			assert_true(saw_case);
			assert_int_equal(test_jint(v, "body.open_cases"), 1);
			saw_sector = 1;
		}
		json_decref(v);
	}

	/* The prefix tail: only case. and team. lines. */
	int saw = 0;
	while (!saw) {
		if (read_line(fd_cases, line, sizeof line, WAIT) != 0)
			fail_msg("the prefix tail did not print the case");
		json_t *v = parse_tail_line(line);
		const char *t = test_jstr(v, "topic");
		if (strncmp(t, "case.", 5) != 0 && strncmp(t, "team.", 5) != 0)
			fail_msg("tail case. team. printed %s", t);
		saw = strncmp(t, "case.", 5) == 0;
		json_decref(v);
	}

	/* SIGTERM ends tail with status 0. */
	assert_int_equal(test_kid_stop(h, all, SIGTERM, WAIT), 0);
	assert_int_equal(test_kid_stop(h, cases, SIGTERM, WAIT), 0);
	close(fd_all);
	close(fd_cases);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/* Demo traffic lands only on a demo floor: simulate refuses a live hub
 * and changes nothing there; a live floor's database cannot be served as
 * a demo; a demo floor says so (whoami, heartbeats, stats) and stays one
 * when its hub restarts without --demo. */
static void
test_demo_only_on_a_demo_floor(void **state)
{
	struct test_hub *h = *state;
	const char *const demo[] = { "--demo", NULL };
	const char *const sim[] = { "--user", "mori", "simulate", "--rate", "50", "--duration",
		"1", "--seed", "3", NULL };
	char *err = NULL;

	assert_int_equal(test_hub_start(h, NULL), 0);
	json_t *me = test_hub_ok(h, "mori", "whoami", NULL);
	assert_true(json_is_false(json_object_get(me, "demo")));
	json_decref(me);
	assert_int_equal(test_watchctl(h, sim, NULL, NULL, &err), 2);
	assert_non_null(strstr(err, "serves a live floor"));
	free(err);
	json_t *snap = test_hub_snapshot(h);
	assert_int_equal(json_array_size(json_object_get(snap, "cases")), 0);
	assert_int_equal(json_array_size(json_object_get(snap, "intel")), 0);
	json_decref(snap);
	assert_int_equal(test_hub_stop_clean(h), 0);

	/* That database holds a live floor now: no demo on it. */
	assert_int_equal(test_hub_start(h, demo), -1);

	snprintf(h->db, sizeof h->db, "%s/demo.db", h->dir);
	assert_int_equal(test_hub_start(h, demo), 0);
	void *sub = test_hub_sub(h, "hub.");
	json_t *hb = NULL;
	assert_int_equal(test_sub_wait(sub, "hub.heartbeat", NULL, &hb, WAIT), 0);
	assert_true(json_is_true(json_object_get(hb, "demo")));
	json_decref(hb);
	test_hub_close(h, sub);
	assert_int_equal(test_watchctl(h, sim, NULL, NULL, NULL), 0);
	snap = test_hub_snapshot(h);
	assert_true(json_array_size(json_object_get(snap, "intel")) +
	    json_array_size(json_object_get(snap, "cases")) > 0);
	json_decref(snap);
	assert_int_equal(test_hub_stop_clean(h), 0);

	assert_int_equal(test_hub_start(h, NULL), 0);
	me = test_hub_ok(h, "mori", "whoami", NULL);
	assert_true(json_is_true(json_object_get(me, "demo")));
	json_decref(me);
	json_t *st = test_hub_stats(h);
	assert_true(json_is_true(json_object_get(st, "demo")));
	json_decref(st);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_exit_codes),
		TEST_HUB_CASE(test_publish_snapshot_replay),
		TEST_HUB_CASE(test_tail),
		TEST_HUB_CASE(test_demo_only_on_a_demo_floor),
	};

	return cmocka_run_group_tests_name("watchctl", tests, NULL, NULL);
}
