/*
 * The Clone pattern against a real watchd, as a console does it: while a
 * producer streams, subscribe, take a snapshot, drop queued events the
 * snapshot already holds and apply the newer ones. The replica must end
 * equal to a fresh snapshot, and the events applied must be exactly the
 * seqs after the snapshot's, with no gap and no duplicate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "test-hub.h"

#define WAIT TEST_HUB_WAIT_MS
#define NMSG 2000 /* half new refs, half updates of them */

TEST_HUB_SETUP("clone")

struct producer {
	struct test_hub *h;
	int sent;
	int failed;
};

static const char *const sectors[] = { "energy", "water", "it", "transportation",
	"healthcare" };

/* Incidents R-0..R-999, each then updated with a new level; then END. */
static void *
produce(void *arg)
{
	struct producer *p = arg;
	void *push = test_hub_push(p->h);
	char body[256];

	for (int i = 0; i < NMSG; i++) {
		int n = i / 2;
		int level = i % 2 == 0 ? 1 : 2 + n % 4;
		snprintf(body, sizeof body, "{\"title\":\"clone %d\",\"org\":\"Org %d\","
		    "\"sector\":\"%s\",\"ref\":\"R-%d\",\"level\":%d}", n, n % 37,
		    sectors[n % 5], n, level);
		if (test_push(push, "incident", body) != 0)
			p->failed = 1;
		p->sent++;
		/* Stream (for 0.4 s at least) rather than dump everything at
		 * once, so that the snapshot falls in the middle of it. */
		if (i % 10 == 9)
			usleep(2000);
	}
	if (test_push(push, "incident",
	    "{\"title\":\"END\",\"org\":\"o\",\"sector\":\"dams\",\"ref\":\"END\"}") != 0)
		p->failed = 1;
	zmq_close(push); /* its linger lets the queue drain */
	return NULL;
}

static void
test_snapshot_plus_updates(void **state)
{
	struct test_hub *h = *state;
	struct producer p = { h, 0, 0 };
	pthread_t thread;
	json_t *queued = json_array(), *body;
	char *topic;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *sub = test_hub_own(h, test_hub_sub(h, ""));
	assert_non_null(sub);
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);

	/* Subscribed: queue events until the stream is well under way. */
	int cases_seen = 0;
	while (cases_seen < 200) {
		if (test_sub_recv(sub, &topic, &body, WAIT, 1) != 0) {
			pthread_join(thread, NULL);
			fail_msg("the stream did not reach the subscriber");
		}
		cases_seen += strncmp(topic, "case.", 5) == 0;
		json_array_append_new(queued, json_pack("{s:s, s:o}", "topic", topic, "body", body));
		free(topic);
	}

	/* The snapshot, taken while the producer streams. */
	json_t *snap = test_hub_snapshot(h);
	if (snap == NULL) {
		pthread_join(thread, NULL);
		fail_msg("no snapshot");
	}
	json_int_t snap_seq = test_jint(snap, "seq");
	json_t *replica = test_snapshot_objects(snap);
	json_decref(snap);

	json_int_t last = snap_seq, applied = 0, dropped = 0, end_seq = -1, target = -1;
	size_t qi = 0;
	for (;;) {
		json_t *ev;
		if (qi < json_array_size(queued)) {
			ev = json_incref(json_array_get(queued, qi++));
		} else {
			if (end_seq > 0 && target < 0) {
				/* END is in: the hub is quiet; catch up with its seq. */
				json_t *stats = test_hub_stats(h);
				assert_non_null(stats);
				target = test_jint(stats, "seq");
				json_decref(stats);
			}
			if (target >= 0 && last >= target)
				break;
			if (test_sub_recv(sub, &topic, &body, WAIT, 1) != 0) {
				pthread_join(thread, NULL);
				fail_msg("stalled at seq %lld (END at %lld, target %lld)",
				    (long long)last, (long long)end_seq, (long long)target);
			}
			ev = json_pack("{s:s, s:o}", "topic", topic, "body", body);
			free(topic);
		}
		const char *t = test_jstr(ev, "topic");
		json_t *b = json_object_get(ev, "body");
		json_int_t seq = test_jint(b, "seq");
		if (seq <= snap_seq && applied == 0) {
			dropped++; /* the snapshot has it already */
		} else {
			if (seq != last + 1) {
				pthread_join(thread, NULL);
				fail_msg("applied seq %lld after %lld: %s", (long long)seq,
				    (long long)last, seq <= last ? "a duplicate" : "a gap");
			}
			test_apply_event(replica, t, b);
			last = seq;
			applied++;
		}
		if (strncmp(t, "case.", 5) == 0 && test_jstr(b, "ref") != NULL &&
		    strcmp(test_jstr(b, "ref"), "END") == 0)
			end_seq = seq;
		json_decref(ev);
	}
	pthread_join(thread, NULL);
	assert_int_equal(p.failed, 0);
	assert_int_equal(p.sent, NMSG);
	print_message("# snapshot at seq %lld; %lld queued events dropped, %lld applied, "
	    "last seq %lld\n", (long long)snap_seq, (long long)dropped, (long long)applied,
	    (long long)last);

	/* The replica is a fresh snapshot, object for object. */
	json_t *fresh = test_hub_snapshot(h);
	assert_non_null(fresh);
	assert_int_equal(test_jint(fresh, "seq"), last);
	assert_int_equal(json_array_size(json_object_get(fresh, "cases")), NMSG / 2 + 1);
	json_t *objects = test_snapshot_objects(fresh);
	const char *key;
	json_t *obj;
	json_object_foreach(objects, key, obj) {
		json_t *mine = json_object_get(replica, key);
		if (mine == NULL)
			fail_msg("%s is missing from the replica", key);
		assert_int_equal(test_jint(mine, "seq"), test_jint(obj, "seq"));
		if (!json_equal(mine, obj))
			fail_msg("%s differs between the replica and the snapshot", key);
	}
	assert_int_equal(json_object_size(replica), json_object_size(objects));
	/* Every update landed: odd messages raised each case's level. */
	json_t *cases = json_object_get(fresh, "cases");
	size_t i;
	json_array_foreach(cases, i, obj) {
		int n;
		if (sscanf(test_jstr(obj, "ref"), "R-%d", &n) == 1)
			assert_int_equal(test_jint(obj, "level"), 2 + n % 4);
	}
	json_decref(objects);
	json_decref(fresh);
	json_decref(replica);
	json_decref(queued);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

/*
 * A snapshot is consistent with its seq S: every change up to S and none
 * after. Requests pipelined on one DEALER ([open, snapshot] x N) land in
 * the same loop turns as the changes around them, where a snapshot could
 * pick up objects the rest of the turn changes.
 */
static void
test_snapshot_consistent_with_its_seq(void **state)
{
	struct test_hub *h = *state;
	char id[32], title[64];
	const int rounds = 40;

	assert_int_equal(test_hub_start(h, NULL), 0);
	void *d = test_hub_dealer(h);
	assert_non_null(d);
	for (int r = 0; r < rounds; r++) {
		snprintf(id, sizeof id, "open-%d", r);
		snprintf(title, sizeof title, "pipelined %d", r);
		assert_int_equal(test_send_request(d, "chen", "open", id, json_pack(
		    "{s:s, s:s, s:s, s:i}", "title", title, "org", "o", "sector",
		    sectors[r % 5], "level", 1 + r % 5)), 0);
		snprintf(id, sizeof id, "snap-%d", r);
		assert_int_equal(test_send_request(d, "test", "snapshot", id, NULL), 0);
	}
	int violations = 0;
	for (int n = 0; n < 2 * rounds; n++) {
		json_t *reply;
		if (test_recv_reply(d, &reply, NULL, WAIT) != 0)
			fail_msg("reply %d of %d missing", n, 2 * rounds);
		assert_true(json_is_true(json_object_get(reply, "ok")));
		const char *rid = test_jstr(reply, "id");
		int r;
		if (sscanf(rid, "snap-%d", &r) == 1) {
			json_int_t seq = test_jint(reply, "seq");
			/* Every open sent before it on this socket, and only those. */
			assert_int_equal(json_array_size(json_object_get(reply, "cases")), r + 1);
			json_t *objects = test_snapshot_objects(reply);
			const char *topic;
			json_t *obj;
			json_object_foreach(objects, topic, obj) {
				if (test_jint(obj, "seq") > seq) {
					if (violations++ < 5)
						fprintf(stderr, "snapshot %d at seq %lld holds %s at seq %lld\n",
						    r, (long long)seq, topic, (long long)test_jint(obj, "seq"));
				}
			}
			json_decref(objects);
		}
		json_decref(reply);
	}
	if (violations > 0)
		fail_msg("%d objects in snapshots were newer than the snapshot's seq",
		    violations);
	assert_int_equal(test_hub_stop_clean(h), 0);
	test_hub_passed(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_HUB_CASE(test_snapshot_plus_updates),
		TEST_HUB_CASE(test_snapshot_consistent_with_its_seq),
	};

	return cmocka_run_group_tests_name("hub clone", tests, NULL, NULL);
}
