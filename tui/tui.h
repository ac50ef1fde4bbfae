/*
 * The console: one struct that the loop, the screen, the keys and the
 * panels share. Data flows one way: the sync feeds the replica, the replica
 * marks panels dirty, the after-events hook draws what is dirty at a capped
 * frame rate. Keys change only console state or send a request to the hub;
 * what the hub does comes back as an event like everyone else's.
 */
#ifndef TUI_H
#define TUI_H

#include <curses.h>
#include <stdint.h>

#include "bus-ops.h"
#include "tui-input.h"
#include "tui-layout.h"
#include "tui-picker.h"

struct event;
struct json_t;
struct event_base;
struct bus_replica;
struct bus_sync;

/* The hub this console runs inside itself (--demo, --hub), as the console
 * sees it: the console does not link the hub, the program does and fills
 * this in. Zeroed when the hub runs elsewhere. */
struct tui_host {
	int (*followers)(void *arg); /* connections following it, this one's too */
	void *arg;
};

struct panel;
struct bus_entry;

/* What needs drawing, as bits. */
#define DIRTY_TOP      (1u << 0)
#define DIRTY_TABS     (1u << 1)
#define DIRTY_BOTTOM   (1u << 2)
#define DIRTY_OVERLAY  (1u << 3)
#define DIRTY_PANEL(i) (1u << (8 + (i)))
#define DIRTY_PANELS   (0x1fu << 8)
#define DIRTY_ALL      (~0u)

enum tui_overlay { OVERLAY_NONE, OVERLAY_DETAIL, OVERLAY_HELP };

/* What a line being typed is for. */
enum tui_mode { MODE_NORMAL, MODE_FILTER, MODE_COMMAND, MODE_NOTE, MODE_CONFIRM };

struct tui {
	struct event_base *base;
	void *zctx;
	struct bus_replica *replica;
	struct bus_sync *sync;
	const char *user;
	int read_only;            /* --read-only: no command is ever sent */
	int curve;                /* CURVE: who we are is the hub's to say */
	char key_user[65];        /* with CURVE: our key's person and role, */
	char key_role[16];        /* from whoami ("" until it answers) */
	int whoami_asked;
	struct tui_host host;     /* a hub run inside this console, if any */

	SCREEN *screen;
	struct tui_layout layout;
	WINDOW *win_top, *win_tabs, *win_bottom, *win_overlay;
	WINDOW *win_panel[TUI_NPANELS];
	int focus;
	struct panel *panels[TUI_NPANELS];

	enum tui_mode mode;
	struct tui_input input;   /* the line being typed, in any mode but NORMAL */
	char pending_case[64];    /* the case a note or confirmation is about */
	char pending_op[32];      /* the op a confirmation will send */
	char pending_team[32];
	enum tui_overlay overlay;
	char detail_case[64];     /* the case the detail overlay shows */
	int overlay_scroll;
	struct bus_entry *detail_entries; /* its whole timeline, from the hub */
	size_t ndetail;
	char detail_loaded[64];   /* the case those entries belong to */
	int detail_loading;       /* a timeline request is out */
	char detail_error[160];   /* why the last one failed, or "" */
	struct tui_picker picker; /* a modal choice, when open */

	char status[256];         /* the last message for the operator */
	int status_error;
	unsigned dirty;
	int64_t last_frame_ms;
	int frame_ms;             /* at most one frame per this many ms */
	int backoff_ms;           /* longer, while the terminal is slow to take frames */
	int key_frame;            /* a key was pressed: show its effect now */
	int64_t top_key[4];       /* what the top line showed, to skip idle redraws */
	struct event *frame_timer, *clock_timer;
	struct event *ev_stdin;   /* the keyboard; removed when the terminal goes away */
	int quit;
	int quit_asked;
};

void tui_dirty(struct tui *, unsigned bits);
void tui_message(struct tui *, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *tui_role(const struct tui *);
int  tui_can(const struct tui *, const char *op);
void tui_refuse_role(struct tui *, const char *op, const char *what);
struct panel *tui_focused(const struct tui *);
void tui_send(struct tui *, const char *op, struct json_t *args, const char *what);
void tui_send_words(struct tui *, enum bus_op_id, int n, const char *const *words);
/* tui_send_words(t, BUS_OP_DISPATCH, 2, { team, case }) with the count made
 * from the words. */
#define TUI_SEND_WORDS(t, id, ...) tui_send_words((t), (id), \
	(int)(sizeof (const char *[]){ __VA_ARGS__ } / sizeof (const char *)), \
	(const char *[]){ __VA_ARGS__ })
void tui_detail_fetch(struct tui *);
void tui_detail_check(struct tui *);
void tui_free(struct tui *);

#endif
