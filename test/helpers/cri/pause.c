/*
 * The pod sandbox's process for the CRI test (what Kubernetes' pause image
 * runs): it holds the pod's namespaces, sleeps in pause() until SIGINT or
 * SIGTERM ends it with status 0, and, as pid 1 of a pod that shares its pid
 * namespace, reaps the orphans handed to it. Built with gcc -static by
 * pause-image.ts, so its image needs nothing else.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction sa = {0};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = stop;
  if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) return 1;
  sa.sa_handler = reap;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return 1;
  for (;;) pause();
}
