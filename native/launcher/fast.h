/*
 * The runtime's fast path: the small commands of moby-dick-runtime answered
 * by the launcher from the state directory, /proc and the cgroup files,
 * without starting Node. TypeScript decides what they need and writes it
 * at create time (src/oci/fast-state.ts); this side reads it, checks the
 * process, signals, writes and removes what is listed. Whatever it is
 * unsure of (another flag, a record it does not know, an error of any kind)
 * it leaves to the TypeScript path with the same arguments: FAST_FALLBACK.
 * src/oci/fast-state.test.ts checks these names against TypeScript's.
 */
#ifndef MDK_FAST_H
#define MDK_FAST_H

#include <stddef.h>

#define FAST_FALLBACK (-1)

/* src/oci/state.ts: DEFAULT_ROOT, the lock and fifo names; src/oci/fast-state.ts: the file and its version */
#define FAST_DEFAULT_ROOT "/run/moby-dick"
#define FAST_LOCK_FILE "lock"
#define FAST_FIFO_FILE "exec.fifo"
#define FAST_STATE_FILE "fast-state"
#define FAST_STATE_VERSION "1"
/* src/oci-cli/start-handover.ts */
#define FAST_HANDOVER_ENV "MOBY_DICK_START_HANDOVER"
#define FAST_HANDOVER_MEMFD "mdk-start-report"
/* set (to anything): every command goes to the TypeScript path */
#define FAST_OFF_ENV "MOBY_DICK_RUNTIME_NO_FAST"

/* src/oci/saved-state.ts RUNTIME_MESSAGES: the errors callers meet every time (containerd's
   kill --all and delete --force after a container is gone), said as src/oci-cli/log.ts says them */
#define FAST_MSG_NOT_FOUND "container \"%s\" does not exist"
#define FAST_MSG_NOT_RUNNING "cannot kill container \"%s\": container not running"

#define FAST_MAX_RMDIR 128

/* src/oci-cli/compile-wire.ts: the compile service's command, directory, socket, stamp and what it is told */
#define FAST_SERVICE_COMMAND "create"
#define FAST_SERVICE_EXEC "exec"
#define FAST_SERVICE_RUN "run"
#define FAST_SERVICE_START "compile-service"
#define FAST_SERVICE_DIR "@compile"
#define FAST_SERVICE_SOCKET "sock"
#define FAST_SERVICE_STAMP_ENV "MOBY_DICK_COMPILE_STAMP"
#define FAST_SERVICE_ENV_PREFIX "MOBY_DICK_"
#define FAST_MSG_SERVICE_ENDED "container \"%s\": the compile service ended during the command (run it again)"

/* what the command line asks, once it parsed as one the fast path serves */
struct fast_request {
  const char *root;
  int root_given;         /* --root was on the command line (fast-service.c's scan) */
  const char *log;        /* --log FILE, or NULL */
  int log_json;           /* --log-format json */
  const char *command;
  const char *id;
  int force;     /* delete -f */
  int all;       /* kill -a */
  int signal;    /* kill: the signal number (SIGTERM when none is given) */
  int json;      /* ps and list: --format json */
  int quiet;     /* list -q */
};

/* the fast state of one container (records "KEY LENGTH\nVALUE\n"), values NUL-terminated in BUF */
struct fast_state {
  char *buf;
  const char *state_file;  /* state.json's "INODE SIZE MTIME_NS" when this was written */
  int pid;
  const char *start_time;
  const char *state_piece[3];
  const char *list_piece[3]; /* list --format json: the compact state */
  const char *bundle, *created, *owner; /* list's table */
  const char *slow;        /* "start delete": the commands left to TypeScript */
  const char *freezer;     /* NULL: none */
  int freezer_version;     /* 1 or 2 */
  const char *procs;       /* the directory whose cgroup.procs lists the processes; NULL: none */
  const char *rmdir[FAST_MAX_RMDIR];
  int rmdir_own[FAST_MAX_RMDIR];
  int nrmdir;
};

enum fast_status { FAST_CREATED, FAST_RUNNING, FAST_PAUSED, FAST_STOPPED };

/* fast-args.c */
int fast_parse(int argc, char **argv, struct fast_request *r);

/* fast-state.c */
int fast_state_read(const char *dir, struct fast_state *s);
void fast_state_free(struct fast_state *s);
int fast_slow(const struct fast_state *s, const char *command);
int fast_alive(int pid, const char *start_time);
int fast_proc_start_time(int pid, char *out, size_t size);
int fast_frozen(const struct fast_state *s);
enum fast_status fast_status_of(const char *dir, const struct fast_state *s);
const char *fast_status_name(enum fast_status st);
int fast_pids(const struct fast_state *s, int **out);
void fast_sleep_ms(double ms);

/* fast-log.c: an error as the TypeScript path reports it (stderr, --log); the exit status */
int fast_error(const struct fast_request *r, const char *template);

/* fast-commands.c: the exit status, or FAST_FALLBACK */
int fast_serve(int argc, char **argv);

/* fast-service.c: create through the compile service; the exit status, or FAST_FALLBACK. SELF: this program */
int fast_service(int argc, char **argv, const char *self);

#endif
