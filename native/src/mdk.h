/*
 * mdk-init: the small C helper of moby-dick.
 *
 * TypeScript decides, this program acts. It reads a plan (a list of steps
 * compiled by src/oci/compile.ts) from fd 3, creates the
 * namespaces, carries the steps out in order inside the new child, and
 * execs the container's command. It makes no policy decisions: every
 * path, flag, mode and id comes from the plan.
 *
 * Wire protocol (see src/helper/plan-wire.ts, the other half):
 *   fd 3 (in):  "MDKPLAN1\0" then ops, each "name\0arg\0arg\0...", ending with
 *               "end\0"; afterwards control messages "signal\0N\0",
 *               "resume\0NAME\0" (after a sync) and "detach\0\0".
 *   fd 4 (out): NUL-terminated records with tab-separated fields:
 *               "monitor\tN" (the pid of a detachable container's monitor),
 *               "pid\tN", "step\tNAME\tDETAIL\tNANOS",
 *               "error\tSTEP\tERRNO\tDETAIL", "sync\tNAME" (the child waits
 *               for "resume"), "ready" (parked for start), "exit\tCODE",
 *               "signal\tN".
 */
#ifndef MDK_H
#define MDK_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define PLAN_FD 3
#define STATUS_FD 4
#define PRESERVED_FD_BASE 5 /* --preserve-fds: the caller's fds 3.. arrive here */
#define MAX_OPS 4096
#define MAX_SLOTS 256
#define MAX_ON_EXIT_ARGS 64

/* The monitor of a container that can outlive moby-dick (watch.c). */
struct watch_opts {
	int on;                 /* any of the ops below: watch.c runs the container */
	const char *log_path;   /* log_json: Docker's json-file log, NULL if none */
	long long log_max_size; /* bytes, 0: never rotate */
	int log_max_files;      /* files in all, PATH and PATH.1.. */
	int stdin_open;         /* stdin_open: stdin is fed from attach clients */
	const char *attach_socket;
	const char *exit_file;
	char *on_exit[MAX_ON_EXIT_ARGS + 1]; /* NULL-terminated argv */
	int on_exit_n;
	/* health_every: the first check after FIRST ms, the next after what the check printed
	   (EVERY ms if nothing), a check that runs LIMIT ms is killed; health_cmd: its argv */
	long long health_first_ms, health_every_ms, health_limit_ms;
	char *health_cmd[MAX_ON_EXIT_ARGS + 1];
	int health_cmd_n;
};

/* Control messages "NAME\0VALUE\0" on fd 3, split across reads. */
struct ctlbuf {
	char data[4096];
	size_t len;
};

struct op {
	const char *name;
	char **args; /* points into the plan buffer */
	int nargs;
	const struct op_def *def; /* its row in ops.c */
};

struct ctx; /* the container child's state (container.h) */
struct plan;

/*
 * One row per op of the plan: ops.c holds the only list of them (and
 * src/helper/ops.ts the other half). The parser takes the arity from it,
 * plan.c applies settings with `set`, the container child runs steps with `run`.
 */
struct op_def {
	const char *name;
	int nargs;
	int flags;
	void (*set)(struct plan *plan, const struct op *op); /* OP_SETTING: read before the clone */
	void (*run)(struct ctx *c, const struct op *op);     /* a step of the container child */
};
enum {
	OP_SETTING = 1, /* for the outer helper, not a step of the child */
	OP_WATCH = 2,   /* a setting of the monitor that can outlive moby-dick (watch.c) */
	OP_QUIET = 4,   /* data rather than a step: no line in --debug output */
	OP_DETAIL1 = 8, /* --debug names what the step worked on by its second argument, not its first */
};

struct plan {
	struct op ops[MAX_OPS];
	int nops;
	/* settings, read by the outer helper */
	unsigned long clone_flags;
	int tty;         /* allocate a pseudo-terminal inside the container */
	int interactive; /* relay our stdin to it */
	int debug;       /* report every step with its duration */
	int use_init;    /* run a minimal init as pid 1 */
	int detach;      /* OCI create: leave the container parked, exit on "detach" */
	const char *console_socket; /* send the pty master there instead of relaying it */
	const char *join_pid;       /* setns() into this pid namespace before clone */
	const char *join_user;      /* setns() into this user namespace first (rootless exec) */
	int preserve_fds;           /* pass PRESERVED_FD_BASE.. on as 3.. to the command */
	struct watch_opts watch;
	/* bytes after "end\0" already read from fd 3: control messages */
	char *rest;
	size_t rest_len;
};

/* plan.c */
int plan_read(int fd, struct plan *plan);
const char *op_arg(const struct op *op, int i);

/* ops.c */
const struct op_def *op_find(const char *name);
void control_feed(struct ctlbuf *cb, const char *data, size_t len,
		  void (*fn)(void *arg, const char *name, const char *value), void *arg);

/* report.c: records on the status fd (moved out of the way by preserve_fds) */
extern int status_fd;
/* the exec fifo, once `start` has opened it: errors until exec go there too (process.c) */
extern int start_error_fd;
void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_ns(void);
void report_error(const char *step, int err, const char *detail);
void report_step(const char *name, const char *detail, uint64_t start_ns);
/* TIME as RFC 3339 in UTC with nanoseconds, trailing zeros cut (Go's RFC3339Nano) */
size_t format_time(char *out, size_t cap, const struct timespec *time);

/* container.c: the child's side, never returns */
void container_main(struct plan *plan, int pty_sock, int sync_fd) __attribute__((noreturn));

/* pty.c */
int pty_send_fd(int sock, int fd);
int pty_recv_fd(int sock);
int pty_open_inside(int *master_out);
int pty_make_ctty(int slave);
int pty_send_to_socket(const char *path, int fd);

/* monitor.c: the outer helper's side */
int monitor_run(struct plan *plan, pid_t child, int pty_sock, int sync_fd);

/* watch.c: a container's monitor that can outlive moby-dick */
int watch_prepare(struct plan *plan);
void watch_child_stdio(void);
int watch_run(struct plan *plan, pid_t child, int pty_sock, int sync_fd);

/* jsonlog.c: Docker's json-file log */
int jsonlog_open(const char *path, long long max_size, int max_files);
void jsonlog_write(int stream, const char *buf, size_t len, const struct timespec *now);
void jsonlog_flush(int stream);

/* attach.c: the attach socket's clients; frames to them carry one of these (src/engine/attach.ts) */
enum { OUT_STDOUT = 1, OUT_STDERR = 2, OUT_EXIT = 3 };
struct attach_input {
	size_t (*room)(void);                      /* stdin bytes that fit now */
	void (*stdin_bytes)(const char *buf, size_t len);
	void (*resize)(unsigned rows, unsigned cols);
	void (*close_stdin)(void);
};
int attach_listen(const char *path);
int attach_pollfds(struct pollfd *p, int max, int want_input);
void attach_events(const struct pollfd *p, int n, const struct attach_input *in);
void attach_output(int stream, const char *buf, size_t len);
/* whether the container's output waits for a client to catch up (*TIMEOUT_MS: look again by then) */
int attach_hold(int *timeout_ms);
/* the exit frame to every client; 1 when a client that handles the exit confirmed it did */
int attach_finish(const char *exit_json, size_t len);

/* init.c: minimal init (reaps zombies, forwards signals) */
void init_run(pid_t child) __attribute__((noreturn));
/* main.c: what ps and /proc/PID/cmdline show of this process (argv's memory, overwritten) */
void set_title(const char *title);

/* netlink.c: `mdk-init net OP...`, a container's veth, addresses and routes */
int net_main(int argc, char **argv);

/* sealed.c: run ourselves from a sealed memfd (CVE-2019-5736) */
int ensure_sealed(char **argv, char **envp);

#endif
