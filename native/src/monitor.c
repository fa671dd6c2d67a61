/*
 * monitor.c: the outer helper, outside the container's namespaces. It passes
 * signals that moby-dick forwards (control messages on fd 3) to the
 * container's pid 1, relays a pseudo-terminal between our stdio and the
 * container, keeps the window size in step, and reports how the container
 * ended. It exits with the command's status (128+N for signal N).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "mdk.h"

struct monitor {
	struct plan *plan;
	pid_t child;
	int ctl;      /* fd 3 after the plan: control messages, -1 once closed */
	int sync_fd;  /* a byte written here ends the child's current sync */
	int detached; /* "detach" received: leave the container running and go */
	int sfd;      /* signalfd: SIGCHLD, SIGWINCH */
	int pty_sock; /* where the container sends its pty master, -1 if none */
	int master;   /* -1 until received */
	int in_open;  /* still relaying our stdin */
	int raw;      /* our stdin was put in raw mode */
	struct termios saved;
	struct ctlbuf ctlbuf;
	int done, status;
};

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Control messages: "signal\0N\0", "resume\0NAME\0", "detach\0\0". */
static void on_control(void *arg, const char *name, const char *value)
{
	struct monitor *m = arg;
	if (strcmp(name, "signal") == 0 && !m->done)
		kill(m->child, atoi(value));
	else if (strcmp(name, "resume") == 0 && write(m->sync_fd, "1", 1) != 1)
		report_error("sync", errno, value);
	else if (strcmp(name, "detach") == 0)
		m->detached = 1;
}

static void handle_control(struct monitor *m, const char *data, size_t len)
{
	control_feed(&m->ctlbuf, data, len, on_control, m);
}

static void sync_winsize(struct monitor *m)
{
	struct winsize ws;
	if (m->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(m->master, TIOCSWINSZ, &ws);
}

static void got_master(struct monitor *m)
{
	m->master = pty_recv_fd(m->pty_sock);
	close(m->pty_sock);
	m->pty_sock = -1;
	if (m->master < 0)
		return;
	if (m->plan->console_socket) {
		/* OCI: the caller (conmon, a containerd shim) relays the terminal */
		if (pty_send_to_socket(m->plan->console_socket, m->master) < 0)
			report_error("console socket", errno, m->plan->console_socket);
		close(m->master);
		m->master = -1;
		return;
	}
	sync_winsize(m);
	if (m->plan->interactive && isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &m->saved) == 0) {
		struct termios raw = m->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			m->raw = 1;
	}
}

/*
 * A detached container (OCI create, exec --detach) is re-parented to the
 * caller's subreaper when we go, and the subreaper must be the one to reap
 * it: a process that ends at once would otherwise never be seen ending. So
 * its end is only observed (WNOWAIT) and reported, never reaped here.
 */
static void observe_detached(struct monitor *m)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	if (m->done || waitid(P_PID, (id_t)m->child, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid != m->child)
		return;
	m->done = 1;
	if (info.si_code == CLD_EXITED)
		report("exit\t%d", info.si_status);
	else
		report("signal\t%d", info.si_status);
}

static void handle_signals(struct monitor *m)
{
	struct signalfd_siginfo si;
	while (read(m->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			sync_winsize(m);
			continue;
		}
		if (m->plan->detach) {
			observe_detached(m);
			continue;
		}
		int st;
		if (!m->done && waitpid(m->child, &st, WNOHANG) == m->child) {
			m->done = 1;
			m->status = st;
		}
	}
}

/* Copy one read's worth from FROM to TO; 0 at end of input. */
static int pump(int from, int to)
{
	char buf[65536];
	ssize_t r = read(from, buf, sizeof(buf));
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0)
		return 0;
	write_all(to, buf, (size_t)r);
	return 1;
}

/* After the container ended: the rest of its terminal output. */
static void drain_master(struct monitor *m)
{
	struct pollfd p = {m->master, POLLIN, 0};
	while (poll(&p, 1, 1000) > 0 && pump(m->master, STDOUT_FILENO))
		;
}

int monitor_run(struct plan *plan, pid_t child, int pty_sock, int sync_fd)
{
	if (plan->watch.on)
		return watch_run(plan, child, pty_sock, sync_fd);
	struct monitor m = {.plan = plan, .child = child, .ctl = PLAN_FD, .sync_fd = sync_fd,
			    .pty_sock = pty_sock, .master = -1,
			    .in_open = plan->interactive};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	m.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m.sfd < 0)
		return 125;
	handle_control(&m, plan->rest, plan->rest_len);
	handle_signals(&m); /* the child may have ended already */
	/* detached: the loop ends on "detach" (or moby-dick's end), not the child's */
	while (!m.detached && (plan->detach ? m.ctl >= 0 : !m.done)) {
		struct pollfd p[5];
		int n = 0, i_ctl = -1, i_sock = -1, i_master = -1, i_in = -1;
		if (m.ctl >= 0)
			p[i_ctl = n++] = (struct pollfd){m.ctl, POLLIN, 0};
		p[n++] = (struct pollfd){m.sfd, POLLIN, 0};
		if (m.pty_sock >= 0)
			p[i_sock = n++] = (struct pollfd){m.pty_sock, POLLIN, 0};
		if (m.master >= 0)
			p[i_master = n++] = (struct pollfd){m.master, POLLIN, 0};
		if (m.master >= 0 && m.in_open)
			p[i_in = n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (i_sock >= 0 && p[i_sock].revents)
			got_master(&m);
		if (i_ctl >= 0 && p[i_ctl].revents) {
			char buf[512];
			ssize_t r = read(m.ctl, buf, sizeof(buf));
			if (r > 0)
				handle_control(&m, buf, (size_t)r);
			else if (r == 0 || errno != EINTR)
				m.ctl = -1; /* moby-dick went away; its death signal follows */
		}
		if (i_master >= 0 && p[i_master].revents && !pump(m.master, STDOUT_FILENO)) {
			close(m.master);
			m.master = -1;
		}
		if (i_in >= 0 && p[i_in].revents && !pump(STDIN_FILENO, m.master))
			m.in_open = 0;
		handle_signals(&m);
	}
	if (plan->detach)
		return 0; /* the container lives on; `start`, `state` and `delete` find it */
	if (m.master >= 0)
		drain_master(&m);
	if (m.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &m.saved);
	if (WIFSIGNALED(m.status)) {
		report("signal\t%d", WTERMSIG(m.status));
		return 128 + WTERMSIG(m.status);
	}
	report("exit\t%d", WEXITSTATUS(m.status));
	return WEXITSTATUS(m.status);
}
