/* Diagnostic log: stderr or a file, debug lines only with -v. */
#ifndef BUS_LOG_H
#define BUS_LOG_H

enum bus_log_level { BUS_LOG_DEBUG, BUS_LOG_INFO, BUS_LOG_WARN, BUS_LOG_ERROR };

int  bus_log_open(const char *path, int verbose, char **cause);
void bus_log_close(void);
void bus_log_flush(void);
void bus_log(enum bus_log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  bus_log_verbose(void);

#define log_debug(...) do { if (bus_log_verbose()) bus_log(BUS_LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  bus_log(BUS_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  bus_log(BUS_LOG_WARN, __VA_ARGS__)
#define log_error(...) bus_log(BUS_LOG_ERROR, __VA_ARGS__)

#endif
