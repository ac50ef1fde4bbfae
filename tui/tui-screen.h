/*
 * The terminal: opening it (with a fallback for an unknown TERM), one
 * window per region of the layout, and drawing what is dirty, at most once
 * per frame interval and not while the terminal is still behind.
 */
#ifndef TUI_SCREEN_H
#define TUI_SCREEN_H

struct tui;

int  tui_screen_open(struct tui *, const char *theme, int no_color, char **cause);
void tui_screen_close(struct tui *);
void tui_screen_resize(struct tui *, int rows, int cols);
void tui_screen_relayout(struct tui *);
int  tui_screen_draw(struct tui *);
/* 1 if the terminal has gone away (hung up, closed, end of input). */
int  tui_screen_gone(void);

#endif
