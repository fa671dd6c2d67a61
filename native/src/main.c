/*
 * main.c: mdk-init PARENT_PID [seal]. Reads the plan on fd 3, reports on
 * fd 4. With "seal" it first re-executes itself from a sealed memfd.
 * `mdk-init net OP...` makes a container's network links (netlink.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mdk.h"

extern char **environ;

static struct plan plan;

/* argv's strings, one block: the helper's host path is there, and --init keeps this process as the container's pid 1 */
static char *args_start;
static size_t args_len;

void set_title(const char *title)
{
	if (!args_start || args_len == 0)
		return;
	memset(args_start, 0, args_len);
	strncpy(args_start, title, args_len - 1);
	prctl(PR_SET_NAME, title);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "net") == 0)
		return net_main(argc - 2, argv + 2);
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "seal") != 0)) {
		static const char usage[] =
			"mdk-init is moby-dick's helper; it is started by moby-dick, not by hand\n";
		if (write(STDERR_FILENO, usage, sizeof(usage) - 1) < 0)
			return 125;
		return 125;
	}
	args_start = argv[0];
	args_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
	int err = argc == 3 ? ensure_sealed(argv, environ) : 0;
	if (err < 0) {
		report_error("seal helper", -err, "/proc/self/exe");
		return 125;
	}
	/* die with moby-dick, even if it is SIGKILLed */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)atol(argv[1]))
		return 125;
	uint64_t t0 = now_ns();
	err = plan_read(PLAN_FD, &plan);
	if (err < 0) {
		report_error("read plan", -err, "fd 3");
		return 125;
	}
	/* a container that may outlive us: from here on we are its monitor (watch.c) */
	if (plan.watch.on && watch_prepare(&plan) < 0)
		return 125;
	/* moby-dick forwards these itself; a terminal must not send them twice */
	int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		signal(forwarded[i], SIG_IGN);
	if (plan.join_user) {
		/* an ordinary user may join the container's pid namespace only from inside its user namespace */
		int fd = open(plan.join_user, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0) {
			report_error("setns", errno, plan.join_user);
			return 125;
		}
		close(fd);
	}
	if (plan.join_pid) {
		/* joining a pid namespace applies to the children made after it */
		int fd = open(plan.join_pid, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) {
			report_error("setns", errno, plan.join_pid);
			return 125;
		}
		close(fd);
	}
	int syncp[2];
	if (pipe2(syncp, O_CLOEXEC) < 0) {
		report_error("sync", errno, "pipe");
		return 125;
	}
	int sv[2] = {-1, -1};
	if (plan.tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		report_error("pty", errno, "socketpair");
		return 125;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (plan.debug)
		report_step("read plan", "", t0);
	t0 = now_ns();
	pid_t pid = (pid_t)syscall(SYS_clone, plan.clone_flags | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		report_error("clone", errno, "namespaces");
		return 125;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (sv[0] >= 0)
			close(sv[0]);
		close(syncp[1]);
		if (plan.watch.on)
			watch_child_stdio();
		container_main(&plan, sv[1], syncp[0]);
	}
	if (plan.debug)
		report_step("clone", "namespaces", t0);
	report("pid\t%d", pid);
	if (sv[1] >= 0)
		close(sv[1]);
	close(syncp[0]);
	return monitor_run(&plan, pid, sv[0], syncp[1]);
}
