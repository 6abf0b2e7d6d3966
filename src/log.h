/*
 * log.h: OpenBSD-style logging for the daemon and the tools.
 * log_warn() appends strerror(errno); fatal() exits and is only for start-up
 * failures and broken internal invariants, never for remote input.
 */
#ifndef HOTLINE_LOG_H
#define HOTLINE_LOG_H

#include <stdarg.h>

#define LOG_ATTR(f, a) __attribute__((format(printf, f, a)))

/* verbose: 0 info, 1 debug. Output goes to stderr with a UTC timestamp,
 * one key=value line per event (see log.c). */
void log_init(const char *progname, int verbose);
void log_setverbose(int verbose);
/* Send lines to syslog (LOG_DAEMON) instead of stderr. */
void log_to_syslog(int on);
/* One structured event: event=NAME followed by the caller's pairs, e.g.
 * log_event(0, "login", "account=%s addr=%s", log_q(name, b1, sizeof(b1)),
 * ...); values from outside go through log_q. warn: level warn, else info. */
void log_event(int warn, const char *event, const char *fmt, ...)
    LOG_ATTR(3, 4);
const char *log_q(const char *s, char *buf, size_t bufsz);
void log_warn(const char *fmt, ...) LOG_ATTR(1, 2);
void log_warnx(const char *fmt, ...) LOG_ATTR(1, 2);
void log_info(const char *fmt, ...) LOG_ATTR(1, 2);
void log_debug(const char *fmt, ...) LOG_ATTR(1, 2);
_Noreturn void fatal(const char *fmt, ...) LOG_ATTR(1, 2);
_Noreturn void fatalx(const char *fmt, ...) LOG_ATTR(1, 2);

#endif
