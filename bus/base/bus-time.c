/*
 * Times on the wire are RFC 3339 strings. The hub writes them in one form,
 * UTC with milliseconds ("2026-11-27T00:45:12.123Z"); it accepts any valid
 * RFC 3339 time from producers (offsets, any fraction) and checks the
 * calendar, so "2026-02-30T00:00:00Z" is refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bus-time.h"

int64_t
bus_time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
bus_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One change stamps several times with the same millisecond: remember the
 * last one formatted (per thread) instead of formatting it again. */
void
bus_time_format(int64_t ms, char out[BUS_TIME_LEN])
{
	static _Thread_local int64_t cached_ms = -1;
	static _Thread_local char cached[BUS_TIME_LEN];
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms != cached_ms) {
		gmtime_r(&secs, &tm);
		snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
		cached_ms = ms;
	}
	memcpy(out, cached, BUS_TIME_LEN);
}

/* Read exactly N digits at *P into *OUT; advance *P. */
static int
time_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
time_days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm). */
static int64_t
time_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Parse an RFC 3339 date-time; 0 and *MS on success, -1 if it is not one. */
int
bus_time_parse(const char *text, int64_t *ms)
{
	const char *p = text;
	int y, mo, d, h, mi, s, frac_ms = 0, off = 0;

	if (time_digits(&p, 4, &y) || *p++ != '-' || time_digits(&p, 2, &mo) ||
	    *p++ != '-' || time_digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (time_digits(&p, 2, &h) || *p++ != ':' || time_digits(&p, 2, &mi) ||
	    *p++ != ':' || time_digits(&p, 2, &s))
		return -1;
	if (*p == '.') {
		int scale = 100, ndigits = 0;
		for (p++; isdigit((unsigned char)*p); p++, ndigits++) {
			frac_ms += (*p - '0') * scale;
			scale /= 10;
		}
		if (ndigits == 0 || ndigits > 9)
			return -1;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (time_digits(&p, 2, &oh) || *p++ != ':' || time_digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	} else
		return -1;
	if (*p != '\0')
		return -1;
	/* Second 60 is a leap second: RFC 3339 allows it. */
	if (mo < 1 || mo > 12 || d < 1 || d > time_days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	int64_t secs = time_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	*ms = (secs - off * 60) * 1000 + frac_ms;
	return 0;
}
