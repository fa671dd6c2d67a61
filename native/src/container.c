/*
 * container.c: the child side. Runs in the new namespaces and carries out the
 * steps of the plan in order (rootfs.c and process.c do the work), ending
 * with the exec of the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "container.h"

void fail(const char *step, int err, const char *detail)
{
	report_error(step, err, detail);
	_exit(125);
}

long num(const char *s, int base)
{
	return strtol(s, NULL, base);
}

const char *nonempty(const char *s)
{
	return *s ? s : NULL;
}

static void run_op(struct ctx *c, const struct op *op)
{
	const char *n = op->name;
	const char *a0 = op_arg(op, 0);
	if (strcmp(n, "propagation") == 0) {
		if (mount(NULL, "/", NULL, (unsigned long)num(a0, 10), NULL) < 0)
			fail("propagation", errno, "/");
	} else if (strcmp(n, "mount_host") == 0) {
		if (mount(nonempty(a0), op_arg(op, 1), nonempty(op_arg(op, 2)),
			  (unsigned long)num(op_arg(op, 3), 10), nonempty(op_arg(op, 4))) < 0)
			fail("mount", errno, op_arg(op, 1));
	} else if (strcmp(n, "tree_clone") == 0) {
		tree_clone(c, op);
	} else if (strcmp(n, "setroot") == 0) {
		set_root(c, a0);
	} else if (strcmp(n, "mkdir") == 0) {
		mkdir_p(c, a0, (mode_t)num(op_arg(op, 1), 8));
	} else if (strcmp(n, "mknod") == 0) {
		mknod_in_root(c, op);
	} else if (strcmp(n, "symlink") == 0) {
		symlink_in_root(c, op);
	} else if (strcmp(n, "touch") == 0) {
		touch_in_root(c, op);
	} else if (strcmp(n, "mount") == 0) {
		mount_in_root(c, op);
	} else if (strcmp(n, "tree_attach") == 0) {
		tree_attach(c, op);
	} else if (strcmp(n, "remount") == 0) {
		remount_in_root(c, op);
	} else if (strcmp(n, "readonly") == 0) {
		readonly_in_root(c, a0);
	} else if (strcmp(n, "mask") == 0) {
		mask_in_root(c, a0);
	} else if (strcmp(n, "pivot") == 0) {
		pivot(c);
	} else if (strcmp(n, "move_root") == 0) {
		move_root(c);
	} else if (strcmp(n, "chroot") == 0) {
		chroot_root(c);
	} else if (strcmp(n, "propagate_up") == 0) {
		propagate_up(a0, (unsigned long)num(op_arg(op, 1), 10));
	} else if (strcmp(n, "hostname") == 0) {
		if (sethostname(a0, strlen(a0)) < 0)
			fail("hostname", errno, a0);
	} else if (strcmp(n, "umask") == 0) {
		umask((mode_t)num(a0, 8));
	} else if (strcmp(n, "setsid") == 0) {
		if (setsid() < 0)
			fail("setsid", errno, "");
	} else if (strcmp(n, "pty") == 0) {
		int master;
		console_in_root(c, a0, &master);
		if (pty_send_fd(c->pty_sock, master) < 0)
			fail("pty", errno, "send");
		close(master);
	} else if (strcmp(n, "bounding") == 0) {
		drop_bounding(a0);
	} else if (strcmp(n, "user") == 0) {
		set_user(op);
	} else if (strcmp(n, "caps") == 0) {
		set_caps(op);
	} else if (strcmp(n, "nonewprivs") == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			fail("no_new_privs", errno, "");
	} else if (strcmp(n, "cwd") == 0) {
		set_cwd(a0);
	} else if (strcmp(n, "env") == 0) {
		push(&c->envp, &c->envc, op->args[0]);
	} else if (strcmp(n, "arg") == 0) {
		push(&c->argv, &c->argc, op->args[0]);
	} else if (strcmp(n, "sync") == 0) {
		wait_sync(c, a0);
	} else if (strcmp(n, "unshare") == 0) {
		if (unshare((int)num(a0, 10)) < 0)
			fail("unshare", errno, a0);
	} else if (strcmp(n, "setns") == 0) {
		join_namespace(a0, (int)num(op_arg(op, 1), 10));
	} else if (strcmp(n, "chown") == 0) {
		chown_in_root(c, op);
	} else if (strcmp(n, "propagate") == 0) {
		propagate_in_root(c, op);
	} else if (strcmp(n, "procwrite") == 0) {
		proc_write(c, a0, op_arg(op, 1));
	} else if (strcmp(n, "domainname") == 0) {
		if (setdomainname(a0, strlen(a0)) < 0)
			fail("domainname", errno, a0);
	} else if (strcmp(n, "rlimit") == 0) {
		set_rlimit(op);
	} else if (strcmp(n, "fifo_open") == 0) {
		fifo_open(c, a0);
	} else if (strcmp(n, "fifo_wait") == 0) {
		fifo_wait(c);
	} else if (strcmp(n, "release") == 0) {
		release(c->plan->watch.on);
	} else if (strcmp(n, "personality") == 0) {
		if (personality((unsigned long)num(a0, 10)) < 0)
			fail("personality", errno, a0);
	} else if (strcmp(n, "seccomp") == 0) {
		load_seccomp(c, a0, op_arg(op, 1));
	} else if (strcmp(n, "exec_path") == 0) {
		/* an OCI hook: the file to run is not argv[0] */
		snprintf(c->exec_path, sizeof(c->exec_path), "%s", a0);
	} else if (strcmp(n, "exec_check") == 0) {
		resolve_command(c);
	} else if (strcmp(n, "exec") == 0) {
		if (c->plan->debug)
			report_step("exec", c->argc ? c->argv[0] : "", now_ns());
		run_exec(c);
	}
}

static int is_setting(const char *n)
{
	return !strcmp(n, "clone") || !strcmp(n, "tty") || !strcmp(n, "debug") ||
	       !strcmp(n, "init") || !strcmp(n, "end") || !strcmp(n, "detach") ||
	       !strcmp(n, "console_socket") || !strcmp(n, "join_pid") || !strcmp(n, "preserve_fds") ||
	       is_watch_setting(n);
}

/* The argument that names what a step worked on, for --debug. */
static const char *step_detail(const struct op *op)
{
	const char *n = op->name;
	if (!strcmp(n, "mount") || !strcmp(n, "mount_host") || !strcmp(n, "tree_attach") ||
	    !strcmp(n, "symlink"))
		return op_arg(op, 1);
	return op_arg(op, 0);
}

/* Steps worth a line in --debug output; env/arg are data, not steps. */
static int is_quiet(const char *n)
{
	return !strcmp(n, "env") || !strcmp(n, "arg") || !strcmp(n, "exec") || !strcmp(n, "fifo_wait") ||
	       !strcmp(n, "release");
}

void container_main(struct plan *plan, int pty_sock, int sync_fd)
{
	struct ctx c = {.plan = plan, .pty_sock = pty_sock, .sync_fd = sync_fd, .rootfd = -1, .fifo_fd = -1,
		       .nullfd = -1, .procfd = -1};
	for (int i = 0; i < MAX_SLOTS; i++)
		c.slots[i] = -1;
	for (int i = 0; i < plan->nops; i++) {
		const struct op *op = &plan->ops[i];
		if (is_setting(op->name))
			continue;
		uint64_t t0 = now_ns();
		run_op(&c, op);
		if (plan->debug && !is_quiet(op->name))
			report_step(op->name, step_detail(op), t0);
	}
	fail("exec", EINVAL, "plan has no exec step");
}
