/*
 * container.c: the child side. Runs in the new namespaces, carries out the
 * steps of the plan in order and execs the command. Every path under the
 * container root is opened relative to a root fd with openat2(RESOLVE_IN_ROOT)
 * and mounted onto through /proc/self/fd/N, never resolved as a string.
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

#include "mdk.h"

struct ctx {
	struct plan *plan;
	int pty_sock;
	int sync_fd;  /* the outer helper writes a byte here to end a sync */
	int fifo_fd;  /* O_PATH fd of the exec fifo (OCI create/start), -1 if none */
	char exec_path[4096]; /* the command, resolved by exec_check */
	int rootfd; /* -1: no root yet */
	int proc_checked;
	int slots[MAX_SLOTS];
	char **argv, **envp;
	int argc, envc;
};

static void fail(const char *step, int err, const char *detail) __attribute__((noreturn));
static void fail(const char *step, int err, const char *detail)
{
	report_error(step, err, detail);
	_exit(125);
}

static long num(const char *s, int base)
{
	return strtol(s, NULL, base);
}

/* /proc must really be procfs before we trust /proc/self/fd (design.md). */
static void check_proc(struct ctx *c)
{
	struct statfs st;
	if (c->proc_checked)
		return;
	if (statfs("/proc", &st) < 0)
		fail("check /proc", errno, "/proc");
	if (st.f_type != PROC_SUPER_MAGIC)
		fail("check /proc", EXDEV, "/proc is not procfs");
	c->proc_checked = 1;
}

static const char *fd_path(struct ctx *c, int fd, char *buf, size_t len)
{
	check_proc(c);
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/* Open PATH inside the container root without leaving it. */
static int open_in_root(struct ctx *c, const char *path, int flags)
{
	if (c->rootfd < 0)
		return -EINVAL;
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	int fd = (int)syscall(SYS_openat2, c->rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* Split PATH into its parent (opened in the root) and last name. */
static int open_parent(struct ctx *c, const char *path, char *name, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	size_t l = strlen(tmp);
	while (l > 1 && tmp[l - 1] == '/')
		tmp[--l] = '\0';
	char *slash = strrchr(tmp, '/');
	const char *base = slash ? slash + 1 : tmp;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	snprintf(name, len, "%s", base);
	if (slash)
		*slash = '\0';
	return open_in_root(c, slash ? tmp : ".", O_PATH | O_DIRECTORY);
}

static void mkdir_p(struct ctx *c, const char *path, mode_t mode)
{
	char prefix[4096];
	size_t len = strlen(path);
	if (len >= sizeof(prefix))
		fail("mkdir", ENAMETOOLONG, path);
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		int fd = open_in_root(c, prefix, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (fd != -ENOENT)
			fail("mkdir", -fd, prefix);
		char name[256];
		int parent = open_parent(c, prefix, name, sizeof(name));
		if (parent < 0)
			fail("mkdir", -parent, prefix);
		if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
			fail("mkdir", errno, prefix);
		close(parent);
	}
}

/* Create a node with FN unless something already exists at PATH. */
static void create_in_root(struct ctx *c, const char *step, const char *path,
			   int (*fn)(int parent, const char *name, const struct op *op),
			   const struct op *op)
{
	int fd = open_in_root(c, path, O_PATH | O_NOFOLLOW);
	if (fd >= 0) {
		close(fd);
		return;
	}
	char name[256];
	int parent = open_parent(c, path, name, sizeof(name));
	if (parent < 0)
		fail(step, -parent, path);
	if (fn(parent, name, op) < 0 && errno != EEXIST)
		fail(step, errno, path);
	close(parent);
}

static int do_mknod(int parent, const char *name, const struct op *op)
{
	return mknodat(parent, name, (mode_t)num(op_arg(op, 1), 8),
		       makedev(num(op_arg(op, 2), 10), num(op_arg(op, 3), 10)));
}

static int do_symlink(int parent, const char *name, const struct op *op)
{
	return symlinkat(op_arg(op, 0), parent, name);
}

static int do_touch(int parent, const char *name, const struct op *op)
{
	int fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			(mode_t)num(op_arg(op, 1), 8));
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static const char *nonempty(const char *s)
{
	return *s ? s : NULL;
}

static void mount_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 1);
	int fd = open_in_root(c, target, O_PATH);
	if (fd < 0)
		fail("mount", -fd, target);
	char p[64];
	if (mount(nonempty(op_arg(op, 0)), fd_path(c, fd, p, sizeof(p)),
		  nonempty(op_arg(op, 2)), (unsigned long)num(op_arg(op, 3), 10),
		  nonempty(op_arg(op, 4))) < 0)
		fail("mount", errno, target);
	close(fd);
}

static unsigned long statvfs_to_mount_flags(unsigned long f)
{
	unsigned long m = 0;
	if (f & ST_RDONLY) m |= MS_RDONLY;
	if (f & ST_NOSUID) m |= MS_NOSUID;
	if (f & ST_NODEV) m |= MS_NODEV;
	if (f & ST_NOEXEC) m |= MS_NOEXEC;
	if (f & ST_NOATIME) m |= MS_NOATIME;
	if (f & ST_NODIRATIME) m |= MS_NODIRATIME;
	if (f & ST_RELATIME) m |= MS_RELATIME;
	return m;
}

/* Add FLAGS to a mount's per-mount flags, keeping the ones it has. */
static void remount_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 0);
	int fd = open_in_root(c, target, O_PATH);
	if (fd < 0)
		fail("remount", -fd, target);
	char p[64];
	struct statvfs sv;
	if (statvfs(fd_path(c, fd, p, sizeof(p)), &sv) < 0)
		fail("remount", errno, target);
	unsigned long flags = MS_REMOUNT | MS_BIND | statvfs_to_mount_flags(sv.f_flag) |
			      (unsigned long)num(op_arg(op, 1), 10);
	if (mount(NULL, p, NULL, flags, NULL) < 0)
		fail("remount", errno, target);
	close(fd);
}

/* Make PATH (and what is under it) read-only: bind it onto itself, remount. */
static void readonly_in_root(struct ctx *c, const char *path)
{
	int fd = open_in_root(c, path, O_PATH);
	if (fd == -ENOENT)
		return;
	if (fd < 0)
		fail("readonly", -fd, path);
	char p[64];
	if (mount(fd_path(c, fd, p, sizeof(p)), p, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("readonly", errno, path);
	close(fd);
	struct op op = {.name = "remount", .args = (char *[]){(char *)path, "1"}, .nargs = 2};
	remount_in_root(c, &op); /* "1" is MS_RDONLY */
}

/* Hide PATH: /dev/null over a file, an empty read-only tmpfs over a directory. */
static void mask_in_root(struct ctx *c, const char *path)
{
	int fd = open_in_root(c, path, O_PATH);
	if (fd == -ENOENT)
		return;
	if (fd < 0)
		fail("mask", -fd, path);
	struct stat st;
	char p[64];
	if (fstat(fd, &st) < 0)
		fail("mask", errno, path);
	int r = S_ISDIR(st.st_mode)
			? mount("tmpfs", fd_path(c, fd, p, sizeof(p)), "tmpfs", MS_RDONLY, "size=0")
			: mount("/dev/null", fd_path(c, fd, p, sizeof(p)), NULL, MS_BIND, NULL);
	if (r < 0)
		fail("mask", errno, path);
	close(fd);
}

static void tree_clone(struct ctx *c, const struct op *op)
{
	long slot = num(op_arg(op, 1), 10);
	if (slot < 0 || slot >= MAX_SLOTS)
		fail("tree_clone", EINVAL, op_arg(op, 1));
	int fd = open_tree(AT_FDCWD, op_arg(op, 0),
			   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
	if (fd < 0)
		fail("tree_clone", errno, op_arg(op, 0));
	c->slots[slot] = fd;
}

static void tree_attach(struct ctx *c, const struct op *op)
{
	long slot = num(op_arg(op, 0), 10);
	const char *target = op_arg(op, 1);
	if (slot < 0 || slot >= MAX_SLOTS || c->slots[slot] < 0)
		fail("tree_attach", EINVAL, target);
	int fd = open_in_root(c, target, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		fail("tree_attach", -fd, target);
	if (move_mount(c->slots[slot], "", fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail("tree_attach", errno, target);
	close(fd);
	close(c->slots[slot]);
	c->slots[slot] = -1;
}

static void set_root(struct ctx *c, const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail("root", errno, path);
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->rootfd = fd;
}

static void pivot(struct ctx *c)
{
	if (fchdir(c->rootfd) < 0)
		fail("pivot_root", errno, "root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail("pivot_root", errno, "root");
	/* the old root is stacked under the new one: detach it, privately */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail("pivot_root", errno, "old root");
	if (umount2(".", MNT_DETACH) < 0)
		fail("pivot_root", errno, "old root");
	if (chdir("/") < 0)
		fail("pivot_root", errno, "/");
	c->proc_checked = 0;
	set_root(c, "/");
}

/* --no-pivot: move the root over / and chroot into it (for roots pivot_root refuses, such as ramfs). */
static void move_root(struct ctx *c)
{
	if (fchdir(c->rootfd) < 0)
		fail("move root", errno, "root");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		fail("move root", errno, "root");
	if (chroot(".") < 0 || chdir("/") < 0)
		fail("move root", errno, "chroot");
	c->proc_checked = 0;
	set_root(c, "/");
}

static void set_user(const struct op *op)
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
	if (setgroups(n, groups) < 0)
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

static void drop_bounding(const char *hex)
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

static void set_caps(const struct op *op)
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

static void set_cwd(const char *dir)
{
	if (chdir(dir) < 0)
		fail("cwd", errno, dir);
	/* refuse a cwd that is not under the container's root */
	char buf[4096];
	if (getcwd(buf, sizeof(buf)) == NULL)
		fail("cwd", errno == ENOENT ? EXDEV : errno, dir);
}

static void push(char ***v, int *n, char *s)
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
static void resolve_command(struct ctx *c)
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

/* From here the process outlives the helper that made it (create, exec -d). */
static void release(void)
{
	prctl(PR_SET_PDEATHSIG, 0);
	report("ready");
}

/* Park until `start` opens the exec fifo for reading (runc's protocol). */
static void fifo_wait(struct ctx *c)
{
	if (c->fifo_fd < 0)
		fail("exec fifo", EBADF, "no fifo");
	release();
	char p[64];
	int fd = open(fd_path(c, c->fifo_fd, p, sizeof(p)), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("exec fifo", errno, "open");
	if (write(fd, "0", 1) != 1)
		fail("exec fifo", errno, "write");
	close(fd);
	close(c->fifo_fd);
	c->fifo_fd = -1;
}

/* The fifo is made by the runtime (owned so that the container's root may write it). */
static void fifo_open(struct ctx *c, const char *path)
{
	c->fifo_fd = open(path, O_PATH | O_CLOEXEC);
	if (c->fifo_fd < 0)
		fail("exec fifo", errno, path);
}

static void wait_sync(struct ctx *c, const char *name)
{
	report("sync\t%s", name);
	char b;
	ssize_t r;
	while ((r = read(c->sync_fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (r != 1)
		fail("sync", r < 0 ? errno : EPIPE, name);
}

static void join_namespace(const char *path, int nstype)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("setns", errno, path);
	if (setns(fd, nstype) < 0)
		fail("setns", errno, path);
	close(fd);
}

static void chown_in_root(struct ctx *c, const struct op *op)
{
	const char *path = op_arg(op, 0);
	int fd = open_in_root(c, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		fail("chown", -fd, path);
	if (fchownat(fd, "", (uid_t)num(op_arg(op, 1), 10), (gid_t)num(op_arg(op, 2), 10), AT_EMPTY_PATH) < 0)
		fail("chown", errno, path);
	close(fd);
}

static void propagate_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 0);
	int fd = open_in_root(c, target, O_PATH);
	if (fd < 0)
		fail("propagate", -fd, target);
	char p[64];
	if (mount(NULL, fd_path(c, fd, p, sizeof(p)), NULL, (unsigned long)num(op_arg(op, 1), 10), NULL) < 0)
		fail("propagate", errno, target);
	close(fd);
}

/* Write VALUE to /proc/REL (sysctls, oom_score_adj), once /proc is known to be procfs. */
static void proc_write(struct ctx *c, const char *rel, const char *value)
{
	char path[4096];
	check_proc(c);
	if (strstr(rel, ".."))
		fail("procwrite", EINVAL, rel);
	snprintf(path, sizeof(path), "/proc/%s", rel);
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fail("procwrite", errno, rel);
	size_t len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		fail("procwrite", errno, rel);
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

/* Load the BPF filter TypeScript compiled (src/oci/seccomp.ts), given as hex. */
static void load_seccomp(const char *flags, const char *hex)
{
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

static void set_rlimit(const struct op *op)
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

static void run_exec(struct ctx *c)
{
	/* nothing but 0-2 may reach the command (design.md), and what --preserve-fds names */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail("exec", errno, "close_range");
	if (c->plan->preserve_fds > 0)
		preserve_fds(c->plan->preserve_fds);
	if (c->plan->use_init) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		pid_t pid = fork();
		if (pid < 0)
			fail("init", errno, "fork");
		if (pid > 0)
			init_run(pid);
		/* the command gets its own process group, in the foreground of its tty */
		setpgid(0, 0);
		if (c->plan->tty)
			tcsetpgrp(0, getpid());
	}
	exec_command(c);
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
		create_in_root(c, "mknod", a0, do_mknod, op);
	} else if (strcmp(n, "symlink") == 0) {
		create_in_root(c, "symlink", op_arg(op, 1), do_symlink, op);
	} else if (strcmp(n, "touch") == 0) {
		create_in_root(c, "touch", a0, do_touch, op);
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
		if (pty_open_inside(a0, &master) < 0)
			fail("pty", errno, *a0 ? a0 : "/dev/ptmx");
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
		release();
	} else if (strcmp(n, "personality") == 0) {
		if (personality((unsigned long)num(a0, 10)) < 0)
			fail("personality", errno, a0);
	} else if (strcmp(n, "seccomp") == 0) {
		load_seccomp(a0, op_arg(op, 1));
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
	       !strcmp(n, "console_socket") || !strcmp(n, "join_pid") || !strcmp(n, "preserve_fds");
}

/* Steps worth a line in --debug output; env/arg are data, not steps. */
static int is_quiet(const char *n)
{
	return !strcmp(n, "env") || !strcmp(n, "arg") || !strcmp(n, "exec") || !strcmp(n, "fifo_wait") ||
	       !strcmp(n, "release");
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

void container_main(struct plan *plan, int pty_sock, int sync_fd)
{
	struct ctx c = {.plan = plan, .pty_sock = pty_sock, .sync_fd = sync_fd, .rootfd = -1, .fifo_fd = -1};
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
