/*
 * state, start, kill, delete, pause, resume, ps and list of moby-dick-runtime,
 * served from the fast state when all goes well, step for step as
 * src/oci/lifecycle.ts does them. Every error but the two callers meet
 * each time (no such container; kill of one that is not running), and every case this file
 * does not know, returns FAST_FALLBACK before anything is changed (or
 * after what the TypeScript path does again harmlessly: it reads the
 * state afresh), so the words and exit codes are that path's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fast.h"

/* one container: its state directory, its fast state, the lock while held */
struct container {
  char dir[PATH_MAX];
  struct fast_state state;
  int lock;
};

static int write_all(int fd, const char *text, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    text += n;
    len -= (size_t)n;
  }
  return 0;
}

static void release(struct container *c) {
  if (c->lock >= 0) close(c->lock);
  c->lock = -1;
  fast_state_free(&c->state);
}

/* the container R names, its fast state read (under its lock with LOCKED, as StateStore.withLock); -1: leave it to TypeScript, -2: there is none */
static int open_container(const struct fast_request *r, struct container *c, int locked) {
  c->lock = -1;
  c->state.buf = NULL;
  struct stat st;
  if (snprintf(c->dir, sizeof(c->dir), "%s/%s", r->root, r->id) >= (int)sizeof(c->dir)) return -1;
  if (stat(c->dir, &st) < 0) return errno == ENOENT ? -2 : -1;
  if (locked) {
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/%s", c->dir, FAST_LOCK_FILE);
    c->lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock < 0 || flock(c->lock, LOCK_EX) < 0) {
      release(c);
      return -1;
    }
  }
  if (fast_state_read(c->dir, &c->state) < 0 || fast_slow(&c->state, r->command)) {
    release(c);
    return -1;
  }
  return 0;
}

/* state: the OCI state's bytes, the pid and status filled in */
static int cmd_state(struct container *c) {
  const struct fast_state *s = &c->state;
  if (!s->state_piece[0] || !s->state_piece[1] || !s->state_piece[2]) return FAST_FALLBACK;
  enum fast_status st = fast_status_of(c->dir, s);
  char *out = NULL;
  int n = asprintf(&out, "%s%d%s%s%s", s->state_piece[0], st == FAST_STOPPED ? 0 : s->pid, s->state_piece[1], fast_status_name(st), s->state_piece[2]);
  if (n < 0) return FAST_FALLBACK;
  write_all(1, out, (size_t)n);
  free(out);
  return 0;
}

/* the report of a start that did not end the plain way, for the TypeScript path (src/oci-cli/start-handover.ts) */
static int hand_over(int started, const char *records, size_t len) {
  int fd = memfd_create(FAST_HANDOVER_MEMFD, 0);
  char name[16];
  if (fd < 0 || write_all(fd, started ? "1" : "0", 1) < 0 || write_all(fd, records, len) < 0 || lseek(fd, 0, SEEK_SET) < 0) return FAST_FALLBACK;
  snprintf(name, sizeof(name), "%d", fd);
  setenv(FAST_HANDOVER_ENV, name, 1);
  return FAST_FALLBACK;
}

/* start: lifecycle.ts releaseInit, the byte from the parked init, then what it reports before its exec */
static int cmd_start(struct container *c) {
  if (fast_status_of(c->dir, &c->state) != FAST_CREATED) return FAST_FALLBACK;
  char fifo[PATH_MAX + 16];
  snprintf(fifo, sizeof(fifo), "%s/%s", c->dir, FAST_FIFO_FILE);
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return FAST_FALLBACK;
  char byte;
  int started = 0;
  for (int tries = 0;; tries++) {
    if (read(fd, &byte, 1) == 1) {
      started = 1;
      break;
    }
    if (!fast_alive(c->state.pid, c->state.start_time) || tries > 1000) {
      started = read(fd, &byte, 1) == 1;
      break;
    }
    /* the byte wakes this at once; the init's end does not (it never opened the fifo): looked at every 10 ms */
    poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 10);
  }
  char records[65536];
  size_t len = 0;
  for (int tries = 0; started;) {
    ssize_t n = read(fd, records + len, sizeof(records) - len);
    if (n == 0) break;
    if (n > 0) {
      len += (size_t)n;
      if (len == sizeof(records)) break;
      continue;
    }
    if (errno != EAGAIN || ++tries > 1000) break;
    /* exec closes the init's end (readable: at its end), an error record comes before */
    poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 10);
  }
  close(fd);
  if (!started || len > 0) {
    release(c); /* the TypeScript path takes the lock again */
    return hand_over(started, records, len);
  }
  unlink(fifo);
  return 0;
}

/* the processes R signals: the init, or with --all every process of the container */
static int cmd_kill(struct container *c, const struct fast_request *r) {
  enum fast_status st = fast_status_of(c->dir, &c->state);
  if (st == FAST_STOPPED) return fast_error(r, FAST_MSG_NOT_RUNNING);
  int *pids = NULL;
  int n = 1;
  if (r->all && (n = fast_pids(&c->state, &pids)) < 0) return FAST_FALLBACK;
  for (int i = 0; i < n; i++) kill(r->all ? pids[i] : c->state.pid, r->signal); /* one that ended meanwhile is no error */
  free(pids);
  return 0;
}

/* lifecycle.ts killAndWait */
static void kill_and_wait(int pid, const char *start_time) {
  if (kill(pid, SIGKILL) < 0) return;
  for (int i = 0; i < 10000 && fast_alive(pid, start_time); i++) fast_sleep_ms(1);
}

/* cgroup.ts setFrozen: the write, then a wait until the freezer says so; -1 when it cannot be written */
static int set_frozen(const struct fast_state *s, int frozen) {
  if (!s->freezer) return -1;
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", s->freezer, s->freezer_version == 1 ? "freezer.state" : "cgroup.freeze");
  const char *value = s->freezer_version == 1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  int ok = fd >= 0 && write_all(fd, value, strlen(value)) == 0;
  if (fd >= 0) ok = close(fd) == 0 && ok;
  if (!ok) return -1;
  for (int i = 0; i < 1000 && fast_frozen(s) != frozen; i++) fast_sleep_ms(1);
  return 0;
}

/* pause and resume */
static int cmd_freeze(struct container *c, int frozen) {
  if (fast_status_of(c->dir, &c->state) != (frozen ? FAST_RUNNING : FAST_PAUSED)) return FAST_FALLBACK;
  return set_frozen(&c->state, frozen) < 0 ? FAST_FALLBACK : 0;
}

/* lifecycle.ts killCgroupTasks: SIGKILL to every task of the cgroup, waited for; -1 when one lives on */
static int kill_cgroup_tasks(const struct fast_state *s) {
  if (!s->procs) return 0;
  int *pids;
  int n = fast_pids(s, &pids);
  if (n < 0) return -1;
  char (*starts)[64] = calloc((size_t)n + 1, 64);
  if (!starts) {
    free(pids);
    return -1;
  }
  for (int i = 0; i < n; i++) fast_proc_start_time(pids[i], starts[i], 64);
  for (int i = 0; i < n; i++) kill(pids[i], SIGKILL);
  for (int i = 0; i < n; i++) kill_and_wait(pids[i], starts[i]);
  int left = 0;
  for (int i = 0; i < n; i++) left |= fast_alive(pids[i], starts[i]);
  free(pids);
  free(starts);
  return left ? -1 : 0;
}

static int has_subdirectory(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int found = 0;
  for (struct dirent *e; !found && (e = readdir(d)) != NULL;) found = e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return found;
}

/*
 * cgroup.ts remove: the listed directories in order. Gone is removed; a
 * parent with other containers' cgroups in it stays. What cgroup.ts would
 * wait for or report (busy, not empty) is left to it: -1.
 */
static int remove_cgroups(const struct fast_state *s) {
  for (int i = 0; i < s->nrmdir; i++) {
    if (rmdir(s->rmdir[i]) == 0 || errno == ENOENT) continue;
    if (!s->rmdir_own[i] && (errno == ENOTEMPTY || (errno == EBUSY && has_subdirectory(s->rmdir[i])))) continue;
    return -1;
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* delete: lifecycle.ts delete for one container without hooks, then its state directory */
static int cmd_delete(struct container *c, const struct fast_request *r) {
  const struct fast_state *s = &c->state;
  enum fast_status st = fast_status_of(c->dir, s);
  if ((st == FAST_RUNNING || st == FAST_PAUSED) && !r->force) return FAST_FALLBACK;
  if (st == FAST_PAUSED && set_frozen(s, 0) < 0) return FAST_FALLBACK;
  if (st != FAST_STOPPED) kill_and_wait(s->pid, s->start_time);
  if (r->force && kill_cgroup_tasks(s) < 0) return FAST_FALLBACK;
  if (remove_cgroups(s) < 0) return FAST_FALLBACK;
  char path[PATH_MAX + 16];
  snprintf(path, sizeof(path), "%s/%s", c->dir, FAST_STATE_FILE);
  if (unlink(path) < 0) return FAST_FALLBACK;
  release(c);
  /* StateStore.remove, after the lock is let go: what fails here the TypeScript path would not report either */
  nftw(c->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return 0;
}

/* ps: the container's processes, as a table or JSON */
static int cmd_ps(struct container *c, const struct fast_request *r) {
  int *pids;
  int n = fast_pids(&c->state, &pids);
  if (n < 0) return FAST_FALLBACK;
  size_t size = 16 + (size_t)n * 12, len = 0;
  char *out = malloc(size);
  if (!out) return FAST_FALLBACK;
  len += (size_t)snprintf(out, size, "%s", r->json ? "[" : "PID\n");
  for (int i = 0; i < n; i++) len += (size_t)snprintf(out + len, size - len, r->json ? "%s%d" : "%s%d\n", r->json && i > 0 ? "," : "", pids[i]);
  if (r->json) len += (size_t)snprintf(out + len, size - len, "]\n");
  write_all(1, out, len);
  free(out);
  free(pids);
  return 0;
}

/* text, to OUT (grown as needed); -1 when memory runs out */
struct out {
  char *buf;
  size_t len, cap;
};

static int put(struct out *o, const char *text, size_t n) {
  if (o->len + n + 1 > o->cap) {
    size_t cap = (o->len + n + 1) * 2;
    char *more = realloc(o->buf, cap);
    if (!more) return -1;
    o->buf = more;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, text, n);
  o->len += n;
  o->buf[o->len] = '\0';
  return 0;
}

static int puts_out(struct out *o, const char *text) {
  return put(o, text, strlen(text));
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* one row of list's table: each cell padded to its column's width and 3 more, the end trimmed (info.ts) */
static int table_row(struct out *o, const char *const cells[6], const size_t widths[6]) {
  size_t start = o->len;
  for (int i = 0; i < 6; i++) {
    if (puts_out(o, cells[i]) < 0) return -1;
    for (size_t n = strlen(cells[i]); n < widths[i] + 3; n++) if (put(o, " ", 1) < 0) return -1;
  }
  while (o->len > start && strchr(" \t\n\v\f\r", o->buf[o->len - 1])) o->len--;
  return put(o, "\n", 1);
}

/* list: every container under the root, as lifecycle.ts list and info.ts print them; one without a fast state leaves it all to Node */
static int cmd_list(const struct fast_request *r) {
  DIR *d = opendir(r->root);
  if (!d) return FAST_FALLBACK;
  char **ids = NULL;
  size_t n = 0;
  int failed = 0;
  for (struct dirent *e; !failed && (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (strspn(e->d_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != strlen(e->d_name)) continue;
    char **more = realloc(ids, sizeof(char *) * (n + 1));
    failed = !more || !(more[n] = strdup(e->d_name));
    if (more) ids = more;
    if (!failed) n++;
  }
  closedir(d);
  if (n > 0) qsort(ids, n, sizeof(char *), compare_names);
  struct container *cs = calloc(n + 1, sizeof(struct container));
  enum fast_status *st = calloc(n + 1, sizeof(enum fast_status));
  char(*pids)[16] = calloc(n + 1, 16);
  failed = failed || !cs || !st || !pids;
  for (size_t i = 0; !failed && i < n; i++) cs[i].lock = -1; /* none is opened yet */
  for (size_t i = 0; !failed && i < n; i++) {
    struct fast_request one = *r;
    one.id = ids[i];
    if (open_container(&one, &cs[i], 0) < 0) {
      failed = 1;
      break;
    }
    const struct fast_state *s = &cs[i].state;
    failed = !s->list_piece[0] || !s->list_piece[1] || !s->list_piece[2] || !s->bundle || !s->created || !s->owner;
    st[i] = fast_status_of(cs[i].dir, s);
    snprintf(pids[i], 16, "%d", st[i] == FAST_STOPPED ? 0 : s->pid);
  }
  struct out o = {0};
  int code = FAST_FALLBACK;
  if (!failed) {
    code = 0;
    if (r->quiet) {
      for (size_t i = 0; code == 0 && i < n; i++) code = puts_out(&o, ids[i]) < 0 || put(&o, "\n", 1) < 0 ? FAST_FALLBACK : 0;
    } else if (r->json) {
      code = puts_out(&o, "[") < 0 ? FAST_FALLBACK : 0;
      for (size_t i = 0; code == 0 && i < n; i++) {
        const struct fast_state *s = &cs[i].state;
        if ((i > 0 && puts_out(&o, ",") < 0) || puts_out(&o, s->list_piece[0]) < 0 || puts_out(&o, pids[i]) < 0 || puts_out(&o, s->list_piece[1]) < 0 ||
            puts_out(&o, fast_status_name(st[i])) < 0 || puts_out(&o, s->list_piece[2]) < 0)
          code = FAST_FALLBACK;
      }
      if (code == 0 && puts_out(&o, "]\n") < 0) code = FAST_FALLBACK;
    } else {
      static const char *const head[6] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
      size_t widths[6];
      for (int c = 0; c < 6; c++) widths[c] = strlen(head[c]);
      for (size_t i = 0; i < n; i++) {
        const struct fast_state *s = &cs[i].state;
        const char *cells[6] = {ids[i], pids[i], fast_status_name(st[i]), s->bundle, s->created, s->owner};
        for (int c = 0; c < 6; c++) widths[c] = strlen(cells[c]) > widths[c] ? strlen(cells[c]) : widths[c];
      }
      code = table_row(&o, head, widths) < 0 ? FAST_FALLBACK : 0;
      for (size_t i = 0; code == 0 && i < n; i++) {
        const struct fast_state *s = &cs[i].state;
        const char *cells[6] = {ids[i], pids[i], fast_status_name(st[i]), s->bundle, s->created, s->owner};
        code = table_row(&o, cells, widths) < 0 ? FAST_FALLBACK : 0;
      }
    }
  }
  if (code == 0) write_all(1, o.buf ? o.buf : "", o.len);
  free(o.buf);
  for (size_t i = 0; i < n; i++) {
    if (cs) release(&cs[i]);
    free(ids[i]);
  }
  free(ids);
  free(cs);
  free(st);
  free(pids);
  return code;
}

int fast_serve(int argc, char **argv) {
  if (getenv(FAST_OFF_ENV) || getuid() != 0) return FAST_FALLBACK;
  struct fast_request r;
  if (fast_parse(argc, argv, &r) < 0) return FAST_FALLBACK;
  static const char *const locked[] = {"start", "kill", "delete", "pause", "resume"};
  static const char *const unlocked[] = {"state", "ps", "list"};
  int lock = -1;
  for (size_t i = 0; i < sizeof(locked) / sizeof(*locked); i++) if (strcmp(r.command, locked[i]) == 0) lock = 1;
  for (size_t i = 0; i < sizeof(unlocked) / sizeof(*unlocked); i++) if (strcmp(r.command, unlocked[i]) == 0) lock = 0;
  if (strcmp(r.command, "list") == 0) return cmd_list(&r);
  struct container c;
  if (lock < 0) return FAST_FALLBACK;
  int opened = open_container(&r, &c, lock);
  if (opened == -2) return fast_error(&r, FAST_MSG_NOT_FOUND);
  if (opened < 0) return FAST_FALLBACK;
  int code;
  const char *cmd = r.command;
  if (strcmp(cmd, "state") == 0) code = cmd_state(&c);
  else if (strcmp(cmd, "start") == 0) code = cmd_start(&c);
  else if (strcmp(cmd, "kill") == 0) code = cmd_kill(&c, &r);
  else if (strcmp(cmd, "delete") == 0) code = cmd_delete(&c, &r);
  else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0) code = cmd_freeze(&c, strcmp(cmd, "pause") == 0);
  else code = cmd_ps(&c, &r);
  release(&c);
  return code;
}
