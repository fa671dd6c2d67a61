/* Shared by the addon's files: one way to throw an errno, one registry. */
#ifndef MDK_ADDON_H
#define MDK_ADDON_H
#include <node_api.h>

/* throws an Error whose code is errno's name (e.g. "ENOENT") and returns NULL */
napi_value throw_errno(napi_env env, const char *what, int err);

/* layer.c: defines the *at primitives for unpacking image layers on EXPORTS */
napi_status layer_define(napi_env env, napi_value exports);

/* view.c: a detached overlay of a container's layers, and reading *at primitives */
napi_status view_define(napi_env env, napi_value exports);

#endif
