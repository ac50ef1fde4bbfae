/*
 * Test harness: a real watchd process on ipc:// endpoints in a temporary
 * directory with its own SQLite file, and real ZeroMQ clients to talk to
 * it. Used by the integration tests and the benchmarks.
 */
#ifndef TEST_HUB_H
#define TEST_HUB_H

#include <jansson.h>
#include <sys/types.h>

struct test_hub {
	char dir[256];
	char db[320], log[320];
	char ingest[320], events[320], control[320];
	pid_t pid;
	void *zctx;
};

/* Make the directory and endpoint names; start nothing. 0 or -1. */
int     test_hub_init(struct test_hub *, const char *name);
/* Start watchd with EXTRA_ARGS (NULL-terminated, may be NULL) and wait
 * until it answers on control (10 s at most). 0 or -1. */
int     test_hub_start(struct test_hub *, const char *const *extra_args);
/* Send SIG (SIGTERM, SIGKILL) and reap the process; its exit status. */
int     test_hub_stop(struct test_hub *, int sig);
/* Stop the hub if running, remove the directory, end the context. */
void    test_hub_cleanup(struct test_hub *);
/* Print the hub's log to stderr (for failing tests). */
void    test_hub_dump_log(const struct test_hub *);

/* One control request as USER; the reply (ok or not) or NULL on timeout. */
json_t *test_hub_call(struct test_hub *, const char *user, const char *op, json_t *args);

/* A PUSH socket on the ingest endpoint, and raw multi-frame sends. */
void   *test_hub_push(struct test_hub *);
int     test_send_frames(void *sock, const void *const *data, const size_t *sizes, int n);
int     test_push(void *push, const char *topic, const char *body);

/* A SUB socket on the events endpoint for PREFIX ("" for all), returned
 * only once a heartbeat has arrived, so the subscription is live. */
void   *test_hub_sub(struct test_hub *, const char *prefix);
/* Next message on SUB within TIMEOUT_MS: 0 with topic and body (caller
 * frees both), -1 on timeout. Heartbeats are skipped if SKIP_HB. */
int     test_sub_recv(void *sub, char **topic, json_t **body, int timeout_ms, int skip_hb);

#endif
