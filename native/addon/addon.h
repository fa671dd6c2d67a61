/* Shared by the addon's files: one way to throw an errno, one registry. */
#ifndef MDK_ADDON_H
#define MDK_ADDON_H
#include <node_api.h>
#include <stdint.h>

/* throws an Error whose code is errno's name (e.g. "ENOENT") and returns NULL */
napi_value throw_errno(napi_env env, const char *what, int err);

/* args.c: a function's arguments, checked */

/* an int32 argument into OUT; EINVAL if it is not one */
int get_int(napi_env env, napi_value v, int32_t *out);

/* the Buffer V into OUT, NUL-terminated: no NUL inside, shorter than CAP; unless PATH, a single
 * name (no '/', not "." or ".."; empty allowed) */
int get_bytes(napi_env env, napi_value v, char *out, size_t cap, int path);

/* an int64 argument into OUT; EINVAL if it is not one */
int get_i64(napi_env env, napi_value v, int64_t *out);

/* N as a JavaScript number */
napi_value int_result(napi_env env, int32_t n);

/* the N arguments of a function (fewer: EINVAL) in ARGS */
#define ARGS(n)                                                               \
	size_t argc = (n);                                                    \
	napi_value args[(n)];                                                 \
	if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < (n)) \
		return throw_errno(env, __func__, EINVAL)

/* argument I as a checked single name VAR (a char array of NAME_MAX + 1) */
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


/* layer.c: defines the *at primitives for unpacking image layers on EXPORTS */
napi_status layer_define(napi_env env, napi_value exports);

/* layer-writer.c: the writer threads (queueFiles, waitFiles, drainFiles, fileWorkers) and mapFile */
napi_status layer_writer_define(napi_env env, napi_value exports);

/* view.c: a detached overlay of a container's layers, and reading *at primitives */
napi_status view_define(napi_env env, napi_value exports);

/* poll.c: whenReadable, a wait for an fd in Node's event loop */
napi_status poll_define(napi_env env, napi_value exports);

/* unix-socket.c: the compile service's socket (listen, accept, SO_PEERCRED, SCM_RIGHTS) */
napi_status unix_socket_define(napi_env env, napi_value exports);

/* memory.c: releasePages (madvise MADV_DONTNEED) and trimMalloc, for the long-lived service */
napi_status memory_define(napi_env env, napi_value exports);

#endif
