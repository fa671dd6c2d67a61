/*
 * The fast path's errors, said as src/oci-cli/log.ts says them: a line in
 * --log (JSON, or runc's text form) and "moby-dick-runtime: MESSAGE" on
 * stderr, exit status 1. Only the messages of fast.h, about an id of
 * [A-Za-z0-9_+.-]: nothing in them needs more escaping than '"' and '\'.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "fast.h"

/* TEXT as a JSON string, as JSON.stringify writes it (for TEXT of printable ASCII) */
static void json_string(FILE *f, const char *text) {
  fputc('"', f);
  for (const char *p = text; *p; p++) {
    if (*p == '"' || *p == '\\') fputc('\\', f);
    fputc(*p, f);
  }
  fputc('"', f);
}

int fast_error(const struct fast_request *r, const char *template) {
  char msg[512];
  snprintf(msg, sizeof(msg), template, r->id);
  if (r->log) {
    struct timeval tv;
    struct tm tm;
    char when[64];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    /* new Date().toISOString() */
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (f) {
      if (r->log_json) {
        fputs("{\"level\":\"error\",\"msg\":", f);
        json_string(f, msg);
        fprintf(f, ",\"time\":\"%s\"}\n", when);
      } else {
        fprintf(f, "time=\"%s\" level=error msg=", when);
        json_string(f, msg);
        fputc('\n', f);
      }
      fclose(f);
      /* appendFileSync: created if missing; a log that cannot be written does not hide the error */
      int fd = open(r->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
      if (fd >= 0) {
        if (write(fd, line, len) < 0) { /* as above */ }
        close(fd);
      }
      free(line);
    }
  }
  dprintf(2, "moby-dick-runtime: %s\n", msg);
  return 1;
}
