/* What an audit row says (bus/hub/bus-audit.c), written to a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-audit.h"
#include "bus-domain.h"
#include "bus-reply.h"
#include "bus-state.h"
#include "bus-store.h"

static void
expect_args(json_t *args, const char *want)
{
	char *got = bus_audit_args(args);

	assert_string_equal(got, want);
	assert_true(strlen(got) <= BUS_AUDIT_ARGS_MAX);
	free(got);
	json_decref(args);
}

/* Small arguments are kept as sent; big ones keep their shape. */
static void
test_args_are_capped(void **state)
{
	char *big = malloc(5001);

	(void)state;
	memset(big, 'x', 5000);
	big[5000] = '\0';
	expect_args(json_pack("{s:s, s:i}", "case", "ICS-2026-0001", "level", 3),
	    "{\"case\":\"ICS-2026-0001\",\"level\":3}");
	expect_args(json_object(), "{}");
	expect_args(NULL, "{}");
	/* 5,000 bytes and two quotes. */
	expect_args(json_pack("{s:s, s:s}", "case", "ICS-2026-0001", "text", big),
	    "{\"case\":\"ICS-2026-0001\",\"text\":\"(5002 bytes left out)\"}");
	expect_args(json_pack("{s:s, s:{s:s}}", "topic", "incident", "body", "summary", big),
	    "{\"topic\":\"incident\",\"body\":\"(5014 bytes left out)\"}");
	/* Hundreds of small fields: only the size stays. */
	json_t *many = json_object();
	char key[16];
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof key, "field%03d", i);
		json_object_set_new(many, key, json_integer(i));
	}
	char *text = json_dumps(many, JSON_COMPACT);
	char want[64];
	snprintf(want, sizeof want, "{\"left_out\":\"(%zu bytes left out)\"}", strlen(text));
	free(text);
	expect_args(many, want);
	free(big);
}

struct fixture {
	char dir[64], path[128];
	struct bus_store *st;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char *cause = NULL;

	strcpy(f->dir, "/tmp/watchfloor-audit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/hub.db", f->dir);
	if ((f->st = bus_store_open(f->path, "normal", BUS_STORE_WAL_LIMIT, &cause)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	bus_store_close(f->st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* "op|case|team|outcome|message|args;" for each row. */
static int
collect(const struct bus_store_audit_row *row, void *arg)
{
	char *out = arg;

	sprintf(out + strlen(out), "%s|%s|%s|%s|%s|%s|%s|%s;", row->person, row->role, row->op,
	    row->case_id ? row->case_id : "-", row->team ? row->team : "-", row->outcome,
	    row->message ? row->message : "-", row->args);
	return 0;
}

static void
write_rows(struct fixture *f, struct bus_audit *a)
{
	char *cause = NULL;

	assert_int_equal(bus_store_begin(f->st, &cause), 0);
	assert_int_equal(bus_audit_write(a, f->st, &cause), 0);
	assert_int_equal(bus_store_commit(f->st, &cause), 0);
	bus_audit_clear(a);
	assert_int_equal(bus_audit_pending(a), 0);
}

/* Who, what, which case and team, and the outcome, from the request and
 * the hub's reply. */
static void
test_rows_say_what_happened(void **state)
{
	struct fixture *f = *state;
	struct bus_audit *a = bus_audit_new();
	struct bus_actor chen = { "chen", BUS_ROLE_INTAKE }, watch = { "watch", BUS_ROLE_VIEWER };
	char out[2048] = "", *cause = NULL;
	/* 62 bytes, then a 3-byte character across the 64-byte cut. */
	char op[80];
	memset(op, 'o', 62);
	strcpy(op + 62, "\xe6\xbc\xa2z");

	json_t *args = json_pack("{s:s, s:s, s:s}", "title", "T", "org", "O", "sector", "it");
	json_t *reply = json_pack("{s:b, s:s}", "ok", 1, "case", "ICS-2026-0007");
	bus_audit_add(a, &chen, "open", args, reply, 1000);
	json_decref(args);
	json_decref(reply);
	args = json_pack("{s:s, s:o}", "topic", "incident", "body", json_object());
	reply = json_pack("{s:b, s:s}", "ok", 1, "object", "case.ICS-2026-0008");
	bus_audit_add(a, &chen, "report", args, reply, 1001);
	json_decref(reply);
	reply = json_pack("{s:b, s:s}", "ok", 1, "object", "intel.INT-2026-0001");
	bus_audit_add(a, &chen, "report", args, reply, 1002);
	json_decref(reply);
	json_decref(args);
	args = json_pack("{s:s, s:s}", "team", "FLY-2", "case", "ICS-2026-0007");
	reply = bus_reply_error("forbidden", "dispatch needs the role lead; watch has the role "
	    "viewer.");
	bus_audit_add(a, &watch, "dispatch", args, reply, 1003);
	json_decref(reply);
	/* A refused request's reply names no case: the request's is kept. */
	reply = bus_reply_error("unknown_op", "There is no op.");
	bus_audit_add(a, &watch, op, NULL, reply, 1004);
	json_decref(reply);
	json_decref(args);
	assert_int_equal(bus_audit_pending(a), 5);
	write_rows(f, a);

	assert_int_equal(bus_store_audit(f->st, INT64_MIN, NULL, 0, 100, collect, out, &cause), 0);
	char want[2048];
	snprintf(want, sizeof want,
	    "chen|intake|open|ICS-2026-0007|-|ok|-|{\"title\":\"T\",\"org\":\"O\",\"sector\":\"it\"};"
	    "chen|intake|report|ICS-2026-0008|-|ok|-|{\"topic\":\"incident\",\"body\":{}};"
	    "chen|intake|report|-|-|ok|-|{\"topic\":\"incident\",\"body\":{}};"
	    "watch|viewer|dispatch|ICS-2026-0007|FLY-2|forbidden|dispatch needs the role lead; "
	    "watch has the role viewer.|{\"team\":\"FLY-2\",\"case\":\"ICS-2026-0007\"};"
	    "watch|viewer|%.62s|-|-|unknown_op|There is no op.|{};", op);
	assert_string_equal(out, want);
	bus_audit_free(a);
}

/* A turn that could not be saved: its accepted requests are on record as
 * store_failed, with the replies' sentence; refusals stay as they were. */
static void
test_failed_turn(void **state)
{
	struct fixture *f = *state;
	struct bus_audit *a = bus_audit_new();
	struct bus_actor mori = { "mori", BUS_ROLE_LEAD };
	char out[1024] = "", *cause = NULL;

	json_t *args = json_pack("{s:s}", "team", "FLY-1");
	json_t *ok = json_pack("{s:b, s:s}", "ok", 1, "team", "FLY-1");
	json_t *no = bus_reply_error("not_on_case", "FLY-1 serves no case.");
	bus_audit_add(a, &mori, "recall", args, no, 1000);
	bus_audit_add(a, &mori, "team", args, ok, 1001);
	bus_audit_failed(a, "disk I/O error");
	write_rows(f, a);
	json_decref(args);
	json_decref(ok);
	json_decref(no);

	assert_int_equal(bus_store_audit(f->st, INT64_MIN, NULL, 0, 100, collect, out, &cause), 0);
	assert_string_equal(out,
	    "mori|lead|recall|-|FLY-1|not_on_case|FLY-1 serves no case.|{\"team\":\"FLY-1\"};"
	    "mori|lead|team|-|FLY-1|store_failed|The hub could not save this change and made "
	    "none: disk I/O error|{\"team\":\"FLY-1\"};");
	bus_audit_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_are_capped),
		cmocka_unit_test_setup_teardown(test_rows_say_what_happened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_turn, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
