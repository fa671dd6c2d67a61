/*
 * `moby-dick build ...` handed to a running API service (`moby-dick system
 * service` on its default socket, or $MOBY_DICK_SERVICE_SOCKET), so that
 * the build runs in a warm process as `docker build` runs in dockerd: no
 * Node start, the store open, its memos in memory. No policy here: the
 * service decides whether it serves the command line (src/api/
 * forwarded-build.ts: same mount namespace and store, a command line it
 * does not leave to the CLI) and answers 409 otherwise; then, or when no
 * service listens, the launcher starts Node as without one.
 *
 * With stderr not a terminal (the TTY view is the CLI's), and unless
 * $MOBY_DICK_BUILD_IN_PROCESS is set. Root's default socket is root's; an
 * ordinary user's (rootless) is the user's own service's, on
 * $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock (/run/user/UID without it), and
 * only a service running as the same user is asked (SO_PEERCRED).
 *
 * The request is HTTP/1.0 (the answer ends with the connection); its body is
 * NUL-terminated fields: the format, the working directory,
 * $MOBY_DICK_ROOT, /proc/self/ns/mnt's link, the count of arguments, the
 * arguments after `build`, the environment. The answer is Docker's stdcopy
 * frames (1 stdout, 2 stderr), then one of stream 4 holding the exit
 * status. If the client is killed, the service sees the socket close and
 * cancels the build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "forward-build.h"

#define DEFAULT_SOCKET "/run/moby-dick/moby-dick.sock"
#define FORMAT "moby-dick-build 1"
#define EXIT_STREAM 4

extern char **environ;

struct buf {
  char *data;
  size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  return 0;
}

/* S and its NUL */
static int field(struct buf *b, const char *s) { return put(b, s, strlen(s) + 1); }

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* exactly N bytes; 0 at a clean end before any, -1 on an error or a short read */
static int read_full(int fd, char *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static int connect_service(void) {
  const char *path = getenv("MOBY_DICK_SERVICE_SOCKET");
  char own[PATH_MAX];
  uid_t uid = geteuid();
  if ((!path || !*path) && uid == 0) path = DEFAULT_SOCKET;
  if (!path || !*path) {
    /* an ordinary user's service: on its runtime directory, as the service picks it (src/rootless/rootless.ts) */
    const char *run = getenv("XDG_RUNTIME_DIR");
    int n = run && *run ? snprintf(own, sizeof(own), "%s/moby-dick/moby-dick.sock", run) : snprintf(own, sizeof(own), "/run/user/%u/moby-dick/moby-dick.sock", (unsigned)uid);
    if (n < 0 || (size_t)n >= sizeof(own)) return -1;
    path = own;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path)) return -1;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    close(fd);
    return -1;
  }
  if (uid != 0) {
    /* an ordinary user's build goes to a service of the same user only: its store and its containers are the user's */
    struct ucred peer;
    socklen_t len = sizeof(peer);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || peer.uid != uid) {
      close(fd);
      return -1;
    }
  }
  return fd;
}

/* the request's body: the fields above */
static int request_body(struct buf *b, int argc, char **argv) {
  char cwd[PATH_MAX], ns[64], count[16];
  if (!getcwd(cwd, sizeof(cwd))) return -1;
  ssize_t n = readlink("/proc/self/ns/mnt", ns, sizeof(ns) - 1);
  if (n < 0) return -1;
  ns[n] = '\0';
  const char *root = getenv("MOBY_DICK_ROOT");
  snprintf(count, sizeof(count), "%d", argc - 2);
  if (field(b, FORMAT) || field(b, cwd) || field(b, root ? root : "") || field(b, ns) || field(b, count)) return -1;
  for (int a = 2; a < argc; a++)
    if (field(b, argv[a])) return -1;
  for (char **e = environ; *e; e++)
    if (field(b, *e)) return -1;
  return 0;
}

/* reads the answer's head; whether its status is 200 */
static int answer_ok(int fd) {
  char head[8192];
  size_t len = 0;
  while (len < sizeof(head) - 1) {
    ssize_t r = read(fd, head + len, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    len++;
    if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[len] = '\0';
  return strncmp(head, "HTTP/1.", 7) == 0 && strncmp(head + 8, " 200 ", 5) == 0;
}

int forward_build(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "build") != 0 || isatty(2)) return FORWARD_FALLBACK;
  const char *off = getenv("MOBY_DICK_BUILD_IN_PROCESS");
  if (off && *off) return FORWARD_FALLBACK;
  int fd = connect_service();
  if (fd < 0) return FORWARD_FALLBACK;
  struct buf body = {0};
  char head[256];
  int ok = request_body(&body, argc, argv) == 0;
  int hl = snprintf(head, sizeof(head),
                    "POST /_moby-dick/build HTTP/1.0\r\nHost: moby-dick\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    body.len);
  /* a service that went away meanwhile: as if there were none */
  signal(SIGPIPE, SIG_IGN);
  ok = ok && write_all(fd, head, (size_t)hl) == 0 && write_all(fd, body.data, body.len) == 0 && answer_ok(fd);
  free(body.data);
  signal(SIGPIPE, SIG_DFL);
  if (!ok) {
    close(fd);
    return FORWARD_FALLBACK;
  }
  /* from here the build is the service's: its frames until the exit status */
  unsigned char h[8];
  static char data[1 << 16];
  for (;;) {
    int r = read_full(fd, (char *)h, sizeof(h));
    if (r <= 0) break;
    size_t len = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
    int out = h[0] == 1 ? 1 : 2;
    if (h[0] == EXIT_STREAM) {
      char status[16] = {0};
      if (len >= sizeof(status) || read_full(fd, status, len) != 1) break;
      close(fd);
      return atoi(status);
    }
    while (len > 0) {
      size_t n = len < sizeof(data) ? len : sizeof(data);
      if (read_full(fd, data, n) != 1) goto broken;
      /* a closed stdout or stderr loses the text, not the build */
      (void)write_all(out, data, n);
      len -= n;
    }
  }
broken:
  close(fd);
  fprintf(stderr, "moby-dick: the build service ended the answer without an exit status (see its log)\n");
  return 125;
}
