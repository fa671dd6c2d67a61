#!/usr/bin/env python3
"""Runs a command as a child subreaper and waits for every process it
leaves behind: a container's monitor, and what the monitor starts when the
container ends (orphans, so ours to reap). Prints the command's exit
status, then "orphan COMM" for each orphan, COMM read from /proc/PID/stat
while it is a zombie.   usage: orphans.py COMMAND ARGS..."""
import ctypes, os, subprocess, sys

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
status = None
orphans = []
while True:
    try:
        info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        break
    try:
        with open(f'/proc/{info.si_pid}/stat') as f:
            stat = f.read()
        comm = stat[stat.index('(') + 1:stat.rindex(')')]
    except OSError:
        comm = '?'
    _, st = os.waitpid(info.si_pid, 0)
    if info.si_pid == child.pid:
        status = os.waitstatus_to_exitcode(st)
    else:
        orphans.append(comm)
print('status', status)
for comm in orphans:
    print('orphan', comm)
