/* Diagnostic log: stderr or a file, debug lines only with -v. */
#ifndef BUS_LOG_H
#define BUS_LOG_H

enum bus_log_level { BUS_LOG_DEBUG, BUS_LOG_INFO, BUS_LOG_WARN, BUS_LOG_ERROR };

int  bus_log_open(const char *path, int verbose, char **cause);
void bus_log_close(void);
void bus_log_flush(void);
void bus_log(enum bus_log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  bus_log_verbose(void);

/* Under a flood (bad input, refused handshakes) log a few lines a second
 * and then say how many were left out: may this line be logged? */
struct bus_log_limit {
	const char *what;      /* "ingest: rejections" */
	int per_second;
	long long second;
	int logged, suppressed;
};
int  bus_log_limited(struct bus_log_limit *);

#define log_debug(...) do { if (bus_log_verbose()) bus_log(BUS_LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  bus_log(BUS_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  bus_log(BUS_LOG_WARN, __VA_ARGS__)
#define log_error(...) bus_log(BUS_LOG_ERROR, __VA_ARGS__)

#endif
