/*
 * rootfs.c: paths and mounts inside the container root. Every path is opened
 * relative to the root fd with openat2(RESOLVE_IN_ROOT) and mounted onto
 * through /proc/self/fd/N, never resolved as a string (design.md).
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

/* /proc must really be procfs before we trust /proc/self/fd (design.md). */
void check_proc(struct ctx *c)
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

const char *fd_path(struct ctx *c, int fd, char *buf, size_t len)
{
	check_proc(c);
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/*
 * openat2, retried while it answers EAGAIN: the kernel refuses a lookup
 * with ".." that raced a rename or a mount anywhere on the system, and a
 * container renaming things in a loop could otherwise make every other
 * container's setup fail (runc's path library retries the same way).
 */
#define OPENAT2_RETRIES 128

static int openat2_retry(int dirfd, const char *path, struct open_how *how)
{
	for (int i = 0;; i++) {
		int fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN || i == OPENAT2_RETRIES)
			return -errno;
	}
}

/* Open PATH inside the container root without leaving it. */
int open_in_root(struct ctx *c, const char *path, int flags)
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
	return openat2_retry(c->rootfd, path, &how);
}

/* open_in_root, or end the step with its errno: what most in-root steps want. */
int open_target(struct ctx *c, const char *step, const char *path, int flags)
{
	int fd = open_in_root(c, path, flags);
	if (fd < 0)
		fail(step, -fd, path);
	return fd;
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

void mkdir_p(struct ctx *c, const char *path, mode_t mode)
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

/*
 * Create a node with FN unless something already exists at PATH; CHECK (if
 * any) then decides whether what exists will do, given its fd (O_PATH,
 * not followed).
 */
static void create_in_root(struct ctx *c, const char *step, const char *path,
			   int (*fn)(int parent, const char *name, const struct op *op),
			   const struct op *op, int (*check)(int fd, const struct op *op))
{
	int fd = open_in_root(c, path, O_PATH | O_NOFOLLOW);
	if (fd >= 0) {
		int err = check ? check(fd, op) : 0;
		close(fd);
		if (err)
			fail(step, err, path);
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

/*
 * A device the plan asks for that the root already has (a /dev that is not
 * the runtime's tmpfs): it must be that very device, not a symlink or a file
 * standing in for it (CVE-2025-31133: a planted /dev/null symlink).
 */
static int same_device(int fd, const struct op *op)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return errno;
	mode_t mode = (mode_t)num(op_arg(op, 1), 8);
	if ((st.st_mode & S_IFMT) != (mode & S_IFMT))
		return EEXIST;
	if ((S_ISCHR(mode) || S_ISBLK(mode)) &&
	    st.st_rdev != makedev(num(op_arg(op, 2), 10), num(op_arg(op, 3), 10)))
		return EEXIST;
	return 0;
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

/*
 * TypeScript checks which /proc paths a mount may cover (src/oci/spec-rules.ts,
 * runc's list) by the destination as written; a symlink of the image could
 * still lead a mount elsewhere into /proc. Refuse a target that is on a
 * procfs unless its path says /proc.
 */
static void refuse_hidden_proc(int fd, const char *target)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		fail("mount", errno, target);
	int named = strncmp(target, "/proc", 5) == 0 && (target[5] == '\0' || target[5] == '/');
	if (sf.f_type == PROC_SUPER_MAGIC && !named)
		fail("mount into /proc", EXDEV, target);
}

void mount_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 1);
	int fd = open_target(c, "mount", target, O_PATH);
	refuse_hidden_proc(fd, target);
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
void remount_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 0);
	int fd = open_target(c, "remount", target, O_PATH);
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
void readonly_in_root(struct ctx *c, const char *path)
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

/*
 * The null device that masks files: the container's /dev/null, opened in the
 * root without following a link and checked to be the character device 1:3.
 * Bound by its path string, a /dev/null symlink planted in a volume over
 * /dev or in the image turned every masked file into a writable bind of the
 * host file it named (CVE-2025-31133).
 */
static int null_device(struct ctx *c)
{
	if (c->nullfd >= 0)
		return c->nullfd;
	int fd = open_in_root(c, "/dev/null", O_PATH | O_NOFOLLOW);
	if (fd < 0)
		fail("mask source", -fd, "/dev/null");
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail("mask source", errno, "/dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		fail("mask source", ENODEV, "/dev/null");
	c->nullfd = fd;
	return fd;
}

/* Hide PATH: a read-only /dev/null over a file, an empty read-only tmpfs over a directory. */
void mask_in_root(struct ctx *c, const char *path)
{
	int fd = open_in_root(c, path, O_PATH);
	if (fd == -ENOENT)
		return;
	if (fd < 0)
		fail("mask", -fd, path);
	struct stat st;
	char p[64], src[64];
	if (fstat(fd, &st) < 0)
		fail("mask", errno, path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fd_path(c, fd, p, sizeof(p)), "tmpfs", MS_RDONLY, "size=0") < 0)
			fail("mask", errno, path);
		close(fd);
		return;
	}
	int null = null_device(c);
	if (mount(fd_path(c, null, src, sizeof(src)), fd_path(c, fd, p, sizeof(p)), NULL, MS_BIND, NULL) < 0)
		fail("mask", errno, path);
	close(fd);
	/* reopened: the new mount, not the file under it */
	struct op op = {.name = "remount", .args = (char *[]){(char *)path, "1"}, .nargs = 2};
	remount_in_root(c, &op); /* "1" is MS_RDONLY */
}

void tree_clone(struct ctx *c, const struct op *op)
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

/*
 * shm_clone NSPATH SLOT: another container's /dev/shm, cloned from its mount
 * namespace (--ipc container:NAME shares it, as Docker does) for tree_attach.
 * A mount of another namespace cannot be bound from here (EINVAL), so this
 * process enters that namespace (it is single-threaded; its root and cwd
 * become that container's, so /dev/shm resolves inside it), clones the
 * mount there as a detached tree, and comes back to its own namespace.
 * What it took must be a tmpfs directory: the other container could have
 * put anything at its /dev/shm.
 */
void shm_clone(struct ctx *c, const struct op *op)
{
	const char *nspath = op_arg(op, 0);
	long slot = num(op_arg(op, 1), 10);
	if (slot < 0 || slot >= MAX_SLOTS)
		fail("shm_clone", EINVAL, op_arg(op, 1));
	int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		fail("shm_clone", errno, "/proc/self/ns/mnt");
	int other = open(nspath, O_RDONLY | O_CLOEXEC);
	if (other < 0)
		fail("shm_clone", errno, nspath);
	if (setns(other, CLONE_NEWNS) < 0)
		fail("shm_clone", errno, nspath);
	int fd = open_tree(AT_FDCWD, "/dev/shm", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	int saved = errno;
	/* back first: nothing else may happen in the other container's namespace */
	if (setns(own, CLONE_NEWNS) < 0)
		fail("shm_clone", errno, "returning to the container's mount namespace");
	close(own);
	close(other);
	if (fd < 0)
		fail("shm_clone", saved, "/dev/shm");
	struct statfs sfs;
	struct stat st;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		fail("shm_clone", errno, "/dev/shm");
	if (sfs.f_type != TMPFS_MAGIC || !S_ISDIR(st.st_mode))
		fail("shm_clone", EXDEV, "/dev/shm of the other container is not a tmpfs directory");
	c->slots[slot] = fd;
}

void tree_attach(struct ctx *c, const struct op *op)
{
	long slot = num(op_arg(op, 0), 10);
	const char *target = op_arg(op, 1);
	if (slot < 0 || slot >= MAX_SLOTS || c->slots[slot] < 0)
		fail("tree_attach", EINVAL, target);
	int fd = open_target(c, "tree_attach", target, O_PATH | O_NOFOLLOW);
	if (move_mount(c->slots[slot], "", fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail("tree_attach", errno, target);
	close(fd);
	close(c->slots[slot]);
	c->slots[slot] = -1;
}

void set_root(struct ctx *c, const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail("root", errno, path);
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->rootfd = fd;
}

/* After a step that made "/" the container's root: what was resolved in the old one is stale. */
static void entered_root(struct ctx *c)
{
	c->proc_checked = 0;
	set_root(c, "/");
	if (c->nullfd >= 0)
		close(c->nullfd);
	c->nullfd = -1;
}

void pivot(struct ctx *c)
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
	entered_root(c);
}

/*
 * Set FLAGS (propagation) on the mount that holds PATH, a path of the mount
 * namespace as it is: PATH itself if it is a mount point, else its nearest
 * ancestor that is (mount(2) answers EINVAL for a directory that is not).
 * runc's rootfsParentMountPropagation: pivot_root refuses a root whose
 * parent mount is shared, and a bind made under a shared mount propagates
 * to its peers.
 */
void propagate_up(const char *path, unsigned long flags)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p) || p[0] != '/')
		fail("parent propagation", EINVAL, path);
	for (;;) {
		if (mount(NULL, p, NULL, flags, NULL) == 0)
			return;
		if (errno != EINVAL || strcmp(p, "/") == 0)
			fail("parent propagation", errno, p);
		char *slash = strrchr(p, '/');
		if (slash == p)
			p[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * A container without a mount namespace of its own: chroot into the root
 * (runc does the same); pivot_root or a move over / would change the
 * host's root for everyone.
 */
void chroot_root(struct ctx *c)
{
	if (fchdir(c->rootfd) < 0)
		fail("chroot", errno, "root");
	if (chroot(".") < 0)
		fail("chroot", errno, "root");
	if (chdir("/") < 0)
		fail("chroot", errno, "/");
	entered_root(c);
}

/* --no-pivot: move the root over / and chroot into it (for roots pivot_root refuses, such as ramfs). */
void move_root(struct ctx *c)
{
	if (fchdir(c->rootfd) < 0)
		fail("move root", errno, "root");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		fail("move root", errno, "root");
	if (chroot(".") < 0 || chdir("/") < 0)
		fail("move root", errno, "chroot");
	entered_root(c);
}

void chown_in_root(struct ctx *c, const struct op *op)
{
	const char *path = op_arg(op, 0);
	int fd = open_target(c, "chown", path, O_PATH | O_NOFOLLOW);
	if (fchownat(fd, "", (uid_t)num(op_arg(op, 1), 10), (gid_t)num(op_arg(op, 2), 10), AT_EMPTY_PATH) < 0)
		fail("chown", errno, path);
	close(fd);
}

void propagate_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 0);
	int fd = open_target(c, "propagate", target, O_PATH);
	char p[64];
	if (mount(NULL, fd_path(c, fd, p, sizeof(p)), NULL, (unsigned long)num(op_arg(op, 1), 10), NULL) < 0)
		fail("propagate", errno, target);
	close(fd);
}

/*
 * A procfs of our own for writes under /proc (sysctls, oom_score_adj, time
 * offsets): a new instance made with fsopen, which nothing in the container
 * can have mounted over; where the kernel refuses that (an older kernel, a
 * user namespace it finds too revealing), the /proc we see, checked to be
 * the root of a procfs. Writes then resolve beneath it with no symlink and
 * no mount crossed (CVE-2025-52881: a write redirected by a mount over
 * /proc/sys, or a symlink, to another proc file).
 */
static int proc_handle(struct ctx *c)
{
	if (c->procfd >= 0)
		return c->procfd;
	int fd = -1;
	int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs >= 0) {
		if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
			fd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		close(fs);
	}
	if (fd < 0)
		fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail("check /proc", errno, "/proc");
	struct statfs sf;
	struct stat st;
	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		fail("check /proc", errno, "/proc");
	if (sf.f_type != PROC_SUPER_MAGIC || st.st_ino != 1 /* PROC_ROOT_INO */)
		fail("check /proc", EXDEV, "/proc is not the root of a procfs");
	c->procfd = fd;
	return fd;
}

/* Write VALUE to /proc/REL through our own procfs handle ("self/" is our pid in it). */
void proc_write(struct ctx *c, const char *rel, const char *value)
{
	char path[4096];
	int proc = proc_handle(c);
	if (strstr(rel, ".."))
		fail("procwrite", EINVAL, rel);
	if (strncmp(rel, "self/", 5) == 0) {
		/* self is a symlink, which the lookup below refuses: read it ourselves */
		char pid[32];
		ssize_t n = readlinkat(proc, "self", pid, sizeof(pid) - 1);
		if (n <= 0)
			fail("procwrite", n < 0 ? errno : ENOENT, rel);
		pid[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", pid, rel + 5);
	} else {
		snprintf(path, sizeof(path), "%s", rel);
	}
	struct open_how how = {
		.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = openat2_retry(proc, path, &how);
	if (fd < 0)
		fail("procwrite", -fd, rel);
	size_t len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		fail("procwrite", errno, rel);
	close(fd);
}

void mknod_in_root(struct ctx *c, const struct op *op)
{
	create_in_root(c, "mknod", op_arg(op, 0), do_mknod, op, same_device);
}

void symlink_in_root(struct ctx *c, const struct op *op)
{
	create_in_root(c, "symlink", op_arg(op, 1), do_symlink, op, NULL);
}

void touch_in_root(struct ctx *c, const struct op *op)
{
	create_in_root(c, "touch", op_arg(op, 0), do_touch, op, NULL);
}

/*
 * The target of a bind the plan made room for (/dev/console, a device of the
 * host), opened in the root without following a link: it must be a regular
 * file (what touch made) or a character or block device, RDEV when that is
 * not 0. A link planted there would send the bind anywhere in the container.
 */
static int open_bind_target(struct ctx *c, const char *step, const char *path, dev_t rdev)
{
	int fd = open_in_root(c, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		fail(step, -fd, path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail(step, errno, path);
	int device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
	if (!S_ISREG(st.st_mode) && !(device && (rdev == 0 || st.st_rdev == rdev)))
		fail(step, S_ISLNK(st.st_mode) ? ELOOP : EEXIST, path);
	return fd;
}

/*
 * A terminal for the container: its slave becomes our controlling terminal
 * and stdio, and is bound onto PATH (/dev/console; "" for none). PATH is
 * opened in the root without following a link and must be the file the
 * plan made or a device: bound by its string, a /dev/console symlink sent
 * the bind anywhere in the container, a masked /proc file included
 * (CVE-2025-52565).
 */
void console_in_root(struct ctx *c, const char *path, int *master_out)
{
	int slave = pty_open_inside(master_out);
	if (slave < 0)
		fail("pty", errno, "/dev/ptmx");
	if (*path) {
		int fd = open_bind_target(c, "console", path, 0);
		char src[64], dst[64];
		if (mount(fd_path(c, slave, src, sizeof(src)), fd_path(c, fd, dst, sizeof(dst)), NULL, MS_BIND, NULL) < 0)
			fail("console", errno, path);
		close(fd);
	}
	if (pty_make_ctty(slave) < 0)
		fail("pty", errno, "controlling terminal");
}

/*
 * A device of the host bound in (a user namespace, where mknod is refused):
 * SOURCE, a host path, must be the device node it names, and the target the
 * file the plan made for it, opened without following a link, so that a
 * /dev/null link planted in the root cannot send the bind elsewhere.
 */
void bind_device_in_root(struct ctx *c, const struct op *op)
{
	const char *source = op_arg(op, 0), *target = op_arg(op, 1);
	/* the source is opened once and bound from its fd: checked and bound are the same node */
	int src = open(source, O_PATH | O_CLOEXEC); /* a host path: its links are the host's own */
	if (src < 0)
		fail("bind device", errno, source);
	struct stat st;
	if (fstat(src, &st) < 0)
		fail("bind device", errno, source);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		fail("bind device", ENODEV, source);
	int fd = open_bind_target(c, "bind device", target, st.st_rdev);
	char from[64], to[64];
	if (mount(fd_path(c, src, from, sizeof(from)), fd_path(c, fd, to, sizeof(to)), NULL, MS_BIND, NULL) < 0)
		fail("bind device", errno, target);
	close(fd);
	close(src);
}
