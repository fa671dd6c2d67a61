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
 *                    "options WORD... --FLAG...\n" (up to OPTIONS_MAX
 *                    lines): Node options for the command lines that
 *                    begin with these words, snapshot or bundle (the API
 *                    service's smaller young generation); read even when
 *                    the stamp is of another Node binary
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
 * arguments. `create` asks the compile service (fast-service.c), which
 * starts the helper from this process. MOBY_DICK_RUNTIME_NO_FAST=1 turns
 * both off.
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
#include "forward-build.h"

/* the stamp's "only" and "except" lines, as read */
#define LIST_MAX 4096
/* "options" lines, and Node options in one */
#define OPTIONS_MAX 4
#define FLAGS_MAX 4

struct node_options {
  char line[LIST_MAX];    /* the line after "options ", split in place */
  char *words[FLAGS_MAX]; /* the command's first words */
  char *flags[FLAGS_MAX]; /* Node's options for it */
  int nwords, nflags;
};

struct stamp {
  char node[PATH_MAX];
  char only[LIST_MAX];   /* " WORD WORD ... " or "" for every command */
  char except[LIST_MAX]; /* " OPTION ... " or "" */
  struct node_options options[OPTIONS_MAX];
  int noptions;
};

/* LINE without its KEY and newline, as " A B C " into OUT, if LINE starts with KEY and a space */
static void keyed_list(const char *line, const char *key, char *out, size_t size) {
  size_t k = strlen(key);
  if (strncmp(line, key, k) != 0 || line[k] != ' ') return;
  snprintf(out, size, "%s ", line + k);
  out[strcspn(out, "\n")] = ' ';
}

/* an "options WORD... --FLAG..." line into the next of S's options; others ignored */
static void options_line(const char *line, struct stamp *s) {
  if (strncmp(line, "options ", 8) != 0 || s->noptions == OPTIONS_MAX) return;
  struct node_options *o = &s->options[s->noptions];
  snprintf(o->line, sizeof(o->line), "%s", line + 8);
  o->nwords = o->nflags = 0;
  char *save = NULL;
  for (char *w = strtok_r(o->line, " \n", &save); w != NULL; w = strtok_r(NULL, " \n", &save)) {
    if (strncmp(w, "--", 2) == 0) {
      if (o->nflags == FLAGS_MAX) return; /* more than a launcher passes: the line is left out */
      o->flags[o->nflags++] = w;
    } else {
      if (o->nflags > 0 || o->nwords == FLAGS_MAX) return; /* a word after a flag: not this format */
      o->words[o->nwords++] = w;
    }
  }
  if (o->nwords > 0 && o->nflags > 0) s->noptions++;
}

/* the Node options of the first "options" line whose words begin ARGV (after its name), or NULL */
static const struct node_options *options_for(const struct stamp *s, int argc, char **argv) {
  for (int i = 0; i < s->noptions; i++) {
    const struct node_options *o = &s->options[i];
    int w = 0;
    while (w < o->nwords && w + 1 < argc && strcmp(o->words[w], argv[w + 1]) == 0) w++;
    if (w == o->nwords) return o;
  }
  return NULL;
}

/* reads the stamp: 0 when its Node binary is still the one that made the blob
   (its lists are read either way) */
static int read_stamp(const char *path, struct stamp *s) {
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  intmax_t want_size, want_sec, want_nsec;
  uintmax_t want_ino;
  char line[LIST_MAX];
  s->only[0] = s->except[0] = '\0';
  s->noptions = 0;
  int ok = fgets(s->node, (int)sizeof(s->node), f) != NULL &&
           fscanf(f, "%jd %jd %jd %ju\n", &want_size, &want_sec, &want_nsec, &want_ino) == 4;
  while (ok && fgets(line, (int)sizeof(line), f) != NULL) {
    keyed_list(line, "only", s->only, sizeof(s->only));
    keyed_list(line, "except", s->except, sizeof(s->except));
    options_line(line, s);
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
    if (code == FAST_FALLBACK) code = fast_service(argc, argv, self);
    if (code != FAST_FALLBACK) return code;
  } else {
    int code = forward_build(argc, argv);
    if (code != FORWARD_FALLBACK) return code;
  }

  char blob[PATH_MAX], stamp_path[PATH_MAX], bundle[PATH_MAX];
  if (snprintf(blob, sizeof(blob), "%s.blob", self) >= (int)sizeof(blob) ||
      snprintf(stamp_path, sizeof(stamp_path), "%s.blob.stamp", self) >= (int)sizeof(stamp_path) ||
      snprintf(bundle, sizeof(bundle), "%s.cjs", self) >= (int)sizeof(bundle)) {
    fprintf(stderr, "%s: install path too long: %s\n", name, self);
    return 1;
  }

  /* node, the stamp's options for this command, up to 3 more options, "--", the arguments, NULL */
  char **args = calloc((size_t)argc + 5 + FLAGS_MAX, sizeof(char *));
  static struct stamp stamp;
  if (!args) return 1;
  int i = 0;
  const char *file;
  int fits = read_stamp(stamp_path, &stamp) == 0 && access(blob, R_OK) == 0;
  const struct node_options *options = options_for(&stamp, argc, argv);
  if (fits && serves(&stamp, argc, argv)) {
    file = stamp.node;
    args[i++] = stamp.node;
    for (int f = 0; options && f < options->nflags; f++) args[i++] = options->flags[f];
    args[i++] = "--snapshot-blob";
    args[i++] = blob;
    args[i++] = "--";
  } else {
    file = "node";
    args[i++] = "node";
    for (int f = 0; options && f < options->nflags; f++) args[i++] = options->flags[f];
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
