/*
 * A container's files seen from the host, for `cp` and `export`
 * (src/engine/container-fs.ts decides what to read and write):
 *
 * - mountOverlay: an overlay of a container's layers as a DETACHED mount
 *   (fsopen/fsconfig/fsmount, the new mount API): the result is an fd of the
 *   overlay's root, attached nowhere, in no mount namespace's tree. Nothing
 *   can be left mounted: the kernel frees the mount when the last fd of it
 *   closes, also when the process is killed. Layers are given one by one
 *   ("lowerdir+", Linux 6.8), so neither their number nor ':' or ',' in a
 *   path is limited by the one page of mount options; older kernels get the
 *   joined "lowerdir" string.
 * - attachBind: a recursive bind of a host directory (a volume) onto a path
 *   inside such a detached overlay (open_tree + move_mount into the detached
 *   tree, Linux 6.15), the path resolved in the overlay with RESOLVE_IN_ROOT:
 *   a stopped container's volumes, seen where its processes would see them.
 *   It goes with the overlay's last fd, as the overlay itself.
 * - lstatAt, readlinkAt, readDirAt, openFileAt: reading NAME in DIRFD
 *   itself (a single component, never followed), as the *at primitives of
 *   layer.c do for writing; statDir: a directory's names and their lstat in
 *   one call (the build's listing of its sources); statDirs: the same of
 *   many directories as one buffer of bytes, to tell whether a listing is
 *   still what it was (the build's memo of a source tree).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "addon.h"


static int is_null(napi_env env, napi_value v)
{
	napi_valuetype t;
	return napi_typeof(env, v, &t) != napi_ok || t == napi_null || t == napi_undefined;
}

static int fsconfig_string(int fs, const char *key, const char *value)
{
	return (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0);
}

/* the older form: every lower directory in one "lowerdir" string */
static int lowerdir_joined(napi_env env, int fs, napi_value lower, uint32_t n)
{
	size_t cap = 4096, used = 0;
	char *s = calloc(1, cap);
	if (!s)
		return ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		napi_value item;
		char path[PATH_MAX];
		int e = napi_get_element(env, lower, i, &item) != napi_ok ? EINVAL : get_bytes(env, item, path, sizeof(path), 1);
		if (!e && (strchr(path, ':') || strchr(path, ',')))
			e = EINVAL;
		size_t len = strlen(path);
		if (!e && used + len + 2 > cap)
			e = E2BIG;
		if (e) {
			free(s);
			return e;
		}
		if (i)
			s[used++] = ':';
		memcpy(s + used, path, len);
		used += len;
		s[used] = '\0';
	}
	int r = fsconfig_string(fs, "lowerdir", s);
	int err = r < 0 ? errno : 0;
	free(s);
	return err;
}

/* an overlay fs context of LOWER (N, topmost first) configured and created into *FS: the
 * lower directories one "lowerdir+" each while *PLUS (cleared when the kernel refuses that
 * key: before Linux 6.8), else joined; UPPER and WORK when UPPER is not NULL. The errno of
 * the step *STEP names, 0 when created; *FS stays open (or -1 when fsopen failed). */
static int overlay_context(napi_env env, napi_value lower, uint32_t n, bool userxattr, const char *upper, const char *work, bool volatile_upper, bool *plus, int *fs_out, const char **step)
{
	int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	*fs_out = fs;
	if (fs < 0) {
		*step = "fsopen overlay";
		return errno;
	}
	int err = 0;
	*step = "fsconfig userxattr";
	if (userxattr && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		err = errno;
	if (!err && !*plus) {
		*step = "fsconfig lowerdir";
		err = lowerdir_joined(env, fs, lower, n);
	}
	for (uint32_t i = 0; i < n && !err && *plus; i++) {
		napi_value item;
		char path[PATH_MAX];
		*step = "fsconfig lowerdir+";
		err = napi_get_element(env, lower, i, &item) != napi_ok ? EINVAL : get_bytes(env, item, path, sizeof(path), 1);
		if (!err && fsconfig_string(fs, "lowerdir+", path) < 0) {
			err = errno;
			if (err == EINVAL && i == 0) {
				/* before Linux 6.8 */
				*plus = false;
				*step = "fsconfig lowerdir";
				err = lowerdir_joined(env, fs, lower, n);
			}
		}
	}
	if (!err && upper) {
		*step = "fsconfig upperdir";
		if (fsconfig_string(fs, "upperdir", upper) < 0)
			err = errno;
		else if (fsconfig_string(fs, "workdir", work) < 0) {
			*step = "fsconfig workdir";
			err = errno;
		} else if (volatile_upper && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) {
			*step = "fsconfig volatile";
			err = errno;
		}
	}
	if (!err) {
		*step = "fsconfig create";
		if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			err = errno;
	}
	return err;
}

/* mountOverlay(lower: Buffer[] topmost first, upper: Buffer|null, work: Buffer|null[, volatile: bool[, userxattr: bool]]):
 * the fd of a detached overlay's root. Without UPPER it is read-only and touches no work directory.
 * VOLATILE (with UPPER): overlay's "volatile", no sync of the upper filesystem (a build step's
 * container, removed right after: its files are never written out).
 * USERXATTR: overlay's "userxattr" (user.overlay.* xattrs: a rootless store's layers, mounted
 * by root of the user's user namespace). */
static napi_value mount_overlay(napi_env env, napi_callback_info info)
{
	size_t argc = 5;
	napi_value args[5];
	if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 3)
		return throw_errno(env, __func__, EINVAL);
	bool volatile_upper = false;
	if (argc >= 4 && napi_get_value_bool(env, args[3], &volatile_upper) != napi_ok)
		volatile_upper = false;
	bool userxattr = false;
	if (argc >= 5 && napi_get_value_bool(env, args[4], &userxattr) != napi_ok)
		userxattr = false;
	uint32_t n = 0;
	bool is_array = false;
	if (napi_is_array(env, args[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, args[0], &n) != napi_ok || n == 0)
		return throw_errno(env, "mountOverlay", EINVAL);
	char upper[PATH_MAX], work[PATH_MAX];
	int writable = !is_null(env, args[1]);
	if (writable) {
		int e = get_bytes(env, args[1], upper, sizeof(upper), 1);
		if (!e)
			e = is_null(env, args[2]) ? EINVAL : get_bytes(env, args[2], work, sizeof(work), 1);
		if (e)
			return throw_errno(env, "mountOverlay", e);
	}
	const char *step = "fsopen overlay";
	bool plus = true;
	int fs = -1;
	int err = overlay_context(env, args[0], n, userxattr, writable ? upper : NULL, work, volatile_upper, &plus, &fs, &step);
	if (err == EINVAL && plus && fs >= 0 && strcmp(step, "fsconfig create") == 0) {
		/* before Linux 6.5 overlay took its options as one legacy string: "lowerdir+" passed
		 * fsconfig unchecked and failed only here; again with the joined "lowerdir" */
		close(fs);
		fs = -1;
		plus = false;
		err = overlay_context(env, args[0], n, userxattr, writable ? upper : NULL, work, volatile_upper, &plus, &fs, &step);
	}
	if (fs < 0)
		return throw_errno(env, step, err);
	int mnt = -1;
	if (!err) {
		step = "fsmount";
		unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0 : MOUNT_ATTR_RDONLY);
		mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
		if (mnt < 0)
			err = errno;
	}
	close(fs);
	if (err)
		return throw_errno(env, step, err);
	napi_value r;
	napi_create_int32(env, mnt, &r);
	return r;
}

static void set_number(napi_env env, napi_value arr, uint32_t i, double v)
{
	napi_value x;
	napi_create_double(env, v, &x);
	napi_set_element(env, arr, i, x);
}

/* lstatAt(dirFd, name): [mode, uid, gid, size, nlink, ino, dev, rdevMajor, rdevMinor,
 * atimeSec, atimeNsec, mtimeSec, mtimeNsec] of NAME itself (empty NAME: DIRFD),
 * undefined if it does not exist */
static napi_value lstat_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	NAME(1, name);
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) < 0) {
		if (errno == ENOENT)
			return NULL;
		return throw_errno(env, "fstatat", errno);
	}
	napi_value r;
	napi_create_array_with_length(env, 13, &r);
	double v[13] = {
		st.st_mode, st.st_uid, st.st_gid, (double)st.st_size, (double)st.st_nlink, (double)st.st_ino,
		(double)st.st_dev, major(st.st_rdev), minor(st.st_rdev),
		(double)st.st_atim.tv_sec, (double)st.st_atim.tv_nsec, (double)st.st_mtim.tv_sec, (double)st.st_mtim.tv_nsec,
	};
	for (uint32_t i = 0; i < 13; i++)
		set_number(env, r, i, v[i]);
	return r;
}

/* readlinkAt(dirFd, name): the symlink's target as bytes */
static napi_value readlink_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	NAME(1, name);
	if (!name[0])
		return throw_errno(env, "readlinkat", EINVAL);
	char target[PATH_MAX];
	ssize_t len = readlinkat(dir, name, target, sizeof(target));
	if (len < 0)
		return throw_errno(env, "readlinkat", errno);
	if ((size_t)len == sizeof(target))
		return throw_errno(env, "readlinkat", ENAMETOOLONG);
	napi_value r;
	void *out;
	napi_create_buffer_copy(env, (size_t)len, target, &out, &r);
	return r;
}

/* readDirAt(dirFd): the names in the directory DIRFD (not "." or ".."), as Buffers */
static napi_value read_dir_at(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, dir);
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return throw_errno(env, "openat", errno);
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		return throw_errno(env, "fdopendir", err);
	}
	napi_value r;
	napi_create_array(env, &r);
	uint32_t n = 0;
	struct dirent *ent;
	errno = 0;
	while ((ent = readdir(d)) != NULL) {
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		napi_value b;
		void *out;
		napi_create_buffer_copy(env, strlen(ent->d_name), ent->d_name, &out, &b);
		napi_set_element(env, r, n++, b);
		errno = 0;
	}
	int err = errno;
	closedir(d);
	if (err)
		return throw_errno(env, "readdir", err);
	return r;
}

/* statDir(path): the entries of the directory PATH (followed as open(2) follows it: the caller
 * resolved its symlinks already, as readdir(3) of a path would) and each one's lstat, in one call: [names, stats], names as UTF-8 strings (not
 * "." or ".."; an entry gone meanwhile is left out), stats a Float64Array of STAT_DIR_FIELDS a
 * name: mode, uid, gid, size, nlink, ino, dev, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec. The
 * build's listing of a context of thousands of files: a Stats object and a path per file cost
 * about three times as much. */
#define STAT_DIR_FIELDS 11
static void stat_fields(double *r, const struct stat *st)
{
	r[0] = st->st_mode;
	r[1] = st->st_uid;
	r[2] = st->st_gid;
	r[3] = (double)st->st_size;
	r[4] = (double)st->st_nlink;
	r[5] = (double)st->st_ino;
	r[6] = (double)st->st_dev;
	r[7] = (double)st->st_mtim.tv_sec;
	r[8] = (double)st->st_mtim.tv_nsec;
	r[9] = (double)st->st_ctim.tv_sec;
	r[10] = (double)st->st_ctim.tv_nsec;
}

/* Calls FN(CTX, name, lstat) for each entry of the directory PATH, in readdir's order ("." and
 * ".." and entries gone meanwhile left out), until FN returns an errno; *STEP names the call
 * that failed. Shared by statDir and statDirs. */
static int each_entry(const char *path, int (*fn)(void *ctx, const char *name, const struct stat *st), void *ctx, const char **step)
{
	*step = "open";
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		*step = "fdopendir";
		return err;
	}
	*step = "readdir";
	int err = 0;
	struct dirent *ent;
	while (!err) {
		errno = 0;
		if ((ent = readdir(d)) == NULL) {
			err = errno;
			break;
		}
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			err = errno;
			*step = "fstatat";
			break;
		}
		err = fn(ctx, ent->d_name, &st);
	}
	closedir(d);
	return err;
}

struct stat_dir_acc {
	napi_env env;
	napi_value names;
	double *v;
	size_t cap, n;
};

static int stat_dir_add(void *ctx, const char *name, const struct stat *st)
{
	struct stat_dir_acc *a = ctx;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		double *w = realloc(a->v, cap * STAT_DIR_FIELDS * sizeof(double));
		if (!w)
			return ENOMEM;
		a->v = w;
		a->cap = cap;
	}
	stat_fields(a->v + a->n * STAT_DIR_FIELDS, st);
	napi_value s;
	napi_create_string_utf8(a->env, name, NAPI_AUTO_LENGTH, &s);
	napi_set_element(a->env, a->names, (uint32_t)a->n++, s);
	return 0;
}

static napi_value stat_dir(napi_env env, napi_callback_info info)
{
	ARGS(1);
	char path[PATH_MAX];
	int e = get_bytes(env, args[0], path, sizeof(path), 1);
	if (e)
		return throw_errno(env, "statDir", e);
	struct stat_dir_acc a = {.env = env};
	napi_create_array(env, &a.names);
	const char *step;
	int err = each_entry(path, stat_dir_add, &a, &step);
	if (err) {
		free(a.v);
		return throw_errno(env, step, err);
	}
	size_t n = a.n;
	napi_value buf, stats, result;
	void *data;
	napi_create_arraybuffer(env, n * STAT_DIR_FIELDS * sizeof(double), &data, &buf);
	if (n)
		memcpy(data, a.v, n * STAT_DIR_FIELDS * sizeof(double));
	free(a.v);
	napi_create_typedarray(env, napi_float64_array, n * STAT_DIR_FIELDS, buf, 0, &stats);
	napi_create_array_with_length(env, 2, &result);
	napi_set_element(env, result, 0, a.names);
	napi_set_element(env, result, 1, stats);
	return result;
}

struct bytes {
	char *data;
	size_t len, cap;
};

static int bytes_put(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + n)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

struct stat_bytes_acc {
	struct bytes *out, *names;
	uint32_t n;
};

static int stat_bytes_add(void *ctx, const char *name, const struct stat *st)
{
	struct stat_bytes_acc *a = ctx;
	double r[STAT_DIR_FIELDS];
	stat_fields(r, st);
	int err = bytes_put(a->out, r, sizeof(r));
	if (!err)
		err = bytes_put(a->names, name, strlen(name) + 1);
	a->n++;
	return err;
}

/* one directory's part of statDirs' answer into OUT: its entries' count (u32), their
 * STAT_DIR_FIELDS doubles each, then their names, each ending with a NUL; in readdir's order */
static int stat_dir_bytes(const char *path, struct bytes *out, struct bytes *names)
{
	size_t head = out->len;
	struct stat_bytes_acc a = {.out = out, .names = names};
	int err = bytes_put(out, &a.n, sizeof(a.n));
	names->len = 0;
	const char *step;
	if (!err)
		err = each_entry(path, stat_bytes_add, &a, &step);
	if (!err)
		err = bytes_put(out, names->data, names->len);
	if (!err)
		memcpy(out->data + head, &a.n, sizeof(a.n));
	return err;
}

/* statDirs(paths): what statDir says of each directory of PATHS, as one Buffer of bytes, for
 * comparing a listing with an earlier one (the build's memo of a source tree, sources.ts): for
 * each directory its entries' count (u32), their STAT_DIR_FIELDS doubles each, then their
 * names with a NUL each, in readdir's order. Null when a directory cannot be listed. */
static napi_value stat_dirs(napi_env env, napi_callback_info info)
{
	ARGS(1);
	uint32_t count;
	if (napi_get_array_length(env, args[0], &count) != napi_ok)
		return throw_errno(env, "statDirs", EINVAL);
	struct bytes out = {0}, names = {0};
	int err = 0;
	for (uint32_t i = 0; i < count && !err; i++) {
		napi_value item;
		char path[PATH_MAX];
		err = napi_get_element(env, args[0], i, &item) != napi_ok ? EINVAL : get_bytes(env, item, path, sizeof(path), 1);
		if (err)
			break;
		err = stat_dir_bytes(path, &out, &names);
	}
	free(names.data);
	napi_value result;
	if (err) {
		free(out.data);
		napi_get_null(env, &result);
		return result;
	}
	void *copy;
	napi_create_buffer_copy(env, out.len, out.len ? out.data : "", &copy, &result);
	free(out.data);
	return result;
}

/* openFileAt(dirFd, name): NAME opened for reading; refused unless it is a regular file */
static napi_value open_file_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	NAME(1, name);
	if (!name[0])
		return throw_errno(env, "openat", EINVAL);
	/* O_NONBLOCK: a FIFO put in its place must not block us */
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return throw_errno(env, "openat", errno);
	struct stat st;
	int err = fstat(fd, &st) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (err) {
		close(fd);
		return throw_errno(env, "openat", err);
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	napi_value r;
	napi_create_int32(env, fd, &r);
	return r;
}

/* attachBind(rootFd, target: Buffer (a path under the root), source: Buffer (a host path), readOnly) */
static napi_value attach_bind(napi_env env, napi_callback_info info)
{
	ARGS(4);
	int32_t root;
	char target[PATH_MAX], source[PATH_MAX];
	bool ro = false;
	if (napi_get_value_int32(env, args[0], &root) != napi_ok || napi_get_value_bool(env, args[3], &ro) != napi_ok)
		return throw_errno(env, "attachBind", EINVAL);
	int e = get_bytes(env, args[1], target, sizeof(target), 1);
	if (!e)
		e = get_bytes(env, args[2], source, sizeof(source), 1);
	if (e)
		return throw_errno(env, "attachBind", e);
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int at = (int)syscall(SYS_openat2, root, target, &how, sizeof(how));
	if (at < 0)
		return throw_errno(env, target, errno);
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	int err = tree < 0 ? errno : 0;
	if (!err && ro) {
		struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			err = errno;
	}
	if (!err && syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		err = errno;
	if (tree >= 0)
		close(tree);
	close(at);
	if (err)
		return throw_errno(env, source, err);
	return NULL;
}

napi_status view_define(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"mountOverlay", NULL, mount_overlay, NULL, NULL, NULL, napi_default, NULL},
		{"lstatAt", NULL, lstat_at, NULL, NULL, NULL, napi_default, NULL},
		{"readlinkAt", NULL, readlink_at, NULL, NULL, NULL, napi_default, NULL},
		{"readDirAt", NULL, read_dir_at, NULL, NULL, NULL, napi_default, NULL},
		{"statDir", NULL, stat_dir, NULL, NULL, NULL, napi_default, NULL},
		{"statDirs", NULL, stat_dirs, NULL, NULL, NULL, napi_default, NULL},
		{"openFileAt", NULL, open_file_at, NULL, NULL, NULL, napi_default, NULL},
		{"attachBind", NULL, attach_bind, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
