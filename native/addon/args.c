/* The addon's argument checks, shared by its files (declared in addon.h). */
#include <errno.h>
#include <string.h>
#include "addon.h"

int get_int(napi_env env, napi_value v, int32_t *out)
{
	return napi_get_value_int32(env, v, out) == napi_ok ? 0 : EINVAL;
}

int get_bytes(napi_env env, napi_value v, char *out, size_t cap, int path)
{
	void *data;
	size_t len;
	if (napi_get_buffer_info(env, v, &data, &len) != napi_ok)
		return EINVAL;
	if (len >= cap)
		return ENAMETOOLONG;
	if (memchr(data, '\0', len))
		return EINVAL;
	if (!path && (memchr(data, '/', len) || (len == 1 && ((char *)data)[0] == '.') ||
		      (len == 2 && !memcmp(data, "..", 2))))
		return EINVAL;
	memcpy(out, data, len);
	out[len] = '\0';
	return 0;
}

int get_i64(napi_env env, napi_value v, int64_t *out)
{
	return napi_get_value_int64(env, v, out) == napi_ok ? 0 : EINVAL;
}

napi_value int_result(napi_env env, int32_t n)
{
	napi_value r;
	napi_create_int32(env, n, &r);
	return r;
}
