#!/usr/bin/env python3
"""Drives a command on a real pseudo-terminal for the TTY tests.

usage: pty-driver.py ROWS COLS STEPS_JSON COMMAND [ARG...]

STEPS_JSON is a list of steps: {"send": TEXT}, {"expect": REGEX} (waits up to
10 s for it in the output so far), {"resize": [ROWS, COLS]}, {"sleep": SECS}.
Prints everything the command wrote to the terminal, then exits with the
command's status; exits 99 if an expectation was not met.
"""
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

rows, cols, steps, argv = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

def set_size(r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
    os.kill(pid, signal.SIGWINCH)

set_size(rows, cols)
out = b""

def pump(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out += data
    return True

status = 0
for step in steps:
    if "send" in step:
        os.write(fd, step["send"].encode())
    elif "resize" in step:
        set_size(*step["resize"])
    elif "sleep" in step:
        end = time.time() + step["sleep"]
        while time.time() < end and pump(0.05):
            pass
    elif "expect" in step:
        end = time.time() + 10
        while not re.search(step["expect"].encode(), out) and time.time() < end:
            if not pump(0.1):
                break
        if not re.search(step["expect"].encode(), out):
            sys.stdout.write(out.decode(errors="replace"))
            sys.stdout.write("\n[pty-driver] expectation not met: %r\n" % step["expect"])
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.exit(99)
while pump(5):
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
