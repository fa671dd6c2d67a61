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
 *
 * writeFileAsync/drainFiles take the bulk of an unpack's syscalls off the
 * main thread: a small file is created, written, chowned, chmodded, timed
 * and closed by one worker thread while the main thread reads on. The
 * caller drains (waits for all of them and collects their errors) before
 * anything that could touch the same names and before it closes a
 * directory fd a queued file uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "addon.h"

#define ARGS(n)                                                               \
	size_t argc = (n);                                                    \
	napi_value args[(n)];                                                 \
	if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < (n)) \
		return throw_errno(env, __func__, EINVAL)

static int get_int(napi_env env, napi_value v, int32_t *out)
{
	return napi_get_value_int32(env, v, out) == napi_ok ? 0 : EINVAL;
}

static int get_i64(napi_env env, napi_value v, int64_t *out)
{
	return napi_get_value_int64(env, v, out) == napi_ok ? 0 : EINVAL;
}

/* Copies the Buffer V into OUT (NUL-terminated). PATH allows '/'. */
static int get_bytes(napi_env env, napi_value v, char *out, size_t cap, int path)
{
	void *data;
	size_t len;
	if (napi_get_buffer_info(env, v, &data, &len) != napi_ok)
		return EINVAL;
	if (len >= cap)
		return ENAMETOOLONG;
	if (memchr(data, '\0', len))
		return EINVAL;
	if (!path && (memchr(data, '/', len) || (len == 1 && ((char *)data)[0] == '.') ||
		      (len == 2 && !memcmp(data, "..", 2))))
		return EINVAL;
	memcpy(out, data, len);
	out[len] = '\0';
	return 0;
}

#define NAME(i, var)                                                          \
	char var[NAME_MAX + 1];                                               \
	do {                                                                  \
		int e_ = get_bytes(env, args[(i)], var, sizeof(var), 0);      \
		if (e_)                                                       \
			return throw_errno(env, __func__, e_);                \
	} while (0)

#define INT(i, var)                                                           \
	int32_t var;                                                          \
	if (get_int(env, args[(i)], &var))                                    \
	return throw_errno(env, __func__, EINVAL)

static napi_value int_result(napi_env env, int32_t n)
{
	napi_value r;
	napi_create_int32(env, n, &r);
	return r;
}

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

/* createFileAt(dirFd, name): a new regular file (never an existing one,
 * never through a symlink), open for writing, mode 0600 until chmodAt */
static napi_value create_file_at(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, dir);
	NAME(1, name);
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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

/* statAt(dirFd, name): [st_mode, st_ino] of NAME itself, or undefined if it
 * does not exist */
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
	napi_value r, m, i;
	napi_create_array_with_length(env, 2, &r);
	napi_create_uint32(env, st.st_mode, &m);
	napi_create_double(env, (double)st.st_ino, &i);
	napi_set_element(env, r, 0, m);
	napi_set_element(env, r, 1, i);
	return r;
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

/* writeFileAsync(id, dirFd, name, data, uid, gid, mode, atimeSec, atimeNsec,
 * mtimeSec, mtimeNsec): queues createFileAt + write + chown + chmod (after
 * chown, which clears setuid/setgid) + times + close for one worker thread.
 * One thread, first in first out: several (libuv's pool) contend for the
 * directory locks and were slower than none. */
enum job_kind { JOB_WHOLE, JOB_BEGIN, JOB_APPEND, JOB_END };

struct file_job {
	struct file_job *next;
	enum job_kind kind;
	int slot;
	napi_ref data_ref;
	const char *data;
	size_t len;
	int dir;
	char name[NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec ts[2];
	int32_t id;
	int err;
};

static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_todo_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t jobs_done_cv = PTHREAD_COND_INITIALIZER;
/* queued, oldest first; done (their references to release on the main thread) */
static struct file_job *todo_head, *todo_tail, *done_head;
static int jobs_in_flight;
static int worker_started;
/* failures seen while releasing in enqueue, kept for drainFiles */
static struct file_job *failed_head;

/* the fds of files written in parts (BEGIN, APPEND..., END), by slot; -1 when
 * none or when BEGIN failed (its job reported why). Only the worker uses it. */
#define SLOTS 1024
static int slot_fds[SLOTS];

static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno != EINTR)
			return errno;
		if (n > 0)
			off += (size_t)n;
	}
	return 0;
}

static int finish_file(int fd, struct file_job *j)
{
	int err = 0;
	if (fchown(fd, j->uid, j->gid) < 0)
		err = errno;
	if (!err && fchmod(fd, j->mode) < 0)
		err = errno;
	if (!err && futimens(fd, j->ts) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	return err;
}

static int run_file_job(struct file_job *j)
{
	int fd, err;
	switch (j->kind) {
	case JOB_WHOLE:
	case JOB_BEGIN:
		fd = openat(j->dir, j->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno;
		err = write_all(fd, j->data, j->len);
		if (j->kind == JOB_BEGIN) {
			slot_fds[j->slot] = err ? -1 : fd;
			if (err)
				close(fd);
			return err;
		}
		if (err) {
			close(fd);
			return err;
		}
		return finish_file(fd, j);
	case JOB_APPEND:
		fd = slot_fds[j->slot];
		if (fd < 0)
			return 0;
		err = write_all(fd, j->data, j->len);
		if (err) {
			close(fd);
			slot_fds[j->slot] = -1;
		}
		return err;
	case JOB_END:
		fd = slot_fds[j->slot];
		slot_fds[j->slot] = -1;
		return fd < 0 ? 0 : finish_file(fd, j);
	}
	return EINVAL;
}

static void *file_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&jobs_mu);
	for (;;) {
		while (!todo_head)
			pthread_cond_wait(&jobs_todo_cv, &jobs_mu);
		struct file_job *j = todo_head;
		todo_head = j->next;
		if (!todo_head)
			todo_tail = NULL;
		pthread_mutex_unlock(&jobs_mu);
		j->err = run_file_job(j);
		pthread_mutex_lock(&jobs_mu);
		j->next = done_head;
		done_head = j;
		if (--jobs_in_flight == 0)
			pthread_cond_broadcast(&jobs_done_cv);
	}
	return NULL;
}

/* Takes the finished jobs (the caller holds jobs_mu). */
static struct file_job *take_done(void)
{
	struct file_job *d = done_head;
	done_head = NULL;
	return d;
}

/* Releases finished jobs on the main thread; appends failures to R at *N. */
static void release_done(napi_env env, struct file_job *d, napi_value r, uint32_t *n)
{
	while (d) {
		struct file_job *next = d->next;
		if (d->err && r) {
			napi_value id, err;
			napi_create_int32(env, d->id, &id);
			napi_create_int32(env, d->err, &err);
			napi_set_element(env, r, (*n)++, id);
			napi_set_element(env, r, (*n)++, err);
		}
		if (d->data_ref)
			napi_delete_reference(env, d->data_ref);
		free(d);
		d = next;
	}
}


/* Queues J (filled in) for the worker; releases finished jobs, keeping
 * failures for drainFiles. */
static napi_value enqueue(napi_env env, struct file_job *j, napi_value data)
{
	int e = 0;
	void *bytes = NULL;
	if (data && (napi_get_buffer_info(env, data, &bytes, &j->len) != napi_ok ||
		     napi_create_reference(env, data, 1, &j->data_ref) != napi_ok))
		e = EINVAL;
	if (!e && !worker_started) {
		for (int i = 0; i < SLOTS; i++)
			slot_fds[i] = -1;
		pthread_t t;
		e = pthread_create(&t, NULL, file_worker, NULL);
		if (!e) {
			pthread_detach(t);
			worker_started = 1;
		}
	}
	if (e) {
		if (j->data_ref)
			napi_delete_reference(env, j->data_ref);
		free(j);
		return throw_errno(env, "writeFileAsync", e);
	}
	j->data = bytes;
	pthread_mutex_lock(&jobs_mu);
	if (todo_tail)
		todo_tail->next = j;
	else
		todo_head = j;
	todo_tail = j;
	jobs_in_flight++;
	pthread_cond_signal(&jobs_todo_cv);
	struct file_job *d = take_done();
	pthread_mutex_unlock(&jobs_mu);
	while (d) {
		struct file_job *next = d->next;
		if (d->err) {
			d->next = failed_head;
			failed_head = d;
		} else {
			if (d->data_ref)
				napi_delete_reference(env, d->data_ref);
			free(d);
		}
		d = next;
	}
	return NULL;
}

/* owner, mode and times from ARGS[i..i+6]: uid, gid, mode, atime sec/nsec, mtime sec/nsec */
static int get_meta(napi_env env, napi_value *args, struct file_job *j)
{
	int32_t uid, gid, mode;
	int64_t t[4];
	if (get_int(env, args[0], &uid) || get_int(env, args[1], &gid) || get_int(env, args[2], &mode) ||
	    get_i64(env, args[3], &t[0]) || get_i64(env, args[4], &t[1]) || get_i64(env, args[5], &t[2]) ||
	    get_i64(env, args[6], &t[3]))
		return EINVAL;
	j->uid = (uid_t)uid;
	j->gid = (gid_t)gid;
	j->mode = (mode_t)mode;
	j->ts[0] = (struct timespec){.tv_sec = t[0], .tv_nsec = t[1]};
	j->ts[1] = (struct timespec){.tv_sec = t[2], .tv_nsec = t[3]};
	return 0;
}

static int get_slot(napi_env env, napi_value v, int *slot)
{
	int32_t s;
	if (get_int(env, v, &s) || s < 0 || s >= SLOTS)
		return EINVAL;
	*slot = s;
	return 0;
}

/* writeFileAsync(id, dirFd, name, data, uid, gid, mode, atimeSec, atimeNsec, mtimeSec, mtimeNsec) */
static napi_value write_file_async(napi_env env, napi_callback_info info)
{
	ARGS(11);
	struct file_job *j = calloc(1, sizeof(*j));
	if (!j)
		return throw_errno(env, "writeFileAsync", ENOMEM);
	j->kind = JOB_WHOLE;
	int e = get_bytes(env, args[2], j->name, sizeof(j->name), 0);
	if (!e && (get_int(env, args[0], &j->id) || get_int(env, args[1], &j->dir) || get_meta(env, args + 4, j)))
		e = EINVAL;
	if (e) {
		free(j);
		return throw_errno(env, "writeFileAsync", e);
	}
	return enqueue(env, j, args[3]);
}

/* beginFileAsync(id, slot, dirFd, name, data): creates NAME and writes DATA; the fd stays in SLOT */
static napi_value begin_file_async(napi_env env, napi_callback_info info)
{
	ARGS(5);
	struct file_job *j = calloc(1, sizeof(*j));
	if (!j)
		return throw_errno(env, "beginFileAsync", ENOMEM);
	j->kind = JOB_BEGIN;
	int e = get_bytes(env, args[3], j->name, sizeof(j->name), 0);
	if (!e && (get_int(env, args[0], &j->id) || get_slot(env, args[1], &j->slot) || get_int(env, args[2], &j->dir)))
		e = EINVAL;
	if (e) {
		free(j);
		return throw_errno(env, "beginFileAsync", e);
	}
	return enqueue(env, j, args[4]);
}

/* appendFileAsync(id, slot, data) */
static napi_value append_file_async(napi_env env, napi_callback_info info)
{
	ARGS(3);
	struct file_job *j = calloc(1, sizeof(*j));
	if (!j)
		return throw_errno(env, "appendFileAsync", ENOMEM);
	j->kind = JOB_APPEND;
	if (get_int(env, args[0], &j->id) || get_slot(env, args[1], &j->slot)) {
		free(j);
		return throw_errno(env, "appendFileAsync", EINVAL);
	}
	return enqueue(env, j, args[2]);
}

/* endFileAsync(id, slot, uid, gid, mode, atimeSec, atimeNsec, mtimeSec, mtimeNsec): chown, chmod, times, close */
static napi_value end_file_async(napi_env env, napi_callback_info info)
{
	ARGS(9);
	struct file_job *j = calloc(1, sizeof(*j));
	if (!j)
		return throw_errno(env, "endFileAsync", ENOMEM);
	j->kind = JOB_END;
	if (get_int(env, args[0], &j->id) || get_slot(env, args[1], &j->slot) || get_meta(env, args + 2, j)) {
		free(j);
		return throw_errno(env, "endFileAsync", EINVAL);
	}
	return enqueue(env, j, NULL);
}

/* drainFiles(): blocks until every queued file is done; returns the failed
 * ones as a flat array [id, errno, id, errno, ...] (empty if none). */
static napi_value drain_files(napi_env env, napi_callback_info info)
{
	(void)info;
	pthread_mutex_lock(&jobs_mu);
	while (jobs_in_flight > 0)
		pthread_cond_wait(&jobs_done_cv, &jobs_mu);
	struct file_job *d = take_done();
	pthread_mutex_unlock(&jobs_mu);
	napi_value r;
	uint32_t n = 0;
	napi_create_array(env, &r);
	release_done(env, failed_head, r, &n);
	failed_head = NULL;
	release_done(env, d, r, &n);
	return r;
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
		{"unlinkAt", NULL, unlink_at, NULL, NULL, NULL, napi_default, NULL},
		{"chownAt", NULL, chown_at, NULL, NULL, NULL, napi_default, NULL},
		{"chmodAt", NULL, chmod_at, NULL, NULL, NULL, napi_default, NULL},
		{"utimesAt", NULL, utimes_at, NULL, NULL, NULL, napi_default, NULL},
		{"setXattrAt", NULL, set_xattr_at, NULL, NULL, NULL, napi_default, NULL},
		{"getXattrAt", NULL, get_xattr_at, NULL, NULL, NULL, napi_default, NULL},
		{"writeFileAsync", NULL, write_file_async, NULL, NULL, NULL, napi_default, NULL},
		{"beginFileAsync", NULL, begin_file_async, NULL, NULL, NULL, napi_default, NULL},
		{"appendFileAsync", NULL, append_file_async, NULL, NULL, NULL, napi_default, NULL},
		{"endFileAsync", NULL, end_file_async, NULL, NULL, NULL, napi_default, NULL},
		{"drainFiles", NULL, drain_files, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
