/*
 * The benchmarks' messages: realistic incident reports (titles, orgs,
 * findings of the kind docs/DOMAIN.md describes), the same on every run and
 * machine, so that figures from different runs compare.
 */
#ifndef BENCH_MSGS_H
#define BENCH_MSGS_H

#include <stddef.h>
#include <stdint.h>

struct bench_msg {
	char ref[32];
	char *body;
	size_t size;
};

uint64_t bench_rand(uint64_t *state);
/* The monotonic clock in nanoseconds: what every benchmark times with. */
int64_t  bench_now_ns(void);
/* The median of V[0..N) (sorts V). */
double   bench_median(double *v, int n);
/* An option's number from MIN to MAX (a whole one if WHOLE), or exit 2
 * saying so, as PROG. */
double   bench_num_arg(const char *prog, const char *opt, const char *v, double min,
             double max, int whole);
void     bench_make_msg(struct bench_msg *, const char *prefix, size_t i, size_t refs,
             size_t pass0, int level_every, uint64_t *seed);

#endif
