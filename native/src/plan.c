/* plan.c: read the plan that TypeScript compiled (see mdk.h for the format). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdk.h"

#define MAGIC "MDKPLAN1"

/* The arity of every op; the plan is a flat list of NUL-terminated strings. */
static const struct {
	const char *name;
	int nargs;
} arity[] = {
	/* settings for the outer helper */
	{"clone", 1}, {"tty", 1}, {"debug", 0}, {"init", 0}, {"detach", 0},
	{"console_socket", 1}, {"join_pid", 1}, {"preserve_fds", 1},
	/* the monitor of a container that can outlive moby-dick (watch.c) */
	{"log_json", 3}, {"stdin_open", 0}, {"attach_socket", 1}, {"exit_file", 1}, {"on_exit", 1},
	/* steps of the container child, in the order TypeScript wrote them */
	{"propagation", 1}, {"mount_host", 5}, {"tree_clone", 2}, {"setroot", 1},
	{"mkdir", 2}, {"mknod", 4}, {"symlink", 2}, {"touch", 2}, {"mount", 5},
	{"tree_attach", 2}, {"remount", 2}, {"mask", 1}, {"readonly", 1}, {"pivot", 0},
	{"hostname", 1}, {"umask", 1}, {"setsid", 0}, {"pty", 1}, {"bounding", 1},
	{"user", 3}, {"caps", 4}, {"nonewprivs", 0}, {"cwd", 1}, {"env", 1},
	{"arg", 1}, {"exec", 0}, {"end", 0},
	{"sync", 1}, {"setns", 2}, {"chown", 3}, {"propagate", 2}, {"procwrite", 2},
	{"domainname", 1}, {"rlimit", 3}, {"fifo_open", 1}, {"fifo_wait", 0},
	{"exec_check", 0}, {"release", 0}, {"unshare", 1},
	{"exec_path", 1}, {"seccomp", 2}, {"personality", 1}, {"move_root", 0},
	{"chroot", 0}, {"propagate_up", 2},
};

static int op_arity(const char *name)
{
	for (size_t i = 0; i < sizeof(arity) / sizeof(arity[0]); i++)
		if (strcmp(arity[i].name, name) == 0)
			return arity[i].nargs;
	return -1;
}

const char *op_arg(const struct op *op, int i)
{
	return i < op->nargs ? op->args[i] : "";
}

/* Count complete NUL-terminated strings in buf[0..len). */
static size_t count_strings(const char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			n++;
	return n;
}

/*
 * Parse ops from buf; returns the offset just past "end\0", 0 if the plan is
 * not complete yet, -1 if it is malformed.
 */
static long parse(char *buf, size_t len, struct plan *plan)
{
	size_t strings = count_strings(buf, len);
	char **v = calloc(strings + 1, sizeof(char *));
	if (!v)
		return -1;
	size_t n = 0, start = 0;
	for (size_t i = 0; i < len && n < strings; i++)
		if (buf[i] == '\0') {
			v[n++] = buf + start;
			start = i + 1;
		}
	long result = 0;
	if (n == 0 || strcmp(v[0], MAGIC) != 0) {
		result = n == 0 ? 0 : -1;
		goto out;
	}
	plan->nops = 0;
	size_t i = 1;
	while (i < n) {
		int k = op_arity(v[i]);
		if (k < 0 || plan->nops >= MAX_OPS) {
			result = -1;
			goto out;
		}
		if (i + 1 + (size_t)k > n)
			goto out; /* op not complete yet */
		struct op *op = &plan->ops[plan->nops++];
		op->name = v[i];
		op->args = v + i + 1;
		op->nargs = k;
		i += 1 + (size_t)k;
		if (strcmp(op->name, "end") == 0)
			return (long)(op->name + 4 - buf); /* ops keep pointing into v */
	}
out:
	free(v);
	return result;
}

int is_watch_setting(const char *n)
{
	return !strcmp(n, "log_json") || !strcmp(n, "stdin_open") || !strcmp(n, "attach_socket") ||
	       !strcmp(n, "exit_file") || !strcmp(n, "on_exit");
}

static void apply_settings(struct plan *plan)
{
	struct watch_opts *w = &plan->watch;
	for (int i = 0; i < plan->nops; i++) {
		const struct op *op = &plan->ops[i];
		if (strcmp(op->name, "clone") == 0)
			plan->clone_flags = strtoul(op_arg(op, 0), NULL, 10);
		else if (strcmp(op->name, "tty") == 0) {
			plan->tty = 1;
			plan->interactive = strcmp(op_arg(op, 0), "1") == 0;
		} else if (strcmp(op->name, "debug") == 0)
			plan->debug = 1;
		else if (strcmp(op->name, "init") == 0)
			plan->use_init = 1;
		else if (strcmp(op->name, "detach") == 0)
			plan->detach = 1;
		else if (strcmp(op->name, "console_socket") == 0)
			plan->console_socket = op_arg(op, 0);
		else if (strcmp(op->name, "join_pid") == 0)
			plan->join_pid = op_arg(op, 0);
		else if (strcmp(op->name, "preserve_fds") == 0)
			plan->preserve_fds = atoi(op_arg(op, 0));
		else if (strcmp(op->name, "log_json") == 0) {
			w->log_path = op_arg(op, 0);
			w->log_max_size = strtoll(op_arg(op, 1), NULL, 10);
			w->log_max_files = atoi(op_arg(op, 2));
		} else if (strcmp(op->name, "stdin_open") == 0)
			w->stdin_open = 1;
		else if (strcmp(op->name, "attach_socket") == 0)
			w->attach_socket = op_arg(op, 0);
		else if (strcmp(op->name, "exit_file") == 0)
			w->exit_file = op_arg(op, 0);
		else if (strcmp(op->name, "on_exit") == 0 && w->on_exit_n < MAX_ON_EXIT_ARGS)
			w->on_exit[w->on_exit_n++] = op->args[0];
		if (is_watch_setting(op->name))
			w->on = 1;
	}
	if (plan->detach)
		w->on = 0; /* an OCI create parks the container and keeps its own way */
}

void control_feed(struct ctlbuf *cb, const char *data, size_t len,
		  void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	if (len > sizeof(cb->data) - cb->len)
		len = sizeof(cb->data) - cb->len;
	memcpy(cb->data + cb->len, data, len);
	cb->len += len;
	for (;;) {
		char *first = memchr(cb->data, '\0', cb->len);
		if (!first)
			return;
		char *second = memchr(first + 1, '\0', cb->len - (size_t)(first + 1 - cb->data));
		if (!second)
			return;
		fn(arg, cb->data, first + 1);
		size_t used = (size_t)(second + 1 - cb->data);
		memmove(cb->data, second + 1, cb->len - used);
		cb->len -= used;
	}
}

int plan_read(int fd, struct plan *plan)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE; /* closed before "end" */
		len += (size_t)r;
		if (buf[len - 1] != '\0')
			continue;
		long end = parse(buf, len, plan);
		if (end < 0)
			return -EINVAL;
		if (end > 0) {
			plan->rest = buf + end;
			plan->rest_len = len - (size_t)end;
			apply_settings(plan);
			return 0;
		}
	}
}
