/*
 * The key map: one table of actions, each with its name, its default keys,
 * where it applies, the hub op it needs (so it is offered only to roles
 * that may), and its help line. The help screen and the bottom line's
 * hints are generated from it; a key press is looked up in it.
 *
 * The [keys] section of watchfloor.conf rebinds actions by name, several
 * keys each ("dispatch = d F5"). A key bound there is taken from the
 * action it was a default of; the same key bound twice there where both
 * actions apply is an error. Pickers and the line editor keep their keys.
 */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <stddef.h>

struct tui;

/* Where an action applies: panels by bit, or everywhere. */
#define KEYS_ANY 0u
#define KEYS_IN(p) (1u << (p))

struct tui_key_action {
	const char *name;   /* its key in [keys]: "dispatch" */
	const char *keys;   /* its default keys, written as in [keys]: "j Down" */
	unsigned where;     /* KEYS_ANY or KEYS_IN bits */
	const char *op;     /* the hub op it sends, for role checks; NULL if none */
	int hint;           /* shown in the bottom line */
	const char *help;
	void (*fn)(struct tui *);
};

#define TUI_KEYS_MAX 8 /* key codes one action can have */

const struct tui_key_action *tui_keys_table(size_t *n);
/* "j/Down": how the help shows the keys the action has now ("-" if none). */
void tui_keys_label(const struct tui_key_action *, char *buf, size_t size);
void tui_keys_label_of(const char *name, char *buf, size_t size);

/* Keys as [keys] writes them: "d", "G", "C-l", "F5", "Enter", "PgDn", ...
 * One key to its curses codes (Enter is three); returns their number, or
 * -1 with *cause. And a code back to the name the help shows. */
int  tui_keys_parse(const char *spec, int *codes, int max, char **cause);
void tui_keys_name(int code, char *buf, size_t size);
/* A line of [keys]: ACTION = KEY [KEY...], or "none". The signature is
 * that of a config section's setter (bus-config.h). */
int  tui_keys_bind(void *unused, const char *action, const char *keys, char **cause);
/* Back to the defaults (the tests bind and reset). */
void tui_keys_reset(void);

void tui_keys_press(struct tui *, int key, const char *utf8);
void tui_keys_hints(const struct tui *, char *buf, size_t size);
void tui_keys_offers(const struct tui *, char *buf, size_t size);

#endif
