/* Wall-clock time as milliseconds since the epoch, and RFC 3339 text. */
#ifndef BUS_TIME_H
#define BUS_TIME_H

#include <stdint.h>

#define BUS_TIME_LEN 64 /* "2026-11-27T00:45:12.123Z" and room for any year */

int64_t bus_time_now_ms(void);
int64_t bus_time_mono_ms(void);
void    bus_time_format(int64_t ms, char out[BUS_TIME_LEN]);
int     bus_time_parse(const char *text, int64_t *ms);

#endif
