/*
 * watchctl follow --check, the headless replica checker the fault and load
 * tests use as stand-in consoles. With a real hub it follows through a
 * burst, a kill -9 and a restart and ends equal to the hub; against a hub
 * that lies (its events say one thing, its snapshot another at the same
 * seq) it must say DIVERGED and exit 1, or it could not catch a real
 * divergence either.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-time.h"
#include "test-hub.h"

/* All of FD until EOF (the child has exited). */
static char *
read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* A burst, a kill -9 in the middle of it, a restart and more traffic:
 * the checker ends equal to the hub, having seen the restart. */
static void
test_follows_a_real_hub_through_a_crash(void **state)
{
	struct test_hub *h = *state;
	const char *follow[] = { "follow", "--check", "--settle", "10", NULL };
	const char *burst[] = { "--user", "mori", "simulate", "--rate", "300", "--duration", "2",
		"--seed", "7", NULL };
	const char *more[] = { "--user", "mori", "simulate", "--rate", "100", "--duration", "1",
		"--seed", "8", NULL };
	const char *const demo[] = { "--demo", NULL };
	int fd;

	/* A demo floor: simulate's traffic goes nowhere else. A restart
	 * without --demo serves it still, as its database says. */
	assert_int_equal(test_hub_start(h, demo), 0);
	pid_t checker = test_watchctl_spawn(h, follow, &fd);
	assert_true(checker > 0);
	assert_int_equal(test_watchctl(h, burst, NULL, NULL, NULL), 0);
	assert_int_equal(test_hub_stop(h, SIGKILL) >= 0, 1);
	assert_int_equal(test_hub_start(h, NULL), 0);
	assert_int_equal(test_watchctl(h, more, NULL, NULL, NULL), 0);

	json_t *snap = test_hub_snapshot(h);
	json_int_t seq = json_integer_value(json_object_get(snap, "seq"));
	json_decref(snap);
	test_checker_end(h, checker, fd, seq);
	test_hub_passed(h);
}

/* ------------------------------------------------------------------ */
/* A hub that lies: just enough of the protocol to be followed. */

struct liar {
	void *pub, *router;
	int64_t seq;
	int snapshots; /* answered so far */
};

static const char liar_id[] = "feedfacefeedface";

static json_t *
liar_case(int64_t seq, const char *status)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:s}", "id", "ICS-2026-0001",
	    "title", "Chlorine dosing PLC reset", "org", "Lakeside Water", "sector", "water",
	    "status", status, "level", 3, "opened_by", "ingest", "seq", (json_int_t)seq, "ts",
	    "2026-11-27T00:00:00.000Z");
}

static void
liar_send(void *sock, const char *topic, json_t *body, const void *id, size_t idlen)
{
	char *text = json_dumps(body, JSON_COMPACT);

	if (id != NULL)
		zmq_send(sock, id, idlen, ZMQ_SNDMORE);
	zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE);
	zmq_send(sock, text, strlen(text), 0);
	free(text);
	json_decref(body);
}

static void
liar_heartbeat(struct liar *l)
{
	liar_send(l->pub, "hub.heartbeat", json_pack("{s:I, s:s, s:s, s:s}", "seq",
	    (json_int_t)l->seq, "ts", "2026-11-27T00:00:01.000Z", "hub", liar_id, "started_at",
	    "2026-11-27T00:00:00.000Z"), NULL, 0);
}

/* Answer one request: snapshots (the first true, the later ones not),
 * everything else refused. */
static void
liar_answer(struct liar *l)
{
	char id[256], topic[64], body[4096];
	int idlen = zmq_recv(l->router, id, sizeof id, 0);
	int tlen = zmq_recv(l->router, topic, sizeof topic - 1, 0);
	int blen = zmq_recv(l->router, body, sizeof body - 1, 0);

	if (idlen <= 0 || tlen <= 0 || blen <= 0)
		return;
	body[blen] = '\0';
	json_t *req = json_loads(body, 0, NULL);
	const char *op = json_string_value(json_object_get(req, "op"));
	json_t *reply;
	if (op != NULL && strcmp(op, "snapshot") == 0) {
		/* The truth first; then, at the seq of the event that said
		 * "assigned", a snapshot that says "closed". */
		const char *status = l->snapshots++ == 0 ? "reported" : "closed";
		reply = json_pack("{s:b, s:I, s:s, s:[o], s:[], s:[], s:[], s:[], s:[]}", "ok", 1,
		    "seq", (json_int_t)l->seq, "hub", liar_id, "cases", liar_case(l->seq, status),
		    "teams", "sectors", "sensors", "intel", "staff");
	} else
		reply = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", "unknown_op",
		    "message", "no");
	json_object_set(reply, "id", json_object_get(req, "id"));
	liar_send(l->router, "reply", reply, id, (size_t)idlen);
	json_decref(req);
}

static void
test_a_lying_hub_is_caught(void **state)
{
	struct test_hub *h = *state;
	struct liar l = { .seq = 1 };
	const char *follow[] = { "follow", "--check", "--duration", "2", "--settle", "5", NULL };
	int fd, status = -1, published = 0;

	l.pub = test_hub_own(h, zmq_socket(h->zctx, ZMQ_PUB));
	l.router = test_hub_own(h, zmq_socket(h->zctx, ZMQ_ROUTER));
	assert_int_equal(zmq_bind(l.pub, h->events), 0);
	assert_int_equal(zmq_bind(l.router, h->control), 0);
	pid_t checker = test_watchctl_spawn(h, follow, &fd);
	assert_true(checker > 0);

	int64_t deadline = bus_time_mono_ms() + 20000, next_hb = 0;
	while (bus_time_mono_ms() < deadline) {
		zmq_pollitem_t item = { l.router, 0, ZMQ_POLLIN, 0 };
		if (bus_time_mono_ms() >= next_hb) {
			liar_heartbeat(&l);
			next_hb = bus_time_mono_ms() + 100;
		}
		if (zmq_poll(&item, 1, 50) > 0)
			liar_answer(&l);
		/* Once the checker has its first snapshot, one event moves the
		 * case on: seq 2, "assigned". */
		if (l.snapshots == 1 && !published) {
			l.seq = 2;
			liar_send(l.pub, "case.ICS-2026-0001", liar_case(2, "assigned"), NULL, 0);
			published = 1;
		}
		pid_t r = waitpid(checker, &status, WNOHANG);
		if (r == checker)
			break;
	}
	assert_true(published);
	assert_true(WIFEXITED(status));
	char *out = read_all(fd);
	assert_int_equal(WEXITSTATUS(status), 1);
	if (strstr(out, "DIVERGED: at seq 2: case ICS-2026-0001 differs from the snapshot: "
	    "status") == NULL)
		fail_msg("the checker did not name the divergence:\n%s", out);
	free(out);
	test_hub_passed(h);
}

TEST_HUB_SETUP("follow")

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_follows_a_real_hub_through_a_crash),
		TEST_HUB_CASE(test_a_lying_hub_is_caught),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
