/*
 * fuzz-config: a settings file through bus_config_load_file(), twice: with
 * the console's own table (tui-opts: [endpoints], [curve], [console], and
 * [keys] through the real tui_keys_bind()) and with the hub's (bus-hubopts:
 * [endpoints], [hub], [curve]). The tables are the programs' own, so every
 * setting they gain is fuzzed the day it lands; between them every enum
 * bus_opt_type has a row a file can set, but BUS_OPT_U64 (the console's
 * seed, command line only).
 *
 * Input: the file's bytes, as they are (read through fmemopen()).
 *
 * Besides crashes and leaks, it checks what bus-config.h promises: every
 * error is one line "path:line: ..." (the count returned is the number of
 * lines written), and every value taken is within its row's type and
 * limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-config.h"
#include "bus-endpoint.h"
#include "bus-hubopts.h"
#include "tui-keys.h"
#include "tui-opts.h"
#include "xmalloc.h"

#define PATH "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every line of ERR starts with "PATH:N: ", N a line number; their count. */
static size_t
error_lines(const char *err, size_t len)
{
	size_t n = 0;

	for (const char *p = err; p < err + len; n++) {
		const char *nl = memchr(p, '\n', (size_t)(err + len - p));
		char *end;
		if (nl == NULL || strncmp(p, PATH ":", strlen(PATH ":")) != 0 ||
		    strtol(p + strlen(PATH ":"), &end, 10) < 1 || strncmp(end, ": ", 2) != 0)
			abort();
		p = nl + 1;
	}
	return n;
}

static int
endpoint_ok(const char *ep)
{
	return strncmp(ep, "tcp://", 6) == 0 || strncmp(ep, "ipc://", 6) == 0 ||
	    strncmp(ep, "inproc://", 9) == 0;
}

static int
choice_ok(const char *v, const char *const *choices)
{
	for (; *choices != NULL; choices++) {
		if (strcmp(v, *choices) == 0)
			return 1;
	}
	return 0;
}

/* Is every setting SETTINGS holds within its row's type and limits? */
static int
values_ok(const struct bus_opt *opts, size_t n, const void *settings)
{
	for (size_t i = 0; i < n; i++) {
		const struct bus_opt *o = &opts[i];
		const char *field = (const char *)settings + o->offset;
		const char *str = NULL;
		int v = 0;
		/* Read each field as its type: an int is not a pointer. */
		if (o->type == BUS_OPT_STRING || o->type == BUS_OPT_ENDPOINT ||
		    o->type == BUS_OPT_CHOICE)
			str = *(const char *const *)field;
		else if (o->type != BUS_OPT_U64)
			v = *(const int *)field;
		switch (o->type) {
		case BUS_OPT_STRING:
			if (str != NULL && *str == '\0')
				return 0;
			break;
		case BUS_OPT_ENDPOINT:
			if (str != NULL && !endpoint_ok(str))
				return 0;
			break;
		case BUS_OPT_CHOICE:
			if (str != NULL && !choice_ok(str, o->choices))
				return 0;
			break;
		case BUS_OPT_INT:
		case BUS_OPT_SECONDS:
			if (v < o->min || v > o->max)
				return 0;
			break;
		case BUS_OPT_BOOL:
			if (v != 0 && v != 1)
				return 0;
			break;
		case BUS_OPT_U64:
			break;
		}
	}
	return 1;
}

/* Load the input with one program's table: the invariants, or abort(). */
static void
load_with(const uint8_t *data, size_t size, struct bus_cli *cli)
{
	char *copy, *err = NULL;
	size_t errlen = 0;
	FILE *f, *ferr;

	/* fmemopen() wants a buffer it may write to. */
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	f = fmemopen(copy, size, "r");
	ferr = open_memstream(&err, &errlen);
	if (f == NULL || ferr == NULL)
		abort();
	int errors = bus_config_load_file(cli, f, PATH, ferr);
	fclose(f);
	fclose(ferr);
	if (errors < 0 || error_lines(err, errlen) != (size_t)errors ||
	    !values_ok(cli->opts, cli->nopts, cli->settings))
		abort();
	bus_cli_free(cli);
	free(err);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The defaults as the programs set them. */
	struct tui_opts console = {
		.events = BUS_DEFAULT_EVENTS, .control = BUS_DEFAULT_CONTROL,
		.ingest = BUS_DEFAULT_INGEST, .theme = "dark", .fps = 20,
	};
	struct bus_cli console_cli = {
		.prog = "fuzz", .synopsis = "", .opts = tui_opts_table, .nopts = tui_opts_count,
		.settings = &console, .extra = tui_opts_sections, .nextra = tui_opts_nsections,
	};
	struct bus_hubopts hub;
	struct bus_cli hub_cli = {
		.prog = "fuzz", .synopsis = "", .opts = bus_hubopts_table,
		.nopts = bus_hubopts_count, .settings = &hub,
	};

	tui_keys_reset();
	load_with(data, size, &console_cli);
	bus_hubopts_defaults(&hub);
	load_with(data, size, &hub_cli);
	return 0;
}
