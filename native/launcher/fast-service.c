/*
 * The launcher's side of the compile service (src/oci-cli/compile-service.ts):
 * `create`, `run` and `exec` without starting Node. The launcher sends the service its command
 * line, cwd, umask and MOBY_DICK_* environment; the service runs the same
 * TypeScript as the Node path (every decision is made there), and asks this
 * process to start mdk-init, so that the helper, and the container's init
 * it forks, are created from the caller's process as on the Node path. The
 * launcher passes the helper's plan and status pipes to the service
 * (SCM_RIGHTS), reaps the helper when asked, writes what the service says
 * to stdout and stderr, and exits with the service's exit status.
 *
 * Nothing depends on the service: when it is missing (then this call starts
 * it for the next ones), of another build (the stamp), not root's, refuses
 * the command line, or ends before the helper was started, the command runs
 * on the Node path: FAST_FALLBACK.
 *
 * `run` and a foreground `exec` are served so too; the launcher then
 * catches the signals the service names and sends them on as frames (the
 * service passes them to the container through the helper), and exits
 * with the container's status as the Node path does.
 *
 * Frames both ways: a 4-byte little-endian length, then NUL-terminated
 * fields (src/oci-cli/compile-wire.ts; compile-wire.test.ts checks these
 * names against TypeScript's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fast.h"

extern char **environ;

#define FRAME_MAX (1 << 20)
#define FIELDS_MAX 16

/* the value of global option NAME at argv[*a] ("--NAME V" or "--NAME=V"); 1 if it is that option */
static int global_value(int argc, char **argv, int *a, const char *name, const char **value) {
  size_t n = strlen(name);
  if (strncmp(argv[*a], name, n) != 0) return 0;
  if (argv[*a][n] == '=') {
    *value = argv[*a] + n + 1;
    return 1;
  }
  if (argv[*a][n] != '\0' || *a + 1 >= argc) return 0;
  *value = argv[++*a];
  return 1;
}

/* what the launcher needs of the command line: the root, the log, the id and --preserve-fds; -1: not create, run or exec */
static int scan(int argc, char **argv, struct fast_request *r, long *preserve) {
  memset(r, 0, sizeof(*r));
  r->root = FAST_DEFAULT_ROOT;
  *preserve = 0;
  int a = 1;
  for (; a < argc && argv[a][0] == '-'; a++) {
    const char *v = NULL;
    if (global_value(argc, argv, &a, "--root", &v)) {
      r->root = v;
      r->root_given = 1;
    }
    else if (global_value(argc, argv, &a, "--log-format", &v)) r->log_json = strcmp(v, "json") == 0;
    else if (global_value(argc, argv, &a, "--log", &v)) r->log = v;
    else return -1; /* TypeScript would refuse it too; no need to ask */
  }
  if (a >= argc || (strcmp(argv[a], FAST_SERVICE_COMMAND) != 0 && strcmp(argv[a], FAST_SERVICE_EXEC) != 0 &&
                    strcmp(argv[a], FAST_SERVICE_RUN) != 0))
    return -1;
  r->command = argv[a];
  /* exec's flags end at the id; what follows is its command */
  for (a++; a < argc && !(r->id && strcmp(r->command, FAST_SERVICE_EXEC) == 0); a++) {
    const char *arg = argv[a];
    int valued = strcmp(arg, "--bundle") == 0 || strcmp(arg, "-b") == 0 || strcmp(arg, "--pid-file") == 0 ||
                 strcmp(arg, "--console-socket") == 0 || strcmp(arg, "--preserve-fds") == 0 || strcmp(arg, "--process") == 0 ||
                 strcmp(arg, "-p") == 0 || strcmp(arg, "--cwd") == 0 || strcmp(arg, "--env") == 0 || strcmp(arg, "-e") == 0 ||
                 strcmp(arg, "--user") == 0 || strcmp(arg, "-u") == 0;
    const char *v = valued && a + 1 < argc ? argv[++a] : NULL;
    if (strncmp(arg, "--preserve-fds=", 15) == 0) v = arg + 15;
    if (arg[0] != '-') r->id = arg;
    if (v && strncmp(arg, "--preserve-fds", 14) == 0) {
      char *end;
      *preserve = strtol(v, &end, 10);
      if (*end != '\0' || *preserve < 0 || *preserve > 1000) return -1;
    }
  }
  /* the id only goes into a message of ours when it is one (fast-log.c escapes no more) */
  if (!r->id || strspn(r->id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != strlen(r->id)) r->id = "";
  return r->root[0] == '/' ? 0 : -1;
}

/* "INO.SIZE.SEC.NSEC" of PATH, or "-" when it is missing, appended to OUT */
static void stamp_file(const char *path, char *out, size_t size) {
  struct stat st;
  size_t used = strlen(out);
  if (stat(path, &st) < 0) snprintf(out + used, size - used, "-/");
  else snprintf(out + used, size - used, "%ju.%jd.%jd.%ld/", (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* the build's stamp: this launcher, the snapshot, the bundle and the helper beside it */
static int build_stamp(const char *self, char *out, size_t size) {
  char path[PATH_MAX], dir[PATH_MAX];
  out[0] = '\0';
  snprintf(dir, sizeof(dir), "%s", self);
  char *slash = strrchr(dir, '/');
  if (!slash) return -1;
  *slash = '\0';
  stamp_file(self, out, size);
  const char *beside[] = {".blob", ".cjs"};
  for (size_t i = 0; i < 2; i++) {
    if (snprintf(path, sizeof(path), "%s%s", self, beside[i]) >= (int)sizeof(path)) return -1;
    stamp_file(path, out, size);
  }
  if (snprintf(path, sizeof(path), "%s/mdk-init", dir) >= (int)sizeof(path)) return -1;
  stamp_file(path, out, size);
  return 0;
}

/*
 * the service for ROOT started in the background (for the next call); this call goes on without it.
 * Only a call that names --root starts one (containerd's shims do, as do Docker's and the CRI's): the
 * service is adopted by the caller's nearest subreaper, and under Podman, which calls with the default
 * root, that is conmon: a service started there was seen to keep conmon alive after its container was
 * removed (oci-callers.test's Podman leak check). A service already listening is used by any call.
 */
static void start_service(const char *self, const char *root, const char *stamp) {
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid > 0) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return;
  }
  /* the child forks the service and ends, so that the service is nobody's child here */
  if (setsid() < 0 || fork() != 0) _exit(0);
  int null = open("/dev/null", O_RDWR);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) _exit(1);
  if (null > 2) close(null);
  closefrom(3);
  if (chdir("/") < 0 || setenv(FAST_SERVICE_STAMP_ENV, stamp, 1) < 0) _exit(1);
  char *args[] = {"moby-dick-runtime", "--root", (char *)root, FAST_SERVICE_START, NULL};
  execv(self, args);
  _exit(127);
}

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* a growing frame: its length first, then the fields */
struct frame {
  char *buf;
  size_t len, cap;
};

static int frame_add(struct frame *f, const char *field, size_t n) {
  if (f->len + n + 1 > f->cap) {
    size_t cap = (f->len + n + 1) * 2;
    if (cap > FRAME_MAX + 4) return -1;
    char *more = realloc(f->buf, cap);
    if (!more) return -1;
    f->buf = more;
    f->cap = cap;
  }
  memcpy(f->buf + f->len, field, n);
  f->buf[f->len + n] = '\0';
  f->len += n + 1;
  return 0;
}

static int frame_str(struct frame *f, const char *s) { return frame_add(f, s, strlen(s)); }

static int frame_int(struct frame *f, long n) {
  char text[32];
  snprintf(text, sizeof(text), "%ld", n);
  return frame_str(f, text);
}

/* sends F (with FDS, if any) and empties it */
static int frame_send(int sock, struct frame *f, const int *fds, int nfds) {
  uint32_t body = (uint32_t)(f->len - 4);
  unsigned char *p = (unsigned char *)f->buf;
  p[0] = body & 0xff, p[1] = (body >> 8) & 0xff, p[2] = (body >> 16) & 0xff, p[3] = (body >> 24) & 0xff;
  int r;
  if (nfds == 0) {
    r = write_all(sock, f->buf, f->len);
  } else {
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(int) * 2)];
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = f->buf, .iov_len = f->len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    ssize_t w;
    while ((w = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
    /* a frame is small: the rest, if the first send was short */
    r = w < 0 ? -1 : write_all(sock, f->buf + w, f->len - (size_t)w);
  }
  f->len = 4;
  return r;
}

/* the next frame into F, split into FIELDS; THIRD_LEN: from the third field to the frame's end (it may hold NULs) */
static int frame_read(int sock, struct frame *f, char **fields, int *nfields, size_t *third_len) {
  unsigned char head[4];
  if (read_all(sock, head, 4) < 0) return -1;
  size_t n = head[0] | (size_t)head[1] << 8 | (size_t)head[2] << 16 | (size_t)head[3] << 24;
  if (n == 0 || n > FRAME_MAX) return -1;
  if (n + 1 > f->cap) {
    char *more = realloc(f->buf, n + 1);
    if (!more) return -1;
    f->buf = more;
    f->cap = n + 1;
  }
  if (read_all(sock, f->buf, n) < 0 || f->buf[n - 1] != '\0') return -1;
  *nfields = 0;
  for (size_t at = 0; at < n && *nfields < FIELDS_MAX;) {
    fields[(*nfields)++] = f->buf + at;
    at += strlen(f->buf + at) + 1;
  }
  *third_len = *nfields >= 3 ? (size_t)(f->buf + n - 1 - fields[2]) : 0;
  f->len = 4;
  return 0;
}

/*
 * mdk-init started as the Node path's addon starts it (native/addon/spawn.c): our stdio as its 0-2,
 * the plan pipe's read end as 3, the status pipe's write end as 4, our fds 3..3+N-1 as 5..; signals
 * at their defaults, no environment. PIPES: plan read, plan write, status read, status write.
 */
static pid_t spawn_helper(const char *helper, int sealed, long preserve, int pipes[4], int *err) {
  char parent[32];
  snprintf(parent, sizeof(parent), "%d", (int)getpid());
  char *args[] = {(char *)helper, parent, sealed ? "seal" : NULL, NULL};
  static char *no_env[] = {NULL};
  int nfds = 5 + (int)preserve;
  int *src = calloc((size_t)nfds, sizeof(int));
  if (!src) return (*err = ENOMEM), -1;
  for (int i = 0; i < 3; i++) src[i] = i;
  src[3] = pipes[0];
  src[4] = pipes[3];
  for (int i = 0; i < preserve; i++) src[5 + i] = 3 + i;
  int high = nfds + 3;
  for (int i = 0; i < nfds; i++)
    if (src[i] >= high) high = src[i] + 1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  int e = 0;
  /* every source above every target first, then down into place (a target may be a later source) */
  for (int i = 0; i < nfds && !e; i++) e = posix_spawn_file_actions_adddup2(&fa, src[i], high + i);
  for (int i = 0; i < nfds && !e; i++) {
    e = posix_spawn_file_actions_adddup2(&fa, high + i, i);
    if (!e) e = posix_spawn_file_actions_addclose(&fa, high + i);
  }
  free(src);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  if (!e) e = posix_spawn(&pid, helper, &fa, &attr, args, no_env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  *err = e;
  return e ? -1 : pid;
}

/*
 * A foreground run or exec: the signals the service names (`signals`) are caught from then on, as
 * the Node path's handlers catch them, and sent to the service as `signal N` frames; it passes them
 * on to the container through the helper. The handler only writes the number to a pipe.
 */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig) {
  int saved = errno;
  unsigned char n = (unsigned char)sig;
  ssize_t ignored = write(signal_pipe[1], &n, 1);
  (void)ignored;
  errno = saved;
}

/* the `signals N...` frame's FIELDS: each caught from now on; -1 when one cannot be */
static int catch_signals(char **fields, int nfields) {
  if (signal_pipe[0] < 0 && pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int i = 1; i < nfields; i++) {
    int sig = atoi(fields[i]);
    if (sig <= 0 || sig >= 65 || sig == SIGKILL || sig == SIGSTOP || sigaction(sig, &sa, NULL) < 0) return -1;
  }
  return 0;
}

/* waits for the socket to be readable, sending the service each signal caught meanwhile */
static int await_frame(int sock, struct frame *f) {
  for (;;) {
    struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = signal_pipe[0], .events = POLLIN}};
    int n = poll(p, signal_pipe[0] >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (signal_pipe[0] >= 0 && p[1].revents) {
      unsigned char sigs[64];
      ssize_t got = read(signal_pipe[0], sigs, sizeof(sigs));
      for (ssize_t i = 0; i < got; i++) {
        frame_str(f, "signal");
        frame_int(f, sigs[i]);
        if (frame_send(sock, f, NULL, 0) < 0) return -1;
      }
    }
    if (p[0].revents) return 0;
  }
}

/* the conversation after the request: the exit status, or FAST_FALLBACK while nothing was started */
static int converse(int sock, const struct fast_request *r, struct frame *f) {
  char *fields[FIELDS_MAX];
  int nfields;
  size_t third_len;
  pid_t helper = -1;
  int reaped = 0;
  for (;;) {
    if (await_frame(sock, f) < 0 || frame_read(sock, f, fields, &nfields, &third_len) < 0 || nfields == 0) break;
    const char *kind = fields[0];
    if (strcmp(kind, "signals") == 0 && helper < 0) {
      if (catch_signals(fields, nfields) < 0) break;
      continue;
    }
    if (strcmp(kind, "refuse") == 0 && helper < 0) return FAST_FALLBACK;
    if (strcmp(kind, "exit") == 0 && nfields == 2) {
      if (helper > 0 && !reaped) while (waitpid(helper, NULL, WNOHANG) < 0 && errno == EINTR) {}
      return atoi(fields[1]);
    }
    if (strcmp(kind, "out") == 0 && nfields >= 3) {
      int fd = strcmp(fields[1], "1") == 0 ? 1 : 2;
      for (size_t done = 0; done < third_len;) {
        ssize_t w = write(fd, fields[2] + done, third_len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
      }
      continue;
    }
    if (strcmp(kind, "spawn") == 0 && nfields == 4 && helper < 0) {
      char *end;
      long preserve = strtol(fields[3], &end, 10);
      if (*end != '\0' || preserve < 0 || preserve > 1000) break;
      int pipes[4], err = 0;
      if (pipe2(pipes, O_CLOEXEC) < 0 || pipe2(pipes + 2, O_CLOEXEC) < 0) break;
      helper = spawn_helper(fields[1], strcmp(fields[2], "1") == 0, preserve, pipes, &err);
      int theirs[2] = {pipes[1], pipes[2]};
      frame_str(f, helper > 0 ? "spawned" : "spawn-failed");
      if (helper > 0) frame_int(f, helper);
      else frame_str(f, strerror(err));
      int sent = frame_send(sock, f, helper > 0 ? theirs : NULL, helper > 0 ? 2 : 0);
      for (int i = 0; i < 4; i++) close(pipes[i]);
      if (helper < 0) helper = 0; /* asked once: no fallback from here on */
      if (sent < 0) break;
      continue;
    }
    if (strcmp(kind, "wait") == 0 && helper > 0 && !reaped) {
      int status;
      pid_t w;
      while ((w = waitpid(helper, &status, 0)) < 0 && errno == EINTR) {}
      reaped = 1;
      frame_str(f, "waited");
      frame_int(f, w > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      frame_int(f, w > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : -1);
      if (frame_send(sock, f, NULL, 0) < 0) break;
      continue;
    }
    break; /* a frame this side does not know: the service is not one to trust further */
  }
  if (helper < 0) return FAST_FALLBACK;
  return fast_error(r, FAST_MSG_SERVICE_ENDED);
}

int fast_service(int argc, char **argv, const char *self) {
  struct fast_request r;
  long preserve;
  if (getenv(FAST_OFF_ENV) || geteuid() != 0 || scan(argc, argv, &r, &preserve) < 0) return FAST_FALLBACK;
  /* as Node does at its start: a closed stdio fd is /dev/null, so that our socket and pipes never take its number */
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) return FAST_FALLBACK;
  }
  /* the fds to hand on must be there before ours take their numbers */
  for (int fd = 3; fd < 3 + preserve; fd++)
    if (fcntl(fd, F_GETFD) < 0) return FAST_FALLBACK;
  char stamp[512], dir[PATH_MAX], path[PATH_MAX];
  if (build_stamp(self, stamp, sizeof(stamp)) < 0) return FAST_FALLBACK;
  if (snprintf(dir, sizeof(dir), "%s/%s", r.root, FAST_SERVICE_DIR) >= (int)sizeof(dir) ||
      snprintf(path, sizeof(path), "%s/%s", dir, FAST_SERVICE_SOCKET) >= (int)sizeof(path))
    return FAST_FALLBACK;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path)) return FAST_FALLBACK;
  strcpy(addr.sun_path, path);
  struct stat st;
  if (lstat(dir, &st) < 0) {
    if (errno == ENOENT && r.root_given) start_service(self, r.root, stamp);
    return FAST_FALLBACK;
  }
  /* root's directory, for root only: else nobody's socket is trusted */
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) return FAST_FALLBACK;
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return FAST_FALLBACK;
  if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    if ((errno == ENOENT || errno == ECONNREFUSED) && r.root_given) start_service(self, r.root, stamp);
    close(sock);
    return FAST_FALLBACK;
  }
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
    close(sock);
    return FAST_FALLBACK;
  }
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof(cwd))) {
    close(sock);
    return FAST_FALLBACK;
  }
  mode_t mask = umask(0);
  umask(mask);
  struct frame f = {0};
  int ok = frame_add(&f, "\0\0\0", 3) == 0; /* the length's 4 bytes */
  ok = ok && frame_str(&f, "request") == 0 && frame_str(&f, stamp) == 0 && frame_str(&f, cwd) == 0 && frame_int(&f, (long)mask) == 0 &&
       frame_int(&f, argc - 1) == 0;
  for (int a = 1; ok && a < argc; a++) ok = frame_str(&f, argv[a]) == 0;
  int nenv = 0;
  for (char **e = environ; *e; e++) nenv += strncmp(*e, FAST_SERVICE_ENV_PREFIX, strlen(FAST_SERVICE_ENV_PREFIX)) == 0;
  ok = ok && frame_int(&f, nenv) == 0;
  for (char **e = environ; ok && *e; e++)
    if (strncmp(*e, FAST_SERVICE_ENV_PREFIX, strlen(FAST_SERVICE_ENV_PREFIX)) == 0) ok = frame_str(&f, *e) == 0;
  int code = ok && frame_send(sock, &f, NULL, 0) == 0 ? converse(sock, &r, &f) : FAST_FALLBACK;
  free(f.buf);
  close(sock);
  return code;
}
