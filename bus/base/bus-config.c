/*
 * Settings: the command line and the INI file through one table (see
 * bus-config.h). libinih does the INI syntax; this file adds what it
 * leaves to its caller: line numbers (counted by our own line reader),
 * every error rather than the first, lines too long for its buffer,
 * indented lines (which libinih would silently join to the value above),
 * and the types and limits of each setting.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus-config.h"
#include "xmalloc.h"

/* ------------------------------------------------------------------ */
/* One value. */

/* A value quoted in an error, with anything unprintable shown as '?'. */
static void
quote_value(char *out, size_t size, const char *value)
{
	size_t i;

	for (i = 0; value[i] != '\0' && i + 1 < size; i++)
		out[i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ? '?' : value[i];
	out[i] = '\0';
}

static int
endpoint_valid(const char *v)
{
	static const char *const schemes[] = { "tcp://", "ipc://", "inproc://", NULL };
	size_t n;

	for (const char *const *s = schemes; *s != NULL; s++) {
		n = strlen(*s);
		if (strncmp(v, *s, n) != 0 || v[n] == '\0')
			continue;
		if (strcmp(*s, "tcp://") != 0)
			return 1;
		/* tcp://HOST:PORT, the port a number or '*' */
		const char *colon = strrchr(v + n, ':');
		if (colon == NULL || colon == v + n || colon[1] == '\0')
			return 0;
		if (strcmp(colon + 1, "*") == 0)
			return 1;
		for (const char *p = colon + 1; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p))
				return 0;
		}
		return 1;
	}
	return 0;
}

static int
bool_value(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	for (int i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

static char *
keep(struct bus_cli *cli, const char *value)
{
	cli->owned = xrealloc(cli->owned, (cli->nowned + 1) * sizeof *cli->owned);
	return cli->owned[cli->nowned++] = xstrdup(value);
}

int
bus_opt_set(struct bus_cli *cli, const struct bus_opt *o, const char *value, char **cause)
{
	char *field = (char *)cli->settings + o->offset, *end, q[80];
	long long n;
	int b;

	quote_value(q, sizeof q, value);
	if (o->type != BUS_OPT_BOOL && *value == '\0') {
		xasprintf(cause, "%s needs a value", o->name);
		return -1;
	}
	switch (o->type) {
	case BUS_OPT_STRING:
		*(const char **)field = keep(cli, value);
		return 0;
	case BUS_OPT_ENDPOINT:
		if (!endpoint_valid(value)) {
			xasprintf(cause, "%s takes a ZeroMQ endpoint (tcp://HOST:PORT, ipc://PATH "
			    "or inproc://NAME), not '%s'", o->name, q);
			return -1;
		}
		*(const char **)field = keep(cli, value);
		return 0;
	case BUS_OPT_CHOICE:
		for (int i = 0; o->choices[i] != NULL; i++) {
			if (strcmp(value, o->choices[i]) == 0) {
				*(const char **)field = keep(cli, value);
				return 0;
			}
		}
		char list[256] = "";
		for (int i = 0; o->choices[i] != NULL; i++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", i == 0 ? "" :
			    o->choices[i + 1] == NULL ? " or " : ", ", o->choices[i]);
		}
		xasprintf(cause, "%s takes %s, not '%s'", o->name, list, q);
		return -1;
	case BUS_OPT_INT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno != 0 || *end != '\0' || n < o->min || n > o->max) {
			xasprintf(cause, "%s takes a whole number from %lld to %lld, not '%s'",
			    o->name, o->min, o->max, q);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case BUS_OPT_U64:
		errno = 0;
		unsigned long long u = strtoull(value, &end, 10);
		if (errno != 0 || *end != '\0' || !isdigit((unsigned char)value[0])) {
			xasprintf(cause, "%s takes a whole number, not '%s'", o->name, q);
			return -1;
		}
		*(uint64_t *)field = (uint64_t)u;
		return 0;
	case BUS_OPT_SECONDS: {
		errno = 0;
		double s = strtod(value, &end);
		double ms = s * 1000.0;
		if (errno != 0 || *end != '\0' || !isfinite(s) || ms < (double)o->min ||
		    ms > (double)o->max) {
			xasprintf(cause, "%s takes seconds from %g to %g, not '%s'", o->name,
			    (double)o->min / 1000.0, (double)o->max / 1000.0, q);
			return -1;
		}
		*(int *)field = (int)llround(ms);
		return 0;
	}
	case BUS_OPT_BOOL:
		if (bool_value(value, &b) != 0) {
			xasprintf(cause, "%s takes yes or no, not '%s'", o->name, q);
			return -1;
		}
		*(int *)field = b;
		return 0;
	}
	xasprintf(cause, "%s: unknown type", o->name);
	return -1;
}

/* ------------------------------------------------------------------ */
/* A file. */

struct load {
	struct bus_cli *cli;
	const char *path;
	FILE *f, *err;
	char raw[512];     /* the physical line being parsed, as read */
	int line;          /* its number */
	int skip;          /* already reported (too long, bad syntax): ignore it */
	int lost_section;  /* after a broken [section: its lines are not checked */
	int *set_on;       /* the line each row was set on in this file, or 0 */
	int errors;
};

static void __attribute__((format(printf, 2, 3)))
load_error(struct load *l, const char *fmt, ...)
{
	va_list ap;

	fprintf(l->err, "%s:%d: ", l->path, l->line);
	va_start(ap, fmt);
	vfprintf(l->err, fmt, ap);
	va_end(ap);
	fputc('\n', l->err);
	l->errors++;
}

static const char *
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/*
 * libinih's line reader, counting lines so that every error can name its
 * line. It also checks what libinih would take silently or stop at: a line
 * longer than its buffer (it would parse the rest as another line) and a
 * line that is neither a section, a setting, a comment nor blank (it
 * reports only the first).
 */
static char *
load_read(char *buf, int size, void *arg)
{
	struct load *l = arg;
	int n = 0, ch = EOF, nul = 0, over = 0;

	/* One whole physical line, read by byte: fgets() and strlen() would
	 * cut it at a NUL byte and take the rest for the next line. What does
	 * not fit libinih's buffer is dropped, and said. */
	while ((ch = getc(l->f)) != EOF) {
		if (ch == '\n') {
			buf[n++] = '\n';
			break;
		}
		if (ch == '\0')
			nul = 1;
		else if (n < size - 2)
			buf[n++] = (char)ch;
		else
			over = 1;
	}
	if (n == 0 && ch == EOF && !nul && !over)
		return NULL;
	buf[n] = '\0';
	l->line++;
	l->skip = 0;
	/* libinih skips a UTF-8 byte order mark at the start; so do we. */
	snprintf(l->raw, sizeof l->raw, "%s", l->line == 1 &&
	    strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? buf + 3 : buf);
	const char *s = trim(l->raw);
	if (nul) {
		load_error(l, "line holds a NUL byte; settings are text");
		l->skip = 1;
		return buf;
	}
	if (over) {
		if (*s != ';' && *s != '#') {
			load_error(l, "line is longer than %d characters", size - 2);
			l->skip = 1;
		}
		return buf;
	}
	if (*s == '\0' || *s == ';' || *s == '#')
		return buf;
	if (*s == '[')
		l->lost_section = strchr(s, ']') == NULL;
	if (*s == '[' ? strchr(s, ']') == NULL : strpbrk(s, "=:") == NULL) {
		load_error(l, *s == '[' ? "a section name needs its closing ']'" :
		    "expected NAME = VALUE, a [section], or a comment starting with ';' or '#'");
		l->skip = 1;
	}
	return buf;
}

static const struct bus_opt *
find_opt(const struct bus_cli *cli, const char *section, const char *name)
{
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct bus_opt *o = &cli->opts[i];
		if (o->section != NULL && strcmp(o->name, name) == 0 &&
		    (section == NULL || strcmp(o->section, section) == 0))
			return o;
	}
	return NULL;
}

static int
section_known(const struct bus_cli *cli, const char *section)
{
	for (size_t i = 0; i < cli->nopts; i++) {
		if (cli->opts[i].section != NULL && strcmp(cli->opts[i].section, section) == 0)
			return 1;
	}
	for (size_t i = 0; i < cli->nextra; i++) {
		if (strcmp(cli->extra[i].name, section) == 0)
			return 1;
	}
	return 0;
}

/* Add "[name]" to a list of sections, once. */
static void
section_list(char *list, size_t size, const char *name)
{
	char item[64];
	size_t used = strlen(list);

	snprintf(item, sizeof item, "[%s]", name);
	if (strstr(list, item) == NULL)
		snprintf(list + used, size - used, "%s%s", used ? " " : "", item);
}

/* "unknown key": with where it belongs, or what the section takes. */
static void
load_unknown(struct load *l, const char *section, const char *name)
{
	const struct bus_cli *cli = l->cli;
	const struct bus_opt *elsewhere = find_opt(cli, NULL, name);
	char q[80], list[512] = "", sections[256] = "";

	quote_value(q, sizeof q, name);
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct bus_opt *o = &cli->opts[i];
		size_t used;
		if (o->section == NULL)
			continue;
		if (strcmp(o->section, section) == 0) {
			used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", o->name);
		}
		section_list(sections, sizeof sections, o->section);
	}
	for (size_t i = 0; i < cli->nextra; i++)
		section_list(sections, sizeof sections, cli->extra[i].name);
	if (*section == '\0')
		load_error(l, "'%s' is outside any section; settings go under %s", q, sections);
	else if (!section_known(cli, section)) {
		quote_value(q, sizeof q, section);
		load_error(l, "unknown section [%s]; %s takes %s", q, cli->prog, sections);
	} else if (elsewhere != NULL)
		load_error(l, "'%s' belongs in [%s], not [%s]", q, elsewhere->section, section);
	else
		load_error(l, "unknown key '%s' in [%s] (it takes: %s)", q, section, list);
}

static int
load_entry(void *arg, const char *section, const char *name, const char *value)
{
	struct load *l = arg;
	struct bus_cli *cli = l->cli;
	char *cause = NULL;

	/* Under a broken section header libinih still files lines in the
	 * section before it: their errors would only be knock-on ones. */
	if (l->skip || l->lost_section)
		return 1;
	/* An indented line is joined by libinih to the value above it, as
	 * Python's configparser does. No setting here takes several lines, so
	 * it can only be a mistake: say so rather than mangle that value. */
	if (isspace((unsigned char)l->raw[0]) && strcmp(value, trim(l->raw)) == 0) {
		load_error(l, "an indented line continues the value of '%s' above it; remove "
		    "the indentation", name);
		return 1;
	}
	for (const char *const *s = cli->ignore; s != NULL && *s != NULL; s++) {
		if (strcmp(section, *s) == 0)
			return 1;
	}
	for (size_t i = 0; i < cli->nextra; i++) {
		if (strcmp(section, cli->extra[i].name) == 0) {
			if (cli->extra[i].set(cli->extra[i].arg, name, value, &cause) != 0) {
				load_error(l, "%s", cause);
				free(cause);
			}
			return 1;
		}
	}
	const struct bus_opt *o = find_opt(cli, section, name);
	if (o == NULL) {
		load_unknown(l, section, name);
		return 1;
	}
	size_t i = (size_t)(o - cli->opts);
	if (l->set_on[i] != 0) {
		load_error(l, "%s is already set on line %d", name, l->set_on[i]);
		return 1;
	}
	l->set_on[i] = l->line;
	if (bus_opt_set(cli, o, value, &cause) != 0) {
		load_error(l, "%s", cause);
		free(cause);
	}
	return 1;
}

int
bus_config_load(struct bus_cli *cli, const char *path, int must_exist, FILE *err)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	cli->config_path = path;
	int errors = bus_config_load_file(cli, f, path, err);
	fclose(f);
	return errors;
}

int
bus_config_load_file(struct bus_cli *cli, FILE *f, const char *path, FILE *err)
{
	struct load l;

	memset(&l, 0, sizeof l);
	l.cli = cli;
	l.path = path;
	l.err = err;
	l.f = f;
	l.set_on = xcalloc(cli->nopts + 1, sizeof *l.set_on);
	int rc = ini_parse_stream(load_read, &l, load_entry, &l);
	/* Our reader has reported every syntax error libinih can find; its own
	 * return value adds only failures of its own. */
	if (rc < 0) {
		fprintf(err, "%s: cannot parse: out of memory\n", path);
		l.errors++;
	} else if (ferror(l.f)) {
		fprintf(err, "%s: read error\n", path);
		l.errors++;
	}
	free(l.set_on);
	return l.errors;
}

/* ------------------------------------------------------------------ */
/* The command line. */

enum { LONG_CONFIG = 0x10000, LONG_CHECK, LONG_FIRST_OPT };

static struct option *
build_long_options(const struct bus_cli *cli, char *shorts, size_t size)
{
	struct option *lo = xcalloc(cli->nopts + 5, sizeof *lo);
	size_t n = 0, used;

	used = (size_t)snprintf(shorts, size, "%shV", cli->stop_at_command ? "+" : "");
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct bus_opt *o = &cli->opts[i];
		int has_arg = o->type == BUS_OPT_BOOL ? no_argument : required_argument;
		lo[n++] = (struct option){ o->name, has_arg, NULL, LONG_FIRST_OPT + (int)i };
		if (o->short_name != 0 && used + 3 < size) {
			shorts[used++] = (char)o->short_name;
			if (has_arg == required_argument)
				shorts[used++] = ':';
			shorts[used] = '\0';
		}
	}
	lo[n++] = (struct option){ "config", required_argument, NULL, LONG_CONFIG };
	lo[n++] = (struct option){ "check-config", no_argument, NULL, LONG_CHECK };
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	return lo;
}

static const struct bus_opt *
opt_by_short(const struct bus_cli *cli, int c)
{
	for (size_t i = 0; i < cli->nopts; i++) {
		if (cli->opts[i].short_name == c)
			return &cli->opts[i];
	}
	return NULL;
}

int
bus_cli_parse(struct bus_cli *cli, int argc, char **argv)
{
	char shorts[64], *cause = NULL;
	struct option *lo = build_long_options(cli, shorts, sizeof shorts);
	const char *config = NULL;
	int c, rc = BUS_CLI_EXIT_USAGE, check = 0;

	/* First --config, --help and --version: help must work whatever the
	 * file says, and the file comes before the flags that override it. */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == LONG_CONFIG)
			config = optarg;
		else if (c == LONG_CHECK)
			check = 1;
		else if (c == 'h') {
			bus_cli_usage(cli, stdout);
			rc = BUS_CLI_EXIT_OK;
			goto out;
		} else if (c == 'V') {
			printf("%s %s\n", cli->prog, WATCHFLOOR_VERSION);
			rc = BUS_CLI_EXIT_OK;
			goto out;
		}
	}
	const char *path = config != NULL ? config : cli->default_config;
	if (path != NULL) {
		int errors = bus_config_load(cli, path, config != NULL, stderr);
		if (errors > 0) {
			fprintf(stderr, "%s: %d error%s in %s; not starting\n", cli->prog, errors,
			    errors == 1 ? "" : "s", path);
			goto out;
		}
	}

	opterr = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct bus_opt *o = c >= LONG_FIRST_OPT ? &cli->opts[c - LONG_FIRST_OPT] :
		    opt_by_short(cli, c);
		if (c == LONG_CONFIG || c == LONG_CHECK)
			continue;
		if (o == NULL) {
			fprintf(stderr, "Try '%s --help'.\n", cli->prog);
			goto out;
		}
		if (bus_opt_set(cli, o, o->type == BUS_OPT_BOOL ? "yes" : optarg, &cause) != 0) {
			fprintf(stderr, "%s: --%s\n", cli->prog, cause);
			free(cause);
			goto out;
		}
	}
	if (!cli->stop_at_command && optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help'.\n", cli->prog,
		    argv[optind], cli->prog);
		goto out;
	}
	rc = optind;
	cli->check_only = check;
out:
	free(lo);
	return rc;
}

void
bus_cli_usage(const struct bus_cli *cli, FILE *f)
{
	char left[64];
	int column = 0;

	/* The help column: two spaces past the widest option, within reason. */
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct bus_opt *o = &cli->opts[i];
		int w = 4 + (o->short_name ? 4 : 0) + (int)strlen(o->name) +
		    (o->arg ? 1 + (int)strlen(o->arg) : 0) + 2;
		if (w > column)
			column = w;
	}
	column = column < 18 ? 18 : column > 28 ? 28 : column;

	fputs(cli->synopsis, f);
	fputs("\nOptions:\n", f);
	for (size_t i = 0; i < cli->nopts + 4; i++) {
		const struct bus_opt *o = i < cli->nopts ? &cli->opts[i] : NULL;
		char help[512];
		if (o != NULL) {
			char s[8] = "";
			if (o->short_name != 0)
				snprintf(s, sizeof s, "-%c, ", o->short_name);
			snprintf(left, sizeof left, "  %s--%s%s%s", s, o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
			snprintf(help, sizeof help, "%s", o->help);
		} else if (i == cli->nopts) {
			snprintf(left, sizeof left, "  --config FILE");
			if (cli->default_config != NULL)
				snprintf(help, sizeof help, "read settings from FILE; options override "
				    "them\n(default %s,\nwhen it exists)", cli->default_config);
			else
				snprintf(help, sizeof help, "read settings from FILE; options override "
				    "them");
		} else if (i == cli->nopts + 1) {
			snprintf(left, sizeof left, "  --check-config");
			snprintf(help, sizeof help, "check the settings, say what is wrong, and exit");
		} else if (i == cli->nopts + 2) {
			snprintf(left, sizeof left, "  -h, --help");
			snprintf(help, sizeof help, "show this help");
		} else {
			snprintf(left, sizeof left, "  -V, --version");
			snprintf(help, sizeof help, "show the version");
		}
		/* The help's lines, the first beside the option or under it when
		 * the option is too wide. */
		int pad = column - (int)strlen(left);
		fputs(left, f);
		if (pad < 1) {
			fputc('\n', f);
			pad = column;
		}
		for (char *line = help, *next; line != NULL; line = next) {
			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			fprintf(f, "%*s%s\n", pad, "", line);
			pad = column;
		}
	}
	if (cli->epilogue != NULL) {
		fputc('\n', f);
		fputs(cli->epilogue, f);
	}
	if (cli->more_help != NULL)
		cli->more_help(f);
}

int
bus_cli_check_done(const struct bus_cli *cli)
{
	if (!cli->check_only)
		return 0;
	printf("%s: settings are valid (%s%s)\n", cli->prog, cli->config_path ?
	    "read from " : "no file read", cli->config_path ? cli->config_path : "");
	return 1;
}

void
bus_cli_free(struct bus_cli *cli)
{
	for (size_t i = 0; i < cli->nowned; i++)
		free(cli->owned[i]);
	free(cli->owned);
	cli->owned = NULL;
	cli->nowned = 0;
}

char *
bus_config_xdg_path(const char *var, const char *fallback, const char *name)
{
	const char *dir = getenv(var), *home = getenv("HOME");
	char *path;

	/* The XDG spec: a relative or empty value is to be ignored. */
	if (dir != NULL && dir[0] == '/')
		xasprintf(&path, "%s/watchfloor/%s", dir, name);
	else
		xasprintf(&path, "%s/%s/watchfloor/%s", home != NULL && *home != '\0' ? home : ".",
		    fallback, name);
	return path;
}
