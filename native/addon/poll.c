/*
 * whenReadable: waiting for a file descriptor in Node's event loop, so that
 * a program making several containers at once is not blocked while one
 * helper works. The OCI runtime's create waits so for the helper's status
 * pipe, and its start for the exec fifo (src/oci/lifecycle.ts).
 *
 * The one place the addon uses libuv (a uv_poll_t and a uv_timer_t on the
 * loop napi_get_uv_event_loop gives): libuv keeps its ABI within 1.x, as
 * every Node since 20 ships. No thread: epoll tells the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <uv.h>
#include "addon.h"

struct watch {
	uv_poll_t poll;
	uv_timer_t timer;
	napi_env env;
	napi_ref callback;
	napi_async_context context;
	int open_handles;
	int done;
};

static void closed(uv_handle_t *h)
{
	struct watch *w = h->data;
	if (--w->open_handles > 0)
		return;
	napi_delete_reference(w->env, w->callback);
	napi_async_destroy(w->env, w->context);
	free(w);
}

/* calls back once (READY: the fd is readable or hung up; not: the time ran out), then goes */
static void finish(struct watch *w, int ready)
{
	if (w->done)
		return;
	w->done = 1;
	uv_poll_stop(&w->poll);
	uv_timer_stop(&w->timer);
	napi_env env = w->env;
	napi_handle_scope scope;
	if (napi_open_handle_scope(env, &scope) == napi_ok) {
		napi_value cb, recv, arg;
		/* napi_make_callback wants an object as `this` */
		if (napi_get_reference_value(env, w->callback, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
		    napi_get_boolean(env, ready, &arg) == napi_ok &&
		    napi_make_callback(env, w->context, recv, cb, 1, &arg, NULL) == napi_pending_exception) {
			napi_value err;
			if (napi_get_and_clear_last_exception(env, &err) == napi_ok)
				napi_fatal_exception(env, err);
		}
		napi_close_handle_scope(env, scope);
	}
	uv_close((uv_handle_t *)&w->poll, closed);
	uv_close((uv_handle_t *)&w->timer, closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	(void)status; /* an error is the read's to report */
	(void)events;
	finish(h->data, 1);
}

static void on_timer(uv_timer_t *h)
{
	finish(h->data, 0);
}

/* whenReadable(fd, timeoutMs, callback): callback(true) once FD is readable (or at its end), callback(false) after
 * TIMEOUT_MS (negative: no limit) */
static napi_value when_readable(napi_env env, napi_callback_info info)
{
	ARGS(3);
	INT(0, fd);
	INT(1, timeout);
	napi_valuetype t;
	if (napi_typeof(env, args[2], &t) != napi_ok || t != napi_function)
		return throw_errno(env, __func__, EINVAL);
	uv_loop_t *loop;
	if (napi_get_uv_event_loop(env, &loop) != napi_ok)
		return throw_errno(env, __func__, EINVAL);
	struct watch *w = calloc(1, sizeof(*w));
	if (!w)
		return throw_errno(env, __func__, ENOMEM);
	w->env = env;
	int e = uv_poll_init(loop, &w->poll, fd);
	if (e < 0) {
		free(w);
		return throw_errno(env, __func__, -e);
	}
	w->poll.data = w;
	w->timer.data = w;
	w->open_handles = 2;
	uv_timer_init(loop, &w->timer);
	napi_value name;
	if (napi_create_reference(env, args[2], 1, &w->callback) != napi_ok ||
	    napi_create_string_utf8(env, "mdk:whenReadable", NAPI_AUTO_LENGTH, &name) != napi_ok ||
	    napi_async_init(env, NULL, name, &w->context) != napi_ok) {
		w->done = 1;
		uv_close((uv_handle_t *)&w->poll, NULL);
		uv_close((uv_handle_t *)&w->timer, NULL);
		/* freed by closed() only when both were set up: here, leak the small struct rather than free it under libuv */
		return throw_errno(env, __func__, EINVAL);
	}
	e = uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_poll);
	if (e == 0 && timeout >= 0) {
		uv_update_time(loop); /* the loop's clock is as old as this turn: the timeout counts from now */
		e = uv_timer_start(&w->timer, on_timer, (uint64_t)timeout, 0);
	}
	if (e < 0) {
		w->done = 1;
		uv_poll_stop(&w->poll);
		uv_close((uv_handle_t *)&w->poll, closed);
		uv_close((uv_handle_t *)&w->timer, closed);
		return throw_errno(env, __func__, -e);
	}
	return NULL;
}

napi_status poll_define(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"whenReadable", NULL, when_readable, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
