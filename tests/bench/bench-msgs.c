#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "bench-msgs.h"

static const char *const sectors[16] = {
	"chemical", "commercial", "communications", "manufacturing", "dams",
	"defense", "emergency", "energy", "financial", "food", "government",
	"healthcare", "it", "nuclear", "transportation", "water",
};

static const char *const titles[] = {
	"Ransomware encrypting file servers",
	"Spear-phishing wave against engineering staff",
	"Unauthorised logins on pump station HMI",
	"DDoS against public payment portal",
	"Beaconing from OT historian to unknown host",
	"Compromised vendor remote-access account",
	"Wiper found on engineering workstation",
	"Exfiltration from patient records system",
	"Web shell on internet-facing VPN appliance",
	"Credential stuffing against customer portal",
	"Modified PLC logic found during audit",
	"Suspicious scheduled tasks on domain controllers",
};

static const char *const orgs[] = {
	"Northfield Water Authority", "Ridgeline Power Cooperative",
	"St. Anselm Regional Hospital", "Harbor City Transit",
	"Cascade Chemical Works", "First Prairie Savings Bank",
	"Granite Falls Dam District", "Meridian Telecom", "Tri-County 911 Center",
	"Bluewater Foods", "Oakmont Precision Parts", "State Revenue Department",
	"Lakeshore Nuclear Station", "Summit Cloud Hosting",
	"Eastgate Shopping Centers", "Aldridge Defense Systems",
};

static const char *const findings[] = {
	"ransom notes on %u hosts; control network isolated, plant in manual mode",
	"%u staff received lures; two opened the attachment before the block",
	"%u failed then one successful login from an unknown address overnight",
	"peak of %u Gbit/s, portal unreachable for customers for an hour",
	"periodic HTTPS to a new domain from %u OT hosts since the weekend",
	"vendor account used from abroad on %u systems outside the maintenance window",
	"MBR overwritten on %u machines; backups intact, restore under way",
	"about %u MB left the network over DNS; logs kept for analysis",
};

/* xorshift64*: the same messages on every run and machine. */
uint64_t
bench_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

#define PICK(table, r) ((table)[(r) % (sizeof (table) / sizeof (table)[0])])

/*
 * Message I of a stream of case reports named PREFIX-nnnnnnn. With REFS 0
 * every message opens a new case; else the messages cycle over REFS cases
 * and the reports are numbered from PASS0 on. A case keeps its title, org
 * and sector; its summary changes with every report (so every report is an
 * event) and its level with every LEVEL_EVERY-th.
 */
void
bench_make_msg(struct bench_msg *m, const char *prefix, size_t i, size_t refs, size_t pass0,
    int level_every, uint64_t *seed)
{
	size_t case_no = refs > 0 ? i % refs : i;
	size_t pass = pass0 + (refs > 0 ? i / refs : 0);
	uint64_t fixed = case_no * 0x9e3779b97f4a7c15ULL + 1;
	uint64_t r1 = bench_rand(&fixed), r2 = bench_rand(&fixed), r3 = bench_rand(&fixed);
	uint64_t r4 = bench_rand(seed);
	int level = 1 + (int)((r1 + pass / (size_t)level_every) % 4);
	char summary[160], finding[120];

	snprintf(finding, sizeof finding, PICK(findings, r2), (unsigned)(2 + r4 % 1700));
	snprintf(summary, sizeof summary, "Report %zu: %s.", pass + 1, finding);
	snprintf(m->ref, sizeof m->ref, "%s-%07zu", prefix, case_no);
	m->body = NULL;
	if (asprintf(&m->body, "{\"ref\":\"%s-%07zu\",\"title\":\"%s\",\"org\":\"%s\","
	    "\"sector\":\"%s\",\"level\":%d,\"summary\":\"%s\","
	    "\"reported_at\":\"2026-03-%02dT%02d:%02d:00Z\"}",
	    prefix, case_no, PICK(titles, r3), PICK(orgs, r1 >> 8), sectors[(r2 >> 8) % 16],
	    level, summary, 1 + (int)((r4 >> 8) % 28), (int)((r4 >> 16) % 24),
	    (int)((r4 >> 24) % 60)) < 0) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	m->size = strlen(m->body);
}

int64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
bench_num_arg(const char *prog, const char *opt, const char *v, double min, double max,
    int whole)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno != 0 || !(x >= min && x <= max) ||
	    (whole && x != floor(x))) {
		fprintf(stderr, "%s: %s takes a %s from %g to %g, not '%s'\n", prog, opt,
		    whole ? "whole number" : "number", min, max, v);
		exit(2);
	}
	return x;
}
