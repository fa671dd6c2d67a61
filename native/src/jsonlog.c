/*
 * jsonlog.c: the container's output as Docker's json-file log
 * (src/engine/logs.ts reads it).
 *
 * Every entry is one line:
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-29T11:10:29.123456789Z"}
 * "log" holds one line of output with its "\n"; a line longer than
 * LINE_BYTES is cut into entries of LINE_BYTES without "\n" (Docker's 16 KiB
 * partial messages), and output that ends without a newline is written as
 * such an entry when its stream ends. "time" is when the line's first byte
 * was read, in UTC (Go's RFC3339Nano: trailing zeros of the fraction cut).
 * Strings are escaped as Go's encoding/json does for Docker: '"', '\\',
 * "\n", "\r" by name, other control characters and < > & as \u00XX, U+2028
 * and U+2029 as \u202X, and each byte that is not valid UTF-8 as \ufffd.
 *
 * Rotation: before an entry that would take the file past max_size (when
 * the file is not empty), PATH.N-2 becomes PATH.N-1, ..., PATH becomes
 * PATH.1, and a new PATH is opened, so at most max_files files exist
 * (Docker's naming); with max_files 1 the file is truncated instead.
 *
 * Writes are O_APPEND and synchronous: a slow disk holds the container back
 * by at most what its pipe buffers. A failed write (a full disk) loses the
 * entry, never the container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdk.h"

#define LINE_BYTES 16384

static struct {
	int fd;
	const char *path;
	long long max_size, size;
	int max_files;
} lg = {.fd = -1};

/* the line being assembled, per stream (1 stdout, 2 stderr) */
static struct {
	char buf[LINE_BYTES];
	size_t len;
	struct timespec time; /* when its first byte came */
} line[2];

/* one entry: every byte may become 6 ("\u00XX"), plus the newline and the frame */
static char entry[LINE_BYTES * 6 + 160];

int jsonlog_open(const char *path, long long max_size, int max_files)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	lg.fd = fd;
	lg.path = path;
	lg.max_size = max_size;
	lg.max_files = max_files < 1 ? 1 : max_files;
	lg.size = st.st_size;
	return 0;
}

/* The length of the valid UTF-8 sequence at S (Go's rules), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (b >= 0xC2 && b <= 0xDF) {
		len = 2;
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3;
		if (b == 0xE0)
			lo = 0xA0; /* overlong */
		else if (b == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4;
		if (b == 0xF0)
			lo = 0x90; /* overlong */
		else if (b == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return len;
}

static size_t escape(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char b = s[i];
		if (b < 0x80) {
			i++;
			if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
				out[o++] = (char)b;
				continue;
			}
			out[o++] = '\\';
			if (b == '"' || b == '\\') {
				out[o++] = (char)b;
			} else if (b == '\n') {
				out[o++] = 'n';
			} else if (b == '\r') {
				out[o++] = 'r';
			} else {
				memcpy(out + o, "u00", 3);
				o += 3;
				out[o++] = hex[b >> 4];
				out[o++] = hex[b & 15];
			}
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) {
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
			i++;
		} else if (len == 3 && b == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
			memcpy(out + o, "\\u202", 5);
			o += 5;
			out[o++] = hex[s[i + 2] & 15];
			i += 3;
		} else {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		}
	}
	return o;
}

static void rotate(void)
{
	if (lg.max_files <= 1) {
		if (ftruncate(lg.fd, 0) == 0)
			lg.size = 0;
		return;
	}
	char from[PATH_MAX], to[PATH_MAX];
	/* renaming onto PATH.N-1 drops the oldest file */
	for (int i = lg.max_files - 1; i >= 1; i--) {
		snprintf(to, sizeof(to), "%s.%d", lg.path, i);
		if (i == 1)
			snprintf(from, sizeof(from), "%s", lg.path);
		else
			snprintf(from, sizeof(from), "%s.%d", lg.path, i - 1);
		rename(from, to); /* ENOENT: fewer files so far */
	}
	int fd = open(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return; /* go on appending to the renamed file */
	close(lg.fd);
	lg.fd = fd;
	lg.size = 0;
}

static void emit(int stream, int newline)
{
	int s = stream - 1;
	if (line[s].len == 0 && !newline)
		return;
	if (line[s].len < LINE_BYTES && newline)
		line[s].buf[line[s].len++] = '\n';
	size_t n = 0;
	memcpy(entry, "{\"log\":\"", 8);
	n = 8;
	n += escape(entry + n, (const unsigned char *)line[s].buf, line[s].len);
	n += (size_t)snprintf(entry + n, sizeof(entry) - n, "\",\"stream\":\"%s\",\"time\":\"",
			      stream == OUT_STDOUT ? "stdout" : "stderr");
	n += format_time(entry + n, sizeof(entry) - n, &line[s].time);
	memcpy(entry + n, "\"}\n", 3);
	n += 3;
	line[s].len = 0;
	if (lg.max_size > 0 && lg.size > 0 && lg.size + (long long)n > lg.max_size)
		rotate();
	for (size_t off = 0; off < n;) {
		ssize_t w = write(lg.fd, entry + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
		lg.size += w;
	}
}

void jsonlog_write(int stream, const char *buf, size_t len, const struct timespec *now)
{
	if (lg.fd < 0 || (stream != 1 && stream != 2))
		return;
	int s = stream - 1;
	while (len > 0) {
		if (line[s].len == 0)
			line[s].time = *now;
		const char *nl = memchr(buf, '\n', len);
		size_t content = nl ? (size_t)(nl - buf) : len;
		size_t room = LINE_BYTES - line[s].len;
		if (content > room) {
			/* a long line: this much of it is an entry of its own */
			memcpy(line[s].buf + line[s].len, buf, room);
			line[s].len += room;
			emit(stream, 0);
			buf += room;
			len -= room;
			continue;
		}
		memcpy(line[s].buf + line[s].len, buf, content);
		line[s].len += content;
		if (!nl)
			return;
		if (line[s].len == LINE_BYTES)
			emit(stream, 0); /* exactly full: the newline follows on its own */
		if (line[s].len == 0)
			line[s].time = *now;
		emit(stream, 1);
		buf += content + 1;
		len -= content + 1;
	}
}

void jsonlog_flush(int stream)
{
	if (lg.fd >= 0 && (stream == OUT_STDOUT || stream == OUT_STDERR))
		emit(stream, 0);
}
