/*
 * The wire contract v1 (docs/PROTOCOL.md): every message is two frames, an
 * ASCII topic and one UTF-8 JSON object. This module turns frames into a
 * topic and a jansson object, or into a reason for refusing them, and holds
 * the field tables of the three ingest topics.
 */
#ifndef BUS_CODEC_H
#define BUS_CODEC_H

#include <stddef.h>
#include <jansson.h>

#include "bus-schema.h"

#define BUS_MAX_BODY  (64 * 1024) /* bytes in one body frame */
#define BUS_MAX_TOPIC 128         /* bytes in one topic frame */
/*
 * ZMQ_MAXMSGSIZE, per frame, on every socket that takes input from outside.
 * Larger than the body limit on purpose: a body somewhat over the limit is
 * received, refused with a reason and counted; a frame over this is cut off
 * by libzmq at the connection, before it can take memory.
 */
#define BUS_MAX_MSG   (4 * BUS_MAX_BODY)

/* What the hub publishes of itself, and its id: 16 hex digits, new at
 * every start, so that a follower knows a restart when it sees one. */
#define BUS_HEARTBEAT_TOPIC "hub.heartbeat"
#define BUS_HUB_ID_LEN      16

struct bus_frame {
	const void *data;
	size_t size;
};

enum bus_ingest {
	BUS_INGEST_INCIDENT,
	BUS_INGEST_INTEL,
	BUS_INGEST_SENSOR,
	BUS_INGEST_NKINDS
};

/* Why a message was refused, for the hub's counters. */
enum bus_reject {
	BUS_REJECT_NONE,
	BUS_REJECT_FRAMES,  /* not exactly two frames */
	BUS_REJECT_TOPIC,   /* empty, long, non-ASCII or unknown topic */
	BUS_REJECT_SIZE,    /* body over BUS_MAX_BODY */
	BUS_REJECT_UTF8,    /* body is not valid UTF-8 */
	BUS_REJECT_JSON,    /* body is not one JSON object */
	BUS_REJECT_FIELDS,  /* fields fail the topic's table */
	BUS_REJECT_KEY,     /* its CURVE key may not publish it (revoked, or not its topic) */
	BUS_REJECT_STORE_FULL, /* valid, but the hub's database has no space to store it */
	BUS_REJECT_NCLASSES
};

extern const char *const bus_reject_names[BUS_REJECT_NCLASSES];
extern const char *const bus_ingest_names[BUS_INGEST_NKINDS + 1];
extern const struct bus_schema bus_incident_schema;

/* These return BUS_REJECT_NONE (0) on success or the class of refusal. */
/* Make S valid UTF-8 in place: each byte of a broken sequence becomes '?'. */
void  bus_codec_scrub_utf8(char *s);
int   bus_codec_decode(const struct bus_frame *, size_t nframes,
          char topic[BUS_MAX_TOPIC + 1], json_t **body, char **cause);
int   bus_codec_decode_body(const void *, size_t, const char *what,
          json_t **body, char **cause);
int   bus_codec_check_ingest(const char *topic, json_t *body, char **cause);
char *bus_codec_encode(const json_t *);

/*
 * A JSON object too big to hold as one tree (a snapshot of ten thousand
 * cases is 100 MB of jansson nodes): parse it member by member. Each
 * element of a member named in LISTS (NULL-terminated) whose value is an
 * array goes to ELEMENT with the list's index, and is freed after the
 * call; the other members make the object returned. NULL, and the reason
 * in *CAUSE, if TEXT is not one JSON object.
 */
typedef void (*bus_codec_element_cb)(void *arg, size_t list, json_t *element);
json_t *bus_codec_load_lists(const char *text, size_t len, const char *const *lists,
    bus_codec_element_cb element, void *arg, char **cause);
int   bus_codec_utf8_valid(const unsigned char *, size_t);

#endif
