/*
 * Running the product programs under memcheck (test-valgrind.h).
 *
 * The options are memcheck's strictest: every read or write of memory
 * that is freed or unallocated, and every use of an uninitialised value,
 * is an error, with the origin of the uninitialised memory tracked (it
 * costs the suite little: it waits on the programs more than they work).
 * So is every block left at exit that is definitely lost (no pointer
 * reaches it), indirectly lost (reached only from such a block) or even
 * possibly lost (reached only through a pointer into its middle): the
 * programs end their ZeroMQ contexts, which joins libzmq's threads, and
 * free what they allocated, so no block of theirs is left in doubt, and
 * one that is would be a leak that happens to be misaligned. "Still
 * reachable" blocks are not errors and are not listed: at exit they are
 * the terminfo entry ncurses keeps for the life of the process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test-valgrind.h"

#ifndef TEST_VALGRIND_SUPP
#error "TEST_VALGRIND_SUPP must name the suppressions file"
#endif
#ifndef TEST_VALGRIND_LOGS
#error "TEST_VALGRIND_LOGS must name the default directory of the logs"
#endif

extern char *program_invocation_short_name;

static int failures;

int
test_valgrind_on(void)
{
	const char *v = getenv("WATCHFLOOR_VALGRIND");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

int
test_valgrind_ms(int ms)
{
	if (!test_valgrind_on() || ms <= 0)
		return ms;
	const char *v = getenv("WATCHFLOOR_VALGRIND_SLOWER");
	long factor = v != NULL ? strtol(v, NULL, 10) : TEST_VALGRIND_SLOWER;
	if (factor < 1)
		factor = 1;
	long long scaled = (long long)ms * factor;
	return scaled > 24 * 3600 * 1000LL ? 24 * 3600 * 1000 : (int)scaled;
}

/* The programs under test, by the last part of their path. */
static int
is_product(const char *path)
{
	static const char *const names[] = { "watchfloor", "watchd", "watchctl" };
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(base, names[i]) == 0)
			return 1;
	return 0;
}

int
test_valgrind_wraps(const char *const *argv)
{
	return test_valgrind_on() && argv != NULL && argv[0] != NULL && is_product(argv[0]);
}

const char *const *
test_valgrind_argv(const char *const *argv, const char **buf, int max)
{
	/* Static: the strings must outlive the caller's fork and exec, and a
	 * test runs one spawn at a time. */
	static char log[1024];
	const char *dir = getenv("WATCHFLOOR_VALGRIND_LOGS");
	const char *prog;
	int n = 0;

	if (!test_valgrind_wraps(argv))
		return argv;
	if (dir == NULL || *dir == '\0')
		dir = TEST_VALGRIND_LOGS;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		fprintf(stderr, "test_valgrind: cannot make %s: %s\n", dir, strerror(errno));
	prog = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
	/* One log a process: the test program, the product program, its pid. */
	snprintf(log, sizeof log, "--log-file=%s/%s.%s.%%p.log", dir,
	    program_invocation_short_name, prog);

	static const char *const opts[] = {
		"valgrind", "--tool=memcheck", "--error-exitcode=99",
		"--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
		"--errors-for-leak-kinds=definite,indirect,possible", "--track-origins=yes",
		"--num-callers=30", "--child-silent-after-fork=yes",
		"--suppressions=" TEST_VALGRIND_SUPP,
	};
	_Static_assert(TEST_VALGRIND_EXIT == 99, "--error-exitcode above says 99");
	_Static_assert(sizeof opts / sizeof opts[0] + 1 <= TEST_VALGRIND_MAX_ARGS,
	    "TEST_VALGRIND_MAX_ARGS is too small");
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		buf[n++] = opts[i];
	buf[n++] = log;
	for (int i = 0; argv[i] != NULL; i++) {
		if (n == max - 1) {
			fprintf(stderr, "test_valgrind: more than %d arguments\n", max);
			abort();
		}
		buf[n++] = argv[i];
	}
	buf[n] = NULL;
	return buf;
}

void
test_valgrind_reaped(const char *name, pid_t pid, int status)
{
	if (!test_valgrind_on() || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != TEST_VALGRIND_EXIT)
		return;
	fprintf(stderr, "test_valgrind: memcheck found errors in %s (pid %d): "
	    "see its log, %s.*.%d.log\n", name, (int)pid, program_invocation_short_name,
	    (int)pid);
	failures++;
}

int
test_valgrind_errors(void)
{
	int n = failures;

	failures = 0;
	return n;
}
