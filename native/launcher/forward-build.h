/* forward-build.c: `moby-dick build` served by a running API service */
#ifndef MOBY_DICK_FORWARD_BUILD_H
#define MOBY_DICK_FORWARD_BUILD_H

/* the launcher starts Node as without a service */
#define FORWARD_FALLBACK (-1)

/* the build's exit status from the service, or FORWARD_FALLBACK */
int forward_build(int argc, char **argv);

#endif
