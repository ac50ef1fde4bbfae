/*
 * Intel feed, newest first, with the TLP marking on every row: an analyst
 * must see how far an item may be shared before reading it.
 */
#include <stdio.h>
#include <string.h>

#include "panel.h"
#include "tui.h"

/* TLP is never cut: "TLP:AMBER+STRICT" is 16 columns, and a marking cut
 * to "TLP:AMBER+S…" no longer says how far an item may go. */
static const struct panel_column intel_columns[] = {
	{ "TLP", 16, 0, 0, 0 },
	{ "KIND", 13, 0, 90, 0 },
	{ "TITLE", 0, 0, 0, 0 },
	{ "SOURCE", 14, 0, 60, 0 },
	{ "SECTORS", 16, 0, 110, 0 },
	{ "AGE", 6, 1, 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

/* Newest first: by arrival (the hub's seq of the item's first event is
 * not kept, so by received time, then by id). */
static int
intel_compare(const void *a, const void *b)
{
	const struct bus_intel *x = a, *y = b;

	if (x->received_at != y->received_at)
		return x->received_at > y->received_at ? -1 : 1;
	return strcmp(y->id, x->id);
}

static void
intel_cells(const struct tui *t, const void *obj, int64_t now, struct panel_cell *cell)
{
	const struct bus_intel *i = obj;
	size_t used = 0;

	(void)t;
	/* Unmarked is not CLEAR (TLP 2.0): "TLP:-", never the most
	 * permissive label. */
	snprintf(cell[0].buf, sizeof cell[0].buf, "TLP:%s", i->tlp != NULL ? i->tlp : "-");
	for (char *p = cell[0].buf; *p != '\0'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	cell[0].style = tui_theme_tlp(i->tlp);
	cell[1].text = i->kind;
	cell[2].text = i->title;
	cell[3].text = i->source;
	for (size_t k = 0; k < i->sectors.n && used + 2 < sizeof cell[4].buf; k++)
		used += (size_t)snprintf(cell[4].buf + used, sizeof cell[4].buf - used, "%s%s",
		    k ? "," : "", i->sectors.v[k]);
	panel_fmt_age(cell[5].buf, sizeof cell[5].buf, i->received_at, now);
}

const struct panel_ops panel_intel_ops = {
	.title = "Intel",
	.tab_name = "Intel",
	.kind = BUS_KIND_INTEL,
	.also = 0,
	.colspec = intel_columns,
	.include = NULL,
	.compare = intel_compare,
	.cells = intel_cells,
};
