/*
 * The writer threads of layer unpacking, and mapFile. queueFiles, waitFiles
 * and drainFiles take the bulk of an unpack's syscalls off the main thread:
 * regular files the main thread created are written, chowned, chmodded,
 * timed and closed by worker threads, through their fds, while the main
 * thread reads on. The caller drains (waits for all of them and collects
 * their errors) before it is done. mapFile maps a layer file for the parser.
 * The *at bindings the main thread uses are in layer.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addon.h"

/* queueFiles(data, ops, count, names): regular files written by one worker
 * thread, in the order given, while the main thread parses on: write,
 * chown, chmod, times and close of a file the main thread created
 * (createFileAt), or all of that and the create itself (JOB_CREATE: a
 * single component NAME in the directory fd DIR, O_EXCL|O_NOFOLLOW, where
 * the caller knows nothing is in its way). One call per input chunk: OPS
 * (a Float64Array of FILE_OP_FIELDS numbers an operation, see enum file_op)
 * point into DATA (the chunk's ArrayBuffer, referenced until the worker is
 * done with it) and NAMES (copied).
 *
 * Batches go to a few worker threads (fileWorkers(N), one by default), each
 * its own queue, first in first out: a batch to the thread with the least
 * data queued, except that a batch continuing a file whose pieces went to
 * a thread (JOB_APPEND without its JOB_END yet; several unpacks at once
 * each have one) goes to that thread, so that a file's pieces are written
 * in order by one thread. Jobs of different batches may thus run in any
 * order; "done up to id X" means every job up to X is done (the oldest
 * batch not yet done bounds it). Per-file jobs on libuv's pool were slower
 * than one thread; batches on two threads are faster than one when the
 * main thread has less to do than the writing (bench/README.md, "Layer
 * unpacking"). */
enum job_kind { JOB_WHOLE, JOB_APPEND, JOB_END, JOB_CREATE };

/* the fields of an operation in queueFiles' OPS (file-queue.ts has the same list) */
enum file_op {
	OP_KIND,
	OP_ID,
	OP_FD,
	OP_DATA_OFF,
	OP_DATA_LEN,
	OP_UID,
	OP_GID,
	OP_MODE,
	OP_ATIME_SEC,
	OP_ATIME_NSEC,
	OP_MTIME_SEC,
	OP_MTIME_NSEC,
	OP_DIR,
	OP_NAME_OFF,
	OP_NAME_LEN,
	FILE_OP_FIELDS
};

struct file_job {
	enum job_kind kind;
	int fd;
	/* JOB_CREATE: NAME (NUL-terminated, in the batch's allocation) in DIR */
	int dir;
	const char *name;
	int64_t id;
	int err;
	const char *data;
	size_t len;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec ts[2];
};

/* one queueFiles call: its jobs, then the names they point to */
struct file_batch {
	/* in its worker's queue, then in done_head's list */
	struct file_batch *next;
	/* all batches not yet released, in the order queued */
	struct file_batch *order_next;
	int done;
	napi_ref data_ref;
	size_t bytes;
	uint32_t count;
	uint32_t failed;
	struct file_job jobs[];
};

#define MAX_WORKERS 8

struct file_worker {
	pthread_cond_t todo_cv;
	/* queued, oldest first */
	struct file_batch *head, *tail;
	/* bytes of file data queued to it */
	size_t bytes;
};

static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_done_cv = PTHREAD_COND_INITIALIZER;
static struct file_worker workers[MAX_WORKERS];
/* threads started, and wanted (fileWorkers) */
static int workers_started, workers_wanted = 1;
/* every batch not yet released, oldest first; done ones to release on the
 * main thread (their references), newest first */
static struct file_batch *order_head, *order_tail, *done_head;
/* files whose pieces were queued without their JOB_END yet (by fd), and
 * the thread that writes them: the rest of their pieces go there too.
 * Several unpacks in one process each have one such file at most. */
#define MAX_OPEN_FILES 64
static struct {
	int fd;
	int worker;
} open_files[MAX_OPEN_FILES];
static int open_files_n;
/* bytes of file data and jobs in queued batches, and the id up to which every job is done */
static size_t bytes_in_flight, jobs_in_flight;
static int batches_in_flight;
static int64_t last_done_id;
/* done batches with failed jobs, kept for drainFiles */
static struct file_batch *failed_head;

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

/* The owner, then the mode (fchown clears setuid and setgid), then the times,
 * then close. fchown and fchmod are skipped where the file has them already:
 * a root:root file is created with its permission bits (createFileAt's
 * MODE), and so are most files of a layer (two syscalls of six). */
static int finish_file(struct file_job *j)
{
	int err = 0;
	struct stat st;
	if (fstat(j->fd, &st) < 0)
		err = errno;
	int chowned = !err && (st.st_uid != j->uid || st.st_gid != j->gid);
	if (chowned && fchown(j->fd, j->uid, j->gid) < 0)
		err = errno;
	if (!err && (chowned || (st.st_mode & 07777) != j->mode) && fchmod(j->fd, j->mode) < 0)
		err = errno;
	if (!err && futimens(j->fd, j->ts) < 0)
		err = errno;
	if (close(j->fd) < 0 && !err)
		err = errno;
	return err;
}

/* one component: no '/', not "" or "." or ".." (the names came from JavaScript) */
static int plain_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* A root:root file is created with its permission bits (never setuid,
 * setgid or sticky): it is never more open than it will be, and
 * finish_file then needs neither fchown nor fchmod. */
static mode_t create_mode(const struct file_job *j)
{
	return j->uid == 0 && j->gid == 0 ? (j->mode & 0777) : 0600;
}

static int run_file_job(struct file_job *j)
{
	int err;
	switch (j->kind) {
	case JOB_CREATE:
		if (!plain_name(j->name))
			return EINVAL;
		j->fd = openat(j->dir, j->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode(j));
		if (j->fd < 0)
			return errno;
		/* fall through */
	case JOB_WHOLE:
		err = write_all(j->fd, j->data, j->len);
		if (err) {
			close(j->fd);
			return err;
		}
		return finish_file(j);
	case JOB_APPEND:
		/* a failed write is reported; the END that follows still closes */
		return write_all(j->fd, j->data, j->len);
	case JOB_END:
		return finish_file(j);
	}
	return EINVAL;
}

static void *file_worker(void *arg)
{
	struct file_worker *me = arg;
	pthread_mutex_lock(&jobs_mu);
	for (;;) {
		while (!me->head)
			pthread_cond_wait(&me->todo_cv, &jobs_mu);
		struct file_batch *b = me->head;
		pthread_mutex_unlock(&jobs_mu);
		for (uint32_t i = 0; i < b->count; i++) {
			b->jobs[i].err = run_file_job(&b->jobs[i]);
			if (b->jobs[i].err)
				b->failed++;
		}
		pthread_mutex_lock(&jobs_mu);
		me->head = b->next;
		if (!me->head)
			me->tail = NULL;
		me->bytes -= b->bytes;
		b->done = 1;
		bytes_in_flight -= b->bytes;
		jobs_in_flight -= b->count;
		batches_in_flight--;
		/* the oldest batches that are done: everything up to their last job is */
		while (order_head && order_head->done) {
			struct file_batch *d = order_head;
			order_head = d->order_next;
			if (!order_head)
				order_tail = NULL;
			if (d->count)
				last_done_id = d->jobs[d->count - 1].id;
			d->next = done_head;
			done_head = d;
		}
		pthread_cond_broadcast(&jobs_done_cv);
	}
	return NULL;
}

/* Releases done batches (main thread): their data references; the ones with
 * failed jobs are kept on failed_head for drainFiles. */
static void release_done(napi_env env, struct file_batch *d)
{
	while (d) {
		struct file_batch *next = d->next;
		if (d->data_ref) {
			napi_delete_reference(env, d->data_ref);
			d->data_ref = NULL;
		}
		if (d->failed) {
			d->next = failed_head;
			failed_head = d;
		} else
			free(d);
		d = next;
	}
}

/* starts worker threads up to the number wanted (under jobs_mu) */
static int start_workers(void)
{
	while (workers_started < workers_wanted) {
		struct file_worker *w = &workers[workers_started];
		pthread_cond_init(&w->todo_cv, NULL);
		pthread_t t;
		int e = pthread_create(&t, NULL, file_worker, w);
		if (e)
			return workers_started ? 0 : e;
		pthread_detach(t);
		workers_started++;
	}
	return 0;
}

/* fileWorkers(n): how many threads write files (1 to 8); never fewer than started */
static napi_value file_workers(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, n);
	if (n < 1 || n > MAX_WORKERS)
		return throw_errno(env, "fileWorkers", EINVAL);
	pthread_mutex_lock(&jobs_mu);
	if (n > workers_wanted)
		workers_wanted = n;
	pthread_mutex_unlock(&jobs_mu);
	return NULL;
}

static int64_t op_int(const double *op, enum file_op f)
{
	return (int64_t)op[f];
}

static int open_file_slot(int fd)
{
	for (int i = 0; i < open_files_n; i++)
		if (open_files[i].fd == fd)
			return i;
	return -1;
}

/* waits (under jobs_mu) until worker WI has nothing queued */
static void wait_worker_idle(int wi)
{
	while (workers[wi].head)
		pthread_cond_wait(&jobs_done_cv, &jobs_mu);
}

/* The thread for batch B (under jobs_mu): the one writing a file B
 * continues, else the one with the least data queued. Should B continue
 * files of two threads, the other's queue is waited out first, so that
 * every earlier piece of its file is written. */
static int choose_worker(const struct file_batch *b)
{
	int wi = -1;
	for (uint32_t i = 0; i < b->count; i++) {
		const struct file_job *j = &b->jobs[i];
		int slot = j->kind == JOB_APPEND || j->kind == JOB_END ? open_file_slot(j->fd) : -1;
		if (slot < 0)
			continue;
		if (wi < 0)
			wi = open_files[slot].worker;
		else if (open_files[slot].worker != wi)
			wait_worker_idle(open_files[slot].worker);
	}
	if (wi >= 0)
		return wi;
	wi = 0;
	for (int i = 1; i < workers_started; i++)
		if (workers[i].bytes < workers[wi].bytes)
			wi = i;
	return wi;
}

/* after batch B went to worker WI (under jobs_mu): the files it leaves open, and the ones it ends */
static void note_open_files(const struct file_batch *b, int wi)
{
	for (uint32_t i = 0; i < b->count; i++) {
		const struct file_job *j = &b->jobs[i];
		if (j->kind != JOB_APPEND && j->kind != JOB_END)
			continue;
		int slot = open_file_slot(j->fd);
		if (j->kind == JOB_END) {
			if (slot >= 0)
				open_files[slot] = open_files[--open_files_n];
			continue;
		}
		if (slot < 0 && open_files_n == MAX_OPEN_FILES) {
			/* never with a few unpacks at once: every piece queued is then written, nothing is pinned */
			for (int k = 0; k < workers_started; k++)
				wait_worker_idle(k);
			open_files_n = 0;
		}
		if (slot < 0)
			slot = open_files_n++;
		open_files[slot].fd = j->fd;
		open_files[slot].worker = wi;
	}
}

/* queueFiles(data: ArrayBuffer | null, ops: Float64Array, count, names: Buffer) */
static napi_value queue_files(napi_env env, napi_callback_info info)
{
	ARGS(4);
	void *data = NULL;
	size_t data_len = 0;
	napi_valuetype t;
	if (napi_typeof(env, args[0], &t) != napi_ok)
		return throw_errno(env, "queueFiles", EINVAL);
	if (t != napi_null && napi_get_arraybuffer_info(env, args[0], &data, &data_len) != napi_ok)
		return throw_errno(env, "queueFiles", EINVAL);
	napi_typedarray_type type;
	size_t ops_len;
	void *ops_data;
	if (napi_get_typedarray_info(env, args[1], &type, &ops_len, &ops_data, NULL, NULL) != napi_ok ||
	    type != napi_float64_array)
		return throw_errno(env, "queueFiles", EINVAL);
	uint32_t count;
	if (napi_get_value_uint32(env, args[2], &count) != napi_ok || (size_t)count * FILE_OP_FIELDS > ops_len)
		return throw_errno(env, "queueFiles", EINVAL);
	void *names;
	size_t names_len;
	if (napi_get_buffer_info(env, args[3], &names, &names_len) != napi_ok)
		return throw_errno(env, "queueFiles", EINVAL);
	if (count == 0)
		return NULL;
	const double *ops = ops_data;
	size_t name_bytes = 0;
	for (uint32_t i = 0; i < count; i++) {
		const double *op = ops + (size_t)i * FILE_OP_FIELDS;
		int64_t doff = op_int(op, OP_DATA_OFF), dlen = op_int(op, OP_DATA_LEN);
		int64_t kind = op_int(op, OP_KIND), fd = op_int(op, OP_FD), dir = op_int(op, OP_DIR);
		int64_t noff = op_int(op, OP_NAME_OFF), nlen = op_int(op, OP_NAME_LEN);
		if (doff < 0 || dlen < 0 || (size_t)(doff + dlen) > data_len || kind < JOB_WHOLE || kind > JOB_CREATE ||
		    (kind == JOB_CREATE ? (dir < 0 || dir > INT_MAX) : (fd < 0 || fd > INT_MAX)) || noff < 0 || nlen < 0 ||
		    nlen > NAME_MAX || (size_t)(noff + nlen) > names_len)
			return throw_errno(env, "queueFiles", EINVAL);
		if (kind == JOB_CREATE)
			name_bytes += (size_t)nlen + 1;
	}
	pthread_mutex_lock(&jobs_mu);
	int e = start_workers();
	pthread_mutex_unlock(&jobs_mu);
	if (e)
		return throw_errno(env, "queueFiles", e);
	struct file_batch *b = malloc(sizeof(*b) + count * sizeof(struct file_job) + name_bytes);
	if (!b)
		return throw_errno(env, "queueFiles", ENOMEM);
	*b = (struct file_batch){.count = count};
	if (data && napi_create_reference(env, args[0], 1, &b->data_ref) != napi_ok) {
		free(b);
		return throw_errno(env, "queueFiles", EINVAL);
	}
	char *name_at = (char *)&b->jobs[count];
	for (uint32_t i = 0; i < count; i++) {
		const double *op = ops + (size_t)i * FILE_OP_FIELDS;
		struct file_job *j = &b->jobs[i];
		enum job_kind kind = (enum job_kind)op_int(op, OP_KIND);
		const char *name = NULL;
		if (kind == JOB_CREATE) {
			size_t len = (size_t)op_int(op, OP_NAME_LEN);
			memcpy(name_at, (const char *)names + op_int(op, OP_NAME_OFF), len);
			name_at[len] = '\0';
			/* a NUL inside would make it another name: plain_name refuses the empty one */
			if (strlen(name_at) != len)
				name_at[0] = '\0';
			name = name_at;
			name_at += len + 1;
		}
		*j = (struct file_job){
			.kind = kind,
			.fd = kind == JOB_CREATE ? -1 : (int)op_int(op, OP_FD),
			.dir = kind == JOB_CREATE ? (int)op_int(op, OP_DIR) : -1,
			.name = name,
			.id = op_int(op, OP_ID),
			.data = data ? (const char *)data + op_int(op, OP_DATA_OFF) : NULL,
			.len = (size_t)op_int(op, OP_DATA_LEN),
			.uid = (uid_t)op_int(op, OP_UID),
			.gid = (gid_t)op_int(op, OP_GID),
			.mode = (mode_t)op_int(op, OP_MODE),
			.ts = {{.tv_sec = op_int(op, OP_ATIME_SEC), .tv_nsec = op_int(op, OP_ATIME_NSEC)},
			       {.tv_sec = op_int(op, OP_MTIME_SEC), .tv_nsec = op_int(op, OP_MTIME_NSEC)}},
		};
		b->bytes += j->len;
	}
	pthread_mutex_lock(&jobs_mu);
	int wi = choose_worker(b);
	struct file_worker *w = &workers[wi];
	if (w->tail)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	w->bytes += b->bytes;
	if (order_tail)
		order_tail->order_next = b;
	else
		order_head = b;
	order_tail = b;
	note_open_files(b, wi);
	bytes_in_flight += b->bytes;
	jobs_in_flight += b->count;
	batches_in_flight++;
	pthread_cond_signal(&w->todo_cv);
	struct file_batch *d = done_head;
	done_head = NULL;
	pthread_mutex_unlock(&jobs_mu);
	release_done(env, d);
	return NULL;
}

/* waitFiles(maxBytes, maxJobs): blocks while more than MAXBYTES of file data
 * or MAXJOBS jobs are queued; returns [the id up to which every job is done,
 * 1 if any job failed (drainFiles tells which), else 0] */
static napi_value wait_files(napi_env env, napi_callback_info info)
{
	ARGS(2);
	int64_t max_bytes, max_jobs;
	if (get_i64(env, args[0], &max_bytes) || max_bytes < 0 || get_i64(env, args[1], &max_jobs) || max_jobs < 0)
		return throw_errno(env, "waitFiles", EINVAL);
	pthread_mutex_lock(&jobs_mu);
	while (bytes_in_flight > (size_t)max_bytes || jobs_in_flight > (size_t)max_jobs)
		pthread_cond_wait(&jobs_done_cv, &jobs_mu);
	struct file_batch *d = done_head;
	done_head = NULL;
	int64_t done_id = last_done_id;
	pthread_mutex_unlock(&jobs_mu);
	release_done(env, d);
	napi_value r, v;
	napi_create_array_with_length(env, 2, &r);
	napi_create_int64(env, done_id, &v);
	napi_set_element(env, r, 0, v);
	napi_create_int32(env, failed_head ? 1 : 0, &v);
	napi_set_element(env, r, 1, v);
	return r;
}

/* drainFiles(): blocks until every queued file is done; returns the failed
 * ones as a flat array [id, errno, id, errno, ...] (empty if none). */
static napi_value drain_files(napi_env env, napi_callback_info info)
{
	(void)info;
	pthread_mutex_lock(&jobs_mu);
	while (batches_in_flight > 0)
		pthread_cond_wait(&jobs_done_cv, &jobs_mu);
	struct file_batch *d = done_head;
	done_head = NULL;
	pthread_mutex_unlock(&jobs_mu);
	release_done(env, d);
	napi_value r;
	uint32_t n = 0;
	napi_create_array(env, &r);
	for (struct file_batch *b = failed_head; b;) {
		struct file_batch *next = b->next;
		for (uint32_t i = 0; i < b->count; i++) {
			if (!b->jobs[i].err)
				continue;
			napi_value id, err;
			napi_create_int64(env, b->jobs[i].id, &id);
			napi_create_int32(env, b->jobs[i].err, &err);
			napi_set_element(env, r, n++, id);
			napi_set_element(env, r, n++, err);
		}
		free(b);
		b = next;
	}
	failed_head = NULL;
	return r;
}

static void unmap_file(napi_env env, void *data, void *hint)
{
	(void)env;
	munmap(data, (size_t)(uintptr_t)hint);
}

/* mapFile(fd, length): the first LENGTH bytes of the regular file FD, mapped
 * read-only and shared, as an ArrayBuffer unmapped when it is collected.
 * The file must not shrink while mapped (a read past its end is SIGBUS):
 * for the store's blobs, which are never written again. Writing into the
 * buffer faults. */
static napi_value map_file(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, fd);
	int64_t len;
	if (get_i64(env, args[1], &len) || len <= 0 || (uint64_t)len > SIZE_MAX)
		return throw_errno(env, "mmap", EINVAL);
	void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return throw_errno(env, "mmap", errno);
	/* read in order, once: the kernel reads ahead and may drop what is behind */
	madvise(p, (size_t)len, MADV_SEQUENTIAL);
	napi_value r;
	if (napi_create_external_arraybuffer(env, p, (size_t)len, unmap_file, (void *)(uintptr_t)len, &r) != napi_ok) {
		munmap(p, (size_t)len);
		return throw_errno(env, "mmap", ENOMEM);
	}
	return r;
}

napi_status layer_writer_define(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"queueFiles", NULL, queue_files, NULL, NULL, NULL, napi_default, NULL},
		{"waitFiles", NULL, wait_files, NULL, NULL, NULL, napi_default, NULL},
		{"drainFiles", NULL, drain_files, NULL, NULL, NULL, napi_default, NULL},
		{"fileWorkers", NULL, file_workers, NULL, NULL, NULL, napi_default, NULL},
		{"mapFile", NULL, map_file, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
