/*
 * The long-lived service's memory, given back to the kernel where
 * TypeScript says (src/util/release-pages.ts decides which ranges): no
 * policy here.
 *
 *   releasePages(start, length)  madvise(MADV_DONTNEED) of a range of a
 *       file-backed mapping without private (anonymous) pages: its pages
 *       leave the process's RSS and stay in the page cache; a later touch
 *       maps them again (a minor fault), as after the kernel's own reclaim
 *   trimMalloc()  glibc's malloc_trim(0): free memory at the top of the
 *       heap and free whole pages in every arena handed back; 1 if any was
 *   limitMallocArenas(n)  glibc's mallopt(M_ARENA_MAX, n): threads that
 *       first allocate from now on share at most N arenas (as
 *       MALLOC_ARENA_MAX=N would from the start); 1 when glibc took it
 *   fixMallocTrimThreshold(bytes)  glibc's mallopt(M_TRIM_THRESHOLD, bytes):
 *       the free top of every arena above BYTES is given back when a free
 *       reaches it, and the threshold no longer follows the largest mmap'd
 *       block freed (which also fixes the mmap threshold where it is now);
 *       1 when glibc took it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "addon.h"

static napi_value release_pages(napi_env env, napi_callback_info info)
{
	ARGS(2);
	int64_t start, length;
	long page = sysconf(_SC_PAGESIZE);
	if (get_i64(env, args[0], &start) || get_i64(env, args[1], &length) || start <= 0 || length <= 0 ||
	    start % page != 0 || length % page != 0)
		return throw_errno(env, "madvise", EINVAL);
	if (madvise((void *)(uintptr_t)start, (size_t)length, MADV_DONTNEED) < 0)
		return throw_errno(env, "madvise", errno);
	return NULL;
}

static napi_value trim_malloc(napi_env env, napi_callback_info info)
{
	(void)info;
	return int_result(env, malloc_trim(0));
}

static napi_value limit_malloc_arenas(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, n);
	if (n < 1)
		return throw_errno(env, "mallopt", EINVAL);
	return int_result(env, mallopt(M_ARENA_MAX, n));
}

static napi_value fix_malloc_trim_threshold(napi_env env, napi_callback_info info)
{
	ARGS(1);
	INT(0, bytes);
	if (bytes < 0)
		return throw_errno(env, "mallopt", EINVAL);
	return int_result(env, mallopt(M_TRIM_THRESHOLD, bytes));
}

napi_status memory_define(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{"releasePages", NULL, release_pages, NULL, NULL, NULL, napi_default, NULL},
		{"trimMalloc", NULL, trim_malloc, NULL, NULL, NULL, napi_default, NULL},
		{"limitMallocArenas", NULL, limit_malloc_arenas, NULL, NULL, NULL, napi_default, NULL},
		{"fixMallocTrimThreshold", NULL, fix_malloc_trim_threshold, NULL, NULL, NULL, napi_default, NULL},
	};
	return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
