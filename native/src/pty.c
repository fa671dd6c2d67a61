/* pty.c: a pseudo-terminal opened inside the container, its master passed out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "mdk.h"

int pty_send_fd(int sock, int fd)
{
	char data = 'F';
	struct iovec iov = {&data, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int pty_recv_fd(int sock)
{
	char data;
	struct iovec iov = {&data, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Open a pty from the container's /dev/ptmx, checked to be the ptmx device
 * (char 5:2) rather than whatever a path of the image names: the master in
 * *MASTER_OUT, the slave returned (-1 and errno on failure).
 */
int pty_open_inside(int *master_out)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -1;
	struct stat st;
	if (fstat(master, &st) < 0)
		return -1;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2)) {
		errno = ENODEV;
		return -1;
	}
	if (unlockpt(master) < 0)
		return -1;
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -1;
	*master_out = master;
	return slave;
}

/* Make SLAVE our controlling terminal and stdio. */
int pty_make_ctty(int slave)
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return -1;
	if (slave > 2)
		close(slave);
	return 0;
}

/* Connect to the OCI console socket at PATH and hand it FD (the pty master). */
int pty_send_to_socket(const char *path, int fd)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -1;
	int r = connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -1 : pty_send_fd(sock, fd);
	int saved = errno;
	close(sock);
	errno = saved;
	return r;
}
