/*
 * container.c: the child side. Runs in the new namespaces and carries out the
 * steps of the plan in order (each op's row in ops.c says what runs it;
 * rootfs.c and process.c do most of the work), ending with the exec of the
 * command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "container.h"

void fail(const char *step, int err, const char *detail)
{
	report_error(step, err, detail);
	_exit(125);
}

long num(const char *s, int base)
{
	return strtol(s, NULL, base);
}

const char *nonempty(const char *s)
{
	return *s ? s : NULL;
}

void container_main(struct plan *plan, int pty_sock, int sync_fd)
{
	struct ctx c = {.plan = plan, .pty_sock = pty_sock, .sync_fd = sync_fd, .rootfd = -1, .fifo_fd = -1,
		       .nullfd = -1, .procfd = -1};
	for (int i = 0; i < MAX_SLOTS; i++)
		c.slots[i] = -1;
	for (int i = 0; i < plan->nops; i++) {
		const struct op *op = &plan->ops[i];
		const struct op_def *def = op->def;
		if (def->flags & OP_SETTING)
			continue;
		uint64_t t0 = now_ns();
		def->run(&c, op);
		if (plan->debug && !(def->flags & OP_QUIET))
			report_step(op->name, op_arg(op, def->flags & OP_DETAIL1 ? 1 : 0), t0);
	}
	fail("exec", EINVAL, "plan has no exec step");
}
