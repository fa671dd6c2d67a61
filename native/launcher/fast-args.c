/*
 * The command lines the fast path serves, parsed as the TypeScript path
 * parses them (src/oci-cli/main.ts, src/oci-cli/context.ts); anything else,
 * including any usage error, is left to that path.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "fast.h"

/* VALUE of a global option NAME at argv[*a] ("--NAME VALUE" or "--NAME=VALUE"): 1 when it is that option */
static int option_value(int argc, char **argv, int *a, const char *name, const char **value) {
  size_t n = strlen(name);
  const char *arg = argv[*a];
  if (strncmp(arg, name, n) != 0) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != '\0') return 0;
  if (*a + 1 >= argc) return -1;
  *value = argv[++*a];
  return 1;
}

/* src/oci/state.ts checkId: [A-Za-z0-9_+.-]+, at most 255, not . or .. */
static int valid_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 255 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) return 0;
  return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") == n;
}

/* a signal as digits only (what containerd and conmon pass); up to 9 of them, as Node reads a 32-bit number */
static int digits_signal(const char *text, int *sig) {
  size_t n = strlen(text);
  if (n == 0 || n > 9 || strspn(text, "0123456789") != n) return -1;
  *sig = atoi(text);
  return 0;
}

int fast_parse(int argc, char **argv, struct fast_request *r) {
  memset(r, 0, sizeof(*r));
  r->root = FAST_DEFAULT_ROOT;
  r->signal = SIGTERM;
  int a = 1;
  for (; a < argc && argv[a][0] == '-'; a++) {
    const char *value = NULL;
    int got;
    if ((got = option_value(argc, argv, &a, "--root", &value)) != 0) {
      if (got < 0 || value[0] == '\0') return FAST_FALLBACK;
      r->root = value;
    } else if ((got = option_value(argc, argv, &a, "--log-format", &value)) != 0) {
      if (got < 0 || (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)) return FAST_FALLBACK;
      r->log_json = strcmp(value, "json") == 0;
    } else if ((got = option_value(argc, argv, &a, "--log", &value)) != 0) {
      if (got < 0) return FAST_FALLBACK;
      r->log = value;
    } else {
      return FAST_FALLBACK;
    }
  }
  if (a >= argc) return FAST_FALLBACK;
  r->command = argv[a++];
  const char *positional[2];
  int npos = 0;
  for (; a < argc; a++) {
    const char *arg = argv[a];
    int is_delete = strcmp(r->command, "delete") == 0, is_kill = strcmp(r->command, "kill") == 0;
    int is_list = strcmp(r->command, "list") == 0, is_ps = strcmp(r->command, "ps") == 0;
    if (is_delete && (strcmp(arg, "--force") == 0 || strcmp(arg, "-f") == 0)) {
      r->force = 1;
    } else if (is_kill && (strcmp(arg, "--all") == 0 || strcmp(arg, "-a") == 0)) {
      r->all = 1;
    } else if (is_list && (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0)) {
      r->quiet = 1;
    } else if ((is_ps || is_list) && (strcmp(arg, "--format") == 0 || strcmp(arg, "-f") == 0 || strncmp(arg, "--format=", 9) == 0)) {
      const char *format = arg[1] == '-' && arg[8] == '=' ? arg + 9 : a + 1 < argc ? argv[++a] : NULL;
      if (!format) return FAST_FALLBACK;
      r->json = strcmp(format, "json") == 0;
      /* list takes table or json, and says so for anything else */
      if (is_list && !r->json && strcmp(format, "table") != 0) return FAST_FALLBACK;
    } else if (arg[0] == '-' || npos == 2) {
      return FAST_FALLBACK;
    } else {
      positional[npos++] = arg;
    }
  }
  if (strcmp(r->command, "list") == 0) return npos == 0 ? 0 : FAST_FALLBACK;
  int max = strcmp(r->command, "kill") == 0 ? 2 : 1;
  if (npos < 1 || npos > max || !valid_id(positional[0])) return FAST_FALLBACK;
  r->id = positional[0];
  if (npos == 2 && digits_signal(positional[1], &r->signal) < 0) return FAST_FALLBACK;
  return 0;
}
