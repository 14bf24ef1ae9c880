#!/usr/bin/env python3
"""The board over SSH, measured: N idle sessions (each a real OpenSSH client in a
pty, each its own user and key, all on one board) against a fresh release
kanban-server, then the time from a key to the first byte of the redrawn screen,
over SSH and, beside it, for kanban-tui over loopback on the same board.

Prints one JSON line: the server's memory per session, its CPU while the sessions
sit idle, and the key-to-screen latencies. Usage: bench/ssh.py [SESSIONS] [KEYS]
(default 100 sessions, 200 keys); COLS and ROWS size the terminals (100x30),
IDLE_SECONDS the idle measure (30). Needs ssh and ssh-keygen; builds what it runs.
"""

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "target/release/kanban-server")
TUI = os.path.join(ROOT, "target/release/kanban-tui")
SESSIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
KEYS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
HTTP, SSH = 7961, 7962
# The terminal every session has (COLUMNS x LINES of the ptys).
COLS, ROWS = int(os.environ.get("COLS", "100")), int(os.environ.get("ROWS", "30"))
# Loads run without the per-person budget of changes (10 a second by default).
os.environ["KANBAN_MAX_WRITES_PER_USER"] = "0"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def admin(data, *args, stdin=None):
    return subprocess.run([SERVER, "--data-dir", data, *args], input=stdin, capture_output=True,
                          text=True, check=True).stdout.strip()


def rss(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Term:
    """A program in a pty of COLS x ROWS, its output drained as it comes."""

    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(env or {})
            os.environ["TERM"] = "xterm-256color"
            os.execvp(argv[0], argv)
        import fcntl, struct, termios
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.seen = b""

    def read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.seen = (self.seen + data)[-65536:]
        return data

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {text!r}: {self.seen[-400:]!r}")
            self.read(0.2)

    def drain(self, quiet=0.3):
        while self.read(quiet):
            pass

    def latencies(self, keys):
        """The time from each key to the first byte of output it causes, in ms."""
        out = []
        for i in range(keys):
            self.drain(0.05)
            key = b"l" if i % 2 == 0 else b"h"
            start = time.monotonic()
            os.write(self.fd, key)
            if self.read(5):
                out.append((time.monotonic() - start) * 1000)
        return out


def percentile(values, p):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))], 2) if values else None


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kanban-server", "-p", "kanban-tui"],
                   cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="kanban-ssh-bench-")
    data = os.path.join(work, "data")
    names = [f"u{i:03}" for i in range(SESSIONS)]
    tokens = {name: admin(data, "user", "add", name) for name in names + ["tui"]}
    admin(data, "project", "add", "bench", *sum((["--member", n] for n in names + ["tui"]), []))
    for name in names:
        key = os.path.join(work, name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        admin(data, "user", "key", "add", name, stdin=open(key + ".pub").read())
    server = subprocess.Popen([SERVER, "--data-dir", data, "--listen", f"127.0.0.1:{HTTP}",
                               "--ssh-listen", f"127.0.0.1:{SSH}"], stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        before = rss(server.pid)
        terms = []
        for name in names:
            t = Term(["ssh", "-tt", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                      "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i", os.path.join(work, name),
                      "-p", str(SSH), "x@127.0.0.1", "bench"])
            t.wait_for(b"online")
            terms.append(t)
        # Everyone present has come to everyone's screen: then all sit still.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for t in terms:
                t.read(0)
            time.sleep(0.05)
        for t in terms:
            t.drain(0.01)
        after = rss(server.pid)
        idle_from, idle_at = cpu(server.pid), time.monotonic()
        time.sleep(float(os.environ.get("IDLE_SECONDS", "30")))
        for t in terms:
            t.drain(0.01)
        idle_cpu = (cpu(server.pid) - idle_from) / (time.monotonic() - idle_at)

        ssh_ms = terms[0].latencies(KEYS)
        tui = Term([TUI, "--server", f"http://127.0.0.1:{HTTP}", "--project", "bench"],
                   env={"KANBAN_TOKEN": tokens["tui"], "KANBAN_CONFIG_DIR": work, "KANBAN_STATE_DIR": work})
        tui.wait_for(b"online")
        tui.drain(1.0)
        tui_ms = tui.latencies(KEYS)
        tui_rss = rss(tui.pid)
        print(json.dumps({
            "sessions": SESSIONS,
            "terminal": f"{COLS}x{ROWS}",
            "server_rss_before_mib": round(before / 2**20, 1),
            "server_rss_after_mib": round(after / 2**20, 1),
            "per_session_kib": round((after - before) / SESSIONS / 1024, 1),
            "idle_cpu_percent": round(idle_cpu * 100, 2),
            "kanban_tui_rss_mib": round(tui_rss / 2**20, 1),
            "key_to_screen_ssh_ms": {"p50": percentile(ssh_ms, 0.5), "p99": percentile(ssh_ms, 0.99),
                                     "n": len(ssh_ms)},
            "key_to_screen_tui_ms": {"p50": percentile(tui_ms, 0.5), "p99": percentile(tui_ms, 0.99),
                                     "n": len(tui_ms)},
        }))
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
