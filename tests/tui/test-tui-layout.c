/* Layout arithmetic (tui/tui-layout.c): every size from tiny to huge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tui-layout.h"

static int
rect_inside(const struct tui_rect *r, int rows, int cols)
{
	return r->h == 0 || (r->y >= 0 && r->x >= 0 && r->y + r->h <= rows && r->x + r->w <= cols);
}

static int
rects_overlap(const struct tui_rect *a, const struct tui_rect *b)
{
	if (a->h == 0 || b->h == 0)
		return 0;
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* For every size and focus: nothing outside the screen, nothing overlaps,
 * the top and bottom lines are there, and the focused panel is shown. */
static void
test_every_size_fits(void **state)
{
	(void)state;
	for (int rows = 0; rows <= 80; rows++) {
		for (int cols = 0; cols <= 260; cols += rows % 3 + 1) {
			for (int focus = 0; focus < TUI_NPANELS; focus++) {
				struct tui_layout l;
				tui_layout_compute(&l, rows, cols, focus);
				if (!tui_layout_usable(&l))
					continue;
				struct tui_rect all[TUI_NPANELS + 3] = { l.top, l.tabs, l.bottom };
				for (int i = 0; i < TUI_NPANELS; i++)
					all[3 + i] = l.panel[i];
				for (int i = 0; i < TUI_NPANELS + 3; i++) {
					if (!rect_inside(&all[i], rows, cols))
						fail_msg("%dx%d focus %d: part %d outside", rows, cols, focus, i);
					for (int j = i + 1; j < TUI_NPANELS + 3; j++)
						if (rects_overlap(&all[i], &all[j]))
							fail_msg("%dx%d: parts %d and %d overlap", rows, cols, i, j);
				}
				assert_int_equal(l.top.y, 0);
				assert_int_equal(l.bottom.y, rows - 1);
				assert_true(l.panel[focus].h >= 3);
				assert_true(rect_inside(&l.overlay, rows, cols));
			}
		}
	}
}

static void
test_80x24_is_one_panel_with_tabs(void **state)
{
	struct tui_layout l;
	(void)state;

	tui_layout_compute(&l, 24, 80, 1);
	assert_false(l.grid);
	assert_int_equal(l.tabs.y, 1);
	assert_int_equal(l.panel[1].y, 2);
	assert_int_equal(l.panel[1].h, 21);
	assert_int_equal(l.panel[1].w, 80);
	assert_int_equal(l.panel[0].h, 0); /* the others wait behind their tabs */
}

static void
test_large_screen_shows_everything(void **state)
{
	struct tui_layout l;
	(void)state;

	tui_layout_compute(&l, 40, 120, 0);
	assert_true(l.grid);
	for (int i = 0; i < TUI_NPANELS; i++)
		assert_true(l.panel[i].h >= 3);
	/* All sixteen sectors, with their title and header. */
	assert_true(l.panel[PANEL_SECTORS].h >= 18);
	/* Cases span the width: titles need room. */
	assert_int_equal(l.panel[PANEL_CASES].w, 120);
	/* The whole body is used: the panels' areas add up to it. */
	int area = 0;
	for (int i = 0; i < TUI_NPANELS; i++)
		area += l.panel[i].h * l.panel[i].w;
	assert_int_equal(area, 38 * 120);
}

static void
test_tiny_screens_are_refused_cleanly(void **state)
{
	struct tui_layout l;
	(void)state;

	tui_layout_compute(&l, 5, 80, 0);
	assert_false(tui_layout_usable(&l));
	tui_layout_compute(&l, 24, 19, 0);
	assert_false(tui_layout_usable(&l));
	tui_layout_compute(&l, -3, -9, 0);
	assert_false(tui_layout_usable(&l));
	tui_layout_compute(&l, 6, 20, 4);
	assert_true(tui_layout_usable(&l));
	assert_int_equal(l.panel[4].h, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_size_fits),
		cmocka_unit_test(test_80x24_is_one_panel_with_tabs),
		cmocka_unit_test(test_large_screen_shows_everything),
		cmocka_unit_test(test_tiny_screens_are_refused_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
