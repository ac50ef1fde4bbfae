#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "tui-picker.h"
#include "xmalloc.h"
#include "bus-text.h"
#include "tui-theme.h"
#include "tui.h"

void
tui_picker_free(struct tui_picker *p)
{
	free(p->items);
	memset(p, 0, sizeof *p);
}

void
tui_picker_open(struct tui_picker *p, const char *title, tui_picker_done done)
{
	tui_picker_free(p);
	snprintf(p->title, sizeof p->title, "%s", title);
	p->done = done;
	p->open = 1;
	p->selected = -1;
}

/* Add a choice. Disabled ones are shown, for context, but cannot be picked. */
void
tui_picker_add(struct tui_picker *p, const char *label, const char *value, int enabled)
{
	struct tui_picker_item *it;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->items = xrealloc(p->items, (size_t)p->cap * sizeof *p->items);
	}
	it = &p->items[p->n];
	snprintf(it->label, sizeof it->label, "%s", label);
	snprintf(it->value, sizeof it->value, "%s", value);
	it->enabled = enabled;
	if (p->selected < 0 && enabled)
		p->selected = p->n;
	p->n++;
}

static void
picker_step(struct tui_picker *p, int dir)
{
	for (int i = p->selected + dir; i >= 0 && i < p->n; i += dir) {
		if (p->items[i].enabled) {
			p->selected = i;
			return;
		}
	}
}

/* A key while the picker is open: move, choose, or cancel. Returns 1 when
 * the key was the picker's. */
int
tui_picker_key(struct tui *t, struct tui_picker *p, int key)
{
	switch (key) {
	case KEY_UP:
	case 'k':
		picker_step(p, -1);
		break;
	case KEY_DOWN:
	case 'j':
		picker_step(p, 1);
		break;
	case KEY_PPAGE:
		for (int i = 0; i < 10; i++)
			picker_step(p, -1);
		break;
	case KEY_NPAGE:
		for (int i = 0; i < 10; i++)
			picker_step(p, 1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		p->open = 0;
		if (p->selected >= 0 && p->done != NULL)
			p->done(t, p->items[p->selected].value);
		break;
	case 27:
	case 'q':
		p->open = 0;
		tui_message(t, 0, "cancelled");
		break;
	default:
		return 1; /* modal: other keys do nothing while it is open */
	}
	tui_dirty(t, DIRTY_ALL & ~DIRTY_TOP);
	return 1;
}

void
tui_picker_draw(struct tui_picker *p, WINDOW *win)
{
	int h, w;
	char line[BUS_TEXT_FIT_SIZE(256)];

	getmaxyx(win, h, w);
	werase(win);
	wattrset(win, tui_theme_attr(STYLE_NORMAL));
	box(win, 0, 0);
	bus_text_fit(p->title, BUS_TEXT_CSTR, w - 4 > 256 ? 256 : w - 4, BUS_TEXT_ELLIPSIS |
	    BUS_TEXT_NOPAD, line, sizeof line);
	wattrset(win, tui_theme_attr(STYLE_TITLE_FOCUS));
	mvwaddstr(win, 0, 2, line);
	/* Scroll so that the selected choice is always in view. */
	int rows = h - 3;
	if (p->selected >= 0 && p->selected < p->top)
		p->top = p->selected;
	if (p->selected >= p->top + rows)
		p->top = p->selected - rows + 1;
	for (int i = p->top, y = 1; i < p->n && y < h - 2; i++, y++) {
		attr_t a = !p->items[i].enabled ? tui_theme_attr(STYLE_DIM) :
		    i == p->selected ? tui_theme_attr(STYLE_SELECTED) : A_NORMAL;
		bus_text_fit(p->items[i].label, BUS_TEXT_CSTR, w - 4 > 256 ? 256 : w - 4,
		    BUS_TEXT_ELLIPSIS, line, sizeof line);
		wattrset(win, a);
		mvwaddstr(win, y, 2, line);
	}
	wattrset(win, tui_theme_attr(STYLE_DIM));
	mvwaddnstr(win, h - 2, 2, "Enter choose   Esc cancel   arrows move", w - 4);
	wattrset(win, A_NORMAL);
}
