/*
 * Help: every key, generated from the key table, so it cannot disagree
 * with what the keys do. Keys the operator's role cannot use are marked.
 */
#include <stdio.h>
#include <string.h>

#include "panel.h"
#include "tui-keys.h"
#include "bus-text.h"
#include "tui.h"

static const char *const where_names[TUI_NPANELS] = {
	"cases", "teams", "sectors", "intel", "sensors"
};

void
panel_help_draw(struct tui *t, WINDOW *win)
{
	size_t n;
	const struct tui_key_action *keys = tui_keys_table(&n);
	int h, w, y = 1;
	char line[512], out[BUS_TEXT_FIT_SIZE(512)];

	getmaxyx(win, h, w);
	werase(win);
	wattrset(win, A_NORMAL);
	box(win, 0, 0);
	wattrset(win, tui_theme_attr(STYLE_TITLE_FOCUS));
	mvwaddnstr(win, 0, 2, " Keys ", w - 4);
	if (t->overlay_scroll > (int)n - (h - 3))
		t->overlay_scroll = (int)n - (h - 3) > 0 ? (int)n - (h - 3) : 0;
	for (size_t i = (size_t)t->overlay_scroll; i < n && y < h - 2; i++, y++) {
		const struct tui_key_action *a = &keys[i];
		char where[64] = "";
		for (int p = 0; p < TUI_NPANELS && a->where != KEYS_ANY; p++) {
			if (a->where & KEYS_IN(p))
				snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s",
				    where[0] ? ", " : " (", where_names[p]);
		}
		if (where[0] != '\0')
			strncat(where, ")", sizeof where - strlen(where) - 1);
		int allowed = a->op == NULL || tui_can(t, a->op);
		char label[64];
		tui_keys_label(a, label, sizeof label);
		snprintf(line, sizeof line, "%-8s %s%s%s", label, a->help, where,
		    allowed ? "" : "   [not for your role]");
		bus_text_fit(line, BUS_TEXT_CSTR, w - 4 > 512 ? 512 : w - 4, BUS_TEXT_ELLIPSIS,
		    out, sizeof out);
		wattrset(win, allowed ? A_NORMAL : tui_theme_attr(STYLE_DIM));
		mvwaddstr(win, y, 2, out);
	}
	char back[64], help[64], up[64], down[64];
	tui_keys_label_of("back", back, sizeof back);
	tui_keys_label_of("help", help, sizeof help);
	tui_keys_label_of("up", up, sizeof up);
	tui_keys_label_of("down", down, sizeof down);
	snprintf(line, sizeof line, "%s or %s close   %s %s scroll   (keys can be changed in "
	    "watchfloor.conf)", back, help, up, down);
	wattrset(win, tui_theme_attr(STYLE_DIM));
	mvwaddnstr(win, h - 2, 2, line, w - 4);
	wattrset(win, A_NORMAL);
}
