#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-client.h"
#include "bus-codec.h"
#include "bus-hub.h"
#include "bus-time.h"
#include "test-hub.h"
#include "test-valgrind.h"

#ifndef WATCHD_PATH
#error "WATCHD_PATH must name the watchd binary under test"
#endif
#ifndef WATCHCTL_PATH
#error "WATCHCTL_PATH must name the watchctl binary under test"
#endif

int
test_hub_init(struct test_hub *h, const char *name)
{
	memset(h, 0, sizeof *h);
	snprintf(h->dir, sizeof h->dir, "/tmp/watchfloor-%s-XXXXXX", name);
	if (mkdtemp(h->dir) == NULL) {
		h->dir[0] = '\0';
		return -1;
	}
	snprintf(h->db, sizeof h->db, "%s/hub.db", h->dir);
	snprintf(h->log, sizeof h->log, "%s/hub.log", h->dir);
	snprintf(h->ingest, sizeof h->ingest, "ipc://%s/ingest", h->dir);
	snprintf(h->events, sizeof h->events, "ipc://%s/events", h->dir);
	snprintf(h->control, sizeof h->control, "ipc://%s/control", h->dir);
	/* The programs under test read no one's settings but the test's own:
	 * not the user's ~/.config (consoles, watchctl), nor /etc (watchd,
	 * given --config below). A test that wants a file writes one here. */
	char config[sizeof h->dir + 16];
	snprintf(config, sizeof config, "%s/config", h->dir);
	setenv("XDG_CONFIG_HOME", config, 1);
	h->zctx = zmq_ctx_new();
	return 0;
}

int
test_hub_argv(struct test_hub *h, const char *const *extra, int verbose, const char **argv,
    int max)
{
	int n = 0;

	argv[n++] = WATCHD_PATH;
	argv[n++] = "--config";
	argv[n++] = "/dev/null";
	argv[n++] = "--ingest";
	argv[n++] = h->ingest;
	argv[n++] = "--events";
	argv[n++] = h->events;
	argv[n++] = "--control";
	argv[n++] = h->control;
	argv[n++] = "--db";
	argv[n++] = h->db;
	if (verbose)
		argv[n++] = "-v";
	for (int i = 0; extra != NULL && extra[i] != NULL && n < max - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return n;
}

pid_t
test_hub_spawn(struct test_hub *h, const char *const *argv)
{
	/* Under valgrind, the valgrind command (found in PATH) and its
	 * options, then ARGV; made before the fork, for the child of a
	 * process with threads (ZeroMQ's) may only exec. */
	const char *buf[TEST_VALGRIND_MAX_ARGS + 64];
	const char *const *run = test_valgrind_argv(argv, buf, TEST_VALGRIND_MAX_ARGS + 64);

	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (h->pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execvp(run[0], (char *const *)run);
		_exit(127);
	}
	return h->pid;
}

int
test_hub_start(struct test_hub *h, const char *const *extra)
{
	const char *argv[64];

	test_hub_argv(h, extra, !h->quiet, argv, 64);
	if (test_hub_spawn(h, argv) < 0)
		return -1;
	/* Ready when it answers: the first request may wait for the socket. */
	int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(10000);
	while (bus_time_mono_ms() < deadline) {
		json_t *r = test_hub_call(h, "test", "whoami", NULL);
		if (r != NULL) {
			json_decref(r);
			return 0;
		}
		int status;
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			test_valgrind_reaped("watchd", h->pid, status);
			h->pid = 0;
			return -1;
		}
	}
	return -1;
}

int
test_hub_stop(struct test_hub *h, int sig)
{
	int status = 0;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, sig);
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	test_valgrind_reaped("watchd", h->pid, status);
	h->pid = 0;
	return status;
}

/* Reap PID within TIMEOUT_MS: its wait status, or -1 (then SIGKILLed). */
int
test_reap_within(pid_t pid, int timeout_ms)
{
	int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(timeout_ms);
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (bus_time_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		usleep(5000);
	}
}

int
test_hub_terminate(struct test_hub *h, int timeout_ms)
{
	int status;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, SIGTERM);
	status = test_reap_within(h->pid, timeout_ms);
	if (status >= 0)
		test_valgrind_reaped("watchd", h->pid, status);
	h->pid = 0;
	return status;
}

int
test_hub_stop_clean(struct test_hub *h)
{
	int status = test_hub_terminate(h, 10000);

	if (status < 0) {
		fprintf(stderr, "watchd did not exit within 10 s of SIGTERM\n");
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "watchd stopped with %s %d\n",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

int
test_hub_running(struct test_hub *h)
{
	int status;

	if (h->pid <= 0)
		return 0;
	if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
		test_valgrind_reaped("watchd", h->pid, status);
		h->pid = 0;
		return 0;
	}
	return 1;
}

void
test_hub_dump_log(const struct test_hub *h)
{
	char line[1024];
	FILE *f = fopen(h->log, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", h->log);
	while (fgets(line, sizeof line, f) != NULL)
		fputs(line, stderr);
	fprintf(stderr, "---- end of log ----\n");
	fclose(f);
}

void
test_hub_cleanup(struct test_hub *h)
{
	char cmd[400];

	for (int i = 0; i < h->nowned; i++)
		zmq_close(h->owned[i]);
	h->nowned = 0;
	/* Under valgrind the programs are asked to end (SIGTERM), for
	 * memcheck checks for leaks only in a program that ends by itself;
	 * they are killed if they do not. */
	int sig = test_valgrind_on() ? SIGTERM : SIGKILL;
	for (int i = 0; i < h->nkids; i++) {
		kill(h->kids[i], sig);
		int status = test_reap_within(h->kids[i], 5000);
		if (status >= 0)
			test_valgrind_reaped("watchctl", h->kids[i], status);
	}
	h->nkids = 0;
	if (h->pid > 0 && test_valgrind_on()) {
		if (test_hub_terminate(h, TEST_HUB_WAIT_MS) < 0)
			fprintf(stderr, "watchd did not end within %d ms of SIGTERM under "
			    "valgrind; killed\n", test_valgrind_ms(TEST_HUB_WAIT_MS));
	}
	if (h->pid > 0)
		test_hub_stop(h, SIGKILL);
	if (h->zctx != NULL)
		zmq_ctx_term(h->zctx);
	h->zctx = NULL;
	if (h->dir[0] != '\0' && getenv("WATCHFLOOR_KEEP_TEST_DIRS") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", h->dir);
	}
	h->dir[0] = '\0';
}

int
test_hub_fixture_setup(void **state, const char *name)
{
	struct test_hub *h = calloc(1, sizeof *h);

	if (h == NULL || test_hub_init(h, name) != 0) {
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

int
test_hub_fixture_teardown(void **state)
{
	struct test_hub *h = *state;

	if (h == NULL)
		return 0;
	if (!h->passed)
		test_hub_dump_log(h);
	test_hub_cleanup(h);
	free(h);
	*state = NULL;
	/* Programs memcheck failed (console_fixture_teardown frees its
	 * consoles first, so theirs count here too) fail the test. */
	int failed = test_valgrind_errors();
	if (failed > 0) {
		fprintf(stderr, "%d program%s of this test failed under valgrind\n", failed,
		    failed > 1 ? "s" : "");
		return -1;
	}
	return 0;
}

void
test_hub_passed(struct test_hub *h)
{
	h->passed = 1;
}

/* ------------------------------------------------------------------ */
/* Control requests. */

json_t *
test_hub_call_timeout(struct test_hub *h, const char *user, const char *op, json_t *args,
    int timeout_ms)
{
	char *cause = NULL;
	struct bus_client *cl = bus_client_new(h->zctx, h->control, user, h->curve, &cause);

	if (cl == NULL) {
		fprintf(stderr, "test_hub_call: %s\n", cause);
		free(cause);
		json_decref(args);
		return NULL;
	}
	json_t *r = bus_client_call(cl, op, args, test_valgrind_ms(timeout_ms), &cause);
	free(cause);
	bus_client_free(cl);
	return r;
}

json_t *
test_hub_call(struct test_hub *h, const char *user, const char *op, json_t *args)
{
	return test_hub_call_timeout(h, user, op, args, 2000);
}

json_t *
test_hub_snapshot(struct test_hub *h)
{
	return test_hub_call_timeout(h, "test", "snapshot", NULL, TEST_HUB_WAIT_MS);
}

json_t *
test_hub_stats(struct test_hub *h)
{
	return test_hub_call_timeout(h, "test", "stats", NULL, TEST_HUB_WAIT_MS);
}

json_t *
test_hub_journal(struct test_hub *h, json_int_t after)
{
	json_t *all = json_array();

	for (;;) {
		json_t *r = test_hub_call_timeout(h, "test", "replay",
		    json_pack("{s:I, s:i}", "after", after, "limit", 1000), TEST_HUB_WAIT_MS);
		json_t *events = json_object_get(r, "events");
		if (!json_is_true(json_object_get(r, "ok")) || !json_is_array(events)) {
			fprintf(stderr, "test_hub_journal: replay after %lld failed\n",
			    (long long)after);
			json_decref(r);
			json_decref(all);
			return NULL;
		}
		size_t n = json_array_size(events);
		for (size_t i = 0; i < n; i++) {
			json_t *ev = json_array_get(events, i);
			json_t *seq = json_object_get(json_object_get(ev, "body"), "seq");
			if (!json_is_integer(seq)) {
				fprintf(stderr, "test_hub_journal: an event has no seq\n");
				json_decref(r);
				json_decref(all);
				return NULL;
			}
			after = json_integer_value(seq);
			json_array_append(all, ev);
		}
		int complete = json_is_true(json_object_get(r, "complete"));
		json_decref(r);
		if (n == 0 || complete)
			return all;
	}
}

json_t *
test_snapshot_objects(json_t *snap)
{
	static const struct {
		const char *key, *kind;
	} lists[] = {
		{ "cases", "case" }, { "teams", "team" }, { "sectors", "sector" },
		{ "sensors", "sensor" }, { "intel", "intel" }, { "staff", "staff" },
	};
	json_t *map = json_object();

	for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
		size_t i;
		json_t *obj;
		json_array_foreach(json_object_get(snap, lists[k].key), i, obj) {
			char topic[256];
			snprintf(topic, sizeof topic, "%s.%s", lists[k].kind,
			    json_string_value(json_object_get(obj, "id")));
			json_object_set(map, topic, obj);
		}
	}
	return map;
}

void
test_apply_event(json_t *objects, const char *topic, json_t *body)
{
	if (json_is_true(json_object_get(body, "removed")))
		json_object_del(objects, topic);
	else
		json_object_set(objects, topic, body);
}

json_t *
test_jget(json_t *root, const char *path)
{
	char key[256];
	const char *p = path;

	while (root != NULL && *p != '\0') {
		size_t len = strcspn(p, ".");
		if (len >= sizeof key)
			return NULL;
		memcpy(key, p, len);
		key[len] = '\0';
		p += len + (p[len] == '.');
		if (json_is_array(root)) {
			char *end;
			unsigned long i = strtoul(key, &end, 10);
			root = *end == '\0' && end != key ? json_array_get(root, i) : NULL;
		} else
			root = json_object_get(root, key);
	}
	return root;
}

const char *
test_jstr(json_t *root, const char *path)
{
	return json_string_value(test_jget(root, path));
}

json_int_t
test_jint(json_t *root, const char *path)
{
	json_t *v = test_jget(root, path);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

json_t *
test_jfind(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *obj;

	json_array_foreach(array, i, obj) {
		const char *v = json_string_value(json_object_get(obj, key));
		if (v != NULL && strcmp(v, value) == 0)
			return obj;
	}
	return NULL;
}

size_t
test_jcount(json_t *array, const char *key, const char *value)
{
	size_t i, n = 0;
	json_t *obj;

	json_array_foreach(array, i, obj) {
		const char *v = json_string_value(json_object_get(obj, key));
		if (v != NULL && strcmp(v, value) == 0)
			n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Sockets. */

void *
test_hub_own(struct test_hub *h, void *sock)
{
	if (sock == NULL)
		return NULL;
	if (h->nowned == TEST_HUB_MAX_OWNED) {
		fprintf(stderr, "test_hub_own: more than %d sockets\n", TEST_HUB_MAX_OWNED);
		abort();
	}
	h->owned[h->nowned++] = sock;
	return sock;
}

void
test_hub_close(struct test_hub *h, void *sock)
{
	if (sock == NULL)
		return;
	for (int i = 0; i < h->nowned; i++) {
		if (h->owned[i] == sock) {
			h->owned[i] = h->owned[--h->nowned];
			break;
		}
	}
	zmq_close(sock);
}

void *
test_hub_push(struct test_hub *h)
{
	void *s = zmq_socket(h->zctx, ZMQ_PUSH);
	int linger = 2000;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_connect(s, h->ingest);
	return s;
}

static void *
control_socket(struct test_hub *h, int type)
{
	void *s = zmq_socket(h->zctx, type);
	int linger = 0;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_connect(s, h->control);
	return test_hub_own(h, s);
}

void *
test_hub_dealer(struct test_hub *h)
{
	return control_socket(h, ZMQ_DEALER);
}

void *
test_hub_req(struct test_hub *h)
{
	return control_socket(h, ZMQ_REQ);
}

int
test_send_frames(void *sock, const void *const *data, const size_t *sizes, int n)
{
	for (int i = 0; i < n; i++) {
		if (zmq_send(sock, data[i], sizes[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
			return -1;
	}
	return 0;
}

int
test_push(void *push, const char *topic, const char *body)
{
	const void *d[2] = { topic, body };
	size_t s[2] = { strlen(topic), strlen(body) };

	return test_send_frames(push, d, s, 2);
}

int
test_send_request(void *sock, const char *user, const char *op, const char *id,
    json_t *args)
{
	json_t *req = args != NULL ? args : json_object();

	if (op != NULL)
		json_object_set_new(req, "op", json_string(op));
	if (id != NULL)
		json_object_set_new(req, "id", json_string(id));
	if (user != NULL)
		json_object_set_new(req, "user", json_string(user));
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	int rc = test_push(sock, "request", body);
	free(body);
	return rc;
}

int
test_recv_reply(void *sock, json_t **reply, int *nframes, int timeout_ms)
{
	int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(timeout_ms);

	*reply = NULL;
	for (;;) {
		int64_t left = deadline - bus_time_mono_ms();
		zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
		if (left <= 0)
			return -1;
		if (zmq_poll(&item, 1, (long)left) <= 0)
			continue;
		zmq_msg_t last[2];
		int n = 0, more = 1;
		zmq_msg_init(&last[0]);
		zmq_msg_init(&last[1]);
		while (more) {
			/* Keep the last two frames: move releases the older one. */
			zmq_msg_move(&last[0], &last[1]);
			if (zmq_msg_recv(&last[1], sock, 0) < 0)
				break;
			more = zmq_msg_more(&last[1]);
			n++;
		}
		json_t *r = NULL;
		if (!more && n >= 2 && zmq_msg_size(&last[0]) == 5 &&
		    memcmp(zmq_msg_data(&last[0]), "reply", 5) == 0)
			r = json_loadb(zmq_msg_data(&last[1]), zmq_msg_size(&last[1]), 0, NULL);
		zmq_msg_close(&last[0]);
		zmq_msg_close(&last[1]);
		if (json_is_object(r)) {
			*reply = r;
			if (nframes != NULL)
				*nframes = n;
			return 0;
		}
		json_decref(r);
	}
}

static int sub_recv(void *sub, char **topic, json_t **body, int timeout_ms, int skip_hb);

void *
test_hub_sub(struct test_hub *h, const char *prefix)
{
	void *s = zmq_socket(h->zctx, ZMQ_SUB);
	int linger = 0;
	char *topic;
	json_t *body;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
	if (strncmp(prefix, BUS_HEARTBEAT_TOPIC, strlen(prefix)) != 0)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, BUS_HEARTBEAT_TOPIC, strlen(BUS_HEARTBEAT_TOPIC));
	zmq_connect(s, h->events);
	/* A heartbeat proves the subscription reached the hub. */
	int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(5000);
	while (bus_time_mono_ms() < deadline) {
		if (sub_recv(s, &topic, &body, test_valgrind_ms(1500), 0) != 0)
			continue;
		int hb = strcmp(topic, BUS_HEARTBEAT_TOPIC) == 0;
		free(topic);
		json_decref(body);
		if (hb)
			return s;
	}
	zmq_close(s);
	return NULL;
}

static int
sub_recv(void *sub, char **topic, json_t **body, int timeout_ms, int skip_hb)
{
	int64_t deadline = bus_time_mono_ms() + timeout_ms;

	for (;;) {
		int64_t left = deadline - bus_time_mono_ms();
		zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
		if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0)
			return -1;
		zmq_msg_t t, b;
		zmq_msg_init(&t);
		zmq_msg_init(&b);
		if (zmq_msg_recv(&t, sub, 0) < 0 || !zmq_msg_more(&t) ||
		    zmq_msg_recv(&b, sub, 0) < 0) {
			zmq_msg_close(&t);
			zmq_msg_close(&b);
			return -1;
		}
		*topic = strndup(zmq_msg_data(&t), zmq_msg_size(&t));
		*body = json_loadb(zmq_msg_data(&b), zmq_msg_size(&b), 0, NULL);
		zmq_msg_close(&t);
		zmq_msg_close(&b);
		if (skip_hb && strcmp(*topic, BUS_HEARTBEAT_TOPIC) == 0) {
			free(*topic);
			json_decref(*body);
			continue;
		}
		return 0;
	}
}

int
test_sub_recv(void *sub, char **topic, json_t **body, int timeout_ms, int skip_hb)
{
	return sub_recv(sub, topic, body, test_valgrind_ms(timeout_ms), skip_hb);
}

int
test_sub_wait(void *sub, const char *prefix, char **topic, json_t **body, int timeout_ms)
{
	int64_t deadline = bus_time_mono_ms() + test_valgrind_ms(timeout_ms);
	int want_hb = strncmp(prefix, BUS_HEARTBEAT_TOPIC, strlen(prefix)) == 0 &&
	    prefix[0] != '\0';

	*body = NULL;
	for (;;) {
		int64_t left = deadline - bus_time_mono_ms();
		char *t;
		json_t *b;
		if (left <= 0 || sub_recv(sub, &t, &b, (int)left, !want_hb) != 0)
			return -1;
		if (strncmp(t, prefix, strlen(prefix)) == 0) {
			*body = b;
			if (topic != NULL)
				*topic = t;
			else
				free(t);
			return 0;
		}
		free(t);
		json_decref(b);
	}
}

/* ------------------------------------------------------------------ */
/* watchctl. */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return strdup("");
	FILE *mem = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(mem);
	fclose(f);
	return buf;
}

/* argv for watchctl: the hub's endpoints, then ARGS (later options win). */
static void
watchctl_argv(struct test_hub *h, const char *const *args, const char **argv, int max)
{
	int n = 0;

	argv[n++] = WATCHCTL_PATH;
	argv[n++] = "--control";
	argv[n++] = h->control;
	argv[n++] = "--events";
	argv[n++] = h->events;
	argv[n++] = "--ingest";
	argv[n++] = h->ingest;
	for (int i = 0; args != NULL && args[i] != NULL && n < max - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

int
test_watchctl(struct test_hub *h, const char *const *args, const char *input,
    char **out, char **err)
{
	const char *argv[64], *buf[TEST_VALGRIND_MAX_ARGS + 64];
	char in_path[400], out_path[400], err_path[400];
	int run = ++h->runs;

	watchctl_argv(h, args, argv, 64);
	const char *const *cmd = test_valgrind_argv(argv, buf, TEST_VALGRIND_MAX_ARGS + 64);
	snprintf(in_path, sizeof in_path, "%s/ctl-%d.in", h->dir, run);
	snprintf(out_path, sizeof out_path, "%s/ctl-%d.out", h->dir, run);
	snprintf(err_path, sizeof err_path, "%s/ctl-%d.err", h->dir, run);
	FILE *f = fopen(in_path, "w");
	if (f == NULL)
		return -1;
	if (input != NULL)
		fputs(input, f);
	fclose(f);

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open(in_path, O_RDONLY);
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || o < 0 || e < 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execvp(cmd[0], (char *const *)cmd);
		_exit(127);
	}
	int status = test_reap_within(pid, 30000);
	if (status >= 0)
		test_valgrind_reaped("watchctl", pid, status);
	if (out != NULL)
		*out = slurp(out_path);
	if (err != NULL)
		*err = slurp(err_path);
	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

pid_t
test_watchctl_spawn(struct test_hub *h, const char *const *args, int *out_fd)
{
	const char *argv[64], *buf[TEST_VALGRIND_MAX_ARGS + 64];
	char err_path[400];
	int fds[2];

	if (h->nkids == TEST_HUB_MAX_KIDS || pipe(fds) != 0)
		return -1;
	watchctl_argv(h, args, argv, 64);
	const char *const *run = test_valgrind_argv(argv, buf, TEST_VALGRIND_MAX_ARGS + 64);
	snprintf(err_path, sizeof err_path, "%s/ctl-%d.err", h->dir, ++h->runs);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);
		if (e >= 0)
			dup2(e, 2);
		if (in >= 0)
			dup2(in, 0);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(run[0], (char *const *)run);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	h->kids[h->nkids++] = pid;
	return pid;
}

int
test_kid_stop(struct test_hub *h, pid_t pid, int sig, int timeout_ms)
{
	for (int i = 0; i < h->nkids; i++) {
		if (h->kids[i] == pid) {
			h->kids[i] = h->kids[--h->nkids];
			break;
		}
	}
	kill(pid, sig);
	int status = test_reap_within(pid, timeout_ms);
	if (status >= 0)
		test_valgrind_reaped("watchctl", pid, status);
	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

json_t *
test_hub_ok(struct test_hub *h, const char *user, const char *op, json_t *args)
{
	json_t *r = test_hub_call_timeout(h, user, op, args, TEST_HUB_WAIT_MS);

	if (r == NULL)
		fail_msg("%s by %s: no reply", op, user);
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("%s by %s refused: %s: %s", op, user, test_jstr(r, "error.code"),
		    test_jstr(r, "error.message"));
	return r;
}

void
test_hub_ok_(struct test_hub *h, const char *user, const char *op, json_t *args)
{
	json_decref(test_hub_ok(h, user, op, args));
}

void
test_assert_same_objects(json_t *a, const char *a_name, json_t *b, const char *b_name)
{
	const char *topic;
	json_t *obj;

	json_object_foreach(a, topic, obj) {
		json_t *other = json_object_get(b, topic);
		if (other == NULL)
			fail_msg("%s is in %s but not in %s", topic, a_name, b_name);
		if (!json_equal(obj, other)) {
			char *x = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
			char *y = json_dumps(other, JSON_COMPACT | JSON_SORT_KEYS);
			fprintf(stderr, "%s: %s\n%s: %s\n", a_name, x, b_name, y);
			free(x);
			free(y);
			fail_msg("%s differs between %s and %s", topic, a_name, b_name);
		}
	}
	json_object_foreach(b, topic, obj) {
		if (json_object_get(a, topic) == NULL)
			fail_msg("%s is in %s but not in %s", topic, b_name, a_name);
	}
}

long
test_proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			kb = strtol(line + len + 1, NULL, 10);
	}
	fclose(f);
	return kb;
}

double
test_proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields count from the
	 * last ')'. After it: state (3), five ints (4-8), flags and four
	 * fault counters (9-13), then utime (14) and stime (15). */
	char *p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int
test_hub_start_measured(struct test_hub *h, const char *const *extra)
{
	/* AddressSanitizer keeps freed memory in quarantine (up to 256 MB) to
	 * catch use after free, which would count as growth: this hub frees
	 * at once. Without the sanitizer the setting is ignored. */
	const char *asan = getenv("ASAN_OPTIONS");
	char *was = asan != NULL ? strdup(asan) : NULL, opts[1024];

	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0", asan != NULL ? asan : "",
	    asan != NULL && *asan != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	int rc = test_hub_start(h, extra);
	if (was != NULL)
		setenv("ASAN_OPTIONS", was, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(was);
	return rc;
}

void
test_checker_end_summary(struct test_hub *h, pid_t checker, int fd, json_int_t seq,
    struct test_checker_summary *out)
{
	struct test_checker_summary got = { "", 0, 0, 0, 0 };
	char want[96], verdict[300], hub[32];
	size_t len = 0;
	ssize_t n;
	long long at;
	int rc = test_kid_stop(h, checker, SIGTERM, 60000);

	while (len < sizeof got.line - 1 &&
	    (n = read(fd, got.line + len, sizeof got.line - 1 - len)) > 0)
		len += (size_t)n;
	got.line[len - (len > 0 && got.line[len - 1] == '\n')] = '\0';
	close(fd);
	if (rc != 0)
		fail_msg("the checker (watchctl follow --check) did not end well: %s", got.line);
	if (sscanf(got.line, "hub %31s seq %lld: %llu events applied, %llu gaps repaired, "
	    "%llu snapshots, %llu duplicates dropped; %299[^\n]", hub, &at, &got.applied,
	    &got.gaps, &got.snapshots, &got.dups, verdict) != 7)
		fail_msg("the checker printed no summary: %s", got.line);
	snprintf(want, sizeof want, "equal to the hub's snapshot at seq %lld", (long long)seq);
	if (strcmp(verdict, want) != 0)
		fail_msg("the checker does not say \"%s\": %s", want, got.line);
	if (out != NULL)
		*out = got;
}

void
test_checker_end(struct test_hub *h, pid_t checker, int fd, json_int_t seq)
{
	test_checker_end_summary(h, checker, fd, seq, NULL);
}
