/*
 * build/moby-dick-runtime: starts the OCI runtime from its V8 startup
 * snapshot when that snapshot fits the Node binary at hand, and from its
 * bundle otherwise. No policy: which files to run is decided at build time
 * (scripts/bundle.mjs writes the blob and its stamp next to this binary).
 *
 *   NAME.blob        the startup snapshot (node --build-snapshot)
 *   NAME.blob.stamp  "PATH\nSIZE MTIME_SEC MTIME_NSEC INODE\n" of the Node
 *                    binary that made it; a snapshot only loads in that one
 *   NAME.cjs         the bundle, run with `node` from PATH as a fallback
 *
 * Why C: a shell script would cost a shell start, and a shebang cannot name
 * a file relative to the script. The launcher costs one exec (~0.3 ms).
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

/* the Node binary named by the stamp, if it is still the one that made the blob */
static int stamped_node(const char *stamp, char *node, size_t size) {
  FILE *f = fopen(stamp, "re");
  if (!f) return -1;
  intmax_t want_size, want_sec, want_nsec;
  uintmax_t want_ino;
  int ok = fgets(node, (int)size, f) != NULL &&
           fscanf(f, "%jd %jd %jd %ju", &want_size, &want_sec, &want_nsec, &want_ino) == 4;
  fclose(f);
  if (!ok) return -1;
  node[strcspn(node, "\n")] = '\0';
  struct stat st;
  if (stat(node, &st) < 0) return -1;
  if ((intmax_t)st.st_size != want_size || (intmax_t)st.st_mtim.tv_sec != want_sec ||
      (intmax_t)st.st_mtim.tv_nsec != want_nsec || (uintmax_t)st.st_ino != want_ino)
    return -1;
  return 0;
}

int main(int argc, char **argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0) {
    fprintf(stderr, "moby-dick-runtime: cannot read /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  self[n] = '\0';

  char blob[PATH_MAX], stamp[PATH_MAX], bundle[PATH_MAX], node[PATH_MAX];
  if (snprintf(blob, sizeof(blob), "%s.blob", self) >= (int)sizeof(blob) ||
      snprintf(stamp, sizeof(stamp), "%s.blob.stamp", self) >= (int)sizeof(stamp) ||
      snprintf(bundle, sizeof(bundle), "%s.cjs", self) >= (int)sizeof(bundle)) {
    fprintf(stderr, "moby-dick-runtime: install path too long: %s\n", self);
    return 1;
  }

  /* node, up to 3 of its options, "--", the arguments, NULL */
  char **args = calloc((size_t)argc + 5, sizeof(char *));
  if (!args) return 1;
  int i = 0;
  const char *file;
  if (access(blob, R_OK) == 0 && stamped_node(stamp, node, sizeof(node)) == 0) {
    file = node;
    args[i++] = node;
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
  execvp(file, args);
  fprintf(stderr, "moby-dick-runtime: cannot run %s: %s\n", file, strerror(errno));
  return 127;
}
