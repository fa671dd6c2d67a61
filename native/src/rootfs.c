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
	int fd = (int)syscall(SYS_openat2, c->rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
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

void mount_in_root(struct ctx *c, const struct op *op)
{
	const char *target = op_arg(op, 1);
	int fd = open_target(c, "mount", target, O_PATH);
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

/* Hide PATH: /dev/null over a file, an empty read-only tmpfs over a directory. */
void mask_in_root(struct ctx *c, const char *path)
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
	c->proc_checked = 0;
	set_root(c, "/");
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
	c->proc_checked = 0;
	set_root(c, "/");
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

/* Write VALUE to /proc/REL (sysctls, oom_score_adj), once /proc is known to be procfs. */
void proc_write(struct ctx *c, const char *rel, const char *value)
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

void mknod_in_root(struct ctx *c, const struct op *op)
{
	create_in_root(c, "mknod", op_arg(op, 0), do_mknod, op);
}

void symlink_in_root(struct ctx *c, const struct op *op)
{
	create_in_root(c, "symlink", op_arg(op, 1), do_symlink, op);
}

void touch_in_root(struct ctx *c, const struct op *op)
{
	create_in_root(c, "touch", op_arg(op, 0), do_touch, op);
}
