/*
 * The runtime's compile service (src/oci-cli/compile-service.ts) listens on
 * a unix socket that only root may use: it needs the peer's credentials
 * (SO_PEERCRED) and the helper's two pipe ends, which the launcher passes
 * with SCM_RIGHTS. Node's net module offers neither, so these four calls
 * work on plain fds; the event loop waits on them with whenReadable
 * (poll.c). No policy here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "addon.h"

#define FDS_MAX 4

/* unixListen(path): a non-blocking, close-on-exec SOCK_STREAM socket bound to PATH and listening */
static napi_value unix_listen(napi_env env, napi_callback_info info)
{
	ARGS(1);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int e = get_bytes(env, args[0], addr.sun_path, sizeof(addr.sun_path), 1);
	if (e)
		return throw_errno(env, "unixListen", e);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return throw_errno(env, "socket", errno);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 128) < 0) {
		e = errno;
		close(fd);
		return throw_errno(env, "bind", e);
	}
	return int_result(env, fd);
}

/* unixAccept(fd): the next connection (non-blocking, close-on-exec), or -1 when none waits */
static napi_value unix_accept(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, fd);
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED))
		return int_result(env, -1);
	if (c < 0)
		return throw_errno(env, "accept4", errno);
	return int_result(env, c);
}

/* peerCred(fd): [pid, uid, gid] of the process at the other end of the socket FD */
static napi_value peer_cred(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, fd);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return throw_errno(env, "getsockopt SO_PEERCRED", errno);
	napi_value result;
	if (napi_create_array_with_length(env, 3, &result) != napi_ok)
		return NULL;
	int32_t values[3] = {cred.pid, (int32_t)cred.uid, (int32_t)cred.gid};
	for (uint32_t i = 0; i < 3; i++)
		napi_set_element(env, result, i, int_result(env, values[i]));
	return result;
}

/*
 * recvFds(fd, buffer): one recvmsg into BUFFER; [bytes, fd...] with the fds that came along
 * (close-on-exec). bytes is 0 at the end, -1 when nothing waits (non-blocking).
 */
static napi_value recv_fds(napi_env env, napi_callback_info info)
{
	ARGS(2);
	INT(0, fd);
	void *data;
	size_t len;
	if (napi_get_buffer_info(env, args[1], &data, &len) != napi_ok || len == 0)
		return throw_errno(env, "recvFds", EINVAL);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
	} control;
	struct iovec iov = {.iov_base = data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		n = -1;
	else if (n < 0)
		return throw_errno(env, "recvmsg", errno);
	int fds[FDS_MAX];
	int nfds = 0;
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < FDS_MAX)
				fds[nfds++] = got;
			else
				close(got);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		/* more fds than we take: none of them is trusted */
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return throw_errno(env, "recvmsg", EMSGSIZE);
	}
	napi_value result;
	if (napi_create_array_with_length(env, (size_t)nfds + 1, &result) != napi_ok)
		return NULL;
	napi_set_element(env, result, 0, int_result(env, (int32_t)n));
	for (int i = 0; i < nfds; i++)
		napi_set_element(env, result, (uint32_t)i + 1, int_result(env, fds[i]));
	return result;
}

napi_status unix_socket_define(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"unixListen", NULL, unix_listen, NULL, NULL, NULL, napi_default, NULL},
		{"unixAccept", NULL, unix_accept, NULL, NULL, NULL, napi_default, NULL},
		{"peerCred", NULL, peer_cred, NULL, NULL, NULL, napi_default, NULL},
		{"recvFds", NULL, recv_fds, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
