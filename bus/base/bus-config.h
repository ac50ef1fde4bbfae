/*
 * Settings from the command line and from an INI file, described once.
 *
 * Each program has one table of its settings. A row names the setting as
 * both its flag (--name) and its key in the file ([section] name = value),
 * gives its type and limits, where its value lives in the program's
 * settings struct, and its line in --help. The order is: defaults (the
 * struct as the program fills it), then the file (--config FILE, else the
 * program's default file when it exists), then the flags, which win.
 *
 * Files are read with libinih. Every mistake in a file is reported as
 * "file:line: what is wrong", all of them at once, and the program refuses
 * to start: a watch floor console that silently ignored a typo in its hub
 * endpoint would show an empty floor and look healthy.
 */
#ifndef BUS_CONFIG_H
#define BUS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum bus_opt_type {
	BUS_OPT_STRING,   /* const char *, owned by the cli (freed by bus_cli_free) */
	BUS_OPT_ENDPOINT, /* const char *, a ZeroMQ endpoint: tcp://, ipc:// or inproc:// */
	BUS_OPT_CHOICE,   /* const char *, one of the row's choices */
	BUS_OPT_INT,      /* int, a whole number from min to max */
	BUS_OPT_U64,      /* uint64_t, any whole number */
	BUS_OPT_SECONDS,  /* int milliseconds, written as seconds ("2.5"); min..max in ms */
	BUS_OPT_BOOL,     /* int 0/1; a flag without a value on the command line */
};

struct bus_opt {
	const char *name;       /* --name, and the key in the file */
	const char *section;    /* its section in the file; NULL: command line only */
	int short_name;         /* -v, or 0 */
	enum bus_opt_type type;
	size_t offset;          /* offsetof(the program's settings, the field) */
	long long min, max;     /* BUS_OPT_INT, BUS_OPT_SECONDS */
	const char *const *choices; /* BUS_OPT_CHOICE, NULL-terminated */
	const char *arg;        /* how --help shows the value: "EP", "FILE" */
	const char *help;       /* --help's text; '\n' continues on the next line */
};

/* A section the table does not describe, whose keys the program takes
 * itself: the console's [keys], where every action of the key map is a key.
 * set() returns 0, or -1 with a sentence in *cause. */
struct bus_config_section {
	const char *name;
	int (*set)(void *arg, const char *key, const char *value, char **cause);
	void *arg;
};

struct bus_cli {
	const char *prog;              /* "watchd": messages start with it */
	const char *synopsis;          /* --help: what comes before the options */
	const char *epilogue;          /* --help: what comes after them */
	void (*more_help)(FILE *);     /* --help: then this, if set (watchctl's commands) */
	const struct bus_opt *opts;
	size_t nopts;
	void *settings;                /* the struct the rows' offsets point into */
	const char *default_config;    /* read when it exists; may be NULL */
	const struct bus_config_section *extra; /* sections handled by the program */
	size_t nextra;
	const char *const *ignore;     /* other programs' sections in a shared file */
	int stop_at_command;           /* options end at the first word (watchctl) */

	/* Filled in by bus_cli_parse. */
	const char *config_path;       /* the file read, or NULL */
	int check_only;                /* --check-config: validate, then exit */
	char **owned;                  /* strings the settings point at */
	size_t nowned;
};

enum { BUS_CLI_EXIT_OK = -1, BUS_CLI_EXIT_USAGE = -2 };

/*
 * Parse argv: --config and the file first, then the flags. Returns the
 * index of the first word that is not an option (argc when there is none);
 * BUS_CLI_EXIT_OK when --help or --version was answered; BUS_CLI_EXIT_USAGE
 * when something was wrong, after saying what on stderr.
 */
int bus_cli_parse(struct bus_cli *, int argc, char **argv);
/* After the program's own checks of the settings: under --check-config,
 * say they are valid and return 1 (exit 0); else 0 (go on). */
int bus_cli_check_done(const struct bus_cli *);

/* Read one file into the settings. Returns the number of errors, each
 * written to ERR as "path:line: ..."; a missing file is an error only when
 * MUST_EXIST. */
int bus_config_load(struct bus_cli *, const char *path, int must_exist, FILE *err);
/* The same from an open file, named PATH in the errors. */
int bus_config_load_file(struct bus_cli *, FILE *, const char *path, FILE *err);

/* Set one setting from text: a file's value or a flag's argument. */
int bus_opt_set(struct bus_cli *, const struct bus_opt *, const char *value, char **cause);

void bus_cli_usage(const struct bus_cli *, FILE *);
void bus_cli_free(struct bus_cli *);

/* $VAR/watchfloor/NAME, or $HOME/FALLBACK/watchfloor/NAME when VAR is
 * unset or empty (the XDG base directories). Allocated. */
char *bus_config_xdg_path(const char *var, const char *fallback, const char *name);

#endif
