/*
 * A one-line editor for what the operator types at the bottom of the
 * screen: the '/' filter, the ':' command line, a note. UTF-8 aware (the
 * cursor moves by characters), bounded in length, with Tab completion
 * supplied by the caller.
 */
#ifndef TUI_INPUT_H
#define TUI_INPUT_H

#include <stddef.h>

#define TUI_INPUT_MAX 1024

struct tui_input {
	char buf[TUI_INPUT_MAX + 1];
	size_t len, cursor; /* bytes */
	char prompt[160]; /* a question may name counts and what it costs */
	char listed[512]; /* what a Tab that could not complete matches, or "" */
};

/* What a key did to the line. */
enum tui_input_result { INPUT_EDITED, INPUT_MOVED, INPUT_DONE, INPUT_CANCEL, INPUT_IGNORED };

/* Completion: the candidates that start with PREFIX for word number WORD
 * of LINE; the callback puts up to MAX of them in OUT and returns how many. */
typedef int (*tui_input_complete)(void *arg, const char *line, int word,
    const char *prefix, const char **out, int max);

void tui_input_start(struct tui_input *, const char *prompt, const char *text);
enum tui_input_result tui_input_key(struct tui_input *, int key, const char *utf8,
    tui_input_complete, void *arg);
int  tui_input_split(char *line, char **words, int max);
int  tui_input_split_n(char *line, char **words, int max);

#endif
