/*
 * process.c: the container's process: user and groups, capabilities,
 * rlimits, seccomp, namespaces joined, the exec fifo, the sync points, and
 * the exec itself (with the container's PATH).
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

/*
 * Whether setgroups(2) is denied in this user namespace: a single-id map
 * written by an ordinary user (rootless) needs "deny" in
 * /proc/self/setgroups first, and supplementary groups stay the caller's.
 */
static int setgroups_denied(void)
{
	char buf[16] = {0};
	struct statfs sfs;
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC ? read(fd, buf, sizeof buf - 1) : -1;
	close(fd);
	return n > 0 && strncmp(buf, "deny", 4) == 0;
}

void set_user(const struct op *op)
{
	uid_t uid = (uid_t)num(op_arg(op, 0), 10);
	gid_t gid = (gid_t)num(op_arg(op, 1), 10);
	gid_t groups[256];
	size_t n = 0;
	for (const char *s = op_arg(op, 2); *s && n < 256;) {
		char *end;
		groups[n++] = (gid_t)strtoul(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		fail("user", errno, "keepcaps");
	/* no groups asked and setgroups denied: the caller's groups stay (as runc rootless) */
	if (setgroups(n, groups) < 0 && !(errno == EPERM && n == 0 && setgroups_denied()))
		fail("user", errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		fail("user", errno, "setgid");
	if (setresuid(uid, uid, uid) < 0)
		fail("user", errno, "setuid");
	if (prctl(PR_SET_KEEPCAPS, 0) < 0)
		fail("user", errno, "keepcaps");
	/* changing credentials clears the parent-death signal: set it again */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void drop_bounding(const char *hex)
{
	unsigned long long keep = strtoull(hex, NULL, 16);
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			fail("capabilities", errno, "bounding set");
		}
	}
}

void set_caps(const struct op *op)
{
	unsigned long long eff = strtoull(op_arg(op, 0), NULL, 16);
	unsigned long long prm = strtoull(op_arg(op, 1), NULL, 16);
	unsigned long long inh = strtoull(op_arg(op, 2), NULL, 16);
	unsigned long long amb = strtoull(op_arg(op, 3), NULL, 16);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {
		{(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
	};
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capabilities", errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail("capabilities", errno, "ambient");
	/*
	 * An ambient capability must be permitted and inheritable; configs
	 * (runc spec's own) list ambient ones that are not. runc only warns
	 * then, and so this goes on without them.
	 */
	for (int cap = 0; cap < 64; cap++)
		if (amb & (1ull << cap))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
}

void set_cwd(const char *dir)
{
	if (chdir(dir) < 0)
		fail("cwd", errno, dir);
	/* refuse a cwd that is not under the container's root */
	char buf[4096];
	if (getcwd(buf, sizeof(buf)) == NULL)
		fail("cwd", errno == ENOENT ? EXDEV : errno, dir);
}

void push(char ***v, int *n, char *s)
{
	char **nv = realloc(*v, sizeof(char *) * (size_t)(*n + 2));
	if (!nv)
		fail("plan", ENOMEM, "args");
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
}

static const char *env_get(char **envp, const char *key)
{
	size_t k = strlen(key);
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, key, k) == 0 && (*e)[k] == '=')
			return *e + k + 1;
	return NULL;
}

static void reset_signals(void)
{
	sigset_t all;
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static int is_executable_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

/*
 * Find the command as execvpe would, with the container's PATH, without
 * running it: OCI create reports "not found" before it parks, as runc does.
 */
void resolve_command(struct ctx *c)
{
	if (c->argc == 0)
		fail("exec", EINVAL, "no command");
	const char *file = c->argv[0];
	if (strchr(file, '/')) {
		int r = is_executable_file(file);
		if (r < 0)
			fail("exec", -r, file);
		snprintf(c->exec_path, sizeof(c->exec_path), "%s", file);
		return;
	}
	const char *path = env_get(c->envp, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	int seen_eacces = 0;
	for (const char *p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int dlen = (int)(colon - p);
		snprintf(c->exec_path, sizeof(c->exec_path), "%.*s%s%s", dlen, p, dlen ? "/" : "", file);
		int r = is_executable_file(c->exec_path);
		if (r == 0)
			return;
		if (r == -EACCES)
			seen_eacces = 1;
		if (*colon == '\0')
			break;
		p = colon;
	}
	c->exec_path[0] = '\0';
	fail("exec", seen_eacces ? EACCES : ENOENT, file);
}

static void exec_command(struct ctx *c)
{
	if (!c->exec_path[0])
		resolve_command(c);
	char **envp = c->envp ? c->envp : (char *[]){NULL};
	reset_signals();
	execve(c->exec_path, c->argv, envp);
	fail("exec", errno, c->argv[0]);
}

/*
 * From here the process outlives the helper that made it (create, exec -d).
 * Under a monitor (WATCHED) its parent is the monitor, which lives as long
 * as the container should: the death signal stays, so that a monitor killed
 * takes its container along instead of leaving it running with nobody to
 * read its output, record its exit or remove it.
 */
void release(int watched)
{
	if (!watched)
		prctl(PR_SET_PDEATHSIG, 0);
	report("ready");
}

/* Park until `start` opens the exec fifo for reading (runc's protocol). */
void fifo_wait(struct ctx *c)
{
	if (c->fifo_fd < 0)
		fail("exec fifo", EBADF, "no fifo");
	release(c->plan->watch.on);
	char p[64];
	int fd = open(fd_path(c, c->fifo_fd, p, sizeof(p)), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("exec fifo", errno, "open");
	if (write(fd, "0", 1) != 1)
		fail("exec fifo", errno, "write");
	/*
	 * kept open until exec closes it: `start` reads on to the end, and a
	 * step that fails from here on reports its error there, so a command
	 * that never ran is an error of `start`, not a silent exit
	 */
	start_error_fd = fd;
	close(c->fifo_fd);
	c->fifo_fd = -1;
}

/* The fifo is made by the runtime (owned so that the container's root may write it). */
void fifo_open(struct ctx *c, const char *path)
{
	c->fifo_fd = open(path, O_PATH | O_CLOEXEC);
	if (c->fifo_fd < 0)
		fail("exec fifo", errno, path);
}

void wait_sync(struct ctx *c, const char *name)
{
	report("sync\t%s", name);
	char b;
	ssize_t r;
	while ((r = read(c->sync_fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (r != 1)
		fail("sync", r < 0 ? errno : EPIPE, name);
}

void join_namespace(const char *path, int nstype)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("setns", errno, path);
	if (setns(fd, nstype) < 0)
		fail("setns", errno, path);
	close(fd);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* One past the highest fd this process may have open: where a loop over fds stops. */
static int fd_limit(void)
{
	struct rlimit rl;
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1u << 20 ? (int)rl.rlim_cur : 1 << 20;
}

/* Close every fd from FIRST on, without close_range if a filter refuses it. */
static void close_from(int first)
{
	if (syscall(SYS_close_range, first, ~0U, 0) == 0)
		return;
	for (int fd = first, max = fd_limit(); fd < max; fd++)
		close(fd);
}

/*
 * Mark every fd above 2 close-on-exec: nothing of the host's may reach the
 * command (design.md). Before the seccomp filter, which may refuse
 * close_range (older Docker and containerd profiles do); every fd this
 * helper opens afterwards is O_CLOEXEC.
 */
static void sweep_fds(struct ctx *c)
{
	if (c->swept)
		return;
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			fail("exec", errno, "close_range");
		/* a kernel before 5.11: one fcntl per open fd */
		for (int fd = 3, max = fd_limit(); fd < max; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	c->swept = 1;
}

/* Load the BPF filter TypeScript compiled (src/oci/seccomp.ts), given as hex. */
void load_seccomp(struct ctx *c, const char *flags, const char *hex)
{
	sweep_fds(c);
	size_t len = strlen(hex);
	if (len == 0 || len % 16 != 0)
		fail("seccomp", EINVAL, "filter length");
	size_t n = len / 16;
	unsigned char *bytes = malloc(len / 2);
	if (!bytes)
		fail("seccomp", ENOMEM, "filter");
	for (size_t i = 0; i < len / 2; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
		if (h < 0 || l < 0)
			fail("seccomp", EINVAL, "filter encoding");
		bytes[i] = (unsigned char)(h << 4 | l);
	}
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = (struct sock_filter *)bytes};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned int)strtoul(flags, NULL, 10), &prog) < 0)
		fail("seccomp", errno, "load filter");
	free(bytes);
}

static rlim_t rlim_value(const char *s)
{
	return strcmp(s, "unlimited") == 0 ? RLIM_INFINITY : (rlim_t)strtoull(s, NULL, 10);
}

void set_rlimit(const struct op *op)
{
	struct rlimit rl = {rlim_value(op_arg(op, 1)), rlim_value(op_arg(op, 2))};
	if (setrlimit((int)num(op_arg(op, 0), 10), &rl) < 0)
		fail("rlimit", errno, op_arg(op, 0));
}

/*
 * --preserve-fds N: the caller's fds 3..3+N-1 came in at PRESERVED_FD_BASE..;
 * they go to the command as 3..3+N-1. The status fd moves above them first.
 */
static void preserve_fds(int n)
{
	int moved = fcntl(STATUS_FD, F_DUPFD_CLOEXEC, PRESERVED_FD_BASE + n);
	if (moved < 0)
		fail("preserve fds", errno, "status fd");
	status_fd = moved;
	for (int i = 0; i < n; i++) {
		int from = PRESERVED_FD_BASE + i, to = 3 + i;
		/* dup2 leaves the new fd without close-on-exec; onto itself, clear it */
		if ((from == to ? fcntl(to, F_SETFD, 0) : dup2(from, to)) < 0)
			fail("preserve fds", errno, "dup2");
	}
	for (int i = 0; i < n; i++)
		if (PRESERVED_FD_BASE + i >= 3 + n)
			fcntl(PRESERVED_FD_BASE + i, F_SETFD, FD_CLOEXEC);
}

void run_exec(struct ctx *c)
{
	/* nothing but 0-2 may reach the command (design.md), and what --preserve-fds names */
	sweep_fds(c);
	if (c->plan->preserve_fds > 0)
		preserve_fds(c->plan->preserve_fds);
	if (c->plan->use_init) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		pid_t pid = fork();
		if (pid < 0)
			fail("init", errno, "fork");
		if (pid > 0) {
			/*
			 * pid 1 never execs, so close-on-exec protects nothing here: it
			 * keeps no fd but the container's stdio (the monitor's log,
			 * attach socket, plan and status pipes were all reachable
			 * through /proc/1/fd and pidfd_getfd), and is not dumpable
			 */
			close_from(3);
			status_fd = -1;
			start_error_fd = -1;
			prctl(PR_SET_DUMPABLE, 0);
			set_title("init"); /* not the helper's path on the host */
			init_run(pid);
		}
		/* the command gets its own process group, in the foreground of its tty */
		setpgid(0, 0);
		if (c->plan->tty)
			tcsetpgrp(0, getpid());
	}
	exec_command(c);
}
