/*
 * watchfloor: the console. One libevent loop drives the keyboard (stdin),
 * SIGWINCH, the clock and the hub's sockets (through bus-sync). Every turn
 * of the loop ends in the after-events hook: the replica's changes mark
 * panels dirty, and what is dirty is drawn, at most once per frame
 * interval, so a burst of events costs one frame, not one per event.
 */
#include <errno.h>
#include <stddef.h>
#include <event2/event.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>
#include <zmq.h>

#include "bus-client.h"
#include "bus-config.h"
#include "bus-curve.h"
#include "bus-demo.h"
#include "bus-sock.h"
#include "bus-endpoint.h"
#include "bus-hub.h"
#include "bus-log.h"
#include "bus-replica.h"
#include "bus-sync.h"
#include "bus-time.h"
#include "panel.h"
#include "tui-keys.h"
#include "tui-opts.h"
#include "tui-screen.h"
#include "tui-theme.h"
#include "tui.h"
#include "xmalloc.h"

static const char synopsis[] =
	"usage: watchfloor [options]\n"
	"\n"
	"The watch floor console: live open cases, team dispatch, sector status,\n"
	"intel and sensors from a watchfloor hub (watchd), and keys to act on them.\n";

static const char epilogue[] =
	"Settings come from ~/.config/watchfloor/watchfloor.conf ([endpoints],\n"
	"[console], and [keys] to change keys); options override them.\n"
	"\n"
	"When no hub answers at the endpoints, the console runs one itself on\n"
	"them, so that other consoles and watchctl can join it; it stops, with\n"
	"everything saved, when the console quits.\n"
	"\n"
	"Press ? in the console for the keys. NO_COLOR=1 turns colour off.\n";

/* The sync's state or the hub's seq moved. A heartbeat that changes
 * nothing on the top line costs no frame: the clock tick draws it. */
/* The demo generator on the console's loop. */
struct demo {
	struct bus_demo *gen;
	void *push, *ctl;
	struct bus_sock *ctl_watch;
	struct event *timer;
};

static void
demo_arm(struct demo *d)
{
	int64_t wait = bus_demo_next(d->gen) - bus_time_mono_ms();
	struct timeval tv = { 0, 0 };

	if (wait > 0) {
		tv.tv_sec = (time_t)(wait / 1000);
		tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	}
	evtimer_add(d->timer, &tv);
}

static void
on_demo_timer(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;

	(void)fd;
	(void)what;
	bus_demo_send_due(d->gen, d->push, d->ctl, bus_time_mono_ms());
	bus_sock_rearm(d->ctl_watch); /* sends may have spent the edge */
	demo_arm(d);
}

static void
on_demo_reply(const struct bus_frame *frames, size_t n, int truncated, void *arg)
{
	struct demo *d = arg;

	if (!truncated)
		bus_demo_reply(d->gen, frames, n, bus_time_mono_ms());
}

static int
demo_start(struct demo *d, struct tui *t, const char *ingest, const char *control,
    const struct bus_curve *curve, uint64_t seed, char **cause)
{
	struct bus_sock_opts po = { .type = ZMQ_PUSH, .endpoint = ingest, .curve = curve };
	struct bus_sock_opts co = { .type = ZMQ_DEALER, .endpoint = control, .maxmsgsize = -1,
		.curve = curve };

	memset(d, 0, sizeof *d);
	if ((d->push = bus_sock_open(t->zctx, &po, cause)) == NULL ||
	    (d->ctl = bus_sock_open(t->zctx, &co, cause)) == NULL)
		return -1;
	int zero = 0;
	zmq_setsockopt(d->push, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(d->ctl, ZMQ_LINGER, &zero, sizeof zero);
	/* A busy floor a second; lifecycles three times faster than life so
	 * that a newcomer sees cases move within a minute. */
	d->gen = bus_demo_new(seed, 1.5, 3, bus_time_mono_ms());
	d->ctl_watch = bus_sock_watch(t->base, d->ctl, 100, on_demo_reply, d);
	d->timer = evtimer_new(t->base, on_demo_timer, d);
	demo_arm(d);
	log_info("demo traffic, seed %llu", (unsigned long long)seed);
	return 0;
}

static void
demo_stop(struct demo *d)
{
	if (d->timer != NULL)
		event_free(d->timer);
	bus_sock_unwatch(d->ctl_watch);
	if (d->push != NULL)
		zmq_close(d->push);
	if (d->ctl != NULL)
		zmq_close(d->ctl);
	bus_demo_free(d->gen);
}

/* Does a hub answer at CONTROL? A short wait: a local hub answers at once.
 * HUB_NONE, or what it serves: a live floor or a demo. */
enum hub_found { HUB_NONE, HUB_LIVE, HUB_DEMO };

static enum hub_found
hub_answers(void *zctx, const char *control, const char *user)
{
	char *cause = NULL;
	struct bus_client *cl = bus_client_new(zctx, control, user, NULL, &cause);
	json_t *r = cl != NULL ? bus_client_call(cl, "whoami", NULL, 400, &cause) : NULL;
	enum hub_found found = r == NULL ? HUB_NONE :
	    json_is_true(json_object_get(r, "demo")) ? HUB_DEMO : HUB_LIVE;

	json_decref(r);
	bus_client_free(cl);
	free(cause);
	return found;
}

/* Run a hub inside the console on the configured endpoints. */
static struct bus_hub *
hub_embed(struct tui *t, const char *ingest, const char *events, const char *control,
    const char *db, int demo, char **cause)
{
	struct bus_hub_config hc;
	static char path[4096];

	bus_hub_config_defaults(&hc);
	hc.ingest = ingest;
	hc.events = events;
	hc.control = control;
	hc.demo = demo;
	/* A demo floor has a database of its own: its made-up cases must
	 * never show up on the floor the console hosts without --demo. */
	if (db == NULL) {
		char *file = bus_config_xdg_path("XDG_STATE_HOME", ".local/state",
		    demo ? "demo.db" : "watchd.db");
		snprintf(path, sizeof path, "%s", file);
		free(file);
		/* mkdir -p of its directory: each level may exist already. */
		char *slash = strrchr(path, '/');
		*slash = '\0';
		for (char *p = path + 1; *p != '\0'; p++) {
			if (*p == '/') {
				*p = '\0';
				mkdir(path, 0700);
				*p = '/';
			}
		}
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			xasprintf(cause, "cannot create %s: %s", path, strerror(errno));
			return NULL;
		}
		*slash = '/';
		db = path;
	}
	hc.db = db;
	return bus_hub_new(t->base, t->zctx, &hc, cause);
}

/* With CURVE the hub says who this console is: its key's person and role. */
static void
on_whoami(void *arg, int ok, const char *code, const char *message, json_t *reply)
{
	struct tui *t = arg;

	t->whoami_asked = ok;  /* asked again at the next change of the sync if it failed */
	if (!ok) {
		/* The first heartbeat can come before the control connection is up:
		 * nothing to tell, the next change of the sync asks again. */
		if (code == NULL || strcmp(code, "not_connected") != 0)
			tui_message(t, 1, "who am I? the hub did not say: %s", message);
		return;
	}
	snprintf(t->key_user, sizeof t->key_user, "%s",
	    json_string_value(json_object_get(reply, "user")));
	snprintf(t->key_role, sizeof t->key_role, "%s",
	    json_string_value(json_object_get(reply, "role")));
	t->user = t->key_user;
	tui_dirty(t, DIRTY_ALL);
}

/* With CURVE a hub that turns our key away says nothing: the handshake
 * just fails. If nothing was heard a few seconds in, say what to check. */
static void
on_curve_silence(evutil_socket_t fd, short what, void *arg)
{
	struct tui *t = arg;

	(void)fd;
	(void)what;
	if (bus_sync_status(t->sync)->hub_id[0] == '\0')
		tui_message(t, 1, "No answer from the hub. With CURVE the hub turns away a key it "
		    "does not know without a word: is your key on its allow-list (watchctl key "
		    "list), and is hub-key its public key?");
}

static void
on_sync_changed(void *arg)
{
	struct tui *t = arg;
	const struct bus_sync_status *st = bus_sync_status(t->sync);
	int64_t key[4] = { st->state, st->repairing, st->hub_seq, bus_replica_seq(t->replica) };

	if (t->curve && !t->whoami_asked && st->state != BUS_SYNC_DISCONNECTED) {
		t->whoami_asked = 1;
		bus_sync_request(t->sync, "whoami", NULL, on_whoami, t);
	}
	if (memcmp(key, t->top_key, sizeof key) != 0) {
		memcpy(t->top_key, key, sizeof key);
		tui_dirty(t, DIRTY_TOP);
	}
}

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct tui *t = arg;
	wint_t wch;
	int rc;

	(void)fd;
	(void)what;
	/* Woken with no key to read: the terminal may have gone away (a
	 * dropped SSH link). Its end of input stays readable for ever, so a
	 * console that only read on would spin, starving every other event. */
	if ((rc = wget_wch(stdscr, &wch)) == ERR) {
		if (tui_screen_gone()) {
			log_info("the terminal has gone away; stopping");
			event_del(t->ev_stdin);
			t->quit = 1;
		}
		return;
	}
	t->key_frame = 1;
	/* Everything typed so far, then back to the loop. */
	for (int i = 0; i < 256 && rc != ERR; i++, rc = wget_wch(stdscr, &wch)) {
		char utf8[MB_LEN_MAX + 1] = "";
		if (rc == KEY_CODE_YES) {
			if (wch == KEY_RESIZE)
				tui_screen_relayout(t);
			else
				tui_keys_press(t, (int)wch, NULL);
			continue;
		}
		if (wch < 0x20 || wch == 0x7f) {
			tui_keys_press(t, (int)wch, NULL);
			continue;
		}
		mbstate_t ps;
		memset(&ps, 0, sizeof ps);
		size_t n = wcrtomb(utf8, (wchar_t)wch, &ps);
		if (n == (size_t)-1)
			continue;
		utf8[n] = '\0';
		tui_keys_press(t, 0, utf8);
	}
}

static void
on_winch(evutil_socket_t sig, short what, void *arg)
{
	struct tui *t = arg;
	struct winsize ws;

	(void)sig;
	(void)what;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		tui_screen_resize(t, ws.ws_row, ws.ws_col);
}

static void
on_quit_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tui *t = arg;

	(void)sig;
	(void)what;
	t->quit = 1;
}

/* Every second: the clock, and the ages and times in status. */
static void
on_clock(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tui_dirty(arg, DIRTY_TOP | DIRTY_PANELS);
}

static void
on_frame(evutil_socket_t fd, short what, void *arg)
{
	/* Nothing: waking the loop lets the after-events hook draw. */
	(void)fd;
	(void)what;
	(void)arg;
}

/* What the console sees of the hub it runs (tui_host). */
static int
host_followers(void *hub)
{
	return bus_hub_followers(hub);
}

/* The after-events hook: mark what the replica's changes touch, then draw
 * if a frame is due, else wake up when it is. */
static void
after_events(struct tui *t)
{
	unsigned kinds;

	/* A hub inside the console commits and publishes its batch first, so
	 * that this very frame can show it. */
	if (t->host.arg != NULL)
		bus_hub_flush(t->host.arg);
	kinds = bus_replica_take_changes(t->replica);

	for (int i = 0; kinds != 0 && i < TUI_NPANELS; i++) {
		if (panel_watches(t->panels[i], kinds))
			tui_dirty(t, DIRTY_PANEL(i) | DIRTY_TABS | DIRTY_TOP);
	}
	if ((kinds & (BUS_KIND_BIT(BUS_KIND_CASE) | BUS_KIND_BIT(BUS_KIND_TEAM))) &&
	    t->overlay == OVERLAY_DETAIL) {
		tui_detail_check(t);
		tui_dirty(t, DIRTY_OVERLAY);
	}
	/* The log first: what a frame shows was logged before it is seen, so
	 * whoever reads the log after seeing the screen finds the cause. */
	bus_log_flush();
	if (t->dirty == 0)
		return;
	/*
	 * A key's effect is shown at once: people notice 50 ms. Everything
	 * else waits for the frame interval, stretched while the terminal is
	 * slow to take frames (a congested SSH link): a frame written into a
	 * full pty blocks the loop, so fewer of them keep the console
	 * answering keys and the hub.
	 */
	int interval = t->frame_ms > t->backoff_ms ? t->frame_ms : t->backoff_ms;
	int64_t now = bus_time_mono_ms(), wait = t->last_frame_ms + interval - now;
	if (wait <= 0 || t->key_frame) {
		if (tui_screen_draw(t) == 0) {
			int64_t took = bus_time_mono_ms() - now;
			t->last_frame_ms = now;
			t->backoff_ms = took > t->frame_ms / 2 ? (int)(took * 4 < 2000 ? took * 4 : 2000) :
			    t->backoff_ms / 2;
			wait = 0;
		} else
			wait = interval; /* the terminal is behind: try again later */
		t->key_frame = 0;
	}
	if (wait > 0 && !evtimer_pending(t->frame_timer, NULL)) {
		struct timeval tv = { 0, (suseconds_t)wait * 1000 };
		evtimer_add(t->frame_timer, &tv);
	}
	bus_log_flush(); /* what the draw itself logged */
}

int
main(int argc, char **argv)
{
	struct tui_opts set = {
		.events = BUS_DEFAULT_EVENTS, .control = BUS_DEFAULT_CONTROL,
		.ingest = BUS_DEFAULT_INGEST, .theme = "dark", .fps = 20,
		.seed = (uint64_t)bus_time_now_ms(),
	};
	struct bus_cli cli = {
		.prog = "watchfloor", .synopsis = synopsis, .epilogue = epilogue,
		.opts = tui_opts_table, .nopts = tui_opts_count,
		.settings = &set, .extra = tui_opts_sections, .nextra = tui_opts_nsections,
	};
	char *conf = bus_config_xdg_path("XDG_CONFIG_HOME", ".config", "watchfloor.conf");
	char *login = NULL, *cause = NULL;
	struct demo demo;

	cli.default_config = conf;
	int rc = bus_cli_parse(&cli, argc, argv);
	if (rc < 0) {
		bus_cli_free(&cli);
		free(conf);
		return rc == BUS_CLI_EXIT_OK ? 0 : 2;
	}
	if (bus_cli_check_done(&cli)) {
		bus_cli_free(&cli);
		free(conf);
		return 0;
	}
	struct bus_curve keys;
	int curve = bus_curve_client_setup(set.key, set.hub_key, &keys, &cause);
	if (curve < 0 || (curve && set.demo) || (set.read_only && set.demo)) {
		fprintf(stderr, "watchfloor: %s\n", curve < 0 ? cause : set.read_only ?
		    "--demo sends traffic and commands, which --read-only forbids" :
		    "--demo runs on a hub of its own, not a CURVE hub");
		return 2;
	}
	/* A case's last few timeline entries, for the detail overlay to show
	 * live; it loads the rest when it opens. All twenty an event carries,
	 * for ten thousand cases, would be most of the console's memory. */
	struct bus_sync_config cfg = { set.events, set.control, NULL, 0, 0, 0,
		curve ? &keys : NULL, 4 };
	const char *user = set.user, *ingest = set.ingest;
	/* Titles in Japanese and other scripts are normal here: without a
	 * UTF-8 locale they could be neither measured nor shown. */
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
		fprintf(stderr, "watchfloor: the locale's character set is %s, not UTF-8; "
		    "incident titles in other scripts would not show. Run it with a UTF-8 "
		    "locale, for example: LANG=C.UTF-8 watchfloor\n", nl_langinfo(CODESET));
		return 2;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "watchfloor: needs a terminal; for scripts use watchctl\n");
		return 2;
	}
	/* The log never goes to the terminal the console draws on. */
	if (bus_log_open(set.log != NULL ? set.log : "/dev/null", set.verbose, &cause) != 0) {
		fprintf(stderr, "watchfloor: %s\n", cause);
		return 1;
	}
	if (user == NULL)
		user = login = bus_client_login_name();
	cfg.user = user;
	signal(SIGPIPE, SIG_IGN);

	struct tui t;
	struct event *ev_stdin = NULL, *ev_winch = NULL, *ev_int = NULL, *ev_term = NULL,
	    *ev_hup = NULL;
	int status = 0;
	memset(&t, 0, sizeof t);
	memset(&demo, 0, sizeof demo);
	t.base = event_base_new();
	/* Two priorities: the keyboard (0) before the sockets and timers (1),
	 * so a key is read before the next batch of events. */
	event_base_priority_init(t.base, 2);
	t.zctx = zmq_ctx_new();
	t.replica = bus_replica_new();
	t.user = user;
	t.frame_ms = 1000 / set.fps;
	t.panels[PANEL_CASES] = panel_new(&panel_cases_ops);
	t.panels[PANEL_TEAMS] = panel_new(&panel_teams_ops);
	t.panels[PANEL_SECTORS] = panel_new(&panel_sectors_ops);
	t.panels[PANEL_INTEL] = panel_new(&panel_intel_ops);
	t.panels[PANEL_SENSORS] = panel_new(&panel_sensors_ops);
	t.read_only = set.read_only;
	t.curve = curve;
	/* With CURVE the name given is not who we are: the hub will say. */
	if (curve)
		t.user = "?";
	/* The embedded default: no hub answers, so be the hub. A console with
	 * CURVE keys is meant for a remote hub: it waits for that one. So does
	 * a console that finds a hub listening on the ipc:// control endpoint
	 * but too busy (or slow) to answer in time: binding that path would
	 * take it from the hub. */
	enum hub_found found = curve ? HUB_NONE : hub_answers(t.zctx, cfg.control, user);
	if (set.demo && found == HUB_LIVE) {
		fprintf(stderr, "watchfloor: --demo sends made-up incidents, intel and sensor "
		    "traffic, and the hub at %s serves a live floor, where it would be worked "
		    "under real names. Run --demo where no hub answers (the console then runs a "
		    "demo floor of its own), or against a hub started with watchd --demo.\n",
		    cfg.control);
		status = 2;
		goto out;
	}
	if (!curve && found == HUB_NONE && !bus_endpoint_is_listened(cfg.control)) {
		if (!bus_endpoint_is_local(ingest) || !bus_endpoint_is_local(cfg.events) ||
		    !bus_endpoint_is_local(cfg.control)) {
			fprintf(stderr, "watchfloor: no hub answers at %s, and a hub inside the "
			    "console binds only local endpoints\n", cfg.control);
			status = 1;
			goto out;
		}
		struct bus_hub *hub = hub_embed(&t, ingest, cfg.events, cfg.control, set.db,
		    set.demo, &cause);
		if (hub == NULL) {
			fprintf(stderr, "watchfloor: no hub answers at %s, and one cannot run here: "
			    "%s\n", cfg.control, cause);
			status = 1;
			goto out;
		}
		t.host = (struct tui_host){ host_followers, hub };
	}
	t.sync = bus_sync_new(t.base, t.zctx, &cfg, t.replica, on_sync_changed, &t, &cause);
	if (t.sync == NULL) {
		fprintf(stderr, "watchfloor: %s\n", cause);
		status = 1;
		goto out;
	}
	if (tui_screen_open(&t, set.theme, getenv("NO_COLOR") != NULL && getenv("NO_COLOR")[0] != '\0',
	    &cause) != 0) {
		fprintf(stderr, "watchfloor: %s\n", cause);
		status = 1;
		goto out;
	}
	log_info("console for %s: events %s, control %s", user, cfg.events, cfg.control);

	ev_stdin = t.ev_stdin = event_new(t.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, &t);
	ev_winch = evsignal_new(t.base, SIGWINCH, on_winch, &t);
	ev_int = evsignal_new(t.base, SIGINT, on_quit_signal, &t);
	ev_term = evsignal_new(t.base, SIGTERM, on_quit_signal, &t);
	ev_hup = evsignal_new(t.base, SIGHUP, on_quit_signal, &t);
	t.clock_timer = event_new(t.base, -1, EV_PERSIST, on_clock, &t);
	t.frame_timer = evtimer_new(t.base, on_frame, &t);
	struct timeval second = { 1, 0 };
	/* The keyboard and the signals that end the console come first: a
	 * hangup or a SIGTERM must be heard however busy the hub is. */
	event_priority_set(ev_stdin, 0);
	event_priority_set(ev_int, 0);
	event_priority_set(ev_term, 0);
	event_priority_set(ev_hup, 0);
	event_add(ev_stdin, NULL);
	event_add(ev_winch, NULL);
	event_add(ev_int, NULL);
	event_add(ev_term, NULL);
	event_add(ev_hup, NULL);
	event_add(t.clock_timer, &second);
	if (curve) {
		struct timeval silence = { 5, 0 };
		event_base_once(t.base, -1, EV_TIMEOUT, on_curve_silence, &t, &silence);
	}
	if (set.demo && demo_start(&demo, &t, ingest, cfg.control, cfg.curve, set.seed,
	    &cause) != 0) {
		tui_screen_close(&t);
		fprintf(stderr, "watchfloor: demo: %s\n", cause);
		status = 1;
		goto out;
	}
	t.dirty = DIRTY_ALL;
	after_events(&t);

	while (!t.quit) {
		if (event_base_loop(t.base, EVLOOP_ONCE) < 0)
			break;
		after_events(&t);
	}

out:
	/* Every way out, a start that failed included, frees what it made. */
	tui_screen_close(&t);
	demo_stop(&demo);
	struct event *evs[] = { ev_stdin, ev_winch, ev_int, ev_term, ev_hup, t.clock_timer,
		t.frame_timer };
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
		if (evs[i] != NULL)
			event_free(evs[i]);
	}
	bus_sync_free(t.sync);
	/* The hub inside the console commits what it took, then stops. */
	bus_hub_free(t.host.arg);
	tui_free(&t);
	bus_replica_free(t.replica);
	zmq_ctx_term(t.zctx);
	event_base_free(t.base);
	bus_log_close();
	free(login);
	free(cause);
	bus_cli_free(&cli);
	free(conf);
	return status;
}
