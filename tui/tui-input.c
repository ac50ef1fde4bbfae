#include <curses.h>
#include <string.h>

#include "tui-input.h"

void
tui_input_start(struct tui_input *in, const char *prompt, const char *text)
{
	memset(in, 0, sizeof *in);
	strncpy(in->prompt, prompt, sizeof in->prompt - 1);
	if (text != NULL) {
		strncpy(in->buf, text, TUI_INPUT_MAX);
		in->len = in->cursor = strlen(in->buf);
	}
}

static size_t
input_prev_char(const struct tui_input *in, size_t at)
{
	while (at > 0 && (in->buf[--at] & 0xc0) == 0x80)
		;
	return at;
}

static size_t
input_next_char(const struct tui_input *in, size_t at)
{
	if (at < in->len)
		at++;
	while (at < in->len && (in->buf[at] & 0xc0) == 0x80)
		at++;
	return at;
}

static void
input_insert(struct tui_input *in, const char *s, size_t n)
{
	if (in->len + n > TUI_INPUT_MAX)
		return;
	memmove(in->buf + in->cursor + n, in->buf + in->cursor, in->len - in->cursor + 1);
	memcpy(in->buf + in->cursor, s, n);
	in->len += n;
	in->cursor += n;
}

/* Where the word under the cursor starts, and its number in the line. */
static size_t
input_word_start(const struct tui_input *in, int *word)
{
	size_t start = in->cursor;
	int n = 0;

	while (start > 0 && in->buf[start - 1] != ' ')
		start--;
	for (size_t i = 0; i < start; i++) {
		if (in->buf[i] != ' ' && (i == 0 || in->buf[i - 1] == ' '))
			n++;
	}
	*word = n;
	return start;
}

/* Complete the word under the cursor: the single match in full, or the
 * longest prefix the matches share; when that adds nothing, list the
 * matches (as a shell does on a second Tab), or say there are none. */
static void
input_complete(struct tui_input *in, tui_input_complete complete, void *arg)
{
	const char *cands[64];
	char prefix[TUI_INPUT_MAX + 1];
	int word;
	size_t start = input_word_start(in, &word);

	memcpy(prefix, in->buf + start, in->cursor - start);
	prefix[in->cursor - start] = '\0';
	int n = complete(arg, in->buf, word, prefix, cands, 64);
	if (n <= 0) {
		snprintf(in->listed, sizeof in->listed, "nothing to complete here");
		return;
	}
	size_t common = strlen(cands[0]);
	for (int i = 1; i < n; i++) {
		size_t k = 0;
		while (k < common && cands[i][k] == cands[0][k])
			k++;
		common = k;
	}
	if (common > strlen(prefix))
		input_insert(in, cands[0] + strlen(prefix), common - strlen(prefix));
	else if (n > 1) {
		size_t used = 0;
		for (int i = 0; i < n && used < sizeof in->listed; i++)
			used += (size_t)snprintf(in->listed + used, sizeof in->listed - used, "%s%s",
			    i > 0 ? "  " : "", cands[i]);
	}
	if (n == 1 && (in->cursor == in->len || in->buf[in->cursor] != ' '))
		input_insert(in, " ", 1);
}

/* Apply one key. KEY is a curses key code, or 0 with UTF8 one typed
 * character (as get_wch gives it, encoded). */
enum tui_input_result
tui_input_key(struct tui_input *in, int key, const char *utf8, tui_input_complete complete,
    void *arg)
{
	size_t at;

	in->listed[0] = '\0'; /* a listing stays until the next key */
	switch (key) {
	case 0:
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		return INPUT_DONE;
	case 27:
		return INPUT_CANCEL;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (in->cursor == 0)
			return in->len == 0 ? INPUT_CANCEL : INPUT_IGNORED;
		at = input_prev_char(in, in->cursor);
		memmove(in->buf + at, in->buf + in->cursor, in->len - in->cursor + 1);
		in->len -= in->cursor - at;
		in->cursor = at;
		return INPUT_EDITED;
	case KEY_DC:
		if (in->cursor == in->len)
			return INPUT_IGNORED;
		at = input_next_char(in, in->cursor);
		memmove(in->buf + in->cursor, in->buf + at, in->len - at + 1);
		in->len -= at - in->cursor;
		return INPUT_EDITED;
	case KEY_LEFT:
		in->cursor = input_prev_char(in, in->cursor);
		return INPUT_MOVED;
	case KEY_RIGHT:
		in->cursor = input_next_char(in, in->cursor);
		return INPUT_MOVED;
	case KEY_HOME:
	case 1: /* C-a */
		in->cursor = 0;
		return INPUT_MOVED;
	case KEY_END:
	case 5: /* C-e */
		in->cursor = in->len;
		return INPUT_MOVED;
	case 21: /* C-u: erase to the start */
		memmove(in->buf, in->buf + in->cursor, in->len - in->cursor + 1);
		in->len -= in->cursor;
		in->cursor = 0;
		return INPUT_EDITED;
	case '\t':
		if (complete == NULL)
			return INPUT_IGNORED;
		input_complete(in, complete, arg);
		return INPUT_EDITED;
	default:
		return INPUT_IGNORED;
	}
	if (utf8 == NULL || (unsigned char)utf8[0] < 0x20 || utf8[0] == 0x7f)
		return INPUT_IGNORED;
	input_insert(in, utf8, strlen(utf8));
	return INPUT_EDITED;
}

static int
tui_input_split_words(char *line, char **words, int max, int rest)
{
	int n = 0;
	char *p = line, *out;

	while (*p != '\0' && n < max) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (rest && n == max - 1) {
			/* The remainder as typed; only quotes around the whole of it
			 * go, as they would in a shell ("Pump PLC reflashed"). */
			size_t len = strlen(p);
			while (len > 0 && p[len - 1] == ' ')
				p[--len] = '\0';
			if (len >= 2 && p[0] == '"' && p[len - 1] == '"' &&
			    memchr(p + 1, '"', len - 2) == NULL) {
				p[len - 1] = '\0';
				p++;
			}
			words[n++] = p;
			break;
		}
		words[n++] = out = p;
		int quoted = 0;
		while (*p != '\0' && (quoted || *p != ' ')) {
			if (*p == '"')
				quoted = !quoted;
			else
				*out++ = *p;
			p++;
		}
		if (*p != '\0')
			p++;
		*out = '\0';
	}
	return n;
}

/* Split LINE in place into at most MAX words: spaces separate, and
 * "double quotes" keep spaces in a word. Returns the count. */
int
tui_input_split(char *line, char **words, int max)
{
	return tui_input_split_words(line, words, max, 0);
}

/* The same, but the MAXth word is the rest of the line as typed. */
int
tui_input_split_n(char *line, char **words, int max)
{
	return tui_input_split_words(line, words, max, 1);
}
