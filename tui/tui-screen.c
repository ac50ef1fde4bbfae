#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <term.h>
#include <time.h>
#include <unistd.h>

#include "bus-replica.h"
#include "bus-sync.h"
#include "bus-time.h"
#include "panel.h"
#include "tui-keys.h"
#include "tui-screen.h"
#include "bus-text.h"
#include "tui-theme.h"
#include "tui.h"
#include "xmalloc.h"

/* More unsent output than this on the tty and the frame waits: over a slow
 * SSH link, drawing again would only pile up more. */
#define SCREEN_BEHIND_BYTES 8192

/* Terminal types to fall back on when TERM is unknown here. */
static const char *const screen_fallbacks[] = { "xterm-256color", "xterm", "vt100", NULL };

/* Can TERM draw a screen: is it known here, and can it move the cursor?
 * ("dumb" is known but cannot.) */
static int
screen_term_usable(const char *term)
{
	int err, ok;

	if (term == NULL || *term == '\0' || setupterm(term, STDOUT_FILENO, &err) != OK)
		return 0;
	const char *cup = tigetstr("cup");
	ok = cup != NULL && cup != (char *)-1;
	del_curterm(cur_term);
	return ok;
}

/*
 * Open the terminal. An unknown or missing TERM, or one that cannot move
 * the cursor, is not fatal: say so on stderr and use the nearest type this
 * machine knows.
 */
int
tui_screen_open(struct tui *t, const char *theme, int no_color, char **cause)
{
	const char *term = getenv("TERM");
	int err;

	if (!screen_term_usable(term)) {
		const char *const *f;
		for (f = screen_fallbacks; *f != NULL; f++) {
			if (setupterm(*f, STDOUT_FILENO, &err) == OK)
				break;
		}
		if (*f == NULL) {
			xasprintf(cause, "terminal type '%s' is unknown and no fallback is "
			    "installed (try TERM=xterm)", term ? term : "");
			return -1;
		}
		fprintf(stderr, "watchfloor: terminal type '%s' is unknown here or cannot "
		    "draw a screen; using %s\n", term ? term : "(unset)", *f);
		term = *f;
		del_curterm(cur_term);
	}
	t->screen = newterm(term, stdout, stdin);
	if (t->screen == NULL) {
		xasprintf(cause, "cannot start the terminal '%s'", term);
		return -1;
	}
	set_term(t->screen);
	cbreak();
	noecho();
	/* Ctrl-S would stop all output (XON/XOFF) while the top line still
	 * says CONNECTED: turn flow control off for the console's session. */
	struct termios tio;
	if (tcgetattr(STDIN_FILENO, &tio) == 0) {
		tio.c_iflag &= ~(tcflag_t)IXON;
		tcsetattr(STDIN_FILENO, TCSANOW, &tio);
		def_prog_mode();
	}
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25); /* Esc closes things at once */
	curs_set(0);
	tui_theme_init(theme, no_color);
	tui_screen_relayout(t);
	return 0;
}

static void
screen_free_windows(struct tui *t)
{
	WINDOW **wins[] = { &t->win_top, &t->win_tabs, &t->win_bottom, &t->win_overlay };

	for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++) {
		if (*wins[i] != NULL)
			delwin(*wins[i]);
		*wins[i] = NULL;
	}
	for (int i = 0; i < TUI_NPANELS; i++) {
		if (t->win_panel[i] != NULL)
			delwin(t->win_panel[i]);
		t->win_panel[i] = NULL;
	}
}

void
tui_screen_close(struct tui *t)
{
	if (t->screen == NULL)
		return;
	screen_free_windows(t);
	endwin();
	delscreen(t->screen);
	t->screen = NULL;
}

static WINDOW *
screen_window(const struct tui_rect *r)
{
	WINDOW *w;

	if (r->h <= 0 || r->w <= 0)
		return NULL;
	w = newwin(r->h, r->w, r->y, r->x);
	if (w != NULL)
		keypad(w, TRUE);
	return w;
}

/* Make the windows for the current size and focus. */
void
tui_screen_relayout(struct tui *t)
{
	screen_free_windows(t);
	tui_layout_compute(&t->layout, LINES, COLS, t->focus);
	t->win_top = screen_window(&t->layout.top);
	t->win_tabs = screen_window(&t->layout.tabs);
	t->win_bottom = screen_window(&t->layout.bottom);
	t->win_overlay = screen_window(&t->layout.overlay);
	for (int i = 0; i < TUI_NPANELS; i++)
		t->win_panel[i] = screen_window(&t->layout.panel[i]);
	clearok(curscr, TRUE);
	t->dirty = DIRTY_ALL;
}

/* The terminal changed size: tell curses, then lay out again. */
void
tui_screen_resize(struct tui *t, int rows, int cols)
{
	if (rows > 0 && cols > 0)
		resizeterm(rows, cols);
	tui_screen_relayout(t);
}

/* Write TEXT (untrusted) at Y, X in WIN, fitted to WIDTH columns. */
static int
screen_put(WINDOW *win, int x, const char *text, int width, attr_t attr)
{
	char field[BUS_TEXT_FIT_SIZE(512)];

	if (width <= 0)
		return 0;
	if (width > 512)
		width = 512;
	int used = bus_text_fit(text, BUS_TEXT_CSTR, width, BUS_TEXT_ELLIPSIS | BUS_TEXT_NOPAD,
	    field, sizeof field);
	wattrset(win, attr);
	mvwaddstr(win, 0, x, field);
	return used;
}

/* One piece of the top line: its text at each compactness (NULL: as at
 * the level before; "" drops it), and how it is drawn. */
#define TOP_LEVELS 4
struct top_part {
	const char *text[TOP_LEVELS];
	attr_t attr;
};

/* Columns the parts take at compactness LEVEL. */
static int
screen_top_width(const struct top_part *parts, int n, int level)
{
	int w = 0;

	for (int i = 0; i < n; i++) {
		const char *text = NULL;
		for (int l = level; l >= 0 && text == NULL; l--)
			text = parts[i].text[l];
		w += bus_text_width(text);
	}
	return w;
}

/*
 * The top line: connection, DEMO on a demo floor, hub seq and lag, user
 * and role, UTC clock. Always there, so a watch officer can tell at a
 * glance whether what the screen shows is live and who they act as. On a
 * narrow screen the parts get shorter, level by level, until they fit:
 * the program's name goes first, then the long forms; the user and role
 * and the clock stay to the last column.
 */
static void
screen_draw_top(struct tui *t)
{
	const struct bus_sync_status *st = bus_sync_status(t->sync);
	WINDOW *w = t->win_top;
	int cols = getmaxx(w), x = 0, n = 0;
	int64_t now = bus_time_now_ms(), seq = bus_replica_seq(t->replica);
	char state[64], seqs[2][64], user[128], clock[2][32];
	attr_t top = tui_theme_attr(STYLE_TOP), alarm = tui_theme_attr(STYLE_ALARM);
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	struct top_part parts[8];

	gmtime_r(&secs, &tm);
	strftime(clock[0], sizeof clock[0], " %Y-%m-%d %H:%M:%SZ ", &tm);
	strftime(clock[1], sizeof clock[1], " %H:%M:%SZ ", &tm);
	parts[n++] = (struct top_part){ { " watchfloor ", " " }, top | A_BOLD };
	if (st->state == BUS_SYNC_DISCONNECTED) {
		int64_t silent = st->heard_mono_ms > 0 ?
		    (bus_time_mono_ms() - st->heard_mono_ms) / 1000 : -1;
		if (silent >= 0)
			snprintf(state, sizeof state, " DISCONNECTED %llds, stale ", (long long)silent);
		else
			snprintf(state, sizeof state, " DISCONNECTED ");
		parts[n++] = (struct top_part){ { state }, alarm };
	} else if (t->host.followers != NULL)
		parts[n++] = (struct top_part){ { " CONNECTED (hub in this console) ", NULL,
			" CONNECTED (own hub) " }, tui_theme_attr(STYLE_OK) };
	else
		parts[n++] = (struct top_part){ { t->curve ? " CONNECTED (CURVE) " : " CONNECTED " },
			tui_theme_attr(STYLE_OK) };
	/* Made-up traffic must never pass for the live floor. */
	if (st->demo)
		parts[n++] = (struct top_part){ { " DEMO " }, alarm | A_BOLD };
	if (st->state != BUS_SYNC_DISCONNECTED && (st->state == BUS_SYNC_SYNCING || st->repairing))
		parts[n++] = (struct top_part){ { " resyncing " }, alarm };
	if (st->state != BUS_SYNC_DISCONNECTED && st->store_full)
		parts[n++] = (struct top_part){ { " JOURNAL FULL: the hub refuses changes ", NULL,
			NULL, " JOURNAL FULL " }, alarm | A_BOLD };
	int64_t lag = st->hub_seq > seq ? st->hub_seq - seq : 0;
	snprintf(seqs[0], sizeof seqs[0], "  seq %lld  lag %lld", (long long)seq, (long long)lag);
	snprintf(seqs[1], sizeof seqs[1], " seq %lld lag %lld", (long long)seq, (long long)lag);
	parts[n++] = (struct top_part){ { seqs[0], NULL, NULL, seqs[1] }, top };
	snprintf(user, sizeof user, "  %s (%s)%s", t->user, tui_role(t),
	    t->read_only ? " read-only" : "");
	parts[n++] = (struct top_part){ { user }, top };
	parts[n++] = (struct top_part){ { clock[0], NULL, clock[1] }, top | A_BOLD };

	int level = 0;
	while (level < TOP_LEVELS - 1 && screen_top_width(parts, n, level) > cols)
		level++;
	wattrset(w, top);
	mvwhline(w, 0, 0, ' ', cols);
	/* The clock at the right edge, the rest from the left: what does not
	 * fit even so is cut, the clock last. */
	const char *ctext = parts[n - 1].text[level >= 2 ? 2 : 0];
	int cw = bus_text_width(ctext);
	if (cols > cw)
		screen_put(w, cols - cw, ctext, cw, parts[n - 1].attr);
	cols -= cw;
	for (int i = 0; i < n - 1; i++) {
		const char *text = NULL;
		for (int l = level; l >= 0 && text == NULL; l--)
			text = parts[i].text[l];
		x += screen_put(w, x, text, cols - x, parts[i].attr);
	}
	wnoutrefresh(w);
}

/* The tab strip of the one-panel layout: number, name, count. */
static void
screen_draw_tabs(struct tui *t)
{
	WINDOW *w = t->win_tabs;
	int cols = getmaxx(w), x = 0;
	char buf[64];

	wattrset(w, A_NORMAL);
	werase(w);
	for (int i = 0; i < TUI_NPANELS && x < cols; i++) {
		struct panel *p = t->panels[i];
		panel_refresh(p, t);
		snprintf(buf, sizeof buf, " %d %s %zu ", i + 1, p->ops->tab_name, p->nview);
		x += screen_put(w, x, buf, cols - x,
		    tui_theme_attr(i == t->focus ? STYLE_TITLE_FOCUS : STYLE_TITLE));
		x += 1;
	}
	wnoutrefresh(w);
}

/* The bottom line: what is being typed, else the last message, else the
 * keys of the focused panel. */
static void
screen_draw_bottom(struct tui *t)
{
	WINDOW *w = t->win_bottom;
	int cols = getmaxx(w), x = 0;
	char hints[512];

	wattrset(w, A_NORMAL);
	werase(w);
	curs_set(0);
	if (t->mode != MODE_NORMAL) {
		x += screen_put(w, x, t->input.prompt, cols - x, A_BOLD);
		if (t->mode != MODE_CONFIRM) {
			/* Show the end of a long line, where the cursor is. */
			const char *text = t->input.buf;
			int room = cols - x - 1;
			while (bus_text_width(text) > room && *text != '\0') {
				text++;
				while ((*text & 0xc0) == 0x80)
					text++;
			}
			char before[TUI_INPUT_MAX + 1];
			size_t off = (size_t)(text - t->input.buf);
			size_t n = t->input.cursor > off ? t->input.cursor - off : 0;
			memcpy(before, text, n);
			before[n] = '\0';
			screen_put(w, x, text, room, A_NORMAL);
			wmove(w, 0, x + bus_text_width(before));
			curs_set(1);
		}
	} else if (t->status[0] != '\0') {
		char part[BUS_TEXT_FIT_SIZE(512)];
		bus_text_fit(t->status, BUS_TEXT_CSTR, cols > 512 ? 512 : cols, 0, part, sizeof part);
		wattrset(w, tui_theme_attr(t->status_error ? STYLE_ALARM : STYLE_NORMAL));
		mvwaddstr(w, 0, 0, part);
	} else {
		tui_keys_hints(t, hints, sizeof hints);
		screen_put(w, 0, hints, cols, tui_theme_attr(STYLE_DIM));
	}
	wnoutrefresh(w);
}

/* A picker as big as its choices need, centred in the overlay's area. */
static void
screen_draw_picker(struct tui *t)
{
	const struct tui_rect *o = &t->layout.overlay;
	int width = bus_text_width(t->picker.title) + 6;

	for (int i = 0; i < t->picker.n; i++) {
		int w = bus_text_width(t->picker.items[i].label) + 6;
		width = w > width ? w : width;
	}
	int h = t->picker.n + 4 < o->h ? t->picker.n + 4 : o->h;
	int w = width < o->w ? width : o->w;
	WINDOW *win = newwin(h, w, o->y + (o->h - h) / 2, o->x + (o->w - w) / 2);
	if (win == NULL)
		return;
	tui_picker_draw(&t->picker, win);
	wnoutrefresh(win);
	delwin(win);
}

/* The overlays on top: a picker over a detail or help over the panels. */
static void
screen_draw_overlay(struct tui *t, WINDOW *w)
{
	if (t->overlay == OVERLAY_DETAIL) {
		char offers[512];
		tui_keys_offers(t, offers, sizeof offers);
		panel_detail_draw(t, w, offers);
	}
	else if (t->overlay == OVERLAY_HELP)
		panel_help_draw(t, w);
	if (t->overlay != OVERLAY_NONE)
		wnoutrefresh(w);
	if (t->picker.open)
		screen_draw_picker(t);
}

/* TEXT (untrusted) wrapped onto up to four rows that end at row LAST,
 * over the panels, if it is wider than MIN columns. Rows break at a space
 * when there is one in their second half, so words stay whole. */
#define WRAP_ROWS 4
static void
screen_draw_wrapped(struct tui *t, const char *text, int min, int last, attr_t attr)
{
	int cols = t->layout.cols > 512 ? 512 : t->layout.cols;
	char safe[BUS_TEXT_SANITIZE_SIZE(512)], part[BUS_TEXT_FIT_SIZE(512)];
	size_t at[WRAP_ROWS + 1];
	int rows = 0;

	bus_text_sanitize(text, BUS_TEXT_CSTR, safe, sizeof safe);
	if (bus_text_width(safe) <= min)
		return;
	/* Where each row starts; what is left past the last row is cut. */
	at[0] = 0;
	while (rows < WRAP_ROWS && safe[at[rows]] != '\0') {
		const char *p = safe + at[rows];
		bus_text_fit(p, BUS_TEXT_CSTR, cols, BUS_TEXT_NOPAD, part, sizeof part);
		size_t n = strlen(part);
		char *sp = p[n] != '\0' ? strrchr(part, ' ') : NULL;
		if (sp != NULL && sp - part > (long)n / 2)
			n = (size_t)(sp - part) + 1;
		if (n == 0)
			break; /* nothing fits a row: stop rather than loop */
		at[rows + 1] = at[rows] + n;
		rows++;
	}
	if (rows == 0 || last - rows + 1 < 1)
		return;
	/* Rows from above LAST down to it, in reading order. */
	WINDOW *w = newwin(rows, t->layout.cols, last - rows + 1, 0);
	if (w == NULL)
		return;
	wattrset(w, attr);
	for (int y = 0; y < rows; y++) {
		int cut = y == rows - 1 && safe[at[rows]] != '\0';
		size_t len = cut ? strlen(safe + at[y]) : at[y + 1] - at[y];
		char row[sizeof safe];
		memcpy(row, safe + at[y], len);
		row[len] = '\0';
		/* The last row ends in an ellipsis if text is left over. */
		bus_text_fit(row, BUS_TEXT_CSTR, cols, BUS_TEXT_NOPAD | (cut ? BUS_TEXT_ELLIPSIS : 0),
		    part, sizeof part);
		mvwhline(w, y, 0, ' ', t->layout.cols);
		mvwaddstr(w, y, 0, part);
	}
	wnoutrefresh(w);
	delwin(w);
}

/*
 * Above the bottom line, until the next key: a message too long for it
 * (a refusal with the hub's whole sentence, on 80 columns) shown whole,
 * wrapped onto the rows above; or, while a command is typed, what a Tab
 * could not complete matches, as a shell lists them.
 */
static void
screen_draw_long_message(struct tui *t)
{
	int cols = t->layout.cols;

	if (cols < 20)
		return;
	if (t->mode == MODE_COMMAND && t->input.listed[0] != '\0')
		screen_draw_wrapped(t, t->input.listed, 0, t->layout.bottom.y - 1,
		    tui_theme_attr(STYLE_NORMAL) | A_REVERSE);
	else if (t->mode == MODE_NORMAL && t->status[0] != '\0')
		screen_draw_wrapped(t, t->status, cols, t->layout.bottom.y,
		    tui_theme_attr(t->status_error ? STYLE_ALARM : STYLE_NORMAL));
}

static int
screen_behind(void)
{
	int queued = 0;

	return ioctl(STDOUT_FILENO, TIOCOUTQ, &queued) == 0 && queued > SCREEN_BEHIND_BYTES;
}

/*
 * Draw what is dirty: each part into its window (wnoutrefresh), then one
 * doupdate(). Returns 0, or -1 if the terminal is behind and the frame
 * must wait.
 */
int
tui_screen_draw(struct tui *t)
{
	unsigned d = t->dirty;

	if (d == 0)
		return 0;
	if (screen_behind())
		return -1;
	t->dirty = 0;
	if (!tui_layout_usable(&t->layout)) {
		erase();
		mvaddnstr(0, 0, "terminal too small", COLS);
		wnoutrefresh(stdscr);
		doupdate();
		return 0;
	}
	if (d == DIRTY_ALL) {
		/* After a resize: clear what the old layout left behind. */
		erase();
		wnoutrefresh(stdscr);
	}
	if ((d & DIRTY_TOP) && t->win_top != NULL)
		screen_draw_top(t);
	if ((d & (DIRTY_TABS | DIRTY_PANELS)) && t->win_tabs != NULL)
		screen_draw_tabs(t);
	for (int i = 0; i < TUI_NPANELS; i++) {
		if ((d & DIRTY_PANEL(i)) && t->win_panel[i] != NULL) {
			panel_draw(t->panels[i], t, t->win_panel[i], i == t->focus);
			wnoutrefresh(t->win_panel[i]);
		}
	}
	if (t->overlay != OVERLAY_NONE || t->picker.open) {
		/* Overlays sit over the panels: draw them last, whenever any
		 * panel under them was drawn. */
		if (t->win_overlay != NULL && (d & (DIRTY_OVERLAY | DIRTY_PANELS))) {
			screen_draw_overlay(t, t->win_overlay);
		}
	}
	if (t->win_bottom != NULL) {
		screen_draw_bottom(t);
		screen_draw_long_message(t); /* over the bottom line, when needed */
	}
	/* A terminal that has gone away fails the write with EIO, which
	 * curses does not report: look at errno, and at the tty itself. */
	errno = 0;
	doupdate();
	if (errno != 0 && tui_screen_gone())
		t->quit = 1;
	return 0;
}

/*
 * Has the terminal gone away (a dropped SSH link, a closed window, tmux
 * kill-session)? Its tty then polls as POLLHUP or POLLERR, or reads as
 * ready with nothing to read (end of input); a write fails with EIO.
 * curses reports each of these only as "no key", so ask the tty.
 */
int
tui_screen_gone(void)
{
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = STDOUT_FILENO, .events = POLLOUT },
	};
	int queued = 0;

	if (poll(p, 2, 0) < 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL))
			return 1;
	}
	return (p[0].revents & POLLIN) && ioctl(STDIN_FILENO, FIONREAD, &queued) == 0 &&
	    queued == 0;
}
