#!/usr/bin/env python3
"""Acts as containerd's shim does for `exec --detach`: becomes a child
subreaper, runs the runtime, reads the pid file, then reaps that pid itself.
Prints "status N" (the exit status the subreaper saw) or "lost" if the pid
was never its child to reap.   usage: subreaper.py PIDFILE RUNTIME ARGS..."""
import ctypes, os, subprocess, sys

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
pidfile, cmd = sys.argv[1], sys.argv[2:]
rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)
if rc != 0:
    print("runtime failed", rc)
    sys.exit(1)
pid = int(open(pidfile).read())
try:
    _, st = os.waitpid(pid, 0)
    print("status", os.waitstatus_to_exitcode(st))
except ChildProcessError:
    print("lost")
