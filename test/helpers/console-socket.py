#!/usr/bin/env python3
"""A console socket as conmon and containerd's shim provide one: receives the
pty master over SCM_RIGHTS, then copies what the container writes to it to
stdout until the terminal closes.  usage: console-socket.py SOCKET_PATH"""
import os, socket, sys

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(1)
print("listening", flush=True)
conn, _ = server.accept()
_, fds, _, _ = socket.recv_fds(conn, 1, 1)
print("got fd", flush=True)
while True:
    try:
        data = os.read(fds[0], 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace"))
    sys.stdout.flush()
