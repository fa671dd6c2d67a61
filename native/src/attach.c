/*
 * attach.c: the attach socket, where clients (`attach`, `start -a`, `run`
 * without -d) receive the container's output as it comes and send it input.
 *
 * Protocol (src/engine/attach.ts is the other half), frames both ways:
 *   monitor -> client: [stream u8][length u32 BE][length bytes]
 *     stream 1: stdout (with a tty, all output), 2: stderr,
 *     3: exit: the bytes are the exit record (the exit file's JSON), the
 *        last frame before the monitor closes the connection.
 *   client -> monitor: [kind u8][length u32 BE][length bytes]
 *     kind 0: bytes for the container's stdin (length <= 65536),
 *     1: window size, length 4: rows u16 BE, cols u16 BE (with a tty),
 *     2: close the container's stdin, length 0,
 *     3: "I handle the exit", length 0: the client does what the exit
 *        command (on_exit) would, and will confirm it,
 *     4: "exit handled", length 0: it did, after the exit frame (only from
 *        a client that sent 3),
 *     5: "stdin once", length 0: when this client's input ends, however
 *        it ends (its hang-up, its death), close the container's stdin
 *        (Docker's StdinOnce: a killed `run -i` lets `cat` see its EOF).
 * A frame that breaks these rules ends that client's connection.
 * The exit: the monitor sends the exit frame, then waits, for at most
 * HANDLED_MS, while a client that sent 3 is connected and has not hung up:
 * for its 4 (attach_finish returns 1, the monitor skips on_exit) or its
 * hang-up (returns 0, on_exit runs as without it). One 4 is enough. A client
 * only receives output from when the monitor accepts it (the log has the
 * past); the first frame it gets is an empty stdout frame, sent on accept,
 * so a client that waits for it before `start` misses nothing.
 * A client that falls behind (more than HIGH_WATER unsent) holds the
 * container's output back, so that a burst reaches it whole, but for at most
 * STALL_MS: still behind then, it is disconnected and the container goes on.
 * Input is read only as far as the container takes it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mdk.h"

#define MAX_CLIENTS 32
#define HIGH_WATER (256 * 1024)
#define CLIENT_BUFFER (HIGH_WATER + 256 * 1024) /* what comes while held back still fits */
#define STALL_MS 1000
#define MAX_STDIN_FRAME 65536
#define FINISH_MS 1000 /* how long the last output may take to reach the clients */
#define HANDLED_MS 10000 /* how long a client that handles the exit has to confirm it */

enum { IN_STDIN = 0, IN_RESIZE = 1, IN_CLOSE_STDIN = 2, IN_HANDLES_EXIT = 3, IN_EXIT_HANDLED = 4, IN_STDIN_ONCE = 5 };

struct client {
	int fd;
	int in_done; /* the client will send no more */
	char *out;   /* output not yet sent */
	size_t out_len, out_cap;
	unsigned char hdr[5]; /* the input frame being read */
	size_t hdr_len;
	size_t remaining; /* its payload bytes still to come */
	uint64_t behind_since; /* when it went past HIGH_WATER, 0 if it is not */
	unsigned char small[4];
	size_t small_len;
	int handles_exit; /* it sent IN_HANDLES_EXIT */
	int exit_handled; /* it sent IN_EXIT_HANDLED */
	int stdin_once; /* it sent IN_STDIN_ONCE */
};

static struct client clients[MAX_CLIENTS];
static int nclients;
static int listen_fd = -1;
static const char *listen_path;
static int exit_sent; /* the exit frame is queued: IN_EXIT_HANDLED may come */

int attach_listen(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	listen_fd = fd;
	listen_path = path;
	return 0;
}

static void drop(struct client *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
}

/* Sends what it can without waiting; -1 when the client is gone. */
static int flush_client(struct client *c)
{
	size_t off = 0;
	while (off < c->out_len) {
		ssize_t w = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	if (c->out_len == 0 && c->out_cap > 65536) {
		free(c->out); /* a burst is over: give its memory back */
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

static int queue(struct client *c, int stream, const char *buf, size_t len)
{
	size_t need = c->out_len + 5 + len;
	if (need > CLIENT_BUFFER)
		return -1;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < need)
			cap *= 2;
		char *nb = realloc(c->out, cap);
		if (!nb)
			return -1;
		c->out = nb;
		c->out_cap = cap;
	}
	unsigned char *h = (unsigned char *)c->out + c->out_len;
	h[0] = (unsigned char)stream;
	h[1] = (unsigned char)(len >> 24);
	h[2] = (unsigned char)(len >> 16);
	h[3] = (unsigned char)(len >> 8);
	h[4] = (unsigned char)len;
	memcpy(c->out + c->out_len + 5, buf, len);
	c->out_len = need;
	return 0;
}

static void compact(void)
{
	int n = 0;
	for (int i = 0; i < nclients; i++)
		if (clients[i].fd >= 0)
			clients[n++] = clients[i];
	nclients = n;
}

void attach_output(int stream, const char *buf, size_t len)
{
	for (int i = 0; i < nclients; i++) {
		struct client *c = &clients[i];
		if (queue(c, stream, buf, len) < 0 || flush_client(c) < 0)
			drop(c);
	}
	compact();
}

int attach_hold(int *timeout_ms)
{
	uint64_t now = now_ns();
	int hold = 0;
	for (int i = 0; i < nclients; i++) {
		struct client *c = &clients[i];
		if (c->out_len <= HIGH_WATER) {
			c->behind_since = 0;
			continue;
		}
		if (!c->behind_since)
			c->behind_since = now;
		uint64_t until = c->behind_since + STALL_MS * 1000000ull;
		if (now >= until) {
			drop(c); /* too slow: the container must not wait longer */
			continue;
		}
		hold = 1;
		int ms = (int)((until - now) / 1000000ull) + 1;
		if (*timeout_ms < 0 || ms < *timeout_ms)
			*timeout_ms = ms;
	}
	compact();
	return hold;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (nclients == MAX_CLIENTS) {
			close(fd);
			continue;
		}
		clients[nclients] = (struct client){.fd = fd};
		struct client *c = &clients[nclients++];
		/* the welcome: from here on this client gets all output */
		if (queue(c, OUT_STDOUT, "", 0) < 0 || flush_client(c) < 0)
			drop(c);
	}
}

/* One input frame is complete; -1 when it breaks the rules. */
static int frame_done(struct client *c, const struct attach_input *in)
{
	c->hdr_len = 0;
	if (c->hdr[0] == IN_RESIZE)
		in->resize((unsigned)c->small[0] << 8 | c->small[1], (unsigned)c->small[2] << 8 | c->small[3]);
	else if (c->hdr[0] == IN_CLOSE_STDIN)
		in->close_stdin();
	else if (c->hdr[0] == IN_HANDLES_EXIT)
		c->handles_exit = 1;
	else if (c->hdr[0] == IN_STDIN_ONCE)
		c->stdin_once = 1;
	else if (c->hdr[0] == IN_EXIT_HANDLED) {
		if (!c->handles_exit || !exit_sent)
			return -1;
		c->exit_handled = 1;
	}
	return 0;
}

/* Reads and carries out the client's input; -1 ends the connection. */
static int read_client(struct client *c, const struct attach_input *in)
{
	char buf[4096];
	size_t want = in->room();
	if (want == 0)
		return 0; /* another client filled the stdin buffer meanwhile */
	if (want > sizeof(buf))
		want = sizeof(buf);
	ssize_t r = read(c->fd, buf, want);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0) {
		c->in_done = 1;
		if (c->stdin_once)
			in->close_stdin();
		return 0;
	}
	for (size_t i = 0; i < (size_t)r;) {
		if (c->hdr_len < 5) {
			c->hdr[c->hdr_len++] = (unsigned char)buf[i++];
			if (c->hdr_len < 5)
				continue;
			size_t len = (size_t)c->hdr[1] << 24 | (size_t)c->hdr[2] << 16 | (size_t)c->hdr[3] << 8 | c->hdr[4];
			int kind = c->hdr[0];
			if ((kind == IN_STDIN && len > MAX_STDIN_FRAME) || (kind == IN_RESIZE && len != 4) ||
			    (kind != IN_STDIN && kind != IN_RESIZE && len != 0) || kind > IN_STDIN_ONCE)
				return -1;
			c->remaining = len;
			c->small_len = 0;
			if (len == 0 && frame_done(c, in) < 0)
				return -1;
			continue;
		}
		size_t take = (size_t)r - i < c->remaining ? (size_t)r - i : c->remaining;
		if (c->hdr[0] == IN_STDIN) {
			in->stdin_bytes(buf + i, take);
		} else {
			memcpy(c->small + c->small_len, buf + i, take);
			c->small_len += take;
		}
		i += take;
		c->remaining -= take;
		if (c->remaining == 0 && frame_done(c, in) < 0)
			return -1;
	}
	return 0;
}

int attach_pollfds(struct pollfd *p, int max, int want_input)
{
	int n = 0;
	if (listen_fd >= 0 && n < max)
		p[n++] = (struct pollfd){listen_fd, POLLIN, 0};
	for (int i = 0; i < nclients && n < max; i++) {
		struct client *c = &clients[i];
		short ev = (short)((want_input && !c->in_done ? POLLIN : 0) | (c->out_len ? POLLOUT : 0));
		p[n++] = (struct pollfd){c->fd, ev, 0};
	}
	return n;
}

void attach_events(const struct pollfd *p, int n, const struct attach_input *in)
{
	for (int k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		if (p[k].fd == listen_fd) {
			accept_clients();
			continue;
		}
		for (int i = 0; i < nclients; i++) {
			struct client *c = &clients[i];
			if (c->fd != p[k].fd)
				continue;
			int gone = (p[k].revents & POLLIN) && read_client(c, in) < 0;
			if (!gone && (p[k].revents & POLLOUT))
				gone = flush_client(c) < 0;
			if (!gone && (p[k].revents & (POLLHUP | POLLERR)) && !(p[k].revents & POLLIN))
				gone = 1;
			if (gone && c->stdin_once && !c->in_done)
				in->close_stdin(); /* its input ends with it */
			if (gone)
				drop(c);
			break;
		}
	}
	compact();
}

/* After the end, input goes nowhere: it is read (a frame of ours may follow it) and dropped. */
static size_t no_room(void)
{
	return 4096;
}
static void no_bytes(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
}
static void no_resize(unsigned rows, unsigned cols)
{
	(void)rows;
	(void)cols;
}
static void no_close(void)
{
}
static const struct attach_input discard = {no_room, no_bytes, no_resize, no_close};

int attach_finish(const char *exit_json, size_t len)
{
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(listen_path);
		listen_fd = -1;
	}
	exit_sent = 1;
	for (int i = 0; i < nclients; i++)
		if (queue(&clients[i], OUT_EXIT, exit_json, len) < 0)
			drop(&clients[i]);
	compact();
	uint64_t now = now_ns();
	uint64_t flush_until = now + FINISH_MS * 1000000ull, handled_until = now + HANDLED_MS * 1000000ull;
	int handled = 0;
	for (;;) {
		/* what each client sent, a declaration from before the end among it, then what it still gets */
		for (int i = 0; i < nclients; i++) {
			struct client *c = &clients[i];
			if (read_client(c, &discard) < 0 || flush_client(c) < 0)
				drop(c);
			else if (c->exit_handled)
				handled = 1;
		}
		compact();
		now = now_ns();
		struct pollfd p[MAX_CLIENTS];
		int n = 0;
		uint64_t until = 0;
		for (int i = 0; i < nclients; i++) {
			struct client *c = &clients[i];
			int sending = c->out_len > 0 && now < flush_until;
			int awaited = c->handles_exit && !c->in_done && !handled && now < handled_until && (sending || c->out_len == 0);
			if (!sending && !awaited) {
				drop(c);
				continue;
			}
			p[n++] = (struct pollfd){c->fd, (short)((awaited ? POLLIN : 0) | (sending ? POLLOUT : 0)), 0};
			uint64_t by = awaited ? handled_until : flush_until;
			if (!until || by < until)
				until = by;
		}
		compact();
		if (n == 0)
			break;
		poll(p, (nfds_t)n, (int)((until - now) / 1000000ull) + 1);
	}
	return handled;
}
