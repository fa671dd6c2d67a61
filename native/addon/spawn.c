/*
 * mdk-node.node: the few syscalls the Node process itself needs to start the
 * helper quickly. libuv spawns by fork(), whose cost grows with the parent's
 * memory, and child_process loads net and streams at every start (about
 * 4 ms together); posix_spawn uses clone(CLONE_VM|CLONE_VFORK) and resets
 * signal handlers in the child. No policy here: spawn, pipe, wait, flock
 * and mkfifo (Node has neither) for the OCI runtime's state directory,
 * mountId and unmount for a container root bound in the runtime's mount
 * namespace, and
 * loading a device filter that TypeScript compiled (cgroup v2). layer.c adds
 * the *at primitives that unpacking an image layer needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include "addon.h"
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CHECK(call)                                                                  \
	do {                                                                         \
		if ((call) != napi_ok) {                                             \
			napi_throw_error(env, NULL, "mdk-node: N-API call failed: " #call); \
			return NULL;                                                 \
		}                                                                    \
	} while (0)

napi_value throw_errno(napi_env env, const char *what, int err)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err));
	napi_value code, message, error;
	napi_create_string_utf8(env, strerrorname_np(err) ? strerrorname_np(err) : "EIO", NAPI_AUTO_LENGTH, &code);
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
	napi_create_error(env, code, message, &error);
	napi_value errno_value;
	napi_create_int32(env, err, &errno_value);
	napi_set_named_property(env, error, "errno", errno_value);
	napi_throw(env, error);
	return NULL;
}

/* throw_errno, then free WHAT (a string this call allocated). */
static napi_value throw_errno_free(napi_env env, char *what, int err)
{
	napi_value r = throw_errno(env, what, err);
	free(what);
	return r;
}

static char *get_string(napi_env env, napi_value v)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok)
		return NULL;
	char *s = malloc(len + 1);
	if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * spawn(file, argv[], fds[], clearEnv?): the child gets fds[i] as fd i, and
 * our environment unless clearEnv; returns its pid.
 */
static napi_value spawn(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value args[4];
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	if (argc != 3 && argc != 4) {
		napi_throw_type_error(env, NULL, "spawn(file, argv, fds, clearEnv)");
		return NULL;
	}
	bool clear_env = false;
	if (argc == 4)
		CHECK(napi_get_value_bool(env, args[3], &clear_env));
	static char *no_env[] = {NULL};
	uint32_t nargv, nfds;
	CHECK(napi_get_array_length(env, args[1], &nargv));
	CHECK(napi_get_array_length(env, args[2], &nfds));
	char *file = get_string(env, args[0]);
	char **argv = calloc(nargv + 1, sizeof(char *));
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	int err = 0;
	for (uint32_t i = 0; i < nargv && !err; i++) {
		napi_value v;
		CHECK(napi_get_element(env, args[1], i, &v));
		if (!(argv[i] = get_string(env, v)))
			err = EINVAL;
	}
	/*
	 * File actions run in order in the child, so a target could clobber a
	 * later source (fd 3 := plan pipe, then fd 5 := "our fd 3"). Every
	 * source goes above all targets and sources first, then down into place.
	 */
	int32_t *src = calloc(nfds ? nfds : 1, sizeof(int32_t));
	int high = (int)nfds + 3;
	for (uint32_t i = 0; i < nfds; i++) {
		napi_value v;
		CHECK(napi_get_element(env, args[2], i, &v));
		CHECK(napi_get_value_int32(env, v, &src[i]));
		if (src[i] >= high)
			high = src[i] + 1;
	}
	for (uint32_t i = 0; i < nfds && !err; i++)
		if (src[i] >= 0)
			err = posix_spawn_file_actions_adddup2(&fa, src[i], high + (int)i);
	for (uint32_t i = 0; i < nfds && !err; i++) {
		if (src[i] < 0) {
			err = posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0);
			continue;
		}
		/* dup2 clears close-on-exec, which Node sets on 0-2 */
		err = posix_spawn_file_actions_adddup2(&fa, high + (int)i, (int)i);
		if (!err)
			err = posix_spawn_file_actions_addclose(&fa, high + (int)i);
	}
	free(src);
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	pid_t pid = -1;
	if (!err && file)
		err = posix_spawn(&pid, file, &fa, &attr, argv, clear_env ? no_env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (uint32_t i = 0; i < nargv; i++)
		free(argv[i]);
	free(argv);
	if (err) {
		napi_value r = throw_errno(env, file ? file : "spawn", err);
		free(file);
		return r;
	}
	free(file);
	napi_value result;
	CHECK(napi_create_int32(env, pid, &result));
	return result;
}

/* pipe(): [readFd, writeFd], both close-on-exec. */
static napi_value make_pipe(napi_env env, napi_callback_info info)
{
	(void)info;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return throw_errno(env, "pipe", errno);
	napi_value result, r, w;
	CHECK(napi_create_array_with_length(env, 2, &result));
	CHECK(napi_create_int32(env, fds[0], &r));
	CHECK(napi_create_int32(env, fds[1], &w));
	CHECK(napi_set_element(env, result, 0, r));
	CHECK(napi_set_element(env, result, 1, w));
	return result;
}

/* wait(pid): blocks until PID ends; [exitCode, signal] (one of them is -1). */
static napi_value wait_pid(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value args[1];
	int32_t pid;
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	CHECK(napi_get_value_int32(env, args[0], &pid));
	int status;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return throw_errno(env, "waitpid", errno);
	napi_value result, code, sig;
	CHECK(napi_create_array_with_length(env, 2, &result));
	CHECK(napi_create_int32(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1, &code));
	CHECK(napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : -1, &sig));
	CHECK(napi_set_element(env, result, 0, code));
	CHECK(napi_set_element(env, result, 1, sig));
	return result;
}

/* lock(path): an exclusive flock on PATH (created if missing); returns the fd. */
static napi_value lock_file(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value args[1];
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	char *path = get_string(env, args[0]);
	if (!path)
		return throw_errno(env, "lock", EINVAL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return throw_errno_free(env, path, err);
	}
	free(path);
	napi_value result;
	CHECK(napi_create_int32(env, fd, &result));
	return result;
}

/* mkfifo(path, mode): the exec fifo, made by the runtime so that a container
 * whose root is not the host's (user namespaces) can still open it. */
static napi_value make_fifo(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value args[2];
	int32_t mode;
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	CHECK(napi_get_value_int32(env, args[1], &mode));
	char *path = get_string(env, args[0]);
	if (!path)
		return throw_errno(env, "mkfifo", EINVAL);
	if (mkfifo(path, (mode_t)mode) < 0 || chmod(path, (mode_t)mode) < 0) {
		return throw_errno_free(env, path, errno);
	}
	free(path);
	return NULL;
}

/* mountId(path): the id of the mount PATH is on (the topmost, for a mount point), not following a last symlink */
static napi_value mount_id(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value args[1];
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	char *path = get_string(env, args[0]);
	if (!path)
		return throw_errno(env, "mountId", EINVAL);
	struct statx stx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return throw_errno_free(env, path, errno);
	free(path);
	if (!(stx.stx_mask & STATX_MNT_ID))
		return throw_errno(env, "mountId", ENOSYS);
	napi_value result;
	CHECK(napi_create_double(env, (double)stx.stx_mnt_id, &result));
	return result;
}

/* unmount(path): detach the topmost mount at PATH and what is under it (MNT_DETACH), not following a symlink */
static napi_value unmount(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value args[1];
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	char *path = get_string(env, args[0]);
	if (!path)
		return throw_errno(env, "unmount", EINVAL);
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return throw_errno_free(env, path, errno);
	free(path);
	return NULL;
}

/* the ids of the device programs attached to the cgroup CG (at most MAX) */
static int attached_device_programs(int cg, uint32_t *ids, uint32_t max)
{
	union bpf_attr query;
	memset(&query, 0, sizeof(query));
	query.query.target_fd = (uint32_t)cg;
	query.query.attach_type = BPF_CGROUP_DEVICE;
	query.query.prog_ids = (uint64_t)(uintptr_t)ids;
	query.query.prog_cnt = max;
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &query, sizeof(query)) < 0)
		return -1;
	return (int)query.query.prog_cnt;
}

/* detaches the device programs IDS (N of them) from CG */
static int detach_device_programs(int cg, const uint32_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		union bpf_attr get;
		memset(&get, 0, sizeof(get));
		get.prog_id = ids[i];
		int fd = (int)syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &get, sizeof(get));
		if (fd < 0)
			return -1;
		union bpf_attr detach;
		memset(&detach, 0, sizeof(detach));
		detach.target_fd = (uint32_t)cg;
		detach.attach_bpf_fd = (uint32_t)fd;
		detach.attach_type = BPF_CGROUP_DEVICE;
		int r = (int)syscall(SYS_bpf, BPF_PROG_DETACH, &detach, sizeof(detach));
		int err = errno;
		close(fd);
		if (r < 0) {
			errno = err;
			return -1;
		}
	}
	return 0;
}

/*
 * attachDeviceFilter(cgroupDir, program, replace): load an eBPF cgroup-device
 * program (compiled by src/cgroups/device-filter.ts) and attach it to a
 * cgroup2 directory; with REPLACE, then detach the device programs that were
 * there before (while both are attached, a device must pass both: never
 * more than either allows). Throws with the verifier's log if the kernel
 * refuses the program.
 */
static napi_value attach_device_filter(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value args[3];
	void *data;
	size_t len;
	bool replace = false;
	CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	CHECK(napi_get_buffer_info(env, args[1], &data, &len));
	if (argc > 2)
		CHECK(napi_get_value_bool(env, args[2], &replace));
	char *dir = get_string(env, args[0]);
	if (!dir || len % 8 != 0)
		return throw_errno(env, "device filter", EINVAL);
	static char log[16384];
	log[0] = '\0';
	union bpf_attr load;
	memset(&load, 0, sizeof(load));
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)data;
	load.insn_cnt = (uint32_t)(len / 8);
	load.license = (uint64_t)(uintptr_t)"Apache";
	load.log_buf = (uint64_t)(uintptr_t)log;
	load.log_size = sizeof(log);
	load.log_level = 1;
	int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0) {
		int err = errno;
		char what[512];
		snprintf(what, sizeof(what), "loading the device filter (%.400s)", log);
		free(dir);
		return throw_errno(env, what, err);
	}
	int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint32_t before[64];
	int nbefore = 0;
	if (cg >= 0 && replace)
		nbefore = attached_device_programs(cg, before, 64);
	union bpf_attr attach;
	memset(&attach, 0, sizeof(attach));
	attach.target_fd = (uint32_t)cg;
	attach.attach_bpf_fd = (uint32_t)prog;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	int r = cg < 0 || nbefore < 0 ? -1 : (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach));
	if (r == 0 && nbefore > 0)
		r = detach_device_programs(cg, before, nbefore);
	int err = errno;
	if (cg >= 0)
		close(cg);
	close(prog);
	if (r < 0) {
		return throw_errno_free(env, dir, err);
	}
	free(dir);
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"spawn", NULL, spawn, NULL, NULL, NULL, napi_default, NULL},
		{"pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL},
		{"wait", NULL, wait_pid, NULL, NULL, NULL, napi_default, NULL},
		{"lock", NULL, lock_file, NULL, NULL, NULL, napi_default, NULL},
		{"mkfifo", NULL, make_fifo, NULL, NULL, NULL, napi_default, NULL},
		{"attachDeviceFilter", NULL, attach_device_filter, NULL, NULL, NULL, napi_default, NULL},
		{"mountId", NULL, mount_id, NULL, NULL, NULL, napi_default, NULL},
		{"unmount", NULL, unmount, NULL, NULL, NULL, napi_default, NULL},
	};
	CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
	CHECK(layer_define(env, exports));
	CHECK(layer_writer_define(env, exports));
	CHECK(view_define(env, exports));
	CHECK(poll_define(env, exports));
	CHECK(unix_socket_define(env, exports));
	CHECK(memory_define(env, exports));
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
