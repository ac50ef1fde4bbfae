/*
 * watchctl: the floor from the command line. Every console command as a
 * subcommand, publish for producers, tail and snapshot for scripts, and
 * roster management. Exit codes: 0 ok, 1 refused by the hub, 2 usage,
 * 3 no hub reachable within the timeout.
 */
#include <errno.h>
#include <event2/event.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus-checker.h"
#include "bus-client.h"
#include "bus-sync.h"
#include "bus-config.h"
#include "bus-curve.h"
#include "bus-demo.h"
#include "bus-endpoint.h"
#include "bus-time.h"
#include "bus-codec.h"
#include "bus-log.h"
#include "bus-ops.h"
#include "bus-sock.h"
#include "bus-text.h"
#include "xmalloc.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NOHUB = 3 };

struct ctl {
	const char *ingest, *events, *control;
	const char *user;
	const char *key, *hub_key;     /* CURVE settings */
	struct bus_curve keys;
	const struct bus_curve *curve; /* &keys when CURVE is on, else NULL */
	int timeout_ms;
	int json_out;
	void *zctx;
};



static const char synopsis[] =
	"usage: watchctl [options] COMMAND [ARGS...]\n"
	"\n"
	"The floor from the command line: every console command, publishing for\n"
	"producers, and tail and snapshot for scripts.\n";

/* The commands, after the options in --help. */
static void
usage_commands(FILE *f)
{
	fputs("\nProducers and scripts:\n"
	    "  publish TOPIC [JSON] [--ack]   send an incident, intel or sensor message;\n"
	    "                                 without JSON, one body per stdin line\n"
	    "  tail [PREFIX...]               print events as JSON lines\n"
	    "  snapshot                       print the hub's whole state as JSON\n"
	    "  replay AFTER [LIMIT]           print journal events after seq AFTER\n"
	    "  stats                          print the hub's counters\n"
	    "  whoami                         print your name and role as the hub sees it\n"
	    "  follow [--check] [--duration SEC] [--settle SEC] [--quiet]\n"
	    "         [--heartbeat-timeout SEC]\n"
	    "                                 follow the hub as a console does, without a\n"
	    "                                 screen; --check verifies every seq and, at the\n"
	    "                                 end, equality with a fresh snapshot (exit 1 if\n"
	    "                                 not); prints a summary line; the hub counts as\n"
	    "                                 gone after --heartbeat-timeout SEC silent\n"
	    "                                 (default 3)\n"
	    "  simulate [--rate N] [--seed S] [--speed X] [--duration SEC]\n"
	    "                                 demo traffic: incidents, intel, sensors, and\n"
	    "                                 cases worked through their lifecycle\n"
	    "\n"
	    "Cases and teams:\n", f);
	for (size_t i = 0; i < BUS_NOPS; i++) {
		const struct bus_op *op = &bus_ops[i];
		char left[64], help[160];
		if (op->verb == NULL)
			continue;
		snprintf(left, sizeof left, "%s %s", op->verb, op->usage);
		bus_op_help(op, help, sizeof help);
		fprintf(f, "  %-31s %s\n", left, help);
	}
	fputs("  (open also takes --level N --summary S --ref R --contact C --onsite)\n"
	    "\n"
	    "Keys (CURVE):\n"
	    "  keygen PREFIX                  write a key pair: PREFIX.key (secret, 0600)\n"
	    "                                 and PREFIX.pub; print the public key\n"
	    "  key allow KEY PERSON ROLE [--sockets ingest,events,control] [--topics P,...]\n"
	    "  key revoke KEY | key list      the hub's allow-list (leads); KEY or its .pub\n"
	    "\n"
	    "Roster (leads):\n"
	    "  staff list | staff add NAME --role ROLE | staff remove NAME\n"
	    "  team list | team add TEAM [--base B] [--member NAME:ROLE]... | team remove TEAM\n"
	    "\n"
	    "Audit (leads):\n"
	    "  audit [--since T] [--case ID] [--export]\n"
	    "                                 every command and refusal on record, a line\n"
	    "                                 each; --export: one JSON object a line\n"
	    "\n"
	    "  request OP [JSON]               send any control op\n"
	    "\n"
	    "The [endpoints] of ~/.config/watchfloor/watchfloor.conf apply here too;\n"
	    "options override them.\n"
	    "\n"
	    "Exit status: 0 ok, 1 refused by the hub, 2 usage, 3 no hub reachable.\n", f);
}

static int
usage_error(const char *fmt, const char *arg)
{
	fputs("watchctl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'watchctl --help'.\n", stderr);
	return EXIT_USAGE;
}

static void
print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	puts(s);
	free(s);
}

/* TEXT as it may reach a terminal: what the hub's messages and the audit
 * hold came from clients (an op name, a note), so escape sequences,
 * control and bidi characters and invalid UTF-8 are taken out first, by
 * the console's own sanitiser (caller frees). */
static char *
ctl_inert(const char *text)
{
	size_t len = strlen(text);
	char *out = xmalloc(BUS_TEXT_SANITIZE_SIZE(len));

	bus_text_sanitize(text, len, out, BUS_TEXT_SANITIZE_SIZE(len));
	return out;
}

/* Send one op and report its outcome the way the exit codes promise. */
static int
ctl_call(struct ctl *c, const char *op, json_t *args, json_t **out)
{
	char *cause = NULL;
	struct bus_client *cl = bus_client_new(c->zctx, c->control, c->user, c->curve, &cause);

	if (out != NULL)
		*out = NULL;
	if (cl == NULL) {
		json_decref(args);
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		return EXIT_NOHUB;
	}
	json_t *reply = bus_client_call(cl, op, args, c->timeout_ms, &cause);
	bus_client_free(cl);
	if (reply == NULL) {
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		return EXIT_NOHUB;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		json_t *err = json_object_get(reply, "error");
		if (c->json_out)
			print_json(reply);
		char *code = ctl_inert(json_string_value(json_object_get(err, "code")) ?
		    json_string_value(json_object_get(err, "code")) : "");
		char *msg = ctl_inert(json_string_value(json_object_get(err, "message")) ?
		    json_string_value(json_object_get(err, "message")) : "");
		fprintf(stderr, "watchctl: refused (%s): %s\n", code, msg);
		free(code);
		free(msg);
		json_decref(reply);
		return EXIT_REFUSED;
	}
	if (out != NULL)
		*out = reply;
	else {
		if (c->json_out)
			print_json(reply);
		json_decref(reply);
	}
	return EXIT_OK;
}

/* Print "ok" and what the reply names, e.g. "ok: case ICS-2026-0001". */
static int
ctl_call_print(struct ctl *c, const char *op, json_t *args)
{
	json_t *reply;
	int rc = ctl_call(c, op, args, &reply);

	if (rc != EXIT_OK)
		return rc;
	if (c->json_out)
		print_json(reply);
	else {
		const char *keys[] = { "user", "role", "team", "case", "sector", "staff",
			"object" };
		const char *sep = ":";
		printf("ok");
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const char *v = json_string_value(json_object_get(reply, keys[i]));
			if (v != NULL) {
				printf("%s %s %s", sep, keys[i], v);
				sep = ",";
			}
		}
		printf("\n");
	}
	json_decref(reply);
	return EXIT_OK;
}

/* A typed op from the registry: its words become the op's fields. */
static int
cmd_verb(struct ctl *c, const struct bus_op *v, int argc, char **argv)
{
	char *cause = NULL;
	json_t *args = bus_op_args(v, argc, (const char *const *)argv, &cause);

	if (args == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return EXIT_USAGE;
	}
	return ctl_call_print(c, v->name, args);
}

/* open: SECTOR ORG TITLE... as the shared verb has it, plus options. */
static int
cmd_open(struct ctl *c, int argc, char **argv)
{
	const struct bus_op *v = &bus_ops[BUS_OP_OPEN];
	char **words = xcalloc((size_t)argc + 1, sizeof *words);
	json_t *opts = json_object();
	int nwords = 0, rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--onsite") == 0)
			json_object_set_new(opts, "onsite_requested", json_true());
		else if (i + 1 < argc && (strcmp(a, "--level") == 0 || strcmp(a, "--summary") == 0 ||
		    strcmp(a, "--ref") == 0 || strcmp(a, "--contact") == 0)) {
			const char *word = argv[++i];
			char *end;
			long level = strtol(word, &end, 10);
			/* A number for --level; the hub says why anything else is wrong. */
			json_object_set_new(opts, a + 2, strcmp(a, "--level") == 0 &&
			    *word != '\0' && *end == '\0' ? json_integer(level) : json_string(word));
		} else if (a[0] == '-' && a[1] == '-') {
			free(words);
			json_decref(opts);
			return usage_error("open: unknown option or missing value '%s'", a);
		} else
			words[nwords++] = argv[i];
	}
	char *cause = NULL;
	json_t *args = bus_op_args(v, nwords, (const char *const *)words, &cause);
	free(words);
	if (args == NULL) {
		fprintf(stderr, "%s [--level N] [--summary S] [--ref R] [--contact C] [--onsite]\n",
		    cause);
		free(cause);
		json_decref(opts);
		return EXIT_USAGE;
	}
	json_object_update(args, opts);
	json_decref(opts);
	rc = ctl_call_print(c, "open", args);
	return rc;
}

/* List one kind of object from a snapshot, one per line. */
static int
cmd_list(struct ctl *c, const char *key)
{
	json_t *snap;
	int rc = ctl_call(c, "snapshot", NULL, &snap);
	size_t i;
	json_t *o;

	if (rc != EXIT_OK)
		return rc;
	json_array_foreach(json_object_get(snap, key), i, o) {
		if (c->json_out) {
			print_json(o);
		} else if (strcmp(key, "staff") == 0) {
			printf("%-20s %s\n", json_string_value(json_object_get(o, "id")),
			    json_string_value(json_object_get(o, "role")));
		} else {
			const char *cs = json_string_value(json_object_get(o, "case"));
			printf("%-8s %-11s %-16s %s\n", json_string_value(json_object_get(o, "id")),
			    json_string_value(json_object_get(o, "status")), cs ? cs : "-",
			    json_string_value(json_object_get(o, "base")));
		}
	}
	json_decref(snap);
	return EXIT_OK;
}

static int
cmd_staff(struct ctl *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "list") == 0 && argc == 1)
		return cmd_list(c, "staff");
	if (argc == 4 && strcmp(argv[0], "add") == 0 && strcmp(argv[2], "--role") == 0)
		return ctl_call_print(c, "staff_add", json_pack("{s:s, s:s}", "name", argv[1],
		    "role", argv[3]));
	if (argc == 2 && strcmp(argv[0], "remove") == 0)
		return ctl_call_print(c, "staff_remove", json_pack("{s:s}", "name", argv[1]));
	fputs("usage: watchctl staff list | staff add NAME --role viewer|officer|intake|lead"
	    " | staff remove NAME\n", stderr);
	return EXIT_USAGE;
}

static int
cmd_team(struct ctl *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(c, "teams");
	if (argc == 2 && strcmp(argv[0], "remove") == 0)
		return ctl_call_print(c, "team_remove", json_pack("{s:s}", "team", argv[1]));
	if (argc >= 2 && strcmp(argv[0], "add") == 0) {
		json_t *args = json_pack("{s:s, s:[]}", "team", argv[1], "members");
		for (int i = 2; i < argc; i++) {
			if (i + 1 < argc && strcmp(argv[i], "--base") == 0) {
				json_object_set_new(args, "base", json_string(argv[++i]));
			} else if (i + 1 < argc && strcmp(argv[i], "--member") == 0) {
				const char *spec = argv[++i], *colon = strchr(spec, ':');
				if (colon == NULL) {
					json_decref(args);
					return usage_error("--member takes NAME:ROLE (lead, analyst "
					    "or ics), not '%s'", spec);
				}
				char *name = xstrndup(spec, (size_t)(colon - spec));
				json_array_append_new(json_object_get(args, "members"),
				    json_pack("{s:s, s:s}", "name", name, "role", colon + 1));
				free(name);
			} else {
				json_decref(args);
				return usage_error("team add: unexpected '%s'", argv[i]);
			}
		}
		return ctl_call_print(c, "team_add", args);
	}
	if (argc == 2 && argv[0][0] >= 'A' && argv[0][0] <= 'Z')
		return ctl_call_print(c, "team", json_pack("{s:s, s:s}", "team", argv[0],
		    "status", argv[1]));
	fputs("usage: watchctl team TEAM STATUS | team list | team add TEAM [--base B] "
	    "[--member NAME:ROLE]... | team remove TEAM\n", stderr);
	return EXIT_USAGE;
}

/* The hub's allow-list as a table, a key a line (--json: the reply). The
 * names and topics came from an allow file or a lead: made inert. */
static int
cmd_key_list(struct ctl *c)
{
	static const char *const cols[] = { "person", "role", "sockets", "topics", NULL };
	json_t *reply, *k;
	size_t i;
	int rc = ctl_call(c, "key_list", NULL, &reply);

	if (rc != EXIT_OK)
		return rc;
	printf("%-40s  %-16s %-8s %-21s %s\n", "KEY", "PERSON", "ROLE", "SOCKETS", "TOPICS");
	json_array_foreach(json_object_get(reply, "keys"), i, k) {
		char *v[4];
		for (int j = 0; cols[j] != NULL; j++) {
			const char *s = json_string_value(json_object_get(k, cols[j]));
			v[j] = ctl_inert(s != NULL && s[0] != '\0' ? s : "-");
		}
		char *key = ctl_inert(json_string_value(json_object_get(k, "key")) ?
		    json_string_value(json_object_get(k, "key")) : "?");
		printf("%-40s  %-16s %-8s %-21s %s\n", key, v[0], v[1], v[2], v[3]);
		free(key);
		for (int j = 0; j < 4; j++)
			free(v[j]);
	}
	json_decref(reply);
	return EXIT_OK;
}

/* Print the reply of a read-only op as one JSON document. */
static int
cmd_dump(struct ctl *c, const char *op, json_t *args)
{
	json_t *reply;
	int rc = ctl_call(c, op, args, &reply);

	if (rc == EXIT_OK) {
		json_object_del(reply, "id");
		print_json(reply);
		json_decref(reply);
	}
	return rc;
}

static int
cmd_request(struct ctl *c, int argc, char **argv)
{
	json_t *args = NULL;
	json_error_t err;

	if (argc < 1 || argc > 2) {
		fputs("usage: watchctl request OP [JSON]\n", stderr);
		return EXIT_USAGE;
	}
	if (argc == 2) {
		args = json_loads(argv[1], 0, &err);
		if (!json_is_object(args)) {
			json_decref(args);
			return usage_error("request: JSON must be an object: %s", err.text);
		}
	}
	return cmd_dump(c, argv[0], args);
}

static int
cmd_replay(struct ctl *c, int argc, char **argv)
{
	char *end;
	long long after, limit = 1000;

	if (argc < 1 || argc > 2)
		return usage_error("usage: replay AFTER [LIMIT]%s", "");
	after = strtoll(argv[0], &end, 10);
	if (*end != '\0' || after < 0)
		return usage_error("replay: AFTER must be a seq (>= 0), not '%s'", argv[0]);
	if (argc == 2) {
		limit = strtoll(argv[1], &end, 10);
		if (*end != '\0' || limit < 1 || limit > 1000)
			return usage_error("replay: LIMIT must be 1-1000, not '%s'", argv[1]);
	}
	json_t *reply;
	int rc = ctl_call(c, "replay", json_pack("{s:I, s:I}", "after", after, "limit",
	    limit), &reply);
	if (rc != EXIT_OK)
		return rc;
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(reply, "events"), i, ev)
		print_json(ev);
	json_decref(reply);
	return EXIT_OK;
}

#define CTL_AUDIT_PAGE 1000 /* entries asked for at a time */

/* One audit entry as a line: time, person, role, op, team and case,
 * outcome and the hub's sentence. */
static void
audit_print_line(json_t *e)
{
	const char *team = json_string_value(json_object_get(e, "team"));
	const char *kase = json_string_value(json_object_get(e, "case"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	char *where = xprintf("%s%s%s", team ? team : "", team && kase ? " " : "",
	    kase ? kase : "");
	char *line = xprintf("%s  %-12s %-7s %-12s %-22s %s%s%s",
	    json_string_value(json_object_get(e, "ts")),
	    json_string_value(json_object_get(e, "person")),
	    json_string_value(json_object_get(e, "role")),
	    json_string_value(json_object_get(e, "op")), *where ? where : "-",
	    json_string_value(json_object_get(e, "outcome")), msg ? ": " : "", msg ? msg : "");
	char *safe = ctl_inert(line);

	puts(safe);
	free(safe);
	free(line);
	free(where);
}

/* audit [--since T] [--case ID] [--export]: the whole audit trail, page
 * by page; with --export (or --json) each entry as a JSON line. */
static int
cmd_audit(struct ctl *c, int argc, char **argv)
{
	json_t *query = json_pack("{s:i}", "limit", CTL_AUDIT_PAGE);
	int as_json = c->json_out;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--export") == 0)
			as_json = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--case") == 0)
			json_object_set_new(query, "case", json_string(argv[++i]));
		else if (i + 1 < argc && strcmp(argv[i], "--since") == 0) {
			/* Milliseconds since the epoch, or an RFC 3339 time. */
			const char *t = argv[++i];
			char *end;
			long long ms = strtoll(t, &end, 10);
			int64_t parsed;
			if (*t != '\0' && *end == '\0' && ms >= 0)
				json_object_set_new(query, "since", json_integer(ms));
			else if (bus_time_parse(t, &parsed) == 0)
				json_object_set_new(query, "since", json_string(t));
			else {
				json_decref(query);
				return usage_error("audit: --since takes an RFC 3339 time or "
				    "milliseconds since the epoch, not '%s'", t);
			}
		} else {
			json_decref(query);
			return usage_error("audit: unexpected '%s' (audit [--since TIME] "
			    "[--case ID] [--export])", argv[i]);
		}
	}
	for (;;) {
		json_t *reply, *e, *next;
		size_t i;
		int rc = ctl_call(c, "audit", json_deep_copy(query), &reply);
		if (rc != EXIT_OK) {
			json_decref(query);
			return rc;
		}
		json_array_foreach(json_object_get(reply, "entries"), i, e) {
			if (as_json)
				print_json(e);
			else
				audit_print_line(e);
		}
		next = json_object_get(reply, "next");
		int more = json_is_integer(next);
		if (more)
			json_object_set_new(query, "after", json_integer(json_integer_value(next)));
		json_decref(reply);
		if (!more)
			break;
	}
	json_decref(query);
	return EXIT_OK;
}

/* publish: PUSH without acknowledgement, or the report op with --ack. */
static int
publish_one(struct ctl *c, void *push, const char *topic, const char *text, int ack,
    const char *where)
{
	json_t *body;
	char *cause = NULL;

	if (bus_codec_decode_body(text, strlen(text), topic, &body, &cause) != 0) {
		fprintf(stderr, "watchctl: %s%s\n", where, cause);
		free(cause);
		return EXIT_USAGE;
	}
	if (ack)
		return ctl_call_print(c, "report", json_pack("{s:s, s:o}", "topic", topic,
		    "body", body));
	json_decref(body);
	struct bus_frame f[2] = { { topic, strlen(topic) }, { text, strlen(text) } };
	if (bus_sock_send(push, f, 2, 0) != 0) {
		fprintf(stderr, "watchctl: no hub took the message at %s within %d s (%s)\n",
		    c->ingest, c->timeout_ms / 1000, zmq_strerror(errno));
		return EXIT_NOHUB;
	}
	return EXIT_OK;
}

static int
cmd_publish(struct ctl *c, int argc, char **argv)
{
	int ack = 0, rc = EXIT_OK;
	const char *topic = NULL, *json = NULL;
	void *push = NULL;
	char *cause = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ack") == 0)
			ack = 1;
		else if (topic == NULL)
			topic = argv[i];
		else if (json == NULL)
			json = argv[i];
		else
			return usage_error("publish: unexpected '%s'", argv[i]);
	}
	if (topic == NULL)
		return usage_error("usage: publish TOPIC [JSON] [--ack]%s", "");
	if (!ack) {
		/* IMMEDIATE + a send timeout: fail with exit 3 when no hub is
		 * there, instead of queueing forever. A queue of one: a busy hub
		 * slows the sends down (and a stalled one fails them, exit 3)
		 * instead of leaving a thousand queued here, which the linger at
		 * exit would drop without a word if the hub took longer than
		 * --timeout for them (seen: 456 of 100,000 piped lines). */
		struct bus_sock_opts o = { .type = ZMQ_PUSH, .curve = c->curve };
		int one = 1;
		push = bus_sock_open(c->zctx, &o, &cause);
		if (push == NULL) {
			fprintf(stderr, "watchctl: %s\n", cause);
			free(cause);
			return EXIT_NOHUB;
		}
		int linger = c->timeout_ms;
		zmq_setsockopt(push, ZMQ_SNDHWM, &one, sizeof one);
		zmq_setsockopt(push, ZMQ_IMMEDIATE, &one, sizeof one);
		zmq_setsockopt(push, ZMQ_SNDTIMEO, &c->timeout_ms, sizeof c->timeout_ms);
		zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
		if (zmq_connect(push, c->ingest) != 0) {
			fprintf(stderr, "watchctl: cannot connect to %s: %s\n", c->ingest,
			    zmq_strerror(errno));
			zmq_close(push);
			return EXIT_USAGE;
		}
	}
	if (json != NULL)
		rc = publish_one(c, push, topic, json, ack, "");
	else {
		char *line = NULL, where[64];
		size_t cap = 0;
		ssize_t len;
		long lineno = 0;
		while ((len = getline(&line, &cap, stdin)) > 0) {
			lineno++;
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = '\0';
			if (len == 0)
				continue;
			snprintf(where, sizeof where, "stdin line %ld: ", lineno);
			int r = publish_one(c, push, topic, line, ack, where);
			if (r == EXIT_NOHUB) {
				rc = r;
				break;
			}
			if (r != EXIT_OK)
				rc = r; /* report, go on with the next line */
		}
		free(line);
	}
	if (push != NULL)
		zmq_close(push);
	return rc;
}

static volatile sig_atomic_t tail_stop;

static void
tail_signal(int sig)
{
	(void)sig;
	tail_stop = 1;
}

/* follow [--check] [--duration SEC] [--settle SEC] [--quiet]
 * [--heartbeat-timeout SEC]: the console's sync without a screen
 * (bus-checker). */
struct follow {
	struct event_base *base;
	struct bus_checker *check;
	int quiet, stop;
	struct event *duration;
};

static void
follow_say(void *arg, const char *line)
{
	struct follow *f = arg;

	if (!f->quiet) {
		char *safe = ctl_inert(line);
		fprintf(stderr, "watchctl: follow: %s\n", safe);
		free(safe);
	}
}

static void
follow_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct follow *)arg)->stop = 1;
}

static int
cmd_follow(struct ctl *c, int argc, char **argv)
{
	struct follow f = { .quiet = 0 };
	int check = 0, duration_ms = 0, settle_ms = 10000, silence_ms = 0;
	char *cause = NULL, *end, summary[512];

	for (int i = 0; i < argc; i++) {
		double v;
		if (strcmp(argv[i], "--check") == 0)
			check = 1;
		else if (strcmp(argv[i], "--quiet") == 0)
			f.quiet = 1;
		else if (i + 1 < argc && (strcmp(argv[i], "--duration") == 0 ||
		    strcmp(argv[i], "--settle") == 0 ||
		    strcmp(argv[i], "--heartbeat-timeout") == 0)) {
			v = strtod(argv[i + 1], &end);
			if (*end != '\0' || !(v > 0 && v <= 86400))
				return usage_error("follow: %s takes seconds", argv[i]);
			*(strcmp(argv[i], "--duration") == 0 ? &duration_ms :
			    strcmp(argv[i], "--settle") == 0 ? &settle_ms : &silence_ms) =
			    (int)(v * 1000);
			i++;
		} else
			return usage_error("follow: unexpected '%s' (--check --duration SEC "
			    "--settle SEC --quiet --heartbeat-timeout SEC)", argv[i]);
	}
	struct bus_sync_config cfg = { c->events, c->control, c->user, 0, 0, 0, c->curve, 0 };
	cfg.heartbeat_timeout_ms = silence_ms; /* 0: the console's 3 s */
	/* The sync's own log lines would repeat what follow_say prints. */
	if (bus_log_open("/dev/null", 0, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	f.base = event_base_new();
	f.check = bus_checker_new(f.base, c->zctx, &cfg, follow_say, &f, &cause);
	if (f.check == NULL) {
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		event_base_free(f.base);
		return EXIT_NOHUB;
	}
	struct event *sigint = evsignal_new(f.base, SIGINT, follow_stop, &f);
	struct event *sigterm = evsignal_new(f.base, SIGTERM, follow_stop, &f);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	f.duration = evtimer_new(f.base, follow_stop, &f);
	if (duration_ms > 0) {
		struct timeval tv = { duration_ms / 1000, (duration_ms % 1000) * 1000 };
		evtimer_add(f.duration, &tv);
	}
	/* Follow until told to stop; then, with --check, until the comparison
	 * with a fresh snapshot is over. */
	int finishing = 0;
	while (!(finishing && (!check || bus_checker_done(f.check)))) {
		if (f.stop && !finishing) {
			finishing = 1;
			if (check)
				bus_checker_finish(f.check, settle_ms);
			continue;
		}
		if (event_base_loop(f.base, EVLOOP_ONCE) < 0)
			break;
	}
	bus_checker_summary(f.check, summary, sizeof summary);
	int diverged = bus_checker_divergences(f.check) > 0;
	char *safe = ctl_inert(summary);
	printf("%s\n", safe);
	free(safe);
	event_free(sigint);
	event_free(sigterm);
	event_free(f.duration);
	bus_checker_free(f.check);
	event_base_free(f.base);
	return diverged ? EXIT_REFUSED : EXIT_OK;
}

/* tail: every event as a JSON line {"topic":..., "body":...}. */
static int
cmd_tail(struct ctl *c, int argc, char **argv)
{
	struct bus_sock_opts o = { .type = ZMQ_SUB, .endpoint = c->events, .maxmsgsize = -1,
		.curve = c->curve };
	char *cause = NULL;
	void *sub = bus_sock_open(c->zctx, &o, &cause);

	if (sub == NULL) {
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		return EXIT_NOHUB;
	}
	if (argc == 0)
		zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	for (int i = 0; i < argc; i++)
		zmq_setsockopt(sub, ZMQ_SUBSCRIBE, argv[i], strlen(argv[i]));
	signal(SIGINT, tail_signal);
	signal(SIGTERM, tail_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!tail_stop) {
		struct bus_frame frames[BUS_SOCK_MAX_FRAMES];
		zmq_msg_t msgs[BUS_SOCK_MAX_FRAMES];
		size_t n;
		int truncated;
		if (bus_sock_recv(sub, frames, msgs, BUS_SOCK_MAX_FRAMES, &n, &truncated, 0) != 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 2) {
			json_t *body = json_loadb(frames[1].data, frames[1].size, 0, NULL);
			char *topic = xstrndup(frames[0].data, frames[0].size);
			json_t *line = json_pack("{s:s, s:o}", "topic", topic,
			    "body", body != NULL ? body : json_null());
			print_json(line);
			json_decref(line);
			free(topic);
		}
		bus_sock_recv_done(msgs, n);
	}
	zmq_close(sub);
	return EXIT_OK;
}

static volatile sig_atomic_t simulate_stop;

static void
simulate_signal(int sig)
{
	(void)sig;
	simulate_stop = 1;
}

/*
 * simulate: demo traffic against a demo floor (bus-demo), never a live
 * one: its made-up cases would be worked under real roster names. Reports
 * go as the
 * acknowledged "report" op, so that the hub's case ids come back and the
 * cases can be worked through their lifecycle; intel and sensor traffic
 * is pushed to ingest.
 */
static int
cmd_simulate(struct ctl *c, int argc, char **argv)
{
	double rate = 1, speed = 1, duration = 0;
	uint64_t seed = (uint64_t)bus_time_now_ms();
	char *end;

	for (int i = 0; i < argc; i++) {
		double *target = strcmp(argv[i], "--rate") == 0 ? &rate :
		    strcmp(argv[i], "--speed") == 0 ? &speed :
		    strcmp(argv[i], "--duration") == 0 ? &duration : NULL;
		if (i + 1 < argc && strcmp(argv[i], "--seed") == 0) {
			seed = strtoull(argv[++i], &end, 10);
			if (*end != '\0')
				return usage_error("--seed takes a number, not '%s'", argv[i]);
		} else if (i + 1 < argc && target != NULL) {
			*target = strtod(argv[++i], &end);
			if (*end != '\0' || *target < 0 || *target > 100000)
				return usage_error("'%s' is not a number from 0 to 100000", argv[i]);
		} else
			return usage_error("simulate: unexpected '%s' (--rate N --seed S --speed X "
			    "--duration SEC)", argv[i]);
	}
	if (rate <= 0 || speed <= 0)
		return usage_error("simulate: --rate and --speed must be above 0%s", "");

	json_t *me;
	int rc = ctl_call(c, "whoami", NULL, &me);
	if (rc != EXIT_OK)
		return rc;
	int demo_floor = json_is_true(json_object_get(me, "demo"));
	json_decref(me);
	if (!demo_floor) {
		fprintf(stderr, "watchctl: simulate sends made-up incidents, intel and sensor "
		    "traffic, and the hub at %s serves a live floor; simulate only against a "
		    "demo floor (watchd --demo, or watchfloor --demo with no hub running)\n",
		    c->control);
		return EXIT_USAGE;
	}

	char *cause = NULL;
	struct bus_sock_opts po = { .type = ZMQ_PUSH, .endpoint = c->ingest, .curve = c->curve };
	struct bus_sock_opts co = { .type = ZMQ_DEALER, .endpoint = c->control, .maxmsgsize = -1,
		.curve = c->curve };
	void *push = bus_sock_open(c->zctx, &po, &cause), *ctl = NULL;
	if (push == NULL || (ctl = bus_sock_open(c->zctx, &co, &cause)) == NULL) {
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		if (push != NULL)
			zmq_close(push);
		return EXIT_NOHUB;
	}
	int zero = 0;
	zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(ctl, ZMQ_LINGER, &zero, sizeof zero);
	signal(SIGINT, simulate_signal);
	signal(SIGTERM, simulate_signal);

	int64_t start = bus_time_mono_ms();
	struct bus_demo *demo = bus_demo_new(seed, rate, speed, start);
	fprintf(stderr, "watchctl: simulating (seed %llu, %.1f events/s); Ctrl-C stops\n",
	    (unsigned long long)seed, rate);

	while (!simulate_stop) {
		int64_t now = bus_time_mono_ms();
		if (duration > 0 && now - start >= (int64_t)(duration * 1000))
			break;
		bus_demo_send_due(demo, push, ctl, now);
		/* Wait for replies until the next action is due. */
		int64_t wait = bus_demo_next(demo) - bus_time_mono_ms();
		zmq_pollitem_t item = { ctl, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, wait > 0 ? (long)wait : 0) <= 0)
			continue;
		struct bus_frame frames[BUS_SOCK_MAX_FRAMES];
		zmq_msg_t msgs[BUS_SOCK_MAX_FRAMES];
		size_t nf;
		int truncated;
		while (bus_sock_recv(ctl, frames, msgs, BUS_SOCK_MAX_FRAMES, &nf, &truncated,
		    ZMQ_DONTWAIT) == 0) {
			bus_demo_reply(demo, frames, nf, bus_time_mono_ms());
			bus_sock_recv_done(msgs, nf);
		}
	}
	fprintf(stderr, "watchctl: simulate sent %lu messages; %lu commands refused\n",
	    bus_demo_sent(demo), bus_demo_refused(demo));
	bus_demo_free(demo);
	zmq_close(push);
	zmq_close(ctl);
	return EXIT_OK;
}

/* Commands that take no arguments and print the hub's reply. */
static int
cmd_noargs(struct ctl *c, const char *op, int argc, char **argv, int print_json_reply)
{
	(void)argv;
	if (argc != 0)
		return usage_error("%s takes no arguments", op);
	return print_json_reply ? cmd_dump(c, op, NULL) : ctl_call_print(c, op, NULL);
}

static int
cmd_snapshot(struct ctl *c, int argc, char **argv)
{
	return cmd_noargs(c, "snapshot", argc, argv, 1);
}

static int
cmd_stats(struct ctl *c, int argc, char **argv)
{
	return cmd_noargs(c, "stats", argc, argv, 1);
}

static int
cmd_whoami(struct ctl *c, int argc, char **argv)
{
	return cmd_noargs(c, "whoami", argc, argv, 0);
}

/* keygen PREFIX: a key pair in PREFIX.key (secret, 0600) and PREFIX.pub. */
static int
cmd_keygen(struct ctl *c, int argc, char **argv)
{
	char public_key[BUS_CURVE_KEY_LEN + 1], *cause = NULL;

	(void)c;
	if (argc != 1)
		return usage_error("usage: watchctl keygen PREFIX (writes PREFIX.key and "
		    "PREFIX.pub)%s", "");
	if (bus_curve_keygen(argv[0], public_key, &cause) != 0) {
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		return EXIT_REFUSED;
	}
	printf("%s\n", public_key);
	fprintf(stderr, "watchctl: wrote %s.key (secret: keep it, mode 0600) and %s.pub "
	    "(give it to the hub's leads)\n", argv[0], argv[0]);
	return EXIT_OK;
}

/* key allow KEY PERSON ROLE [--sockets S] [--topics T] | key revoke KEY |
 * key list. KEY is the public key or its .pub file. */
static int
cmd_key(struct ctl *c, int argc, char **argv)
{
	char key[BUS_CURVE_KEY_LEN + 1], *cause = NULL;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return c->json_out ? cmd_dump(c, "key_list", NULL) : cmd_key_list(c);
	if (argc >= 2 && (strcmp(argv[0], "allow") == 0 || strcmp(argv[0], "revoke") == 0)) {
		if (bus_curve_load_public(argv[1], key, &cause) != 0) {
			int rc = usage_error("%s", cause);
			free(cause);
			return rc;
		}
		if (strcmp(argv[0], "revoke") == 0 && argc == 2)
			return ctl_call_print(c, "key_revoke", json_pack("{s:s}", "key", key));
		if (strcmp(argv[0], "allow") == 0 && argc >= 4) {
			json_t *args = json_pack("{s:s, s:s, s:s}", "key", key, "person", argv[2],
			    "role", argv[3]);
			for (int i = 4; i < argc; i++) {
				if (i + 1 < argc && strcmp(argv[i], "--sockets") == 0)
					json_object_set_new(args, "sockets", json_string(argv[++i]));
				else if (i + 1 < argc && strcmp(argv[i], "--topics") == 0)
					json_object_set_new(args, "topics", json_string(argv[++i]));
				else {
					json_decref(args);
					return usage_error("key allow: unexpected '%s'", argv[i]);
				}
			}
			return ctl_call_print(c, "key_allow", args);
		}
	}
	fputs("usage: watchctl key allow KEY PERSON ROLE [--sockets ingest,events,control] "
	    "[--topics PREFIX,...] | key revoke KEY | key list\n", stderr);
	return EXIT_USAGE;
}

/* Commands with their own argument handling; the rest are ctl_cmds. */
static const struct {
	const char *name;
	int (*fn)(struct ctl *, int, char **);
} ctl_special[] = {
	{ "publish", cmd_publish },
	{ "tail", cmd_tail },
	{ "snapshot", cmd_snapshot },
	{ "stats", cmd_stats },
	{ "whoami", cmd_whoami },
	{ "replay", cmd_replay },
	{ "audit", cmd_audit },
	{ "open", cmd_open },
	{ "staff", cmd_staff },
	{ "team", cmd_team },
	{ "request", cmd_request },
	{ "simulate", cmd_simulate },
	{ "follow", cmd_follow },
	{ "keygen", cmd_keygen },
	{ "key", cmd_key },
};

static int
ctl_run(struct ctl *c, const char *cmd, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof ctl_special / sizeof ctl_special[0]; i++) {
		if (strcmp(cmd, ctl_special[i].name) == 0)
			return ctl_special[i].fn(c, argc, argv);
	}
	const struct bus_op *v = bus_op_typed(cmd);
	if (v != NULL)
		return cmd_verb(c, v, argc, argv);
	return usage_error("unknown command '%s'", cmd);
}

#define SET(f) offsetof(struct ctl, f)
static const struct bus_opt ctl_opts[] = {
	BUS_ENDPOINT_CLIENT_OPTS(struct ctl),
	BUS_CURVE_CLIENT_OPTS(struct ctl),
	{ "user", NULL, 0, BUS_OPT_STRING, SET(user), 0, 0, NULL, "NAME",
	  "who you are (default: your login name)" },
	{ "timeout", NULL, 0, BUS_OPT_SECONDS, SET(timeout_ms), 1, 3600 * 1000, NULL, "SEC",
	  "how long to wait for the hub (default 5)" },
	{ "json", NULL, 0, BUS_OPT_BOOL, SET(json_out), 0, 0, NULL, NULL,
	  "print the hub's reply as JSON" },
};
#undef SET

/* watchctl shares the console's file for its endpoints; the console's own
 * sections are the console's to check. */
static const char *const console_sections[] = { "console", "keys", NULL };

int
main(int argc, char **argv)
{
	struct ctl c = { .ingest = BUS_DEFAULT_INGEST, .events = BUS_DEFAULT_EVENTS,
		.control = BUS_DEFAULT_CONTROL, .timeout_ms = 5000 };
	struct bus_cli cli = {
		.prog = "watchctl", .synopsis = synopsis, .more_help = usage_commands,
		.opts = ctl_opts, .nopts = sizeof ctl_opts / sizeof ctl_opts[0], .settings = &c,
		.ignore = console_sections, .stop_at_command = 1,
	};
	char *conf = bus_config_xdg_path("XDG_CONFIG_HOME", ".config", "watchfloor.conf");
	int rc;

	cli.default_config = conf;
	int first = bus_cli_parse(&cli, argc, argv);
	if (first >= 0 && bus_cli_check_done(&cli))
		first = BUS_CLI_EXIT_OK;
	if (first < 0 || first >= argc || strcmp(argv[first], "help") == 0) {
		if (first >= 0)
			bus_cli_usage(&cli, first < argc ? stdout : stderr);
		rc = first == BUS_CLI_EXIT_OK || (first >= 0 && first < argc) ? EXIT_OK : EXIT_USAGE;
		bus_cli_free(&cli);
		free(conf);
		return rc;
	}
	const char *cmd = argv[first];
	int nargs = argc - first - 1;
	char **args = argv + first + 1;
	for (int i = 0; i < nargs; i++) {
		if (strcmp(args[i], "--help") == 0 || strcmp(args[i], "-h") == 0) {
			bus_cli_usage(&cli, stdout);
			bus_cli_free(&cli);
			free(conf);
			return EXIT_OK;
		}
	}

	char *cause = NULL;
	int curve = bus_curve_client_setup(c.key, c.hub_key, &c.keys, &cause);
	if (curve < 0) {
		fprintf(stderr, "watchctl: %s\n", cause);
		free(cause);
		bus_cli_free(&cli);
		free(conf);
		return EXIT_USAGE;
	}
	c.curve = curve ? &c.keys : NULL;
	char *login = NULL;
	if (c.user == NULL)
		c.user = login = bus_client_login_name();
	c.zctx = zmq_ctx_new();
	rc = ctl_run(&c, cmd, nargs, args);
	free(login);
	zmq_ctx_term(c.zctx);
	bus_cli_free(&cli);
	free(conf);
	return rc;
}
