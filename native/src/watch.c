/*
 * watch.c: the monitor of a container that can outlive moby-dick, as
 * Podman's conmon is (plan ops log_json, stdin_open, attach_socket,
 * exit_file, on_exit, health_every, health_cmd). It holds the container's
 * stdio (pipes, or the pty with -t), writes its output to the json-file log
 * (jsonlog.c) and to the attach clients (attach.c), feeds its stdin from
 * them, reaps it, writes the exit file and runs the on_exit command; it
 * starts the health checks. It decides nothing: every path,
 * size and command comes from the plan.
 *
 * Until "detach" the processes are
 *   moby-dick -> mdk-init (the stub, waits) -> mdk-init (the monitor) -> container
 * each with PR_SET_PDEATHSIG SIGKILL, so killing moby-dick at any step takes
 * all of them. On "detach" the monitor clears its death signal, starts a
 * session of its own, puts /dev/null on its stdio, leaves "/", closes fds 3
 * and 4 and tells the stub, which exits 0: moby-dick reaps the stub and
 * never a monitor that lives on; the monitor is re-parented to init (or the
 * nearest subreaper). Without "detach" the stub exits with the monitor's
 * status, which is the container's (128+N for signal N).
 *
 * The exit file, written as FILE.tmp and renamed onto FILE:
 *   {"exitCode":137,"signal":"SIGKILL","finishedAt":"2026-11-29T11:10:29.1234Z"}
 * exitCode: the code, or 128+N when signal N ended the container (Docker's);
 * signal: the signal's name, its number where it has none, or null when the
 * container exited; finishedAt: when the monitor reaped it, UTC, RFC3339Nano.
 * It is written after the last output is in the log, so a reader that sees
 * it has the whole log.
 *
 * health_every, health_cmd: the container's health checks, one at a time;
 * each check is the command (`moby-dick container-health ID`), which does
 * the check and records it, and prints when the next is due (below).
 *
 * on_exit: ARGV (argv[0] an absolute path) runs after the exit file is
 * written, in a session of its own, stdio /dev/null, environment only
 * PATH; the monitor does not wait for it. It does not run when an attach
 * client that said it handles the exit confirms it did (attach.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "mdk.h"

#define DRAIN_IDLE_MS 500  /* after the end: output that still comes */
#define DRAIN_MAX_MS 2000
#define MAX_CLIENT_FDS 33  /* attach.c's clients and its listening socket */

static struct {
	struct plan *plan;
	pid_t child;
	int ctl, sfd, sync_fd, pty_sock, master;
	int out, err;                       /* the container's stdout and stderr, -1 at their end */
	int in;                             /* the stdin pipe (without a tty), -1 if none */
	int child_in, child_out, child_err; /* the container's ends, until the clone */
	int stub;                           /* the pipe to the stub, -1 after detach */
	int in_open;                        /* stdin is fed from the clients */
	int close_in;                       /* ... until what is buffered is written */
	char inbuf[16384];
	size_t inlen;
	unsigned rows, cols; /* a window size that came before the pty */
	int done, status;
	struct timespec finished;
	struct ctlbuf ctlbuf;
} w = {.ctl = -1, .sfd = -1, .sync_fd = -1, .pty_sock = -1, .master = -1, .out = -1, .err = -1,
       .in = -1, .child_in = -1, .child_out = -1, .child_err = -1, .stub = -1};

/* The stub: moby-dick's child until "detach", then it exits 0. */
static void stub_wait(pid_t monitor, int fd) __attribute__((noreturn));
static void stub_wait(pid_t monitor, int fd)
{
	close(PLAN_FD);
	close(STATUS_FD);
	char b;
	ssize_t r;
	while ((r = read(fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (r == 1)
		_exit(0);
	int st;
	while (waitpid(monitor, &st, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int make_pipe(int *read_end, int *write_end)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	*read_end = p[0];
	*write_end = p[1];
	return 0;
}

int watch_prepare(struct plan *plan)
{
	const struct watch_opts *o = &plan->watch;
	int stub_r, stub_w;
	if (make_pipe(&stub_r, &stub_w) < 0) {
		report_error("monitor", errno, "pipe");
		return -1;
	}
	pid_t stub = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		report_error("monitor", errno, "fork");
		return -1;
	}
	if (pid > 0) {
		close(stub_w);
		stub_wait(pid, stub_r);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != stub)
		_exit(125);
	close(stub_r);
	w.stub = stub_w;
	report("monitor\t%d", getpid());
	int err = o->log_path ? jsonlog_open(o->log_path, o->log_max_size, o->log_max_files) : 0;
	if (err < 0) {
		report_error("log", -err, o->log_path);
		return -1;
	}
	if (o->attach_socket && attach_listen(o->attach_socket) < 0) {
		report_error("attach socket", errno, o->attach_socket);
		return -1;
	}
	if (make_pipe(&w.out, &w.child_out) < 0 || make_pipe(&w.err, &w.child_err) < 0) {
		report_error("monitor", errno, "pipe");
		return -1;
	}
	/* with a tty, stdin comes through the pty's master */
	if (o->stdin_open && !plan->tty ? make_pipe(&w.child_in, &w.in) < 0
					: (w.child_in = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		report_error("monitor", errno, "stdin");
		return -1;
	}
	fcntl(w.out, F_SETFL, O_NONBLOCK);
	fcntl(w.err, F_SETFL, O_NONBLOCK);
	if (w.in >= 0)
		fcntl(w.in, F_SETFL, O_NONBLOCK);
	w.in_open = o->stdin_open;
	return 0;
}

/* In the container's child, before its steps: stdio from the monitor. */
void watch_child_stdio(void)
{
	if (dup2(w.child_in, 0) < 0 || dup2(w.child_out, 1) < 0 || dup2(w.child_err, 2) < 0) {
		report_error("monitor", errno, "stdio");
		_exit(125);
	}
}

static void let_go(void)
{
	if (w.stub < 0)
		return;
	prctl(PR_SET_PDEATHSIG, 0);
	setsid(); /* fails only for a group leader, which is a session of its own then too */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (null >= 0)
		close(null);
	if (chdir("/") < 0)
		report_error("monitor", errno, "chdir /");
	if (write(w.stub, "D", 1) != 1) {
		/* the stub is gone: moby-dick went with it, nothing waits for us */
	}
	close(w.stub);
	w.stub = -1;
	/* moby-dick sees its status pipe end once the stub is on its way out */
	close(PLAN_FD);
	w.ctl = -1;
	close(status_fd);
	status_fd = -1;
}

/* Control messages: "signal\0N\0", "resume\0NAME\0", "detach\0\0". */
static void on_control(void *arg, const char *name, const char *value)
{
	(void)arg;
	if (strcmp(name, "signal") == 0 && !w.done)
		kill(w.child, atoi(value));
	else if (strcmp(name, "resume") == 0 && write(w.sync_fd, "1", 1) != 1)
		report_error("sync", errno, value);
	else if (strcmp(name, "detach") == 0)
		let_go();
}

/* Where stdin goes now: the pipe, the pty's master, -1 if not (yet) there. */
static int in_fd(void)
{
	return w.plan->tty ? w.master : w.in;
}

static void flush_stdin(void)
{
	int fd = in_fd();
	if (fd < 0 || !w.in_open)
		return;
	size_t off = 0;
	while (off < w.inlen) {
		ssize_t r = write(fd, w.inbuf + off, w.inlen - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) { /* the container closed its stdin */
			w.inlen = off = 0;
			w.in_open = 0;
			break;
		}
		off += (size_t)r;
	}
	memmove(w.inbuf, w.inbuf + off, w.inlen - off);
	w.inlen -= off;
	if (w.inlen == 0 && (w.close_in || !w.in_open) && w.in >= 0) {
		close(w.in);
		w.in = -1;
		w.in_open = 0;
	}
}

static size_t in_room(void)
{
	/* input that cannot go anywhere is read and dropped */
	return w.in_open && !w.close_in ? sizeof(w.inbuf) - w.inlen : 4096;
}

static void in_bytes(const char *buf, size_t len)
{
	if (!w.in_open || w.close_in || len > sizeof(w.inbuf) - w.inlen)
		return;
	memcpy(w.inbuf + w.inlen, buf, len);
	w.inlen += len;
	flush_stdin();
}

static void set_winsize(void)
{
	struct winsize ws = {.ws_row = (unsigned short)w.rows, .ws_col = (unsigned short)w.cols};
	if (w.master >= 0 && w.rows && w.cols)
		ioctl(w.master, TIOCSWINSZ, &ws);
}

static void in_resize(unsigned rows, unsigned cols)
{
	w.rows = rows;
	w.cols = cols;
	set_winsize();
}

/* With a tty the container keeps its terminal open, as Docker's does. */
static void in_close(void)
{
	if (!w.plan->tty && w.in_open) {
		w.close_in = 1;
		flush_stdin();
	}
}

static const struct attach_input input = {in_room, in_bytes, in_resize, in_close};

static void got_master(void)
{
	w.master = pty_recv_fd(w.pty_sock);
	close(w.pty_sock);
	w.pty_sock = -1;
	if (w.master < 0)
		return;
	fcntl(w.master, F_SETFL, O_NONBLOCK);
	set_winsize();
	flush_stdin();
}

/* One read of the container's output on *FD; closes it at its end (EOF, or EIO of a pty). */
static void read_output(int *fd, int stream)
{
	static char buf[16384];
	ssize_t r = read(*fd, buf, sizeof(buf));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		jsonlog_flush(stream);
		close(*fd);
		*fd = -1;
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	jsonlog_write(stream, buf, (size_t)r, &now);
	attach_output(stream, buf, (size_t)r);
}

static void health_reap(void);

static void reap(void)
{
	struct signalfd_siginfo si;
	while (read(w.sfd, &si, sizeof(si)) == sizeof(si))
		;
	int st;
	if (!w.done && waitpid(w.child, &st, WNOHANG) == w.child) {
		w.done = 1;
		w.status = st;
		clock_gettime(CLOCK_REALTIME, &w.finished);
	}
	health_reap();
}

/* After the end: output still in the pipes or the pty, until they end or go quiet. */
static void drain(void)
{
	uint64_t deadline = now_ns() + DRAIN_MAX_MS * 1000000ull;
	while (w.out >= 0 || w.err >= 0 || w.master >= 0) {
		struct pollfd p[3] = {{w.out, POLLIN, 0}, {w.err, POLLIN, 0}, {w.master, POLLIN, 0}};
		uint64_t now = now_ns();
		if (now >= deadline || poll(p, 3, DRAIN_IDLE_MS) <= 0)
			break;
		if (p[0].revents)
			read_output(&w.out, OUT_STDOUT);
		if (p[1].revents)
			read_output(&w.err, OUT_STDERR);
		if (p[2].revents)
			read_output(&w.master, OUT_STDOUT);
	}
	jsonlog_flush(1);
	jsonlog_flush(2);
}

static size_t exit_json(char *out, size_t cap, int *code)
{
	char when[64], sig[32] = "null";
	format_time(when, sizeof(when), &w.finished);
	if (WIFSIGNALED(w.status)) {
		int n = WTERMSIG(w.status);
		const char *abbrev = sigabbrev_np(n);
		if (abbrev)
			snprintf(sig, sizeof(sig), "\"SIG%s\"", abbrev);
		else
			snprintf(sig, sizeof(sig), "%d", n);
		*code = 128 + n;
	} else {
		*code = WEXITSTATUS(w.status);
	}
	int n = snprintf(out, cap, "{\"exitCode\":%d,\"signal\":%s,\"finishedAt\":\"%s\"}", *code, sig, when);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void write_exit_file(const char *path, const char *json, size_t len)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return;
	ssize_t r = write(fd, json, len);
	close(fd);
	if (r == (ssize_t)len)
		rename(tmp, path);
	else
		unlink(tmp);
}

/*
 * ARGV in a session of its own, stdio /dev/null (stdout OUT when >= 0),
 * environment only PATH; not waited for here. Its pid, or -1.
 */
static pid_t spawn_command(char **argv, int out)
{
	static char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	for (int fd = 0; fd < 3; fd++)
		posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_RDWR, 0);
	if (out >= 0)
		posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	/* nothing of ours goes with it, fds 3 and 4 of moby-dick least of all */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return err ? -1 : pid;
}

static void run_on_exit(char **argv)
{
	spawn_command(argv, -1);
}

/*
 * Health checks (health_every, health_cmd): the check command runs one
 * check and prints the milliseconds until the next; one at a time, the
 * next timed from the end of the last, as Docker's. A check still running
 * after the limit is killed, with its session. When the container ends no
 * new check starts; one under way is left to finish (it finds the
 * container gone and records nothing).
 */
static struct {
	pid_t pid;     /* the check under way, 0 if none */
	int out;       /* its stdout, -1 if none */
	int killed;    /* it ran past the limit and was sent SIGKILL */
	uint64_t next; /* CLOCK_MONOTONIC ns: when the next check starts */
	uint64_t started;
} hc = {.out = -1};

static int health_on(void)
{
	return w.plan->watch.health_cmd_n > 0 && w.plan->watch.health_every_ms > 0;
}

static uint64_t ms_ns(long long ms)
{
	return ms > 0 ? (uint64_t)ms * 1000000ull : 0;
}

static void health_start(void)
{
	const struct watch_opts *o = &w.plan->watch;
	int p[2];
	hc.next = now_ns() + ms_ns(o->health_every_ms); /* if it cannot start now */
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid_t pid = spawn_command(w.plan->watch.health_cmd, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	hc.pid = pid;
	hc.out = p[0];
	hc.killed = 0;
	hc.started = now_ns();
}

/* The check ended: the delay it printed, or health_every's. */
static void health_ended(void)
{
	char buf[32];
	long long ms = w.plan->watch.health_every_ms;
	ssize_t r = read(hc.out, buf, sizeof(buf) - 1);
	if (r > 0) {
		buf[r] = 0;
		char *end;
		long long v = strtoll(buf, &end, 10);
		if (end != buf && v >= 0)
			ms = v;
	}
	close(hc.out);
	hc.out = -1;
	hc.pid = 0;
	hc.next = now_ns() + ms_ns(ms);
}

static void health_reap(void)
{
	int st;
	if (hc.pid > 0 && waitpid(hc.pid, &st, WNOHANG) == hc.pid)
		health_ended();
}

/* The poll timeout that wakes us for the next check or the limit of the one under way. */
static void health_timeout(int *timeout)
{
	if (!health_on() || hc.killed)
		return;
	uint64_t now = now_ns();
	uint64_t at = hc.pid > 0 ? hc.started + ms_ns(w.plan->watch.health_limit_ms) : hc.next;
	uint64_t ms = at <= now ? 0 : (at - now + 999999) / 1000000;
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (*timeout < 0 || (int)ms < *timeout)
		*timeout = (int)ms;
}

static void health_tick(void)
{
	if (!health_on() || w.done)
		return;
	uint64_t now = now_ns();
	if (hc.pid == 0 && now >= hc.next)
		health_start();
	else if (hc.pid > 0 && !hc.killed && w.plan->watch.health_limit_ms > 0 &&
		 now >= hc.started + ms_ns(w.plan->watch.health_limit_ms)) {
		kill(-hc.pid, SIGKILL);
		hc.killed = 1;
	}
}

int watch_run(struct plan *plan, pid_t child, int pty_sock, int sync_fd)
{
	w.plan = plan;
	w.child = child;
	w.ctl = PLAN_FD;
	w.sync_fd = sync_fd;
	w.pty_sock = pty_sock;
	close(w.child_in);
	close(w.child_out);
	close(w.child_err);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	w.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (w.sfd < 0)
		return 125;
	control_feed(&w.ctlbuf, plan->rest, plan->rest_len, on_control, NULL);
	hc.next = now_ns() + ms_ns(plan->watch.health_first_ms);
	reap();
	while (!w.done) {
		struct pollfd p[8 + MAX_CLIENT_FDS];
		int n = 0, i_ctl = -1, i_sock = -1, i_master = -1, i_out = -1, i_err = -1, i_in = -1;
		if (w.ctl >= 0)
			p[i_ctl = n++] = (struct pollfd){w.ctl, POLLIN, 0};
		p[n++] = (struct pollfd){w.sfd, POLLIN, 0};
		if (w.pty_sock >= 0)
			p[i_sock = n++] = (struct pollfd){w.pty_sock, POLLIN, 0};
		/* a client catching up holds the output back for a while (attach.c) */
		int timeout = -1;
		short out_ev = attach_hold(&timeout) ? 0 : POLLIN;
		health_timeout(&timeout);
		if (w.master >= 0 && (out_ev || w.inlen))
			p[i_master = n++] = (struct pollfd){w.master, (short)(out_ev | (w.inlen ? POLLOUT : 0)), 0};
		if (w.out >= 0 && out_ev)
			p[i_out = n++] = (struct pollfd){w.out, out_ev, 0};
		if (w.err >= 0 && out_ev)
			p[i_err = n++] = (struct pollfd){w.err, out_ev, 0};
		if (w.in >= 0 && w.inlen)
			p[i_in = n++] = (struct pollfd){w.in, POLLOUT, 0};
		int first = n;
		n += attach_pollfds(p + n, MAX_CLIENT_FDS, in_room() > 0);
		if (poll(p, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (i_ctl >= 0 && p[i_ctl].revents) {
			char buf[512];
			ssize_t r = read(w.ctl, buf, sizeof(buf));
			if (r > 0)
				control_feed(&w.ctlbuf, buf, (size_t)r, on_control, NULL);
			else if (r == 0 || errno != EINTR)
				w.ctl = -1; /* moby-dick went away; the stub's death signal follows */
		}
		if (i_sock >= 0 && p[i_sock].revents)
			got_master();
		if (i_master >= 0 && w.master >= 0 && (p[i_master].revents & POLLOUT))
			flush_stdin();
		if (i_master >= 0 && w.master >= 0 && (p[i_master].revents & ~POLLOUT))
			read_output(&w.master, OUT_STDOUT);
		if (i_out >= 0 && p[i_out].revents)
			read_output(&w.out, OUT_STDOUT);
		if (i_err >= 0 && p[i_err].revents)
			read_output(&w.err, OUT_STDERR);
		if (i_in >= 0 && p[i_in].revents)
			flush_stdin();
		attach_events(p + first, n - first, &input);
		reap();
		health_tick();
	}
	drain();
	char json[256];
	int code = 125;
	size_t len = exit_json(json, sizeof(json), &code);
	if (plan->watch.exit_file)
		write_exit_file(plan->watch.exit_file, json, len);
	if (WIFSIGNALED(w.status))
		report("signal\t%d", WTERMSIG(w.status));
	else
		report("exit\t%d", WEXITSTATUS(w.status));
	/* an attached client that handles the exit and confirmed it did the work already */
	if (!attach_finish(json, len) && plan->watch.on_exit_n > 0)
		run_on_exit(plan->watch.on_exit);
	return code;
}
