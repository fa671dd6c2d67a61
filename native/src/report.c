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
