#!/usr/bin/python3
"""A stand-in for systemd's side of sd_notify(3), for tests.

notify-listen.py SOCKET LOG COMMAND...: binds a datagram socket at SOCKET,
runs COMMAND with NOTIFY_SOCKET=SOCKET, and appends to LOG, flushed line by
line: "pid PID" once COMMAND started; for each datagram, its sender's pid
(from the kernel's SCM_CREDENTIALS, not from the message), the sender's
VmLck in bytes read from /proc the moment the datagram is received, and the
message's lines joined by " | "; "exit STATUS" when COMMAND ends.
"""
import os
import socket
import struct
import subprocess
import sys


def vmlck(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmLck:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def main():
    path, log = sys.argv[1], sys.argv[2]
    cmd = sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    s.settimeout(0.05)
    out = open(log, "a", buffering=1)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    child = subprocess.Popen(cmd, env=env)
    out.write(f"pid {child.pid}\n")
    creds = struct.calcsize("3i")
    while True:
        try:
            msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(creds))
        except socket.timeout:
            if child.poll() is not None:
                break
            continue
        pid = -1
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", data[:creds])[0]
        text = msg.decode(errors="replace").strip("\n").replace("\n", " | ")
        out.write(f"from {pid} vmlck {vmlck(pid)}: {text}\n")
    out.write(f"exit {child.wait()}\n")


if __name__ == "__main__":
    main()
