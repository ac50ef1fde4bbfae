/*
 * A modal choice: "dispatch which team?", "move to which status?". It is a
 * state of the console, drawn over the panels and fed keys by the loop,
 * never a nested loop of its own. Choosing calls back with the value.
 */
#ifndef TUI_PICKER_H
#define TUI_PICKER_H

#include <curses.h>

struct tui;

struct tui_picker_item {
	char label[160];
	char value[64];
	int enabled; /* shown dimmed and skipped when 0 */
};

typedef void (*tui_picker_done)(struct tui *, const char *value);

struct tui_picker {
	int open;
	char title[128];
	struct tui_picker_item *items;
	int n, cap, selected, top;
	tui_picker_done done;
};

void tui_picker_open(struct tui_picker *, const char *title, tui_picker_done);
void tui_picker_add(struct tui_picker *, const char *label, const char *value, int enabled);
int  tui_picker_key(struct tui *, struct tui_picker *, int key);
void tui_picker_draw(struct tui_picker *, WINDOW *);
void tui_picker_free(struct tui_picker *);

#endif
