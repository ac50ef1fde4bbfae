/*
 * The end-to-end tests under valgrind (tests/valgrind/run.sh). With
 * WATCHFLOOR_VALGRIND=1 in the environment, every product program the
 * harness starts (watchfloor, watchd, watchctl: test-term.c, test-hub.c)
 * runs under valgrind's memcheck, each with a log file of its own, and
 * every deadline of the harness is multiplied by one factor, since a
 * program under memcheck runs 10 to 50 times slower.
 *
 * Without the variable nothing changes: argv passes through and every
 * timeout is what the test asked for.
 *
 * Memcheck's verdict reaches the test two ways. A program that exits with
 * errors (leaks included) exits with TEST_VALGRIND_EXIT instead of its
 * own status, which fails any test that checks the status; and every
 * reaping in the harness counts such exits, so the fixtures' teardowns
 * fail the test when there was one (test_valgrind_errors()). run.sh also
 * reads every log, for the programs that were killed before they could
 * exit.
 */
#ifndef TEST_VALGRIND_H
#define TEST_VALGRIND_H

#include <sys/types.h>

#define TEST_VALGRIND_EXIT 99    /* valgrind's --error-exitcode */
#define TEST_VALGRIND_SLOWER 20  /* the deadline factor under valgrind */
#define TEST_VALGRIND_MAX_ARGS 24 /* what test_valgrind_argv() puts before argv */

/* 1 when WATCHFLOOR_VALGRIND is set to anything but "" or "0". */
int     test_valgrind_on(void);
/* MS as a deadline: MS times TEST_VALGRIND_SLOWER (or the factor in
 * WATCHFLOOR_VALGRIND_SLOWER) under valgrind, else MS. */
int     test_valgrind_ms(int ms);
/* ARGV to exec: under valgrind and when ARGV[0] is one of the product
 * programs, the valgrind command and its options (in BUF, MAX entries at
 * most), then ARGV; otherwise ARGV itself. */
const char *const *test_valgrind_argv(const char *const *argv, const char **buf, int max);
/* 1 if ARGV[0] would run under valgrind. */
int     test_valgrind_wraps(const char *const *argv);
/* Note the wait STATUS of product program PID (NAME for the message): a
 * program that memcheck failed is reported on stderr and counted. */
void    test_valgrind_reaped(const char *name, pid_t pid, int status);
/* How many reaped programs memcheck failed since the last call (which
 * starts the count again): the fixtures' teardowns fail on non-zero. */
int     test_valgrind_errors(void);

#endif
