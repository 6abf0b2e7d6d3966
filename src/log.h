/*
 * log.h: OpenBSD-style logging for the daemon and the tools.
 * log_warn() appends strerror(errno); fatal() exits and is only for start-up
 * failures and broken internal invariants, never for remote input.
 */
#ifndef HOTLINE_LOG_H
#define HOTLINE_LOG_H

#include <stdarg.h>

#define LOG_ATTR(f, a) __attribute__((format(printf, f, a)))

/* verbose: 0 info, 1 debug. Output goes to stderr with a UTC timestamp. */
void log_init(const char *progname, int verbose);
void log_setverbose(int verbose);
void log_warn(const char *fmt, ...) LOG_ATTR(1, 2);
void log_warnx(const char *fmt, ...) LOG_ATTR(1, 2);
void log_info(const char *fmt, ...) LOG_ATTR(1, 2);
void log_debug(const char *fmt, ...) LOG_ATTR(1, 2);
_Noreturn void fatal(const char *fmt, ...) LOG_ATTR(1, 2);
_Noreturn void fatalx(const char *fmt, ...) LOG_ATTR(1, 2);

#endif
