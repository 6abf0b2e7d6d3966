/*
 * log.c: logging to stderr with UTC timestamps, OpenBSD style. Lines never
 * contain secrets; callers pass fingerprints, never keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static const char *log_procname = "hotline";
static int log_verbose;

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

/* The attribute lets clang check vsnprintf's format (-Wformat-nonliteral). */
static void	vlog(const char *, const char *, va_list, const char *)
		    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *level, const char *fmt, va_list ap, const char *err)
{
	char ts[32], line[2048];
	int n;

	fmt_utc_ms(now_utc_ms(), ts);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	/* A truncated line is still worth printing; it is marked. */
	if (err != NULL)
		fprintf(stderr, "%s %s[%s] %s%s: %s\n", ts, log_procname, level,
		    line, n >= (int)sizeof(line) ? "..." : "", err);
	else
		fprintf(stderr, "%s %s[%s] %s%s\n", ts, log_procname, level,
		    line, n >= (int)sizeof(line) ? "..." : "");
	fflush(stderr);
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
