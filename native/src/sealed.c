/*
 * sealed.c: the defence against CVE-2019-5736. A process inside a container
 * could open /proc/PID/exe of a helper process (the --init or, later, an
 * exec'd helper) and overwrite the host binary. So whenever the helper's
 * image will be visible inside a container, it runs from a sealed,
 * anonymous memfd copy of itself, as runc and crun do. (TypeScript says when:
 * needsSealedHelper() in src/jail/start.ts.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "mdk.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int ensure_sealed(char **argv, char **envp)
{
	struct statfs sfs;
	if (statfs("/proc", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return -EXDEV;
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return -errno;
	int seals = fcntl(exe, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS) {
		close(exe);
		return 0; /* already running from the sealed copy */
	}
	struct stat st;
	if (fstat(exe, &st) < 0)
		return -errno;
	int mfd = memfd_create("mdk-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	close(exe);
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return -errno;
	fexecve(mfd, argv, envp);
	return -errno;
}
