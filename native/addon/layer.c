/*
 * The syscalls that unpacking an image layer needs and Node lacks: openat2
 * with RESOLVE_IN_ROOT, and mkdirat, mknodat, symlinkat, linkat, openat,
 * fstatat, unlinkat, fchownat, chmod, utimensat and setxattr relative to a
 * directory fd. src/images/unpack/unpack-layer.ts calls them (typed by
 * src/helper/layer-syscalls.ts); every decision (what to create, in which
 * order, what to refuse) is made there.
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




/*
 * The bindings that call one syscall (or two) and return nothing or an fd,
 * as one table: each row names the JavaScript function, its arguments'
 * kinds, the syscall errors are named after, and a small function on the
 * decoded arguments that returns the result or -errno. Kinds: i an int32,
 * n a single NAME, p a path, l an int64, b a boolean, k an xattr key (a
 * string), v a Buffer; a "?" makes the rest optional.
 */
struct call_args {
	int32_t i[5];
	int64_t l[4];
	char n[2][NAME_MAX + 1];
	char p[PATH_MAX];
	bool b;
	char k[XATTR_NAME_MAX + 1];
	void *v;
	size_t vlen;
};

struct binding {
	const char *js;
	const char *sig;
	const char *syscall;
	/* the result (an fd, or 0) or -errno */
	long (*call)(struct call_args *a);
	/* whether the result is returned (an fd) or not */
	bool returns;
};

static long ok_or_errno(int r)
{
	return r < 0 ? -errno : r;
}

/* openInRoot(rootFd, path): a directory fd for PATH resolved as if ROOTFD
 * were "/" (symlinks and ".." stay inside it), without magic links */
static long do_open_in_root(struct call_args *a)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return ok_or_errno((int)syscall(SYS_openat2, a->i[0], a->p[0] ? a->p : ".", &how, sizeof(how)));
}

/* mkdirAt(dirFd, name, mode) */
static long do_mkdir(struct call_args *a)
{
	return ok_or_errno(mkdirat(a->i[0], a->n[0], (mode_t)a->i[1]));
}

/* mknodAt(dirFd, name, mode with type bits, major, minor) */
static long do_mknod(struct call_args *a)
{
	return ok_or_errno(mknodat(a->i[0], a->n[0], (mode_t)a->i[1], makedev((unsigned)a->i[2], (unsigned)a->i[3])));
}

/* symlinkAt(target, dirFd, name): TARGET is stored as it is */
static long do_symlink(struct call_args *a)
{
	return ok_or_errno(symlinkat(a->p, a->i[0], a->n[0]));
}

/* linkAt(oldDirFd, oldName, newDirFd, newName): a symlink is linked itself */
static long do_link(struct call_args *a)
{
	return ok_or_errno(linkat(a->i[0], a->n[0], a->i[1], a->n[1], 0));
}

/* createFileAt(dirFd, name, mode): a new regular file (never an existing one,
 * never through a symlink), open for writing, with the permission bits MODE
 * (0600 if not given; setuid, setgid and sticky are never set here) */
static long do_create_file(struct call_args *a)
{
	return ok_or_errno(openat(a->i[0], a->n[0], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)(a->i[1] & 0777)));
}

/* openDirAt(dirFd, name): the directory NAME (not a symlink to one) */
static long do_open_dir(struct call_args *a)
{
	return ok_or_errno(openat(a->i[0], a->n[0], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/* dupFd(fd): another fd of the same open file, close-on-exec */
static long do_dup(struct call_args *a)
{
	return ok_or_errno(fcntl(a->i[0], F_DUPFD_CLOEXEC, 0));
}

/* unlinkAt(dirFd, name, isDir) */
static long do_unlink(struct call_args *a)
{
	return ok_or_errno(unlinkat(a->i[0], a->n[0], a->b ? AT_REMOVEDIR : 0));
}

/* chownAt(dirFd, name, uid, gid): NAME itself, never a symlink's target */
static long do_chown(struct call_args *a)
{
	return ok_or_errno(fchownat(a->i[0], a->n[0], (uid_t)a->i[1], (gid_t)a->i[2],
				    AT_SYMLINK_NOFOLLOW | (a->n[0][0] ? 0 : AT_EMPTY_PATH)));
}

/* chmodAt(dirFd, name, mode): fchmod for an empty NAME; otherwise NAME is
 * opened O_PATH|O_NOFOLLOW and changed through /proc/self/fd (fchmodat
 * follows symlinks; fchmodat2 needs Linux 6.6). A symlink is left alone:
 * Linux has no symlink modes. */
static long do_chmod(struct call_args *a)
{
	if (!a->n[0][0])
		return ok_or_errno(fchmod(a->i[0], (mode_t)a->i[1]));
	int fd = openat(a->i[0], a->n[0], O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = fstat(fd, &st);
	if (r == 0 && !S_ISLNK(st.st_mode)) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		r = chmod(proc, (mode_t)a->i[1]);
	}
	int err = errno;
	close(fd);
	return r < 0 ? -err : 0;
}

/* utimesAt(dirFd, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec): NAME
 * itself (a symlink's own times); DIRFD itself for an empty NAME */
static long do_utimes(struct call_args *a)
{
	struct timespec ts[2] = {{.tv_sec = a->l[0], .tv_nsec = a->l[1]}, {.tv_sec = a->l[2], .tv_nsec = a->l[3]}};
	return ok_or_errno(a->n[0][0] ? utimensat(a->i[0], a->n[0], ts, AT_SYMLINK_NOFOLLOW) : futimens(a->i[0], ts));
}

/* setXattrAt(dirFd, name, key, value): fsetxattr on DIRFD for an empty NAME;
 * otherwise lsetxattr on /proc/self/fd/DIRFD/NAME (NAME has no '/', so only
 * the magic link to DIRFD is followed). The caller checks /proc is procfs. */
static long do_set_xattr(struct call_args *a)
{
	if (!a->n[0][0])
		return ok_or_errno(fsetxattr(a->i[0], a->k, a->v, a->vlen, 0));
	char proc[64 + NAME_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", a->i[0], a->n[0]);
	return ok_or_errno(lsetxattr(proc, a->k, a->v, a->vlen, 0));
}

/* removeXattrAt(dirFd, name, key) */
static long do_remove_xattr(struct call_args *a)
{
	if (!a->n[0][0])
		return ok_or_errno(fremovexattr(a->i[0], a->k));
	char proc[64 + NAME_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", a->i[0], a->n[0]);
	return ok_or_errno(lremovexattr(proc, a->k));
}

static const struct binding bindings[] = {
	{"openInRoot", "ip", "openat2", do_open_in_root, true},
	{"mkdirAt", "ini", "mkdirat", do_mkdir, false},
	{"mknodAt", "iniii", "mknodat", do_mknod, false},
	{"symlinkAt", "pin", "symlinkat", do_symlink, false},
	{"linkAt", "inin", "linkat", do_link, false},
	{"createFileAt", "in?i", "openat", do_create_file, true},
	{"openDirAt", "in", "openat", do_open_dir, true},
	{"dupFd", "i", "fcntl", do_dup, true},
	{"unlinkAt", "inb", "unlinkat", do_unlink, false},
	{"chownAt", "inii", "fchownat", do_chown, false},
	{"chmodAt", "ini", "chmod", do_chmod, false},
	{"utimesAt", "inllll", "utimensat", do_utimes, false},
	{"setXattrAt", "inkv", "setxattr", do_set_xattr, false},
	{"removeXattrAt", "ink", "removexattr", do_remove_xattr, false},
};

/* Decodes argument V of kind K into A (counters in COUNT); an errno on a bad one. */
static int decode(napi_env env, char k, napi_value v, struct call_args *a, int count[4])
{
	size_t len;
	switch (k) {
	case 'i':
		return get_int(env, v, &a->i[count[0]++]);
	case 'l':
		return get_i64(env, v, &a->l[count[1]++]);
	case 'n':
		return get_bytes(env, v, a->n[count[2]++], sizeof(a->n[0]), 0);
	case 'p':
		return get_bytes(env, v, a->p, sizeof(a->p), 1);
	case 'b':
		return napi_get_value_bool(env, v, &a->b) == napi_ok ? 0 : EINVAL;
	case 'k':
		return napi_get_value_string_utf8(env, v, a->k, sizeof(a->k), &len) != napi_ok || len >= XATTR_NAME_MAX ? EINVAL : 0;
	case 'v':
		return napi_get_buffer_info(env, v, &a->v, &a->vlen) == napi_ok ? 0 : EINVAL;
	}
	return EINVAL;
}

/* Every row of the table: decode its arguments, call, throw or return. */
static napi_value call_binding(napi_env env, napi_callback_info info)
{
	const struct binding *b;
	size_t argc = 8;
	napi_value args[8];
	if (napi_get_cb_info(env, info, &argc, args, NULL, (void **)&b) != napi_ok)
		return throw_errno(env, "addon", EINVAL);
	struct call_args a = {.i = {0, 0600, 0, 0, 0}}; /* createFileAt's mode when it is not given */
	int count[4] = {0};
	size_t n = 0;
	bool optional = false;
	for (const char *k = b->sig; *k; k++) {
		if (*k == '?') {
			optional = true;
			continue;
		}
		if (n >= argc) {
			if (optional)
				break;
			return throw_errno(env, b->syscall, EINVAL);
		}
		int e = decode(env, *k, args[n++], &a, count);
		if (e)
			return throw_errno(env, b->syscall, e);
	}
	long r = b->call(&a);
	if (r < 0)
		return throw_errno(env, b->syscall, (int)-r);
	return b->returns ? int_result(env, (int32_t)r) : NULL;
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

/* getXattrAt(dirFd, name, key): the value as a Buffer, undefined when NAME
 * has no such attribute, also when its filesystem cannot hold one of KEY's
 * namespace (ENOTSUP: user.* on tmpfs before 6.6, procfs); NAME itself,
 * never a symlink's target */
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
	if (n < 0 && (errno == ENODATA || errno == ENOTSUP))
		return napi_get_undefined(env, &result) == napi_ok ? result : NULL;
	if (n < 0)
		return throw_errno(env, "getxattr", errno);
	return napi_create_buffer_copy(env, (size_t)n, value, NULL, &result) == napi_ok ? result : NULL;
}

/* listXattrAt(dirFd, name): the keys of NAME's xattrs (empty NAME: DIRFD's), not followed */
static napi_value list_xattr_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	char name[NAME_MAX + 1];
	int e = get_bytes(env, args[1], name, sizeof(name), 0);
	if (e)
		return throw_errno(env, "listxattr", e);
	static char keys[65536]; /* XATTR_LIST_MAX; the addon runs on one thread */
	ssize_t n;
	if (!name[0]) {
		n = flistxattr(dir, keys, sizeof(keys));
	} else {
		char proc[64 + NAME_MAX];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dir, name);
		n = llistxattr(proc, keys, sizeof(keys));
	}
	if (n < 0)
		return throw_errno(env, "listxattr", errno);
	napi_value result;
	napi_create_array(env, &result);
	uint32_t i = 0;
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(keys + off) + 1) {
		napi_value k;
		napi_create_string_utf8(env, keys + off, NAPI_AUTO_LENGTH, &k);
		napi_set_element(env, result, i++, k);
	}
	return result;
}

napi_status layer_define(napi_env env, napi_value exports)
{
	for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
		napi_value fn;
		napi_status st = napi_create_function(env, bindings[i].js, NAPI_AUTO_LENGTH, call_binding, (void *)&bindings[i], &fn);
		if (st == napi_ok)
			st = napi_set_named_property(env, exports, bindings[i].js, fn);
		if (st != napi_ok)
			return st;
	}
	napi_property_descriptor props[] = {
		{"statAt", NULL, stat_at, NULL, NULL, NULL, napi_default, NULL},
		{"getXattrAt", NULL, get_xattr_at, NULL, NULL, NULL, napi_default, NULL},
		{"listXattrAt", NULL, list_xattr_at, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
