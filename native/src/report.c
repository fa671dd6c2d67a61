/* report.c: records on the status fd, read by src/runtime/helper-process.ts. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mdk.h"

int status_fd = STATUS_FD;

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void report(const char *fmt, ...)
{
	if (status_fd < 0)
		return; /* a detached monitor reports to no one */
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n] = '\0'; /* records are NUL-terminated */
	int saved = errno;
	ssize_t off = 0;
	while (off < n + 1) {
		ssize_t w = write(status_fd, buf + off, (size_t)(n + 1 - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
	errno = saved;
}

void report_error(const char *step, int err, const char *detail)
{
	report("error\t%s\t%d\t%s", step, err, detail ? detail : "");
}

void report_step(const char *name, const char *detail, uint64_t start_ns)
{
	report("step\t%s\t%s\t%llu", name, detail ? detail : "",
	       (unsigned long long)(now_ns() - start_ns));
}

size_t format_time(char *out, size_t cap, const struct timespec *time)
{
	struct tm tm;
	gmtime_r(&time->tv_sec, &tm);
	int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	if (time->tv_nsec) {
		char frac[16];
		int f = snprintf(frac, sizeof(frac), "%09ld", time->tv_nsec);
		while (f > 0 && frac[f - 1] == '0')
			frac[--f] = '\0';
		n += snprintf(out + n, cap - (size_t)n, ".%s", frac);
	}
	n += snprintf(out + n, cap - (size_t)n, "Z");
	return (size_t)n < cap ? (size_t)n : 0;
}
