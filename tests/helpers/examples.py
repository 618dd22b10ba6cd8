#!/usr/bin/env python3
"""Runs the examples of the README or of the man page, and compares.

  examples.py readme README.md     every ```console block: `$ CMD` runs as an
                                   unprivileged user (nobody, no capabilities),
                                   `# CMD` as root, in a new empty directory per
                                   block; the lines after a command are its
                                   output (stdout and stderr), compared by
                                   shape: every number stands for any number,
                                   PID for any pid, USER for any user name,
                                   and a line "..." for any lines.
  examples.py man memlock.1        every .Dl line of EXAMPLES, with stand-ins
                                   for what it names (a database directory, a
                                   server, processes called postgres, jackd
                                   and elasticsearch; a hold of minutes made a
                                   probe, -t 0): it must run, and exit 0
                                   or 1, never with a usage error (2) or an
                                   error it could not tell (3).
Prints one line per example; exits 1 if any fails.  Needs root.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
          "--inh-caps=-all", "--bounding-set=-all"]
NUMBER = r"(?:0x[0-9a-f]+|[0-9]+(?:\.[0-9]+)?[BKMGTPE]?)"


def line_pattern(expected):
    """The regular expression a line of shown output stands for."""
    out = []
    for token in re.split(r"(\s+)", expected.strip()):
        if not token:
            continue
        if token.isspace():
            out.append(r"\s+")
            continue
        parts = re.split(r"(PID|USER|" + NUMBER + ")", token)
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(re.escape(part))
            elif part == "PID":
                out.append(r"(?:[0-9]+|PID)")
            elif part == "USER":
                out.append(r"\S+")
            else:
                out.append(NUMBER)
    return re.compile("".join(out) + r"\Z")


def matches(expected, actual):
    """Whether ACTUAL (lines) has the shape of EXPECTED (lines, "..." any)."""
    def walk(e, a):
        if e == len(expected):
            return a == len(actual)
        if expected[e].strip() == "...":
            return any(walk(e + 1, k) for k in range(a, len(actual) + 1))
        return (a < len(actual) and
                line_pattern(expected[e]).match(actual[a].strip()) is not None and
                walk(e + 1, a + 1))
    return walk(0, 0)


def run(cmd, root, cwd, env):
    # The command on bash's standard input, as a user's shell reads it: the
    # command is a child of a shell of the user's (bash -c would exec it),
    # and no process has its text in its command line (pgrep -f would find
    # that shell).
    argv = ["bash", "-s"]
    if not root:
        argv = NOBODY + argv
    p = subprocess.run(argv, cwd=cwd, env=env, input=(cmd + "\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    text = p.stdout.decode("utf-8", "replace").rstrip("\n")
    return p.returncode, text.split("\n") if text else []


def memlocks():
    """Pids of the memlock processes now running."""
    p = subprocess.run(["pgrep", "-x", "memlock"], stdout=subprocess.PIPE)
    return set(p.stdout.decode().split())


def left_since(before):
    """The memlock processes started since BEFORE still running after a
    while: a holder sent SIGTERM takes a moment to let go."""
    for _ in range(250):
        left = memlocks() - before
        if not left:
            return left
        time.sleep(0.02)
    return left


def readme_blocks(path):
    blocks, block, inside = [], None, False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not inside and line.strip() == "```console":
            inside, block = True, []
        elif inside and line.strip() == "```":
            inside = False
            blocks.append(block)
        elif inside:
            if line.startswith("$ ") or line.startswith("# "):
                block.append({"line": n, "root": line[0] == "#",
                              "cmd": line[2:], "out": []})
            elif block:
                block[-1]["out"].append(line)
    return blocks


def check_readme(path, env):
    failed = 0
    for block in readme_blocks(path):
        work = tempfile.mkdtemp(prefix="memlock-example.")
        os.chmod(work, 0o777)
        before = memlocks()
        try:
            for ex in block:
                status, actual = run(ex["cmd"], ex["root"], work, env)
                ok = matches(ex["out"], actual)
                print("%s %s:%d %s" % ("ok" if ok else "FAIL", os.path.basename(path), ex["line"], ex["cmd"]))
                if not ok:
                    failed += 1
                    print("  shown:\n    " + "\n    ".join(ex["out"]))
                    print("  got (exit %d):\n    %s" % (status, "\n    ".join(actual)))
        finally:
            left = left_since(before)
            for pid in left:
                os.kill(int(pid), signal.SIGTERM)
            if left:
                failed += 1
                print("FAIL %s: the block leaves memlock running: %s" % (os.path.basename(path), " ".join(left)))
            shutil.rmtree(work, ignore_errors=True)
    return failed


def man_examples(path):
    lines, inside = [], False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith(".Sh "):
            inside = line.strip() == ".Sh EXAMPLES"
        elif inside and line.startswith(".Dl "):
            text = line[4:].rstrip("\n").replace("\\-", "-").replace("\\&", "")
            lines.append((n, text))
    return lines


def check_man(path, env):
    work = tempfile.mkdtemp(prefix="memlock-man-example.")
    os.chmod(work, 0o755)
    standins = []
    failed = 0
    try:
        os.makedirs(work + "/db")
        for name in ("a", "b"):
            with open("%s/db/%s" % (work, name), "wb") as f:
                f.write(os.urandom(65536))
        with open(work + "/server", "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(work + "/server", 0o755)
        with open(work + "/big.dat", "wb") as f:
            f.write(os.urandom(1 << 20))
        os.makedirs(work + "/memlock.d")
        with open(work + "/memlock.d/login.conf", "w") as f:
            f.write("+/bin/sh\n%s/big.dat\n" % work)
        # Programs the examples name, standing in under their names, run by
        # a user (as a database or an audio server runs as its own).
        for name in ("postgres", "jackd", "elasticsearch"):
            shutil.copy("/bin/sleep", "%s/%s" % (work, name))
            standins.append(subprocess.Popen(NOBODY + ["%s/%s" % (work, name), "600"]))
        for n, text in man_examples(path):
            root = text.startswith("# ")
            cmd = text[2:]
            cmd = cmd.replace("/var/lib/db", work + "/db").replace(
                "/run/memlock.pid", work + "/memlock.pid").replace(
                "/run/memlock-login.pid", work + "/memlock-login.pid").replace(
                "./server", work + "/server").replace("-t 10m", "-t 0").replace(
                "--interval 10s", "--interval 10ms --count 2").replace(
                "/var/lib/node_exporter/textfile", work).replace(
                "/usr/sbin/sshd", work + "/big.dat").replace(
                "/var/lib/postgresql", work + "/db").replace(
                "/etc/memlock.d", work + "/memlock.d")
            before = memlocks()
            status, actual = run(cmd, root, work, env)
            ok = status in (0, 1) and not any("invalid" in l or "unknown" in l for l in actual)
            print("%s memlock.1:%d %s (exit %d)" % ("ok" if ok else "FAIL", n, text, status))
            if not ok:
                failed += 1
                print("    " + "\n    ".join(actual))
            # A holder started by one line is stopped by the next; a
            # lone one is stopped here.
            if "kill" in cmd:
                continue
            for pid in memlocks() - before:
                if not os.path.exists(work + "/memlock.pid"):
                    os.kill(int(pid), signal.SIGTERM)
    finally:
        for p in standins:
            p.kill()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)
    return failed


def main():
    env = dict(os.environ)
    env.pop("LANG", None)
    env["LC_ALL"] = "C.UTF-8"
    kind, path = sys.argv[1], sys.argv[2]
    # "memlock" is the one on PATH; the unprivileged user may not enter the
    # directory that holds it there: a directory of ours names it again.
    binary = shutil.which("memlock")
    if not binary:
        print("no memlock on PATH")
        return 2
    bindir = tempfile.mkdtemp(prefix="memlock-bin.")
    os.chmod(bindir, 0o755)
    os.symlink(os.path.realpath(binary), bindir + "/memlock")
    env["PATH"] = bindir + ":" + env.get("PATH", "")
    try:
        failed = check_readme(path, env) if kind == "readme" else check_man(path, env)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
