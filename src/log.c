/*
 * log.c: structured logging, one line per event as key=value pairs, to
 * stderr (with a UTC timestamp) or to syslog:
 *
 *   ts=2026-11-23T09:25:44.123Z level=info proc=hotlined msg="link to ru up"
 *   ts=... level=warn proc=hotlined event=login_failed account=x addr=...
 *
 * log_warn/warnx/info/debug keep their printf interface: the text becomes
 * the quoted msg value (with errno's text as err=...). log_event() writes
 * an event name and the caller's key=value pairs as they are. Values are
 * quoted when they hold spaces, quotes or '='; '"' and '\' are escaped and
 * control bytes shown as \xNN, so one event is always one parseable line.
 * Lines never contain secrets; callers pass fingerprints, never keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

static const char *log_procname = "hotline";
static int log_verbose;
static int log_syslog;

void
log_init(const char *progname, int verbose)
{
	log_procname = progname;
	log_verbose = verbose;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

void
log_to_syslog(int on)
{
	if (on && !log_syslog)
		openlog(log_procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_syslog)
		closelog();
	log_syslog = on;
}

/* Append s to out (at *o, size outsz) as a key=value value: bare if it is
 * a plain token, else quoted and escaped. Truncates silently. */
static void
kv_value(char *out, size_t outsz, size_t *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int quote = *s == '\0';
	unsigned char c;

	for (i = 0; s[i] != '\0' && !quote; i++) {
		c = (unsigned char)s[i];
		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			quote = 1;
	}
	if (quote && *o + 1 < outsz)
		out[(*o)++] = '"';
	for (i = 0; s[i] != '\0' && *o + 5 < outsz; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[(*o)++] = '\\';
			out[(*o)++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			out[(*o)++] = '\\';
			out[(*o)++] = 'x';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		} else
			out[(*o)++] = (char)c;
	}
	if (quote && *o + 1 < outsz)
		out[(*o)++] = '"';
	out[*o] = '\0';
}

/* Write one finished line of pairs (without ts/level/proc). */
static void
log_emit(const char *level, const char *pairs)
{
	char ts[32];
	int prio;

	if (log_syslog) {
		prio = strcmp(level, "debug") == 0 ? LOG_DEBUG :
		    strcmp(level, "info") == 0 ? LOG_INFO :
		    strcmp(level, "warn") == 0 ? LOG_WARNING : LOG_CRIT;
		syslog(prio, "level=%s %s", level, pairs);
		return;
	}
	fmt_utc_ms(now_utc_ms(), ts);
	fprintf(stderr, "ts=%s level=%s proc=%s %s\n", ts, level,
	    log_procname, pairs);
	fflush(stderr);
}

/* The attribute lets clang check vsnprintf's format (-Wformat-nonliteral). */
static void	vlog(const char *, const char *, va_list, const char *)
		    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *level, const char *fmt, va_list ap, const char *err)
{
	char text[2048], line[4600];
	size_t o = 0;
	int n;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		text[0] = '\0';
	/* A truncated line is still worth printing; it is marked. */
	if (n >= (int)sizeof(text))
		memcpy(text + sizeof(text) - 4, "...", 4);
	memcpy(line, "msg=", 5);
	o = 4;
	kv_value(line, sizeof(line), &o, text);
	if (err != NULL && o + 5 < sizeof(line)) {
		memcpy(line + o, " err=", 6);
		o += 5;
		kv_value(line, sizeof(line), &o, err);
	}
	log_emit(level, line);
}

void
log_event(int warn, const char *event, const char *fmt, ...)
{
	char pairs[2048], line[2300];
	va_list ap;
	int n;

	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(pairs, sizeof(pairs), fmt, ap);
		va_end(ap);
		if (n < 0)
			pairs[0] = '\0';
	} else
		pairs[0] = '\0';
	(void)snprintf(line, sizeof(line), "event=%s%s%s", event,
	    pairs[0] != '\0' ? " " : "", pairs);
	log_emit(warn ? "warn" : "info", line);
}

/* A value for log_event's pairs: s quoted and escaped as needed, in buf. */
const char *
log_q(const char *s, char *buf, size_t bufsz)
{
	size_t o = 0;

	if (bufsz == 0)
		return "";
	buf[0] = '\0';
	kv_value(buf, bufsz, &o, s != NULL ? s : "");
	return buf;
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("warn", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warn", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
