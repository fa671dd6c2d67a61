/*
 * Reading a container's fast state (written by src/oci/fast-state.ts) and
 * what /proc and the cgroup files say about it: alive, created, paused.
 * The status follows src/oci/state.ts StateStore.status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fast.h"

#define FAST_STATE_MAX (1 << 20)

/* the whole of DIR/NAME, NUL-terminated, or NULL */
static char *read_file(const char *dir, const char *name, size_t max, size_t *len) {
  char path[4096];
  if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  char *buf = malloc(max + 1);
  size_t n = 0;
  ssize_t got = 0;
  while (buf && n < max && (got = read(fd, buf + n, max - n)) > 0) n += (size_t)got;
  close(fd);
  if (!buf || got < 0 || n == max) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

void fast_state_free(struct fast_state *s) {
  free(s->buf);
  s->buf = NULL;
}

/* whether DIR's state.json is still the one the fast state was written for (fast-state.ts fileStamp) */
static int state_file_matches(const char *dir, const char *stamp) {
  char path[PATH_MAX], now[96];
  struct stat st;
  if (snprintf(path, sizeof(path), "%s/state.json", dir) >= (int)sizeof(path) || stat(path, &st) < 0) return 0;
  snprintf(now, sizeof(now), "%ju %jd %jd", (uintmax_t)st.st_ino, (intmax_t)st.st_size,
           (intmax_t)st.st_mtim.tv_sec * 1000000000 + (intmax_t)st.st_mtim.tv_nsec);
  return strcmp(now, stamp) == 0;
}

/* src/oci/fast-state.ts FAST_STATE_KEYS */
int fast_state_read(const char *dir, struct fast_state *s) {
  memset(s, 0, sizeof(*s));
  size_t len;
  s->buf = read_file(dir, FAST_STATE_FILE, FAST_STATE_MAX, &len);
  if (!s->buf) return -1;
  char *p = s->buf, *end = s->buf + len;
  int first = 1;
  while (p < end) {
    char *space = memchr(p, ' ', (size_t)(end - p));
    if (!space) goto bad;
    *space = '\0';
    char *key = p, *after;
    unsigned long n = strtoul(space + 1, &after, 10);
    if (after == space + 1 || *after != '\n' || n > (size_t)(end - after - 1) || after[1 + n] != '\n') goto bad;
    char *value = after + 1;
    value[n] = '\0';
    if (strlen(value) != n) goto bad; /* a NUL inside */
    p = value + n + 1;
    if (first) {
      if (strcmp(key, "version") != 0 || strcmp(value, FAST_STATE_VERSION) != 0) goto bad;
      first = 0;
    } else if (strcmp(key, "state-file") == 0) {
      s->state_file = value;
    } else if (strcmp(key, "pid") == 0) {
      s->pid = atoi(value);
    } else if (strcmp(key, "start-time") == 0) {
      s->start_time = value;
    } else if (strncmp(key, "state-", 6) == 0 && key[6] >= '0' && key[6] <= '2' && key[7] == '\0') {
      s->state_piece[key[6] - '0'] = value;
    } else if (strncmp(key, "list-", 5) == 0 && key[5] >= '0' && key[5] <= '2' && key[6] == '\0') {
      s->list_piece[key[5] - '0'] = value;
    } else if (strcmp(key, "bundle") == 0) {
      s->bundle = value;
    } else if (strcmp(key, "created") == 0) {
      s->created = value;
    } else if (strcmp(key, "owner") == 0) {
      s->owner = value;
    } else if (strcmp(key, "slow") == 0) {
      s->slow = value;
    } else if (strcmp(key, "freezer-v1") == 0 || strcmp(key, "freezer-v2") == 0) {
      s->freezer = value;
      s->freezer_version = key[9] - '0';
    } else if (strcmp(key, "procs") == 0) {
      s->procs = value;
    } else if (strcmp(key, "rmdir-own") == 0 || strcmp(key, "rmdir-parent") == 0) {
      if (s->nrmdir == FAST_MAX_RMDIR) goto bad;
      s->rmdir_own[s->nrmdir] = key[6] == 'o';
      s->rmdir[s->nrmdir++] = value;
    } else {
      goto bad;
    }
  }
  if (first || s->pid <= 0 || !s->start_time || !s->slow || !s->state_file || !state_file_matches(dir, s->state_file)) goto bad;
  return 0;
bad:
  fast_state_free(s);
  return -1;
}

/* whether the fast state leaves COMMAND to the TypeScript path ("slow": words between single spaces) */
int fast_slow(const struct fast_state *s, const char *command) {
  size_t n = strlen(command);
  for (const char *p = strstr(s->slow, command); p; p = strstr(p + 1, command)) {
    if ((p == s->slow || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
  }
  return 0;
}

/* whether TEXT has a line that is LINE */
static int has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = strstr(text, line); p; p = strstr(p + 1, line)) {
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return 1;
  }
  return 0;
}

/* src/oci/proc.ts procStat: the state and start time fields of /proc/PID/stat */
static int proc_stat(int pid, char *state, char *start_time, size_t size) {
  char dir[64];
  snprintf(dir, sizeof(dir), "/proc/%d", pid);
  char *text = read_file(dir, "stat", 4096, NULL);
  if (!text) return -1;
  char *p = strrchr(text, ')');
  int ok = p != NULL && p[1] == ' ';
  /* fields start after the last ')': the state is the first, the start time the 20th */
  if (ok) {
    p += 2;
    *state = *p;
    for (int field = 0; field < 19 && p; field++) p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
    ok = p != NULL && snprintf(start_time, size, "%.*s", (int)strcspn(p, " \n"), p) < (int)size;
  }
  free(text);
  return ok ? 0 : -1;
}

int fast_proc_start_time(int pid, char *out, size_t size) {
  char state;
  out[0] = '\0';
  return proc_stat(pid, &state, out, size);
}

/* src/oci/proc.ts isAlive: exists, not a zombie, the same start time */
int fast_alive(int pid, const char *start_time) {
  char state, start[64];
  if (pid <= 0 || proc_stat(pid, &state, start, sizeof(start)) < 0) return 0;
  return state != 'Z' && state != 'X' && strcmp(start, start_time) == 0;
}

/* src/cgroups/cgroup.ts isFrozen */
int fast_frozen(const struct fast_state *s) {
  if (!s->freezer) return 0;
  char *text = read_file(s->freezer, s->freezer_version == 1 ? "freezer.state" : "cgroup.events", 65536, NULL);
  if (!text) return 0;
  int frozen;
  /* v1: the file trimmed is FROZEN; v2: a line "frozen 1" */
  if (s->freezer_version == 1) {
    size_t n = strlen(text);
    while (n > 0 && strchr(" \t\n\r\v\f", text[n - 1])) text[--n] = '\0';
    frozen = strcmp(text + strspn(text, " \t\n\r\v\f"), "FROZEN") == 0;
  } else {
    frozen = has_line(text, "frozen 1");
  }
  free(text);
  return frozen;
}

/* src/oci/state.ts StateStore.status, for a container with its pid */
enum fast_status fast_status_of(const char *dir, const struct fast_state *s) {
  if (!fast_alive(s->pid, s->start_time)) return FAST_STOPPED;
  char fifo[4096];
  struct stat st;
  snprintf(fifo, sizeof(fifo), "%s/%s", dir, FAST_FIFO_FILE);
  if (stat(fifo, &st) == 0) return FAST_CREATED;
  return fast_frozen(s) ? FAST_PAUSED : FAST_RUNNING;
}

/* the OCI status words (src/oci/state.ts Status) */
const char *fast_status_name(enum fast_status st) {
  static const char *const names[] = {[FAST_CREATED] = "created", [FAST_RUNNING] = "running", [FAST_PAUSED] = "paused", [FAST_STOPPED] = "stopped"};
  return names[st];
}

/* src/oci/lifecycle.ts processes: the pids of the container's cgroup, or its init's without one; -1 on error */
int fast_pids(const struct fast_state *s, int **out) {
  if (!s->procs) {
    *out = malloc(sizeof(int));
    if (!*out) return -1;
    (*out)[0] = s->pid;
    return 1;
  }
  char *text = read_file(s->procs, "cgroup.procs", 1 << 22, NULL);
  if (!text) {
    *out = NULL;
    return 0; /* as cgroup.ts read(): a cgroup gone lists nothing */
  }
  int n = 0, cap = 16;
  int *pids = malloc(sizeof(int) * (size_t)cap);
  for (char *line = strtok(text, "\n"); pids && line; line = strtok(NULL, "\n")) {
    if (n == cap) {
      int *more = realloc(pids, sizeof(int) * (size_t)(cap *= 2));
      if (!more) free(pids);
      pids = more;
      if (!pids) break;
    }
    pids[n++] = atoi(line);
  }
  free(text);
  *out = pids;
  return pids ? n : -1;
}

void fast_sleep_ms(double ms) {
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}
