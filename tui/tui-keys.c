/*
 * What each key does. Actions that change the floor never change the
 * replica: they send a request to the hub and report its answer; the change
 * itself arrives as an event, as it does for every other console.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus-domain.h"
#include "bus-replica.h"
#include "bus-rules.h"
#include "bus-sync.h"
#include "panel.h"
#include "tui-keys.h"
#include "tui-screen.h"
#include "tui.h"
#include "xmalloc.h"

#define CTRL(c) ((c) & 0x1f)

/* The case the operator means: the one in the detail overlay, else the
 * selected case, else the case of the selected team. */
static const struct bus_case *
keys_case(const struct tui *t)
{
	if (t->overlay == OVERLAY_DETAIL)
		return bus_replica_find(t->replica, BUS_KIND_CASE, t->detail_case);
	const void *sel = panel_selected(t->panels[t->focus]);
	if (sel == NULL)
		return NULL;
	if (t->focus == PANEL_CASES)
		return sel;
	if (t->focus == PANEL_TEAMS)
		return bus_replica_find(t->replica, BUS_KIND_CASE, ((const struct bus_team *)sel)->case_id);
	return NULL;
}

static const struct bus_team *
keys_team(const struct tui *t)
{
	return t->focus == PANEL_TEAMS && t->overlay == OVERLAY_NONE ?
	    panel_selected(t->panels[PANEL_TEAMS]) : NULL;
}

static int
keys_need_case(struct tui *t, const struct bus_case **c)
{
	*c = keys_case(t);
	if (*c == NULL)
		tui_message(t, 1, "select a case first");
	return *c != NULL;
}

/* ------------------------------------------------------------------ */
/* Moving around. */

/*
 * Quit, asking first when it would cost someone: a command still waiting
 * for the hub, or, in the console that hosts the floor's hub, the other
 * consoles and tools that follow it (quitting stops the hub for them).
 */
static void
act_quit(struct tui *t)
{
	int waiting = bus_sync_in_flight(t->sync);
	/* One of the events socket's connections is this console's own. */
	int others = t->host.followers != NULL ? t->host.followers(t->host.arg) - 1 : 0;
	char prompt[160];

	if (waiting == 0 && others <= 0) {
		t->quit = 1;
		return;
	}
	if (others > 0)
		snprintf(prompt, sizeof prompt, "Quitting stops the hub for %d other %s%s. "
		    "Quit anyway? (y/n) ", others, others == 1 ? "console or tool" :
		    "consoles or tools", waiting > 0 ? ", and a command still waits" : "");
	else
		snprintf(prompt, sizeof prompt, "%s still waiting for the hub; quit anyway? (y/n) ",
		    waiting == 1 ? "A command is" : "Commands are");
	snprintf(t->pending_op, sizeof t->pending_op, "quit");
	t->mode = MODE_CONFIRM;
	tui_input_start(&t->input, prompt, NULL);
}

static void
act_help(struct tui *t)
{
	t->overlay = t->overlay == OVERLAY_HELP ? OVERLAY_NONE : OVERLAY_HELP;
	t->overlay_scroll = 0;
}

static void
keys_focus(struct tui *t, int panel)
{
	if (t->focus == panel)
		return;
	t->focus = panel;
	t->overlay = OVERLAY_NONE;
	/* The one-panel layout swaps windows; the grid keeps them. */
	if (!t->layout.grid)
		tui_screen_relayout(t);
}

static void act_next(struct tui *t) { keys_focus(t, (t->focus + 1) % TUI_NPANELS); }
static void act_prev(struct tui *t) { keys_focus(t, (t->focus + TUI_NPANELS - 1) % TUI_NPANELS); }
static void act_focus1(struct tui *t) { keys_focus(t, PANEL_CASES); }
static void act_focus2(struct tui *t) { keys_focus(t, PANEL_TEAMS); }
static void act_focus3(struct tui *t) { keys_focus(t, PANEL_SECTORS); }
static void act_focus4(struct tui *t) { keys_focus(t, PANEL_INTEL); }
static void act_focus5(struct tui *t) { keys_focus(t, PANEL_SENSORS); }

static void
keys_move(struct tui *t, long delta, int to_end)
{
	if (t->overlay != OVERLAY_NONE) {
		long s = to_end < 0 ? 0 : to_end > 0 ? 100000 : t->overlay_scroll + delta;
		t->overlay_scroll = s < 0 ? 0 : (int)s;
		return;
	}
	struct panel *p = t->panels[t->focus];
	if (to_end != 0)
		panel_move_to(p, to_end > 0);
	else
		panel_move(p, delta);
}

static long
keys_page(const struct tui *t)
{
	int rows = t->overlay != OVERLAY_NONE ? t->layout.overlay.h - 3 :
	    t->panels[t->focus]->rows_visible;

	return rows > 1 ? rows - 1 : 1;
}

static void act_up(struct tui *t) { keys_move(t, -1, 0); }
static void act_down(struct tui *t) { keys_move(t, 1, 0); }
static void act_pgup(struct tui *t) { keys_move(t, -keys_page(t), 0); }
static void act_pgdn(struct tui *t) { keys_move(t, keys_page(t), 0); }
static void act_top(struct tui *t) { keys_move(t, 0, -1); }
static void act_bottom(struct tui *t) { keys_move(t, 0, 1); }

static void
act_detail(struct tui *t)
{
	if (t->focus == PANEL_SECTORS && t->overlay == OVERLAY_NONE) {
		/* A sector's cases: the case list limited to exactly that sector. */
		const struct bus_sector_state *s = panel_selected(t->panels[PANEL_SECTORS]);
		if (s == NULL)
			return;
		panel_set_sector(t->panels[PANEL_CASES], s->id);
		keys_focus(t, PANEL_CASES);
		tui_message(t, 0, "cases in %s (Esc shows all again)", s->id);
		return;
	}
	const struct bus_case *c = keys_case(t);
	if (c == NULL) {
		tui_message(t, 1, t->focus == PANEL_TEAMS ? "this team is not on a case" :
		    "select a case first");
		return;
	}
	snprintf(t->detail_case, sizeof t->detail_case, "%s", c->id);
	t->overlay = OVERLAY_DETAIL;
	t->overlay_scroll = 0;
	tui_detail_fetch(t);
}

static void
act_escape(struct tui *t)
{
	struct panel *p = t->panels[t->focus];

	if (t->overlay != OVERLAY_NONE)
		t->overlay = OVERLAY_NONE;
	else if (p->filter[0] != '\0' || p->sector[0] != '\0') {
		panel_set_filter(p, "");
		panel_set_sector(p, "");
		tui_message(t, 0, "filter cleared");
	} else
		t->status[0] = '\0';
}

static void
act_filter(struct tui *t)
{
	t->overlay = OVERLAY_NONE;
	t->mode = MODE_FILTER;
	tui_input_start(&t->input, "/", t->panels[t->focus]->filter);
}

static void
act_command(struct tui *t)
{
	t->mode = MODE_COMMAND;
	tui_input_start(&t->input, ":", NULL);
}

static void
act_redraw(struct tui *t)
{
	clearok(curscr, TRUE);
	tui_dirty(t, DIRTY_ALL);
}

/* ------------------------------------------------------------------ */
/* Acting on the floor. */

static void
pick_team_for_case(struct tui *t, const char *team)
{
	TUI_SEND_WORDS(t, BUS_OP_DISPATCH, team, t->pending_case);
}

static void
pick_case_for_team(struct tui *t, const char *case_id)
{
	TUI_SEND_WORDS(t, BUS_OP_DISPATCH, t->pending_team, case_id);
}

/* 'd': on a case, pick a team (available ones first); on a team, pick a case. */
static void
act_dispatch(struct tui *t)
{
	const struct bus_team *team = keys_team(t);
	char label[160];

	if (team != NULL) {
		if (strcmp(team->status, "available") != 0) {
			tui_message(t, 1, "%s is %s, not available", team->id, team->status);
			return;
		}
		snprintf(t->pending_team, sizeof t->pending_team, "%s", team->id);
		snprintf(label, sizeof label, "Dispatch %s to which case?", team->id);
		tui_picker_open(&t->picker, label, pick_case_for_team);
		/* Every open case, most severe first, whatever the case list's
		 * filter: a panel of its own, unfiltered. */
		struct panel *all = panel_new(&panel_cases_ops);
		panel_refresh(all, t);
		for (size_t i = 0; i < all->nview; i++) {
			const struct bus_case *c = all->view[i];
			snprintf(label, sizeof label, "%-14s L%d %-12s %s", c->id, c->level,
			    c->sector ? c->sector : "", c->title ? c->title : "");
			tui_picker_add(&t->picker, label, c->id, 1);
		}
		panel_free(all);
		return;
	}
	const struct bus_case *c;
	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	snprintf(label, sizeof label, "Dispatch which team to %s?", c->id);
	tui_picker_open(&t->picker, label, pick_team_for_case);
	/* Available teams first and choosable; the others shown with why not. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < bus_replica_count(t->replica, BUS_KIND_TEAM); i++) {
			const struct bus_team *tm = bus_replica_at(t->replica, BUS_KIND_TEAM, i);
			int avail = strcmp(tm->status, "available") == 0;
			if (avail != (pass == 0))
				continue;
			snprintf(label, sizeof label, "%-7s %-10s %s%s%s", tm->id, tm->status,
			    tm->base ? tm->base : "", tm->case_id ? " on " : "",
			    tm->case_id ? tm->case_id : "");
			tui_picker_add(&t->picker, label, tm->id, avail);
		}
	}
	if (t->picker.selected < 0)
		tui_message(t, 1, "no team is available");
}

static void
keys_confirm(struct tui *t, const char *op, const char *question)
{
	snprintf(t->pending_op, sizeof t->pending_op, "%s", op);
	t->mode = MODE_CONFIRM;
	tui_input_start(&t->input, question, NULL);
}

static void
pick_team_to_recall(struct tui *t, const char *team)
{
	char q[160];

	snprintf(t->pending_team, sizeof t->pending_team, "%s", team);
	snprintf(q, sizeof q, "Recall %s from %s? (y/n) ", team, t->pending_case);
	keys_confirm(t, "recall", q);
}

/* 'r': recall the selected team, or the team of the selected case. */
static void
act_recall(struct tui *t)
{
	const struct bus_team *team = keys_team(t);
	const struct bus_case *c;

	if (team != NULL) {
		if (team->case_id == NULL) {
			tui_message(t, 1, "%s is not on a case", team->id);
			return;
		}
		snprintf(t->pending_case, sizeof t->pending_case, "%s", team->case_id);
		pick_team_to_recall(t, team->id);
		return;
	}
	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	if (c->teams.n == 0) {
		tui_message(t, 1, "%s has no team", c->id);
		return;
	}
	if (c->teams.n == 1) {
		pick_team_to_recall(t, c->teams.v[0]);
		return;
	}
	tui_picker_open(&t->picker, "Recall which team?", pick_team_to_recall);
	for (size_t i = 0; i < c->teams.n; i++)
		tui_picker_add(&t->picker, c->teams.v[i], c->teams.v[i], 1);
}

static void
pick_handler(struct tui *t, const char *name)
{
	TUI_SEND_WORDS(t, BUS_OP_ASSIGN, t->pending_case, name);
}

/* 'a': pick a handler from the roster. */
static void
act_assign(struct tui *t)
{
	const struct bus_case *c;
	char label[160];

	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	snprintf(label, sizeof label, "Assign a handler to %s", c->id);
	tui_picker_open(&t->picker, label, pick_handler);
	for (size_t i = 0; i < bus_replica_count(t->replica, BUS_KIND_STAFF); i++) {
		const struct bus_person *p = bus_replica_at(t->replica, BUS_KIND_STAFF, i);
		int can = p->role != NULL && strcmp(p->role, "viewer") != 0;
		snprintf(label, sizeof label, "%-16s %s%s", p->id, p->role ? p->role : "",
		    c->handler && strcmp(c->handler, p->id) == 0 ? "  (handler now)" : "");
		tui_picker_add(&t->picker, label, p->id, can);
	}
}

static void
pick_case_status(struct tui *t, const char *status)
{
	TUI_SEND_WORDS(t, BUS_OP_STATUS, t->pending_case, status);
}

static void
pick_team_status(struct tui *t, const char *status)
{
	TUI_SEND_WORDS(t, BUS_OP_TEAM, t->pending_team, status);
}

/* 's': only the moves the rules allow from where the case (or team) is. */
static void
act_status(struct tui *t)
{
	const struct bus_team *team = keys_team(t);
	int targets[BUS_CASE_NSTATUS + BUS_TEAM_NSTATUS], n;
	char label[160];

	if (team != NULL) {
		if (!tui_can(t, "team")) {
			tui_refuse_role(t, "team", "moving a team");
			return;
		}
		snprintf(t->pending_team, sizeof t->pending_team, "%s", team->id);
		n = bus_rules_team_targets(bus_team_status_find(team->status), BUS_VIA_STATUS,
		    targets, BUS_TEAM_NSTATUS);
		snprintf(label, sizeof label, "%s is %s; move it to", team->id, team->status);
		tui_picker_open(&t->picker, label, pick_team_status);
		for (int i = 0; i < n; i++)
			tui_picker_add(&t->picker, bus_team_status_names[targets[i]],
			    bus_team_status_names[targets[i]], 1);
	} else {
		const struct bus_case *c;
		if (!keys_need_case(t, &c))
			return;
		snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
		n = bus_rules_case_targets(bus_case_status_find(c->status), BUS_VIA_STATUS, targets,
		    BUS_CASE_NSTATUS);
		snprintf(label, sizeof label, "%s is %s; move it to", c->id, c->status);
		tui_picker_open(&t->picker, label, pick_case_status);
		for (int i = 0; i < n; i++)
			tui_picker_add(&t->picker, bus_case_status_names[targets[i]],
			    bus_case_status_names[targets[i]], 1);
	}
	if (n == 0) {
		t->picker.open = 0;
		tui_message(t, 1, "no status change is possible from here");
	}
}

static void
pick_level(struct tui *t, const char *level)
{
	TUI_SEND_WORDS(t, BUS_OP_LEVEL, t->pending_case, level);
}

static void
act_level(struct tui *t)
{
	const struct bus_case *c;
	char label[64], value[4];

	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	snprintf(label, sizeof label, "NCISS level of %s (now %d)", c->id, c->level);
	tui_picker_open(&t->picker, label, pick_level);
	for (int l = BUS_LEVEL_MAX; l >= BUS_LEVEL_MIN; l--) {
		snprintf(label, sizeof label, "%d %s", l, bus_level_name(l));
		snprintf(value, sizeof value, "%d", l);
		tui_picker_add(&t->picker, label, value, 1);
	}
	if (c->level >= BUS_LEVEL_MIN && c->level <= BUS_LEVEL_MAX)
		t->picker.selected = BUS_LEVEL_MAX - c->level;
}

static void
act_close(struct tui *t)
{
	const struct bus_case *c;
	char q[160];

	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	snprintf(q, sizeof q, "Close %s? (y/n) ", c->id);
	keys_confirm(t, "close", q);
}

static void
act_reopen(struct tui *t)
{
	const struct bus_case *c;
	char q[160];

	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	snprintf(q, sizeof q, "Reopen %s? (y/n) ", c->id);
	keys_confirm(t, "reopen", q);
}

static void
act_note(struct tui *t)
{
	const struct bus_case *c;
	char prompt[96];

	if (!keys_need_case(t, &c))
		return;
	snprintf(t->pending_case, sizeof t->pending_case, "%s", c->id);
	snprintf(prompt, sizeof prompt, "note on %s: ", c->id);
	t->mode = MODE_NOTE;
	tui_input_start(&t->input, prompt, NULL);
}

static void
act_ack(struct tui *t)
{
	const struct bus_case *c;

	if (!keys_need_case(t, &c))
		return;
	TUI_SEND_WORDS(t, BUS_OP_ACK, c->id);
}

#define CASES_OR_TEAMS (KEYS_IN(PANEL_CASES) | KEYS_IN(PANEL_TEAMS))

static const struct tui_key_action key_actions[] = {
	{ "next-panel", "Tab", KEYS_ANY, NULL, 0, "next panel", act_next },
	{ "previous-panel", "S-Tab", KEYS_ANY, NULL, 0, "previous panel", act_prev },
	{ "cases", "1", KEYS_ANY, NULL, 0, "open cases", act_focus1 },
	{ "teams", "2", KEYS_ANY, NULL, 0, "team dispatch board", act_focus2 },
	{ "sectors", "3", KEYS_ANY, NULL, 0, "sector status", act_focus3 },
	{ "intel", "4", KEYS_ANY, NULL, 0, "intel feed", act_focus4 },
	{ "sensors", "5", KEYS_ANY, NULL, 0, "sensors", act_focus5 },
	{ "up", "k Up", KEYS_ANY, NULL, 0, "move up", act_up },
	{ "down", "j Down", KEYS_ANY, NULL, 0, "move down", act_down },
	{ "page-up", "PgUp C-b", KEYS_ANY, NULL, 0, "page up", act_pgup },
	{ "page-down", "PgDn C-f", KEYS_ANY, NULL, 0, "page down", act_pgdn },
	{ "first", "g Home", KEYS_ANY, NULL, 0, "first row", act_top },
	{ "last", "G End", KEYS_ANY, NULL, 0, "last row", act_bottom },
	{ "detail", "Enter", CASES_OR_TEAMS | KEYS_IN(PANEL_SECTORS), NULL, 1,
	  "case detail (on a sector: its cases)", act_detail },
	{ "back", "Esc", KEYS_ANY, NULL, 0, "close, or clear the filter", act_escape },
	{ "dispatch", "d", CASES_OR_TEAMS, "dispatch", 1,
	  "dispatch a team (picker; available teams first)", act_dispatch },
	{ "recall", "r", CASES_OR_TEAMS, "recall", 1, "recall a team from its case", act_recall },
	{ "assign", "a", KEYS_IN(PANEL_CASES), "assign", 1, "assign a handler", act_assign },
	{ "status", "s", CASES_OR_TEAMS, "status", 1, "move the case or team (allowed moves only)",
	  act_status },
	{ "level", "l", KEYS_IN(PANEL_CASES), "level", 1, "set the case's NCISS level", act_level },
	{ "close", "c", KEYS_IN(PANEL_CASES), "close", 1, "close the case", act_close },
	{ "reopen", "o", KEYS_IN(PANEL_CASES), "reopen", 1, "reopen the closed case", act_reopen },
	{ "note", "n", KEYS_IN(PANEL_CASES), "note", 1, "add a note to the case", act_note },
	{ "ack", "x", KEYS_IN(PANEL_CASES), "ack", 1, "acknowledge the case", act_ack },
	{ "filter", "/", KEYS_ANY, NULL, 1, "filter this list (Enter keeps, Esc clears)",
	  act_filter },
	{ "command", ":", KEYS_ANY, NULL, 1, "command line (Tab completes): :dispatch FLY-2 "
	  "ICS-2026-0007", act_command },
	{ "redraw", "C-l", KEYS_ANY, NULL, 0, "redraw the screen", act_redraw },
	{ "help", "? F1", KEYS_ANY, NULL, 1, "help", act_help },
	{ "quit", "q", KEYS_ANY, NULL, 1, "quit", act_quit },
};
#define NACTIONS (sizeof key_actions / sizeof key_actions[0])

const struct tui_key_action *
tui_keys_table(size_t *n)
{
	*n = NACTIONS;
	return key_actions;
}

/* ------------------------------------------------------------------ */
/* Key names and bindings. */

/* Keys by name; a code's name is the first row that has it. */
static const struct key_name {
	const char *name;
	int codes[3];
} key_names[] = {
	{ "Enter", { '\n', '\r', KEY_ENTER } },
	{ "Tab", { '\t' } },
	{ "S-Tab", { KEY_BTAB } },
	{ "Esc", { 27 } },
	{ "Space", { ' ' } },
	{ "Backspace", { KEY_BACKSPACE, 0x7f, 0x08 } },
	{ "Delete", { KEY_DC } },
	{ "Insert", { KEY_IC } },
	{ "Up", { KEY_UP } },
	{ "Down", { KEY_DOWN } },
	{ "Left", { KEY_LEFT } },
	{ "Right", { KEY_RIGHT } },
	{ "Home", { KEY_HOME } },
	{ "End", { KEY_END } },
	{ "PgUp", { KEY_PPAGE } },
	{ "PgDn", { KEY_NPAGE } },
	/* Characters an INI value cannot hold as themselves. */
	{ "Comma", { ',' } },
	{ "Semicolon", { ';' } },
	{ "Hash", { '#' } },
	/* Other spellings. */
	{ "Return", { '\n', '\r', KEY_ENTER } },
	{ "Escape", { 27 } },
	{ "BTab", { KEY_BTAB } },
	{ "PageUp", { KEY_PPAGE } },
	{ "PageDown", { KEY_NPAGE } },
	{ "Del", { KEY_DC } },
};

/* The keys each action has now: its defaults, or what [keys] gave it. */
static struct binding {
	int codes[TUI_KEYS_MAX];
	int n;
	int rebound; /* set by [keys]: its keys are no longer defaults */
} bindings[NACTIONS];
static int bindings_ready;

int
tui_keys_parse(const char *spec, int *codes, int max, char **cause)
{
	size_t len = strlen(spec);

	if (len == 1 && spec[0] > 0x20 && spec[0] < 0x7f) {
		codes[0] = spec[0]; /* case matters: g and G differ */
		return 1;
	}
	if (len == 3 && (spec[0] == 'C' || spec[0] == 'c') && spec[1] == '-' &&
	    ((spec[2] >= 'a' && spec[2] <= 'z') || (spec[2] >= 'A' && spec[2] <= 'Z'))) {
		codes[0] = CTRL(spec[2]);
		return 1;
	}
	if ((spec[0] == 'F' || spec[0] == 'f') && len >= 2 && len <= 3 && isdigit((unsigned char)spec[1]) &&
	    (len == 2 || isdigit((unsigned char)spec[2]))) {
		int f = atoi(spec + 1);
		if (f >= 1 && f <= 12) {
			codes[0] = KEY_F(f);
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++) {
		if (strcasecmp(spec, key_names[i].name) != 0)
			continue;
		int n = 0;
		while (n < 3 && n < max && key_names[i].codes[n] != 0)
			n++;
		memcpy(codes, key_names[i].codes, (size_t)n * sizeof *codes);
		return n;
	}
	xasprintf(cause, "no key is called '%.40s': use a character (d, G, ?), C-a to C-z, F1 to F12, "
	    "or Enter, Tab, S-Tab, Esc, Space, Backspace, Delete, Insert, Up, Down, Left, "
	    "Right, Home, End, PgUp, PgDn", spec);
	return -1;
}

void
tui_keys_name(int code, char *buf, size_t size)
{
	/* A comma separates keys in [keys], and a semicolon starts a comment:
	 * those two go by name, so that a label can be written back there. */
	if (code > 0x20 && code < 0x7f && code != ',' && code != ';') {
		snprintf(buf, size, "%c", code);
		return;
	}
	for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++) {
		for (int k = 0; k < 3 && key_names[i].codes[k] != 0; k++) {
			if (key_names[i].codes[k] == code) {
				snprintf(buf, size, "%s", key_names[i].name);
				return;
			}
		}
	}
	if (code >= 1 && code <= 26)
		snprintf(buf, size, "C-%c", 'a' + code - 1);
	else if (code >= KEY_F(1) && code <= KEY_F(12))
		snprintf(buf, size, "F%d", code - KEY_F(0));
	else
		snprintf(buf, size, "key %d", code);
}

/* Parse a list of keys ("j Down", "d, F5") into a binding. */
static int
keys_parse_list(const char *list, struct binding *b, char **cause)
{
	char copy[256], *save = NULL;

	b->n = 0;
	snprintf(copy, sizeof copy, "%s", list);
	if (strcasecmp(copy, "none") == 0)
		return 0;
	for (char *w = strtok_r(copy, " \t,", &save); w != NULL; w = strtok_r(NULL, " \t,", &save)) {
		int codes[3], n = tui_keys_parse(w, codes, 3, cause);
		if (n < 0)
			return -1;
		if (b->n + n > TUI_KEYS_MAX) {
			xasprintf(cause, "at most %d keys for one action", TUI_KEYS_MAX);
			return -1;
		}
		memcpy(b->codes + b->n, codes, (size_t)n * sizeof *codes);
		b->n += n;
	}
	if (b->n == 0) {
		xasprintf(cause, "no keys given (write none to leave the action without a key)");
		return -1;
	}
	return 0;
}

static void
keys_ready(void)
{
	char *cause = NULL;

	if (bindings_ready)
		return;
	for (size_t i = 0; i < NACTIONS; i++) {
		if (keys_parse_list(key_actions[i].keys, &bindings[i], &cause) != 0)
			abort(); /* the table's own spelling: a programming error */
		bindings[i].rebound = 0;
	}
	bindings_ready = 1;
}

void
tui_keys_reset(void)
{
	bindings_ready = 0;
	keys_ready();
}

static int
binding_has(const struct binding *b, int code)
{
	for (int i = 0; i < b->n; i++) {
		if (b->codes[i] == code)
			return 1;
	}
	return 0;
}

static void
binding_drop(struct binding *b, int code)
{
	int n = 0;

	for (int i = 0; i < b->n; i++) {
		if (b->codes[i] != code)
			b->codes[n++] = b->codes[i];
	}
	b->n = n;
}

/* Could one key press mean both? Only if they apply somewhere alike. */
static int
keys_overlap(const struct tui_key_action *a, const struct tui_key_action *b)
{
	return a->where == KEYS_ANY || b->where == KEYS_ANY || (a->where & b->where) != 0;
}

int
tui_keys_bind(void *unused, const char *action, const char *keys, char **cause)
{
	struct binding b;
	size_t i;
	char name[32];

	(void)unused;
	keys_ready();
	for (i = 0; i < NACTIONS && strcmp(key_actions[i].name, action) != 0; i++)
		;
	if (i == NACTIONS) {
		char list[1024] = "";
		for (size_t k = 0; k < NACTIONS; k++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", k ? " " : "",
			    key_actions[k].name);
		}
		xasprintf(cause, "no action '%.40s' to bind (actions: %s)", action, list);
		return -1;
	}
	if (bindings[i].rebound) {
		xasprintf(cause, "%s is bound twice", action);
		return -1;
	}
	if (keys_parse_list(keys, &b, cause) != 0)
		return -1;
	/* A key given here wins over a default elsewhere; given twice here, it
	 * is a mistake either way round. Check them all before taking any, so
	 * that a refused line changes nothing. */
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < b.n; k++) {
			for (size_t j = 0; j < NACTIONS; j++) {
				if (j == i || !binding_has(&bindings[j], b.codes[k]) ||
				    !keys_overlap(&key_actions[i], &key_actions[j]))
					continue;
				if (pass == 1)
					binding_drop(&bindings[j], b.codes[k]);
				else if (bindings[j].rebound) {
					tui_keys_name(b.codes[k], name, sizeof name);
					xasprintf(cause, "%s is already bound to %s", name,
					    key_actions[j].name);
					return -1;
				}
			}
		}
	}
	b.rebound = 1;
	bindings[i] = b;
	return 0;
}

void
tui_keys_label(const struct tui_key_action *a, char *buf, size_t size)
{
	const struct binding *b;
	char name[32], seen[TUI_KEYS_MAX][32];
	size_t used = 0, nseen = 0;

	keys_ready();
	b = &bindings[a - key_actions];
	buf[0] = '\0';
	for (int k = 0; k < b->n; k++) {
		tui_keys_name(b->codes[k], name, sizeof name);
		size_t s;
		for (s = 0; s < nseen && strcmp(seen[s], name) != 0; s++)
			;
		if (s < nseen)
			continue; /* Enter's three codes are one key */
		snprintf(seen[nseen++], sizeof seen[0], "%s", name);
		used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s",
		    used ? "/" : "", name);
	}
	if (b->n == 0)
		snprintf(buf, size, "-");
}

void
tui_keys_label_of(const char *action, char *buf, size_t size)
{
	for (size_t i = 0; i < NACTIONS; i++) {
		if (strcmp(key_actions[i].name, action) == 0) {
			tui_keys_label(&key_actions[i], buf, size);
			return;
		}
	}
	snprintf(buf, size, "-");
}

/* The first key of an action, or ":name" when it has none. */
static void
keys_first(const char *action, char *buf, size_t size)
{
	keys_ready();
	for (size_t i = 0; i < NACTIONS; i++) {
		if (strcmp(key_actions[i].name, action) != 0)
			continue;
		if (bindings[i].n > 0)
			tui_keys_name(bindings[i].codes[0], buf, size);
		else
			snprintf(buf, size, ":%s", action);
		return;
	}
	snprintf(buf, size, "-");
}

/* The panel whose actions apply: the detail overlay acts like the cases. */
static int
keys_context(const struct tui *t)
{
	return t->overlay == OVERLAY_DETAIL ? PANEL_CASES : t->focus;
}

static int
keys_applies(const struct tui *t, const struct tui_key_action *a)
{
	/* Under the help nothing acts on a selection the operator cannot see. */
	if (t->overlay == OVERLAY_HELP && a->op != NULL)
		return 0;
	return a->where == KEYS_ANY || (a->where & KEYS_IN(keys_context(t)));
}

/*
 * What a case action needs of the case it would act on, beyond the role:
 * the hub refuses the rest (a closed case takes only a reopen), so they
 * are not offered. Actions not listed need nothing of a case.
 */
enum { ON_OPEN = 1, ON_CLOSED = 2, ON_UNACKED = 4, ON_TEAM = 8 };
static const struct key_case_need {
	const char *op;
	unsigned needs;
} key_case_needs[] = {
	{ "dispatch", ON_OPEN }, { "recall", ON_OPEN | ON_TEAM }, { "assign", ON_OPEN },
	{ "status", ON_OPEN },
	{ "level", ON_OPEN }, { "close", ON_OPEN }, { "note", ON_OPEN },
	{ "ack", ON_OPEN | ON_UNACKED }, { "reopen", ON_CLOSED },
};

/* Would the hub take action A on the case the operator means, as far as
 * the case itself says? (On a team, the team's own rules apply.) */
static int
keys_case_allows(const struct tui *t, const struct tui_key_action *a)
{
	const struct bus_case *c = keys_team(t) == NULL ? keys_case(t) : NULL;

	if (a->op == NULL || c == NULL)
		return 1;
	int closed = c->status != NULL && strcmp(c->status, "closed") == 0;
	for (size_t i = 0; i < sizeof key_case_needs / sizeof key_case_needs[0]; i++) {
		unsigned need = key_case_needs[i].needs;
		if (strcmp(key_case_needs[i].op, a->op) != 0)
			continue;
		return !((need & ON_OPEN) && closed) && !((need & ON_CLOSED) && !closed) &&
		    !((need & ON_UNACKED) && c->acked_at > 0) && !((need & ON_TEAM) && c->teams.n == 0);
	}
	return 1;
}

/* "Enter detail  d dispatch ...": the hinted keys that apply here, that
 * the operator's role may use, and that the case in question can take. */
static void
keys_hints(const struct tui *t, int help_and_quit, char *buf, size_t size)
{
	char help[32], quit[32], key[32];
	size_t used = 0;

	/* Help and quit first: on a narrow screen the rest may not fit. Each
	 * action by its first key: the help lists the others. */
	buf[0] = '\0';
	if (help_and_quit) {
		keys_first("help", help, sizeof help);
		keys_first("quit", quit, sizeof quit);
		used = (size_t)snprintf(buf, size, " %s help  %s quit", help, quit);
	}
	for (size_t i = 0; i < NACTIONS; i++) {
		const struct tui_key_action *a = &key_actions[i];
		if (!a->hint || !keys_applies(t, a) || (a->op != NULL && !tui_can(t, a->op)) ||
		    !keys_case_allows(t, a) || a->fn == act_help || a->fn == act_quit ||
		    bindings[i].n == 0 || (!help_and_quit && a->op == NULL))
			continue;
		tui_keys_name(bindings[i].codes[0], key, sizeof key);
		const char *word = a->op != NULL ? a->op : a->help;
		/* The first word of the help is enough for a hint. */
		char first[32];
		snprintf(first, sizeof first, "%s", word);
		char *space = strchr(first, ' ');
		if (space != NULL)
			*space = '\0';
		used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s %s",
		    used ? "  " : help_and_quit ? " " : "", key, first);
		if (used >= size)
			break;
	}
}

void
tui_keys_hints(const struct tui *t, char *buf, size_t size)
{
	keys_hints(t, 1, buf, size);
}

/* The same without help and quit: what can be done to the case or team in
 * question ("d dispatch  a assign ..."; "o reopen" on a closed case). */
void
tui_keys_offers(const struct tui *t, char *buf, size_t size)
{
	keys_hints(t, 0, buf, size);
}

/* ------------------------------------------------------------------ */
/* Lines being typed. */

static int
keys_complete(void *arg, const char *line, int word, const char *prefix, const char **out,
    int max)
{
	struct tui *t = arg;
	int n = 0;
	size_t plen = strlen(prefix);

#define OFFER(s) do { if ((s) != NULL && strncmp((s), prefix, plen) == 0 && n < max) \
	out[n++] = (s); } while (0)
	if (word == 0) {
		for (size_t i = 0; i < BUS_NOPS; i++)
			OFFER(bus_ops[i].verb);
		OFFER("whoami");
		OFFER("help");
		OFFER("quit");
		return n;
	}
	char verb[32] = "";
	sscanf(line, "%31s", verb);
	const struct bus_op *v = bus_op_typed(verb);
	if (v == NULL || word > 3)
		return 0;
	const char *field = v->fields[word - 1];
	if (field == NULL)
		return 0;
	if (strcmp(field, "team") == 0) {
		for (size_t i = 0; i < bus_replica_count(t->replica, BUS_KIND_TEAM); i++)
			OFFER(((const struct bus_team *)bus_replica_at(t->replica, BUS_KIND_TEAM, i))->id);
	} else if (strcmp(field, "case") == 0) {
		for (size_t i = 0; i < bus_replica_count(t->replica, BUS_KIND_CASE); i++)
			OFFER(((const struct bus_case *)bus_replica_at(t->replica, BUS_KIND_CASE, i))->id);
	} else if (strcmp(field, "handler") == 0) {
		for (size_t i = 0; i < bus_replica_count(t->replica, BUS_KIND_STAFF); i++)
			OFFER(((const struct bus_person *)bus_replica_at(t->replica, BUS_KIND_STAFF, i))->id);
	} else if (strcmp(field, "sector") == 0) {
		for (int i = 0; i < BUS_NSECTORS; i++)
			OFFER(bus_sectors[i].id);
	} else if (strcmp(field, "status") == 0) {
		const char *const *names = v->id == BUS_OP_TEAM ? bus_team_status_names :
		    bus_case_status_names;
		for (int i = 0; names[i] != NULL; i++)
			OFFER(names[i]);
	}
#undef OFFER
	return n;
}

/* watchctl's commands that print a table or a stream, which the bottom
 * line cannot hold: the : line names where they are. */
static const char *const keys_watchctl_only[] = {
	"staff", "audit", "stats", "snapshot", "replay", "tail", "publish", "simulate",
	"follow", "keygen", "key", "request", NULL,
};

static void
keys_run_command(struct tui *t, char *line)
{
	char *words[64];
	char verb[32] = "";

	sscanf(line, "%31s", verb);
	const struct bus_op *rv = bus_op_typed(verb);
	/* A verb whose last field takes "the rest" (a note, a reason) gets it
	 * exactly as typed: quotes, spacing and any number of words. */
	int fixed = rv == NULL || !rv->rest ? 64 :
	    1 + (rv->fields[2] != NULL ? 3 : rv->fields[1] != NULL ? 2 : 1);
	int n = tui_input_split_n(line, words, fixed);

	if (n == 0)
		return;
	if (strcmp(words[0], "q") == 0 || strcmp(words[0], "quit") == 0) {
		act_quit(t);
		return;
	}
	if (strcmp(words[0], "help") == 0) {
		act_help(t);
		return;
	}
	if (strcmp(words[0], "whoami") == 0) {
		tui_send(t, "whoami", NULL, "whoami");
		return;
	}
	const struct bus_op *v = bus_op_typed(words[0]);
	if (v == NULL) {
		for (int i = 0; keys_watchctl_only[i] != NULL; i++) {
			if (strcmp(words[0], keys_watchctl_only[i]) == 0) {
				tui_message(t, 1, "%s prints more than this line holds: run watchctl "
				    "%s in a shell. The : line takes the commands that act on the "
				    "floor (Tab lists them), and whoami", words[0], words[0]);
				return;
			}
		}
		tui_message(t, 1, "no command '%s'; Tab lists them", words[0]);
		return;
	}
	tui_send_words(t, v->id, n - 1, (const char *const *)(words + 1));
}

static void
keys_line(struct tui *t, int key, const char *utf8)
{
	enum tui_input_result r = tui_input_key(&t->input, key, utf8,
	    t->mode == MODE_COMMAND ? keys_complete : NULL, t);
	enum tui_mode mode = t->mode;
	struct panel *p = t->panels[t->focus];

	if (r == INPUT_CANCEL || r == INPUT_DONE)
		t->mode = MODE_NORMAL;
	switch (mode) {
	case MODE_FILTER:
		/* Incremental: the list narrows as the operator types. */
		if (r == INPUT_EDITED)
			panel_set_filter(p, t->input.buf);
		else if (r == INPUT_CANCEL)
			panel_set_filter(p, "");
		else if (r == INPUT_DONE)
			panel_move_to(p, 0);
		break;
	case MODE_COMMAND:
		if (r == INPUT_DONE)
			keys_run_command(t, t->input.buf);
		break;
	case MODE_NOTE:
		if (r == INPUT_DONE && t->input.len > 0)
			TUI_SEND_WORDS(t, BUS_OP_NOTE, t->pending_case, t->input.buf);
		break;
	default:
		break;
	}
}

static void
keys_confirmed(struct tui *t, int key)
{
	t->mode = MODE_NORMAL;
	if (key != 'y' && key != 'Y') {
		tui_message(t, 0, "cancelled");
		return;
	}
	if (strcmp(t->pending_op, "quit") == 0)
		t->quit = 1;
	else if (strcmp(t->pending_op, "close") == 0)
		TUI_SEND_WORDS(t, BUS_OP_CLOSE, t->pending_case);
	else if (strcmp(t->pending_op, "reopen") == 0)
		TUI_SEND_WORDS(t, BUS_OP_REOPEN, t->pending_case);
	else if (strcmp(t->pending_op, "recall") == 0) {
		const struct bus_team *tm = bus_replica_find(t->replica, BUS_KIND_TEAM,
		    t->pending_team);
		if (tm == NULL || tm->case_id == NULL || strcmp(tm->case_id, t->pending_case) != 0)
			tui_message(t, 1, "%s is no longer on %s; nothing was sent", t->pending_team,
			    t->pending_case);
		else
			TUI_SEND_WORDS(t, BUS_OP_RECALL, t->pending_team);
	}
}

/* One key press, from wherever the operator is. */
void
tui_keys_press(struct tui *t, int key, const char *utf8)
{
	tui_dirty(t, DIRTY_ALL & ~DIRTY_TOP);
	/* A panel's view points into the replica, which events since the last
	 * frame may have changed: rebuild it before any key reads it. */
	for (int i = 0; i < TUI_NPANELS; i++)
		panel_refresh(t->panels[i], t);
	if (t->mode == MODE_CONFIRM) {
		keys_confirmed(t, key != 0 ? key : (unsigned char)utf8[0]);
		return;
	}
	if (t->mode != MODE_NORMAL) {
		keys_line(t, key, utf8);
		return;
	}
	if (t->picker.open) {
		tui_picker_key(t, &t->picker, key != 0 ? key : (unsigned char)utf8[0]);
		return;
	}
	if (key == 0 && utf8 != NULL && (unsigned char)utf8[0] < 0x80)
		key = (unsigned char)utf8[0];
	keys_ready();
	for (size_t i = 0; i < NACTIONS; i++) {
		const struct tui_key_action *a = &key_actions[i];
		for (int k = 0; k < bindings[i].n; k++) {
			if (bindings[i].codes[k] != key || !keys_applies(t, a))
				continue;
			if (a->fn == act_quit && t->overlay != OVERLAY_NONE) {
				t->overlay = OVERLAY_NONE; /* quit closes what is open first */
				return;
			}
			if (a->op != NULL && !tui_can(t, a->op)) {
				tui_refuse_role(t, a->op, a->op);
				return;
			}
			t->status[0] = '\0';
			a->fn(t);
			return;
		}
	}
}
