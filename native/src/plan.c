/* plan.c: read the plan that TypeScript compiled (see mdk.h for the format). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdk.h"

#define MAGIC "MDKPLAN1"

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
		const struct op_def *def = op_find(v[i]);
		if (!def || plan->nops >= MAX_OPS) {
			result = -1;
			goto out;
		}
		int k = def->nargs;
		if (i + 1 + (size_t)k > n)
			goto out; /* op not complete yet */
		struct op *op = &plan->ops[plan->nops++];
		op->name = v[i];
		op->args = v + i + 1;
		op->nargs = k;
		op->def = def;
		i += 1 + (size_t)k;
		if (strcmp(op->name, "end") == 0)
			return (long)(op->name + 4 - buf); /* ops keep pointing into v */
	}
out:
	free(v);
	return result;
}

/* Settings are read before the clone, wherever they are in the plan. */
static void apply_settings(struct plan *plan)
{
	for (int i = 0; i < plan->nops; i++) {
		const struct op *op = &plan->ops[i];
		if (op->def->set)
			op->def->set(plan, op);
		if (op->def->flags & OP_WATCH)
			plan->watch.on = 1;
	}
	if (plan->detach)
		plan->watch.on = 0; /* an OCI create parks the container and keeps its own way */
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
