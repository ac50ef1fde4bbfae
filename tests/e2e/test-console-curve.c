/*
 * The console as remote staff and watchers meet it: against a hub with a
 * CURVE key, the console's own key decides who it is and what it may do
 * (the name given with --user changes nothing); and a --read-only console
 * sends no command at all, whatever is typed.
 *
 * The hub is the real watchd with --key and --allow; cases are opened
 * through the real watchctl with a lead's key; the console's keys come from
 * its settings file (the fixture points XDG_CONFIG_HOME at the test's own
 * directory).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus-curve.h"
#include "test-console.h"

static int
setup(void **state)
{
	return console_fixture_setup(state, "console-curve");
}

static int
teardown(void **state)
{
	return console_fixture_teardown(state);
}

/* A key pair DIR/NAME.key, DIR/NAME.pub; its public key into PUB. */
static void
keygen(const char *dir, const char *name, char pub[BUS_CURVE_KEY_LEN + 1])
{
	char prefix[512], *cause = NULL;

	snprintf(prefix, sizeof prefix, "%s/%s", dir, name);
	if (bus_curve_keygen(prefix, pub, &cause) != 0)
		fail_msg("keygen %s: %s", name, cause);
}

/* The id in watchctl's "ok: case ICS-..." line. */
static void
open_case(struct test_hub *h, const char *lead_key, const char *hub_pub, char id[32])
{
	char *out = NULL;
	const char *args[] = { "--key", lead_key, "--hub-key", hub_pub, "open", "water",
		"Lakeside Water", "Chlorine dosing PLC reset", "--level", "4", NULL };

	assert_int_equal(test_watchctl(h, args, NULL, &out, NULL), 0);
	const char *p = strstr(out, "ICS-");
	assert_non_null(p);
	snprintf(id, 32, "%.13s", p);
	free(out);
}

/* The hub with CURVE: mori (lead) and okafor (officer) allowed. The
 * console's settings file gives it okafor's key. */
static void
curve_hub(void **state, char lead_key[512], char hub_pub[512])
{
	struct console_fx *f = *state;
	struct test_hub *h = f->h;
	char pub[BUS_CURVE_KEY_LEN + 1], mori[BUS_CURVE_KEY_LEN + 1], okafor[BUS_CURVE_KEY_LEN + 1];
	char path[512], allow[512], conf[1600];

	keygen(h->dir, "hub", pub);
	keygen(h->dir, "mori", mori);
	keygen(h->dir, "okafor", okafor);
	snprintf(allow, sizeof allow, "%s/allow", h->dir);
	FILE *a = fopen(allow, "w");
	assert_non_null(a);
	fprintf(a, "# the floor's keys\n%s mori lead\n%s okafor officer\n", mori, okafor);
	fclose(a);
	snprintf(lead_key, 512, "%s/mori.key", h->dir);
	snprintf(hub_pub, 512, "%s/hub.pub", h->dir);
	/* The harness's own requests go as mori. */
	static struct bus_curve lead;
	char *cause = NULL;
	if (bus_curve_client_setup(lead_key, hub_pub, &lead, &cause) != 1)
		fail_msg("mori's keys: %s", cause);
	h->curve = &lead;
	snprintf(path, sizeof path, "%s/hub.key", h->dir);
	const char *extra[] = { "--key", path, "--allow", allow, NULL };
	if (test_hub_start(h, extra) != 0)
		fail_msg("watchd with CURVE did not start");

	snprintf(path, sizeof path, "%s/config", h->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/config/watchfloor", h->dir);
	mkdir(path, 0700);
	snprintf(conf, sizeof conf, "[curve]\nkey = %s/okafor.key\nhub-key = %s\n", h->dir,
	    hub_pub);
	snprintf(path, sizeof path, "%s/config/watchfloor/watchfloor.conf", h->dir);
	a = fopen(path, "w");
	assert_non_null(a);
	fputs(conf, a);
	fclose(a);
}

/* The key is who you are: asked to be mori (a lead), the console is
 * okafor, an officer, says so, offers no dispatch, and the hub refuses
 * one typed on the command line; an acknowledgement, which officers may
 * make, goes through. */
static void
test_the_key_decides_who_you_are(void **state)
{
	struct console_fx *f = *state;
	char lead_key[512], hub_pub[512], id[32], cmd[64];

	curve_hub(state, lead_key, hub_pub);
	open_case(f->h, lead_key, hub_pub, id);
	struct test_term *t = console_spawn(state, 0, 24, 80, "mori", NULL);
	EXPECT(t, "CONNECTED (CURVE)");
	EXPECT(t, "okafor (officer)");
	EXPECT(t, id);
	assert_int_equal(test_term_find(t, "mori (", NULL, NULL), -1);
	/* Officers acknowledge and add notes; they do not dispatch. */
	EXPECT_ROW(t, 23, "x ack");
	assert_null(strstr(test_term_row(t, 23), "d dispatch"));

	snprintf(cmd, sizeof cmd, ":dispatch FLY-1 %s\r", id);
	test_term_send_str(t, cmd);
	EXPECT(t, "refused (forbidden): dispatch needs the role lead;");
	EXPECT(t, "okafor has the role officer.");

	/* The case is unacknowledged ('*'), until okafor's x. */
	char starred[40];
	snprintf(starred, sizeof starred, "*%s", id);
	EXPECT(t, starred);
	test_term_send_str(t, "x");
	EXPECT_GONE(t, starred);
	char done[64];
	snprintf(done, sizeof done, "ack %s: done", id);
	EXPECT(t, done);
	test_hub_passed(f->h);
}

/* --read-only: nothing typed reaches the hub. The top line says so, no
 * action is offered, and a command typed on the : line is refused by the
 * console itself; the hub's case stays unacknowledged. */
static void
test_read_only_sends_nothing(void **state)
{
	struct console_fx *f = *state;
	struct test_hub *h = console_start_hub(state);
	char id[32], cmd[64];

	console_report_incident(h, "energy", "Grid North", "Substation HMI defaced", 4, id);
	struct test_term *t = console_spawn_with(state, 0, 24, 80, "mori", NULL, "--read-only",
	    NULL);
	EXPECT(t, "mori (lead) read-only");
	EXPECT(t, id);
	EXPECT_ROW(t, 23, "? help");
	assert_null(strstr(test_term_row(t, 23), "dispatch"));
	assert_null(strstr(test_term_row(t, 23), "ack"));

	snprintf(cmd, sizeof cmd, ":ack %s\r", id);
	test_term_send_str(t, cmd);
	EXPECT(t, "read-only");
	EXPECT(t, "nothing was sent");
	test_term_send_str(t, "x");
	EXPECT(t, "ack: this console is read-only");

	json_t *snap = test_hub_snapshot(h);
	json_t *c = test_jfind(json_object_get(snap, "cases"), "id", id);
	assert_non_null(c);
	assert_true(json_is_null(json_object_get(c, "acked_by")));
	json_decref(snap);
	test_hub_passed(f->h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_key_decides_who_you_are, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_sends_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
