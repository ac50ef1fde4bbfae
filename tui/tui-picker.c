#include <stdio.h>
#include <string.h>

#include "tui-picker.h"
#include "tui-text.h"
#include "tui-theme.h"
#include "tui.h"

void
tui_picker_open(struct tui_picker *p, const char *title, tui_picker_done done)
{
	memset(p, 0, sizeof *p);
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

	if (p->n >= TUI_PICKER_MAX)
		return;
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
tui_picker_draw(const struct tui_picker *p, WINDOW *win)
{
	int h, w;
	char line[TUI_TEXT_FIT_SIZE(256)];

	getmaxyx(win, h, w);
	werase(win);
	wattrset(win, tui_theme_attr(STYLE_NORMAL));
	box(win, 0, 0);
	tui_text_fit(p->title, TUI_TEXT_CSTR, w - 4 > 256 ? 256 : w - 4, TUI_TEXT_ELLIPSIS |
	    TUI_TEXT_NOPAD, line, sizeof line);
	wattrset(win, tui_theme_attr(STYLE_TITLE_FOCUS));
	mvwaddstr(win, 0, 2, line);
	int first = p->selected >= h - 3 ? p->selected - (h - 3) + 1 : 0;
	for (int i = first, y = 1; i < p->n && y < h - 2; i++, y++) {
		attr_t a = !p->items[i].enabled ? tui_theme_attr(STYLE_DIM) :
		    i == p->selected ? tui_theme_attr(STYLE_SELECTED) : A_NORMAL;
		tui_text_fit(p->items[i].label, TUI_TEXT_CSTR, w - 4 > 256 ? 256 : w - 4,
		    TUI_TEXT_ELLIPSIS, line, sizeof line);
		wattrset(win, a);
		mvwaddstr(win, y, 2, line);
	}
	wattrset(win, tui_theme_attr(STYLE_DIM));
	mvwaddnstr(win, h - 2, 2, "Enter choose   Esc cancel   arrows move", w - 4);
	wattrset(win, A_NORMAL);
}
