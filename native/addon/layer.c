/*
 * The syscalls that unpacking an image layer needs and Node lacks: openat2
 * with RESOLVE_IN_ROOT, and mkdirat, mknodat, symlinkat, linkat, openat,
 * fstatat, unlinkat, fchownat, chmod, utimensat and setxattr relative to a
 * directory fd. src/images/layer-fs.ts wraps them; every decision (what to
 * create, in which order, what to refuse) is made there.
 *
 * Names: a path argument is a Buffer (file names are bytes, not UTF-8).
 * A NAME is one component relative to DIRFD: no '/', not "." or "..", so
 * that no call here can reach outside the directory it was given. An empty
 * NAME means DIRFD itself. All calls are synchronous and throw an Error whose
 * code is the errno's name.
 * The writer threads and mapFile are in layer-writer.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "addon.h"




/* openInRoot(rootFd, path): a directory fd for PATH resolved as if ROOTFD
 * were "/" (symlinks and ".." stay inside it), without magic links. */
static napi_value open_in_root(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, root);
	char path[PATH_MAX];
	int e = get_bytes(env, args[1], path, sizeof(path), 1);
	if (e)
		return throw_errno(env, "openat2", e);
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root, path[0] ? path : ".", &how, sizeof(how));
	if (fd < 0)
		return throw_errno(env, "openat2", errno);
	return int_result(env, fd);
}

/* mkdirAt(dirFd, name, mode) */
static napi_value mkdir_at(napi_env env, napi_callback_info info)
{
	ARGS(3);
	INT(0, dir);
	NAME(1, name);
	INT(2, mode);
	if (mkdirat(dir, name, (mode_t)mode) < 0)
		return throw_errno(env, "mkdirat", errno);
	return NULL;
}

/* mknodAt(dirFd, name, mode with type bits, major, minor) */
static napi_value mknod_at(napi_env env, napi_callback_info info)
{
	ARGS(5);
	INT(0, dir);
	NAME(1, name);
	INT(2, mode);
	INT(3, major);
	INT(4, minor);
	if (mknodat(dir, name, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
		return throw_errno(env, "mknodat", errno);
	return NULL;
}

/* symlinkAt(target, dirFd, name): TARGET is stored as it is */
static napi_value symlink_at(napi_env env, napi_callback_info info)
{
	ARGS(3);
	char target[PATH_MAX];
	int e = get_bytes(env, args[0], target, sizeof(target), 1);
	if (e)
		return throw_errno(env, "symlinkat", e);
	INT(1, dir);
	NAME(2, name);
	if (symlinkat(target, dir, name) < 0)
		return throw_errno(env, "symlinkat", errno);
	return NULL;
}

/* linkAt(oldDirFd, oldName, newDirFd, newName): a symlink is linked itself */
static napi_value link_at(napi_env env, napi_callback_info info)
{
	ARGS(4);
	INT(0, olddir);
	NAME(1, oldname);
	INT(2, newdir);
	NAME(3, newname);
	if (linkat(olddir, oldname, newdir, newname, 0) < 0)
		return throw_errno(env, "linkat", errno);
	return NULL;
}

/* createFileAt(dirFd, name, mode): a new regular file (never an existing one,
 * never through a symlink), open for writing, with the permission bits MODE
 * (0600 if not given; setuid, setgid and sticky are never set here) */
static napi_value create_file_at(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value args[3];
	if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2)
		return throw_errno(env, __func__, EINVAL);
	INT(0, dir);
	NAME(1, name);
	int32_t mode = 0600;
	if (argc > 2 && get_int(env, args[2], &mode))
		return throw_errno(env, "openat", EINVAL);
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)(mode & 0777));
	if (fd < 0)
		return throw_errno(env, "openat", errno);
	return int_result(env, fd);
}

/* openDirAt(dirFd, name): the directory NAME (not a symlink to one) */
static napi_value open_dir_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	NAME(1, name);
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return throw_errno(env, "openat", errno);
	return int_result(env, fd);
}

/* statAt(dirFd, name): [st_mode, st_ino, st_uid, st_gid] of NAME itself, or
 * undefined if it does not exist */
static napi_value stat_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "fstatat", e);
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) < 0) {
		if (errno == ENOENT)
			return NULL;
		return throw_errno(env, "fstatat", errno);
	}
	napi_value r, v;
	napi_create_array_with_length(env, 4, &r);
	napi_create_uint32(env, st.st_mode, &v);
	napi_set_element(env, r, 0, v);
	napi_create_double(env, (double)st.st_ino, &v);
	napi_set_element(env, r, 1, v);
	napi_create_uint32(env, st.st_uid, &v);
	napi_set_element(env, r, 2, v);
	napi_create_uint32(env, st.st_gid, &v);
	napi_set_element(env, r, 3, v);
	return r;
}

/* dupFd(fd): another fd of the same open file, close-on-exec */
static napi_value dup_fd(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, fd);
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (r < 0)
		return throw_errno(env, "fcntl", errno);
	return int_result(env, r);
}

/* unlinkAt(dirFd, name, isDir) */
static napi_value unlink_at(napi_env env, napi_callback_info info)
{
	ARGS(3);
	INT(0, dir);
	NAME(1, name);
	bool is_dir = false;
	napi_get_value_bool(env, args[2], &is_dir);
	if (unlinkat(dir, name, is_dir ? AT_REMOVEDIR : 0) < 0)
		return throw_errno(env, "unlinkat", errno);
	return NULL;
}

/* chownAt(dirFd, name, uid, gid): NAME itself, never a symlink's target */
static napi_value chown_at(napi_env env, napi_callback_info info)
{
	ARGS(4);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "fchownat", e);
	INT(2, uid);
	INT(3, gid);
	if (fchownat(dir, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) < 0)
		return throw_errno(env, "fchownat", errno);
	return NULL;
}

/* chmodAt(dirFd, name, mode): fchmod for an empty NAME; otherwise NAME is
 * opened O_PATH|O_NOFOLLOW and changed through /proc/self/fd (fchmodat
 * follows symlinks; fchmodat2 needs Linux 6.6). A symlink is left alone:
 * Linux has no symlink modes. */
static napi_value chmod_at(napi_env env, napi_callback_info info)
{
	ARGS(3);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "chmod", e);
	INT(2, mode);
	if (!name[0]) {
		if (fchmod(dir, (mode_t)mode) < 0)
			return throw_errno(env, "fchmod", errno);
		return NULL;
	}
	int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return throw_errno(env, "openat", errno);
	struct stat st;
	int r = fstat(fd, &st);
	if (r == 0 && !S_ISLNK(st.st_mode)) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		r = chmod(proc, (mode_t)mode);
	}
	int err = errno;
	close(fd);
	if (r < 0)
		return throw_errno(env, "chmod", err);
	return NULL;
}

/* utimesAt(dirFd, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec): NAME
 * itself (a symlink's own times); DIRFD itself for an empty NAME */
static napi_value utimes_at(napi_env env, napi_callback_info info)
{
	ARGS(6);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "utimensat", e);
	int64_t as, an, ms, mn;
	if (get_i64(env, args[2], &as) || get_i64(env, args[3], &an) || get_i64(env, args[4], &ms) ||
	    get_i64(env, args[5], &mn))
		return throw_errno(env, "utimensat", EINVAL);
	struct timespec ts[2] = {{.tv_sec = as, .tv_nsec = an}, {.tv_sec = ms, .tv_nsec = mn}};
	if ((name[0] ? utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW) : futimens(dir, ts)) < 0)
		return throw_errno(env, "utimensat", errno);
	return NULL;
}

/* setXattrAt(dirFd, name, key, value): fsetxattr on DIRFD for an empty NAME;
 * otherwise lsetxattr on /proc/self/fd/DIRFD/NAME (NAME has no '/', so only
 * the magic link to DIRFD is followed). The caller checks /proc is procfs. */
static napi_value set_xattr_at(napi_env env, napi_callback_info info)
{
	ARGS(4);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "setxattr", e);
	char key[XATTR_NAME_MAX + 1];
	size_t klen;
	if (napi_get_value_string_utf8(env, args[2], key, sizeof(key), &klen) != napi_ok || klen >= XATTR_NAME_MAX)
		return throw_errno(env, "setxattr", EINVAL);
	void *value;
	size_t vlen;
	if (napi_get_buffer_info(env, args[3], &value, &vlen) != napi_ok)
		return throw_errno(env, "setxattr", EINVAL);
	int r;
	if (!name[0]) {
		r = fsetxattr(dir, key, value, vlen, 0);
	} else {
		char proc[64 + NAME_MAX];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dir, name);
		r = lsetxattr(proc, key, value, vlen, 0);
	}
	if (r < 0)
		return throw_errno(env, "setxattr", errno);
	return NULL;
}

/* getXattrAt(dirFd, name, key): the value as a Buffer, undefined when NAME
 * has no such attribute; NAME itself, never a symlink's target */
static napi_value get_xattr_at(napi_env env, napi_callback_info info)
{
	ARGS(3);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "getxattr", e);
	char key[XATTR_NAME_MAX + 1];
	size_t klen;
	if (napi_get_value_string_utf8(env, args[2], key, sizeof(key), &klen) != napi_ok || klen >= XATTR_NAME_MAX)
		return throw_errno(env, "getxattr", EINVAL);
	static char value[65536]; /* XATTR_SIZE_MAX; the addon runs on one thread */
	ssize_t n;
	if (!name[0]) {
		n = fgetxattr(dir, key, value, sizeof(value));
	} else {
		char proc[64 + NAME_MAX];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dir, name);
		n = lgetxattr(proc, key, value, sizeof(value));
	}
	napi_value result;
	if (n < 0 && errno == ENODATA)
		return napi_get_undefined(env, &result) == napi_ok ? result : NULL;
	if (n < 0)
		return throw_errno(env, "getxattr", errno);
	return napi_create_buffer_copy(env, (size_t)n, value, NULL, &result) == napi_ok ? result : NULL;
}

napi_status layer_define(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"openInRoot", NULL, open_in_root, NULL, NULL, NULL, napi_default, NULL},
		{"mkdirAt", NULL, mkdir_at, NULL, NULL, NULL, napi_default, NULL},
		{"mknodAt", NULL, mknod_at, NULL, NULL, NULL, napi_default, NULL},
		{"symlinkAt", NULL, symlink_at, NULL, NULL, NULL, napi_default, NULL},
		{"linkAt", NULL, link_at, NULL, NULL, NULL, napi_default, NULL},
		{"createFileAt", NULL, create_file_at, NULL, NULL, NULL, napi_default, NULL},
		{"openDirAt", NULL, open_dir_at, NULL, NULL, NULL, napi_default, NULL},
		{"statAt", NULL, stat_at, NULL, NULL, NULL, napi_default, NULL},
		{"dupFd", NULL, dup_fd, NULL, NULL, NULL, napi_default, NULL},
		{"unlinkAt", NULL, unlink_at, NULL, NULL, NULL, napi_default, NULL},
		{"chownAt", NULL, chown_at, NULL, NULL, NULL, napi_default, NULL},
		{"chmodAt", NULL, chmod_at, NULL, NULL, NULL, napi_default, NULL},
		{"utimesAt", NULL, utimes_at, NULL, NULL, NULL, napi_default, NULL},
		{"setXattrAt", NULL, set_xattr_at, NULL, NULL, NULL, napi_default, NULL},
		{"getXattrAt", NULL, get_xattr_at, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
