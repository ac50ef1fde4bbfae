/*
 * A control-socket client for command-line tools: one DEALER, one request
 * at a time, a reply or a timeout. (The console's asynchronous client runs
 * on its event loop instead.)
 */
#ifndef BUS_CLIENT_H
#define BUS_CLIENT_H

#include <jansson.h>

struct bus_client;

struct bus_curve;

/* CURVE NULL: no CURVE (a hub on a trusted local machine). */
struct bus_client *bus_client_new(void *zctx, const char *control, const char *user,
    const struct bus_curve *curve, char **cause);
void    bus_client_free(struct bus_client *);
json_t *bus_client_call(struct bus_client *, const char *op, json_t *args,
    int timeout_ms, char **cause);
char   *bus_client_login_name(void);

#endif
