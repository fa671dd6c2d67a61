/*
 * ops.c: the ops of the plan, one row each (at the end of this file): its
 * name, its number of arguments, its flags, and what carries it out. A
 * setting is applied by plan.c before the clone (`set`); a step is run by the
 * container child, in the plan's order (`run`; most of the work is in rootfs.c
 * and process.c). src/helper/ops.ts is the TypeScript half: one record per
 * op there, one row here, and src/helper/plan-wire.test.ts checks that the
 * two agree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "container.h"

#define UNUSED __attribute__((unused))

/* settings: fields of the plan, read by the outer helper */

static void set_clone(struct plan *p, const struct op *op)
{
	p->clone_flags = strtoul(op_arg(op, 0), NULL, 10);
}

static void set_tty(struct plan *p, const struct op *op)
{
	p->tty = 1;
	p->interactive = strcmp(op_arg(op, 0), "1") == 0;
}

static void set_debug(struct plan *p, const struct op *op UNUSED)
{
	p->debug = 1;
}

static void set_init(struct plan *p, const struct op *op UNUSED)
{
	p->use_init = 1;
}

static void set_detach(struct plan *p, const struct op *op UNUSED)
{
	p->detach = 1;
}

static void set_console_socket(struct plan *p, const struct op *op)
{
	p->console_socket = op_arg(op, 0);
}

static void set_join_pid(struct plan *p, const struct op *op)
{
	p->join_pid = op_arg(op, 0);
}

static void set_join_user(struct plan *p, const struct op *op)
{
	p->join_user = op_arg(op, 0);
}

static void set_preserve_fds(struct plan *p, const struct op *op)
{
	p->preserve_fds = atoi(op_arg(op, 0));
}

static void set_log_json(struct plan *p, const struct op *op)
{
	p->watch.log_path = op_arg(op, 0);
	p->watch.log_max_size = strtoll(op_arg(op, 1), NULL, 10);
	p->watch.log_max_files = atoi(op_arg(op, 2));
}

static void set_stdin_open(struct plan *p, const struct op *op UNUSED)
{
	p->watch.stdin_open = 1;
}

static void set_attach_socket(struct plan *p, const struct op *op)
{
	p->watch.attach_socket = op_arg(op, 0);
}

static void set_exit_file(struct plan *p, const struct op *op)
{
	p->watch.exit_file = op_arg(op, 0);
}

static void set_on_exit(struct plan *p, const struct op *op)
{
	struct watch_opts *w = &p->watch;
	if (w->on_exit_n < MAX_ON_EXIT_ARGS)
		w->on_exit[w->on_exit_n++] = op->args[0];
}

static void set_health_every(struct plan *p, const struct op *op)
{
	p->watch.health_first_ms = strtoll(op_arg(op, 0), NULL, 10);
	p->watch.health_every_ms = strtoll(op_arg(op, 1), NULL, 10);
	p->watch.health_limit_ms = strtoll(op_arg(op, 2), NULL, 10);
}

static void set_health_cmd(struct plan *p, const struct op *op)
{
	struct watch_opts *w = &p->watch;
	if (w->health_cmd_n < MAX_ON_EXIT_ARGS)
		w->health_cmd[w->health_cmd_n++] = op->args[0];
}

/* steps of the container child that are a call or two; the rest are in rootfs.c and process.c */

static void step_propagation(struct ctx *c UNUSED, const struct op *op)
{
	if (mount(NULL, "/", NULL, (unsigned long)num(op_arg(op, 0), 10), NULL) < 0)
		fail("propagation", errno, "/");
}

static void step_mount_host(struct ctx *c UNUSED, const struct op *op)
{
	if (mount(nonempty(op_arg(op, 0)), op_arg(op, 1), nonempty(op_arg(op, 2)),
		  (unsigned long)num(op_arg(op, 3), 10), nonempty(op_arg(op, 4))) < 0)
		fail("mount", errno, op_arg(op, 1));
}

static void step_setroot(struct ctx *c, const struct op *op)
{
	set_root(c, op_arg(op, 0));
}

static void step_mkdir(struct ctx *c, const struct op *op)
{
	mkdir_p(c, op_arg(op, 0), (mode_t)num(op_arg(op, 1), 8));
}

static void step_readonly(struct ctx *c, const struct op *op)
{
	readonly_in_root(c, op_arg(op, 0));
}

static void step_mask(struct ctx *c, const struct op *op)
{
	mask_in_root(c, op_arg(op, 0));
}

static void step_pivot(struct ctx *c, const struct op *op UNUSED)
{
	pivot(c);
}

static void step_move_root(struct ctx *c, const struct op *op UNUSED)
{
	move_root(c);
}

static void step_chroot(struct ctx *c, const struct op *op UNUSED)
{
	chroot_root(c);
}

static void step_propagate_up(struct ctx *c UNUSED, const struct op *op)
{
	propagate_up(op_arg(op, 0), (unsigned long)num(op_arg(op, 1), 10));
}

static void step_hostname(struct ctx *c UNUSED, const struct op *op)
{
	const char *name = op_arg(op, 0);
	if (sethostname(name, strlen(name)) < 0)
		fail("hostname", errno, name);
}

static void step_umask(struct ctx *c UNUSED, const struct op *op)
{
	umask((mode_t)num(op_arg(op, 0), 8));
}

static void step_setsid(struct ctx *c UNUSED, const struct op *op UNUSED)
{
	if (setsid() < 0)
		fail("setsid", errno, "");
}

static void step_pty(struct ctx *c, const struct op *op)
{
	int master;
	console_in_root(c, op_arg(op, 0), &master);
	if (pty_send_fd(c->pty_sock, master) < 0)
		fail("pty", errno, "send");
	close(master);
}

static void step_bounding(struct ctx *c UNUSED, const struct op *op)
{
	drop_bounding(op_arg(op, 0));
}

static void step_user(struct ctx *c UNUSED, const struct op *op)
{
	set_user(op);
}

static void step_caps(struct ctx *c UNUSED, const struct op *op)
{
	set_caps(op);
}

static void step_nonewprivs(struct ctx *c UNUSED, const struct op *op UNUSED)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("no_new_privs", errno, "");
}

static void step_cwd(struct ctx *c UNUSED, const struct op *op)
{
	set_cwd(op_arg(op, 0));
}

static void step_env(struct ctx *c, const struct op *op)
{
	push(&c->envp, &c->envc, op->args[0]);
}

static void step_arg(struct ctx *c, const struct op *op)
{
	push(&c->argv, &c->argc, op->args[0]);
}

static void step_sync(struct ctx *c, const struct op *op)
{
	wait_sync(c, op_arg(op, 0));
}

/*
 * Joins a v1 cgroup by writing 0 to its tasks file: the kernel moves the
 * calling thread without taking the threadgroup lock for writing, which a
 * write of a pid to cgroup.procs takes and which waits for an RCU grace
 * period (about 16 ms here). The child is single-threaded, so the thread is
 * the process. The file must be on a cgroup v1 file system.
 */
static void step_join_cgroup(struct ctx *c UNUSED, const struct op *op)
{
	const char *path = op_arg(op, 0);
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail("join cgroup", errno, path);
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		fail("join cgroup", errno, path);
	if (sf.f_type != CGROUP_SUPER_MAGIC)
		fail("join cgroup", EXDEV, path);
	if (write(fd, "0", 1) != 1)
		fail("join cgroup", errno, path);
	close(fd);
}

static void step_unshare(struct ctx *c UNUSED, const struct op *op)
{
	if (unshare((int)num(op_arg(op, 0), 10)) < 0)
		fail("unshare", errno, op_arg(op, 0));
}

static void step_setns(struct ctx *c UNUSED, const struct op *op)
{
	join_namespace(op_arg(op, 0), (int)num(op_arg(op, 1), 10));
}

static void step_procwrite(struct ctx *c, const struct op *op)
{
	proc_write(c, op_arg(op, 0), op_arg(op, 1));
}

static void step_domainname(struct ctx *c UNUSED, const struct op *op)
{
	const char *name = op_arg(op, 0);
	if (setdomainname(name, strlen(name)) < 0)
		fail("domainname", errno, name);
}

static void step_rlimit(struct ctx *c UNUSED, const struct op *op)
{
	set_rlimit(op);
}

static void step_fifo_open(struct ctx *c, const struct op *op)
{
	fifo_open(c, op_arg(op, 0));
}

static void step_fifo_wait(struct ctx *c, const struct op *op UNUSED)
{
	fifo_wait(c);
}

static void step_release(struct ctx *c, const struct op *op UNUSED)
{
	release(c->plan->watch.on);
}

static void step_personality(struct ctx *c UNUSED, const struct op *op)
{
	if (personality((unsigned long)num(op_arg(op, 0), 10)) < 0)
		fail("personality", errno, op_arg(op, 0));
}

static void step_seccomp(struct ctx *c, const struct op *op)
{
	load_seccomp(c, op_arg(op, 0), op_arg(op, 1));
}

/* an OCI hook: the file to run is not argv[0] */
static void step_exec_path(struct ctx *c, const struct op *op)
{
	snprintf(c->exec_path, sizeof(c->exec_path), "%s", op_arg(op, 0));
}

static void step_exec_check(struct ctx *c, const struct op *op UNUSED)
{
	resolve_command(c);
}

static void step_exec(struct ctx *c, const struct op *op UNUSED)
{
	if (c->plan->debug)
		report_step("exec", c->argc ? c->argv[0] : "", now_ns());
	run_exec(c);
}

static const struct op_def ops[] = {
	/* settings for the outer helper */
	{"clone", 1, OP_SETTING, .set = set_clone},
	{"tty", 1, OP_SETTING, .set = set_tty},
	{"debug", 0, OP_SETTING, .set = set_debug},
	{"init", 0, OP_SETTING, .set = set_init},
	{"detach", 0, OP_SETTING, .set = set_detach},
	{"console_socket", 1, OP_SETTING, .set = set_console_socket},
	{"join_pid", 1, OP_SETTING, .set = set_join_pid},
	{"join_user", 1, OP_SETTING, .set = set_join_user},
	{"preserve_fds", 1, OP_SETTING, .set = set_preserve_fds},
	{"end", 0, OP_SETTING, .set = NULL},
	/* the monitor of a container that can outlive moby-dick (watch.c) */
	{"log_json", 3, OP_SETTING | OP_WATCH, .set = set_log_json},
	{"stdin_open", 0, OP_SETTING | OP_WATCH, .set = set_stdin_open},
	{"attach_socket", 1, OP_SETTING | OP_WATCH, .set = set_attach_socket},
	{"exit_file", 1, OP_SETTING | OP_WATCH, .set = set_exit_file},
	{"on_exit", 1, OP_SETTING | OP_WATCH, .set = set_on_exit},
	{"health_every", 3, OP_SETTING | OP_WATCH, .set = set_health_every},
	{"health_cmd", 1, OP_SETTING | OP_WATCH, .set = set_health_cmd},
	/* steps of the container child, run in the order TypeScript wrote them */
	{"propagation", 1, 0, .run = step_propagation},
	{"mount_host", 5, OP_DETAIL1, .run = step_mount_host},
	{"tree_clone", 2, 0, .run = tree_clone},
	{"setroot", 1, 0, .run = step_setroot},
	{"mkdir", 2, 0, .run = step_mkdir},
	{"mknod", 4, 0, .run = mknod_in_root},
	{"symlink", 2, OP_DETAIL1, .run = symlink_in_root},
	{"touch", 2, 0, .run = touch_in_root},
	{"mount", 5, OP_DETAIL1, .run = mount_in_root},
	{"bind_device", 2, OP_DETAIL1, .run = bind_device_in_root},
	{"tree_attach", 2, OP_DETAIL1, .run = tree_attach},
	{"shm_clone", 2, 0, .run = shm_clone},
	{"remount", 2, 0, .run = remount_in_root},
	{"mask", 1, 0, .run = step_mask},
	{"readonly", 1, 0, .run = step_readonly},
	{"pivot", 0, 0, .run = step_pivot},
	{"move_root", 0, 0, .run = step_move_root},
	{"chroot", 0, 0, .run = step_chroot},
	{"propagate_up", 2, 0, .run = step_propagate_up},
	{"hostname", 1, 0, .run = step_hostname},
	{"umask", 1, 0, .run = step_umask},
	{"setsid", 0, 0, .run = step_setsid},
	{"pty", 1, 0, .run = step_pty},
	{"bounding", 1, 0, .run = step_bounding},
	{"user", 3, 0, .run = step_user},
	{"caps", 4, 0, .run = step_caps},
	{"nonewprivs", 0, 0, .run = step_nonewprivs},
	{"cwd", 1, 0, .run = step_cwd},
	{"env", 1, OP_QUIET, .run = step_env},
	{"arg", 1, OP_QUIET, .run = step_arg},
	{"sync", 1, 0, .run = step_sync},
	{"setns", 2, 0, .run = step_setns},
	{"join_cgroup", 1, 0, .run = step_join_cgroup},
	{"unshare", 1, 0, .run = step_unshare},
	{"chown", 3, 0, .run = chown_in_root},
	{"propagate", 2, 0, .run = propagate_in_root},
	{"procwrite", 2, 0, .run = step_procwrite},
	{"domainname", 1, 0, .run = step_domainname},
	{"rlimit", 3, 0, .run = step_rlimit},
	{"personality", 1, 0, .run = step_personality},
	{"seccomp", 2, 0, .run = step_seccomp},
	{"fifo_open", 1, 0, .run = step_fifo_open},
	{"exec_path", 1, 0, .run = step_exec_path},
	{"exec_check", 0, 0, .run = step_exec_check},
	{"fifo_wait", 0, OP_QUIET, .run = step_fifo_wait},
	{"release", 0, OP_QUIET, .run = step_release},
	{"exec", 0, OP_QUIET, .run = step_exec},
};

const struct op_def *op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}
