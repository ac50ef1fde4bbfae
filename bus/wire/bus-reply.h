/*
 * The hub's answers to control requests (docs/PROTOCOL.md, "Replies"):
 * {"ok":true, ...} or {"ok":false, "error":{"code","message"}}. Every
 * part of the hub that refuses a request builds its refusal here.
 */
#ifndef BUS_REPLY_H
#define BUS_REPLY_H

#include <jansson.h>

json_t *bus_reply_ok(void);
/* A refusal with CODE (a word of the contract) and a sentence for people;
 * the sentence is made valid UTF-8, since it may quote what was sent. */
json_t *bus_reply_error(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
