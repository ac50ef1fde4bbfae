#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus-client.h"
#include "bus-hub.h"
#include "bus-time.h"
#include "test-hub.h"

#ifndef WATCHD_PATH
#error "WATCHD_PATH must name the watchd binary under test"
#endif

int
test_hub_init(struct test_hub *h, const char *name)
{
	memset(h, 0, sizeof *h);
	snprintf(h->dir, sizeof h->dir, "/tmp/watchfloor-%s-XXXXXX", name);
	if (mkdtemp(h->dir) == NULL)
		return -1;
	snprintf(h->db, sizeof h->db, "%s/hub.db", h->dir);
	snprintf(h->log, sizeof h->log, "%s/hub.log", h->dir);
	snprintf(h->ingest, sizeof h->ingest, "ipc://%s/ingest", h->dir);
	snprintf(h->events, sizeof h->events, "ipc://%s/events", h->dir);
	snprintf(h->control, sizeof h->control, "ipc://%s/control", h->dir);
	h->zctx = zmq_ctx_new();
	return 0;
}

int
test_hub_start(struct test_hub *h, const char *const *extra)
{
	const char *argv[64];
	int n = 0;

	argv[n++] = WATCHD_PATH;
	argv[n++] = "--ingest";
	argv[n++] = h->ingest;
	argv[n++] = "--events";
	argv[n++] = h->events;
	argv[n++] = "--control";
	argv[n++] = h->control;
	argv[n++] = "--db";
	argv[n++] = h->db;
	argv[n++] = "-v";
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (h->pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* Ready when it answers: the first request may wait for the socket. */
	int64_t deadline = bus_time_mono_ms() + 10000;
	while (bus_time_mono_ms() < deadline) {
		json_t *r = test_hub_call(h, "test", "whoami", NULL);
		if (r != NULL) {
			json_decref(r);
			return 0;
		}
		int status;
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
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
	h->pid = 0;
	return status;
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
}

json_t *
test_hub_call(struct test_hub *h, const char *user, const char *op, json_t *args)
{
	char *cause = NULL;
	struct bus_client *cl = bus_client_new(h->zctx, h->control, user, &cause);

	if (cl == NULL) {
		fprintf(stderr, "test_hub_call: %s\n", cause);
		free(cause);
		json_decref(args);
		return NULL;
	}
	json_t *r = bus_client_call(cl, op, args, 2000, &cause);
	free(cause);
	bus_client_free(cl);
	return r;
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
	int64_t deadline = bus_time_mono_ms() + 5000;
	while (bus_time_mono_ms() < deadline) {
		if (test_sub_recv(s, &topic, &body, 1500, 0) != 0)
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

int
test_sub_recv(void *sub, char **topic, json_t **body, int timeout_ms, int skip_hb)
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
