/* container.h: the container child's internals, shared by container.c (the
 * steps in order), rootfs.c (paths and mounts inside the root) and process.c
 * (the process: user, capabilities, seccomp, exec). */
#ifndef CONTAINER_H
#define CONTAINER_H

#include <stddef.h>
#include <sys/types.h>

#include "mdk.h"

struct ctx {
	struct plan *plan;
	int pty_sock;
	int sync_fd;  /* the outer helper writes a byte here to end a sync */
	int fifo_fd;  /* O_PATH fd of the exec fifo (OCI create/start), -1 if none */
	char exec_path[4096]; /* the command, resolved by exec_check */
	int rootfd; /* -1: no root yet */
	int proc_checked;
	int swept; /* every fd above 2 is close-on-exec */
	int nullfd; /* the container's /dev/null, checked to be 1:3 (masks), -1 until needed */
	int procfd; /* a procfs of our own for /proc writes, -1 until needed */
	int slots[MAX_SLOTS];
	char **argv, **envp;
	int argc, envc;
};

void fail(const char *step, int err, const char *detail) __attribute__((noreturn));
long num(const char *s, int base);
const char *nonempty(const char *s);

/* rootfs.c */
int open_target(struct ctx *c, const char *step, const char *path, int flags);
void mkdir_p(struct ctx *c, const char *path, mode_t mode);
void mknod_in_root(struct ctx *c, const struct op *op);
void symlink_in_root(struct ctx *c, const struct op *op);
void touch_in_root(struct ctx *c, const struct op *op);
void check_proc(struct ctx *c);
const char *fd_path(struct ctx *c, int fd, char *buf, size_t len);
int open_in_root(struct ctx *c, const char *path, int flags);
void mount_in_root(struct ctx *c, const struct op *op);
void bind_device_in_root(struct ctx *c, const struct op *op);
void remount_in_root(struct ctx *c, const struct op *op);
void readonly_in_root(struct ctx *c, const char *path);
void mask_in_root(struct ctx *c, const char *path);
void tree_clone(struct ctx *c, const struct op *op);
void tree_attach(struct ctx *c, const struct op *op);
void shm_clone(struct ctx *c, const struct op *op);
void set_root(struct ctx *c, const char *path);
void pivot(struct ctx *c);
void move_root(struct ctx *c);
void chroot_root(struct ctx *c);
void propagate_up(const char *path, unsigned long flags);
void chown_in_root(struct ctx *c, const struct op *op);
void propagate_in_root(struct ctx *c, const struct op *op);
void proc_write(struct ctx *c, const char *rel, const char *value);
void console_in_root(struct ctx *c, const char *path, int *master_out);

/* process.c */
void push(char ***v, int *n, char *s);
void release(int watched);
void set_user(const struct op *op);
void drop_bounding(const char *hex);
void set_caps(const struct op *op);
void set_cwd(const char *dir);
void resolve_command(struct ctx *c);
void fifo_wait(struct ctx *c);
void fifo_open(struct ctx *c, const char *path);
void wait_sync(struct ctx *c, const char *name);
void join_namespace(const char *path, int nstype);
void load_seccomp(struct ctx *c, const char *flags, const char *hex);
void set_rlimit(const struct op *op);
void run_exec(struct ctx *c);

#endif
