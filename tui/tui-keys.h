/*
 * The key map: one table of actions, each with its keys, where it applies,
 * the hub op it needs (so it is offered only to roles that may), and its
 * help line. The help screen and the bottom line's hints are generated
 * from it; a key press is looked up in it.
 */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <stddef.h>

struct tui;

/* Where an action applies: panels by bit, or everywhere. */
#define KEYS_ANY 0u
#define KEYS_IN(p) (1u << (p))

struct tui_key_action {
	const char *label;  /* how the help shows its keys: "d", "Tab", "j/Down" */
	int keys[4];        /* curses key codes or characters; 0 ends */
	unsigned where;     /* KEYS_ANY or KEYS_IN bits */
	const char *op;     /* the hub op it sends, for role checks; NULL if none */
	int hint;           /* shown in the bottom line */
	const char *help;
	void (*fn)(struct tui *);
};

const struct tui_key_action *tui_keys_table(size_t *n);
void tui_keys_press(struct tui *, int key, const char *utf8);
void tui_keys_hints(const struct tui *, char *buf, size_t size);

#endif
