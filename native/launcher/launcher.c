/*
 * build/moby-dick and build/moby-dick-runtime (the same program under two
 * names): starts the CLI or the OCI runtime from its V8 startup snapshot
 * when that snapshot fits the Node binary at hand and serves the command,
 * and from its bundle otherwise. No policy: which files to run, and which
 * commands the snapshot serves, is decided at build time
 * (scripts/snapshot.mjs writes the blob and its stamp next to this binary).
 *
 *   NAME.blob        the startup snapshot (node --build-snapshot)
 *   NAME.blob.stamp  "PATH\nSIZE MTIME_SEC MTIME_NSEC INODE\n" of the Node
 *                    binary that made it (a snapshot only loads in that
 *                    one), then optionally
 *                    "only WORD...\n": the snapshot serves only commands
 *                    whose first argument is one of these words, and
 *                    "except OPTION...\n": nor any command with one of
 *                    these options (OPTION or OPTION=...) among the others
 *   NAME.cjs         the bundle, run with `node` from PATH as a fallback
 *
 * Why the choice: a snapshot costs to load (reading and deserializing the
 * blob: about 10 ms of CPU here for the CLI's), which pays off only for the
 * commands whose code it holds compiled and evaluated.
 * Why C: a shell script would cost a shell start, and a shebang cannot name
 * a file relative to the script. The launcher costs one exec (~0.3 ms).
 *
 * As moby-dick-runtime it first tries the fast path (fast.h): containerd
 * and Podman call the runtime 6-10 times per container, and the small
 * commands (state, start, kill, delete, pause, resume, ps) need no Node;
 * whatever the fast path does not serve runs as below, with the same
 * arguments. MOBY_DICK_RUNTIME_NO_FAST=1 turns it off.
 *
 * NODE_EXTRA_CA_CERTS is handed on as MOBY_DICK_DEFERRED_CA_CERTS: Node
 * reads and parses that file before anything runs (a whole CA bundle, as
 * some machines set it, cost 30 ms of a 180 ms `run`), and moby-dick needs
 * it only for a registry's TLS (src/util/deferred-ca-certs.ts loads it
 * then, and puts the variable back for the processes moby-dick starts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fast.h"

/* the stamp's "only" and "except" lines, as read */
#define LIST_MAX 4096

struct stamp {
  char node[PATH_MAX];
  char only[LIST_MAX];   /* " WORD WORD ... " or "" for every command */
  char except[LIST_MAX]; /* " OPTION ... " or "" */
};

/* LINE without its KEY and newline, as " A B C " into OUT, if LINE starts with KEY and a space */
static void keyed_list(const char *line, const char *key, char *out, size_t size) {
  size_t k = strlen(key);
  if (strncmp(line, key, k) != 0 || line[k] != ' ') return;
  snprintf(out, size, "%s ", line + k);
  out[strcspn(out, "\n")] = ' ';
}

/* reads the stamp: 0 when its Node binary is still the one that made the blob */
static int read_stamp(const char *path, struct stamp *s) {
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  intmax_t want_size, want_sec, want_nsec;
  uintmax_t want_ino;
  char line[LIST_MAX];
  s->only[0] = s->except[0] = '\0';
  int ok = fgets(s->node, (int)sizeof(s->node), f) != NULL &&
           fscanf(f, "%jd %jd %jd %ju\n", &want_size, &want_sec, &want_nsec, &want_ino) == 4;
  while (ok && fgets(line, (int)sizeof(line), f) != NULL) {
    keyed_list(line, "only", s->only, sizeof(s->only));
    keyed_list(line, "except", s->except, sizeof(s->except));
  }
  fclose(f);
  if (!ok) return -1;
  s->node[strcspn(s->node, "\n")] = '\0';
  struct stat st;
  if (stat(s->node, &st) < 0) return -1;
  if ((intmax_t)st.st_size != want_size || (intmax_t)st.st_mtim.tv_sec != want_sec ||
      (intmax_t)st.st_mtim.tv_nsec != want_nsec || (uintmax_t)st.st_ino != want_ino)
    return -1;
  return 0;
}

/* whether " A B C " holds WORD (up to LEN characters of it) */
static int listed(const char *list, const char *word, size_t len) {
  if (len == 0 || memchr(word, ' ', len) != NULL) return 0;
  for (const char *p = strstr(list, " "); p != NULL; p = strstr(p + 1, " ")) {
    if (strncmp(p + 1, word, len) == 0 && p[1 + len] == ' ') return 1;
  }
  return 0;
}

/* whether the stamp's snapshot serves this command line */
static int serves(const struct stamp *s, int argc, char **argv) {
  if (s->only[0] != '\0' && (argc < 2 || !listed(s->only, argv[1], strlen(argv[1])))) return 0;
  if (s->except[0] == '\0') return 1;
  for (int a = 2; a < argc; a++) {
    if (listed(s->except, argv[a], strcspn(argv[a], "="))) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0) {
    fprintf(stderr, "moby-dick: cannot read /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  self[n] = '\0';
  const char *name = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
  if (strcmp(name, "moby-dick-runtime") == 0) {
    int code = fast_serve(argc, argv);
    if (code != FAST_FALLBACK) return code;
  }

  char blob[PATH_MAX], stamp_path[PATH_MAX], bundle[PATH_MAX];
  if (snprintf(blob, sizeof(blob), "%s.blob", self) >= (int)sizeof(blob) ||
      snprintf(stamp_path, sizeof(stamp_path), "%s.blob.stamp", self) >= (int)sizeof(stamp_path) ||
      snprintf(bundle, sizeof(bundle), "%s.cjs", self) >= (int)sizeof(bundle)) {
    fprintf(stderr, "%s: install path too long: %s\n", name, self);
    return 1;
  }

  /* node, up to 3 of its options, "--", the arguments, NULL */
  char **args = calloc((size_t)argc + 5, sizeof(char *));
  static struct stamp stamp;
  if (!args) return 1;
  int i = 0;
  const char *file;
  if (access(blob, R_OK) == 0 && read_stamp(stamp_path, &stamp) == 0 && serves(&stamp, argc, argv)) {
    file = stamp.node;
    args[i++] = stamp.node;
    args[i++] = "--snapshot-blob";
    args[i++] = blob;
    args[i++] = "--";
  } else {
    file = "node";
    args[i++] = "node";
    args[i++] = "--";
    args[i++] = bundle;
  }
  for (int a = 1; a < argc; a++) args[i++] = argv[a];
  args[i] = NULL;
  const char *ca = getenv("NODE_EXTRA_CA_CERTS");
  if (ca && (setenv("MOBY_DICK_DEFERRED_CA_CERTS", ca, 1) < 0 || unsetenv("NODE_EXTRA_CA_CERTS") < 0)) return 1;
  execvp(file, args);
  fprintf(stderr, "%s: cannot run %s: %s (Node.js 20 or later must be in PATH)\n", name, file, strerror(errno));
  return 127;
}
