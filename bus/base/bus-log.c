/*
 * The log is for whoever runs the process: one line per record, UTC time,
 * level, message. Operators of the console never see it on their terminal;
 * it goes to stderr for daemons and to a file when one is given. Records
 * are buffered and written once per loop turn (bus_log_flush), so that a
 * busy hub's debug log costs memory copies, not a system call per line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus-log.h"
#include "bus-time.h"
#include "xmalloc.h"

static FILE *log_file;
static int log_is_verbose;
static char log_stderr_buf[64 * 1024];

static const char *const log_level_names[] = {
	[BUS_LOG_DEBUG] = "debug",
	[BUS_LOG_INFO] = "info",
	[BUS_LOG_WARN] = "warn",
	[BUS_LOG_ERROR] = "error",
};

/* Send the log to PATH (NULL for stderr); VERBOSE enables debug records. */
int
bus_log_open(const char *path, int verbose, char **cause)
{
	log_is_verbose = verbose;
	if (path == NULL) {
		setvbuf(stderr, log_stderr_buf, _IOFBF, sizeof log_stderr_buf);
		return 0;
	}
	FILE *f = fopen(path, "a");
	if (f == NULL) {
		xasprintf(cause, "cannot open log file %s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOFBF, 64 * 1024);
	log_file = f;
	return 0;
}

void
bus_log_flush(void)
{
	fflush(log_file != NULL ? log_file : stderr);
}

void
bus_log_close(void)
{
	bus_log_flush();
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

int
bus_log_verbose(void)
{
	return log_is_verbose;
}

void
bus_log(enum bus_log_level level, const char *fmt, ...)
{
	FILE *f = log_file != NULL ? log_file : stderr;
	char stamp[BUS_TIME_LEN];
	va_list ap;

	bus_time_format(bus_time_now_ms(), stamp);
	fprintf(f, "%s %s: ", stamp, log_level_names[level]);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	/* Errors go out at once: they may be the last words of the process. */
	if (level == BUS_LOG_ERROR)
		fflush(f);
}

int
bus_log_limited(struct bus_log_limit *l)
{
	long long second = bus_time_mono_ms() / 1000;

	if (second != l->second) {
		if (l->suppressed > 0)
			bus_log(BUS_LOG_WARN, "%s: %d more not logged", l->what, l->suppressed);
		l->second = second;
		l->logged = l->suppressed = 0;
	}
	if (l->logged++ < l->per_second)
		return 1;
	l->suppressed++;
	return 0;
}
