/* report.c: records on the status fd, read by src/helper/helper-process.ts. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mdk.h"

int status_fd = STATUS_FD;
int start_error_fd = -1;

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void write_all(int fd, const char *buf, size_t len)
{
	int saved = errno;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = saved;
}

/* FMT as a NUL-terminated record in BUF; its length with the NUL, 0 on failure. */
static size_t format_record(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap - 1, fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= cap - 1)
		n = (int)cap - 2;
	buf[n] = '\0'; /* records are NUL-terminated */
	return (size_t)n + 1;
}

/* FMT as one record on FD */
static void vreport_to(int fd, const char *fmt, va_list ap)
{
	char buf[8192];
	write_all(fd, buf, format_record(buf, sizeof(buf), fmt, ap));
}

void report(const char *fmt, ...)
{
	if (status_fd < 0)
		return; /* a detached monitor reports to no one */
	va_list ap;
	va_start(ap, fmt);
	vreport_to(status_fd, fmt, ap);
	va_end(ap);
}

static void report_to(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport_to(fd, fmt, ap);
	va_end(ap);
}

void report_error(const char *step, int err, const char *detail)
{
	if (status_fd >= 0)
		report_to(status_fd, "error\t%s\t%d\t%s", step, err, detail ? detail : "");
	if (start_error_fd >= 0)
		report_to(start_error_fd, "error\t%s\t%d\t%s", step, err, detail ? detail : "");
}

/*
 * A step done and its time (--debug, --explain: the plan's debug), on the
 * status fd, and on the exec fifo while `start` reads it: the steps after
 * the release (a late seccomp filter, exec) are `start --explain`'s. Only
 * then: any record on the fifo sends the launcher's fast start to Node.
 */
void report_step(const char *name, const char *detail, uint64_t start_ns)
{
	unsigned long long ns = (unsigned long long)(now_ns() - start_ns);
	report("step\t%s\t%s\t%llu", name, detail ? detail : "", ns);
	if (start_error_fd >= 0)
		report_to(start_error_fd, "step\t%s\t%s\t%llu", name, detail ? detail : "", ns);
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
