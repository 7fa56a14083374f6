#!/usr/bin/env python3
"""Interactive latency probe: statements typed on a pseudo-terminal.

Opens two interactive sessions on pseudo-terminals, as a person at a
keyboard would:
  direct   the mariadb client on a server of its own (no replication);
  sqlrepl  the real master binary, with slaves that this probe starts.
For each statement it writes the line and Enter, and times until the
outcome line appears: `Query OK` from the mariadb client, `Replicated to
N/N slaves` from the master (which the master prints only after every slave
has applied the write). The two sessions take turns statement by statement
(the order alternates), so that other load on the machine falls on both.

It relies only on the documented console output of both programs. It prints
`key=value` lines on stdout for bench/run.sh; everything else goes to
stderr. Standard library only.

  latency_probe.py --statements FILE --count N --warmup W \
      --direct 'mariadb ...' --master 'build/master --env-file m.env' \
      --slave 'build/slave --env-file s1.env' --slave-log s1.out [--slave ... --slave-log ...]
"""

import argparse
import fcntl
import os
import pty
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

PROMPT = re.compile(r"\]> ")


class ProbeError(Exception):
    pass


class PtySession:
    """One program on its own pseudo-terminal; reads its output as text."""

    def __init__(self, name, argv, home):
        self.name = name
        self.buffer = ""
        self.last_read = time.perf_counter()
        # A HOME of its own: both programs keep a history file there, which
        # must start empty in every run (and not be the user's).
        env = dict(os.environ, TERM="dumb", COLUMNS="1000", LINES="50", HOME=home)
        pid, fd = pty.fork()
        if pid == 0:
            try:
                # Wide enough that no statement wraps (wrapping adds control output).
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 1000, 0, 0))
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd

    def read_until(self, pattern, timeout):
        """Returns (match, arrival time); consumes the output up to the match."""
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(self.buffer)
            if match:
                arrived = self.last_read
                self.buffer = self.buffer[match.end():]
                return match, arrived
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProbeError(f"{self.name}: no {pattern.pattern!r} within {timeout} s; "
                                 f"last output: {self.buffer[-300:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                self.last_read = time.perf_counter()
                if not data:
                    raise ProbeError(f"{self.name} exited; last output: {self.buffer[-300:]!r}")
                self.buffer += data.decode("utf-8", "replace")

    def send(self, line):
        self.buffer = ""
        start = time.perf_counter()
        os.write(self.fd, line.encode() + b"\r")
        return start

    def vm_hwm_mb(self):
        return vm_hwm_mb(self.pid)

    def close(self, quit_line, timeout=30):
        try:
            os.write(self.fd, quit_line.encode() + b"\r")
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return
            try:
                if select.select([self.fd], [], [], 0.1)[0]:
                    os.read(self.fd, 65536)
            except OSError:
                time.sleep(0.1)
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def wait_for_text(path, text, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise ProbeError(f"{what}: no {text!r} in {path} within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", required=True, help="one statement per line")
    parser.add_argument("--count", type=int, default=200, help="statements measured")
    parser.add_argument("--warmup", type=int, default=20, help="statements run first, not measured")
    parser.add_argument("--direct", required=True, help="command line of the mariadb client")
    parser.add_argument("--master", required=True, help="command line of the master")
    parser.add_argument("--slave", action="append", default=[], help="command line of a slave")
    parser.add_argument("--slave-log", action="append", default=[], help="output file of that slave")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per statement")
    args = parser.parse_args()
    if len(args.slave) != len(args.slave_log):
        parser.error("give one --slave-log per --slave")

    with open(args.statements) as f:
        statements = [line.rstrip("\n") for line in f if line.strip()]
    if len(statements) < args.warmup + args.count:
        parser.error(f"{args.statements} holds {len(statements)} statements; "
                     f"need {args.warmup + args.count}")
    slaves_wanted = len(args.slave)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sessions, slaves = [], []
    homes = tempfile.TemporaryDirectory(prefix="sqlrepl-probe-home-")
    for who in ("direct", "master"):
        os.mkdir(os.path.join(homes.name, who))
    try:
        direct = PtySession("mariadb client", shlex.split(args.direct), os.path.join(homes.name, "direct"))
        sessions.append(direct)
        master = PtySession("master", shlex.split(args.master), os.path.join(homes.name, "master"))
        sessions.append(master)
        direct.read_until(PROMPT, 60)
        master.read_until(PROMPT, 60)
        for command, log in zip(args.slave, args.slave_log):
            with open(log, "w") as out:
                slaves.append(subprocess.Popen(shlex.split(command), stdin=subprocess.DEVNULL,
                                               stdout=out, stderr=subprocess.STDOUT))
        for log in args.slave_log:
            wait_for_text(log, "Connected to master", 60, "slave")

        direct_ok = re.compile(r"Query OK[^\r\n]*|ERROR[^\r\n]*")
        master_ok = re.compile(r"Replicated to (\d+)/(\d+) slaves(?: \(([0-9.]+) ms\))?|"
                               r"ERROR[^\r\n]*|Refused[^\r\n]*|[^\r\n]*no acknowledgement[^\r\n]*|"
                               r"[^\r\n]*lagging[^\r\n]*|[^\r\n]*[Nn]o slave[^\r\n]*")

        def run(session, pattern, statement):
            start = session.send(statement)
            match, arrived = session.read_until(pattern, args.timeout)
            session.read_until(PROMPT, args.timeout)
            return match, (arrived - start) * 1000.0

        def run_direct(statement):
            match, ms = run(direct, direct_ok, statement)
            if not match.group(0).startswith("Query OK"):
                raise ProbeError(f"mariadb client: {match.group(0)} for: {statement}")
            return ms, None

        def run_master(statement):
            match, ms = run(master, master_ok, statement)
            if match.group(1) is None or match.group(1) != match.group(2) or \
                    int(match.group(2)) != slaves_wanted:
                raise ProbeError(f"master: {match.group(0).strip()!r} for: {statement}")
            reported = float(match.group(3)) if match.group(3) else None
            return ms, reported

        direct_ms, master_ms, master_reported = [], [], []
        for i, statement in enumerate(statements[: args.warmup + args.count]):
            order = (run_direct, run_master) if i % 2 == 0 else (run_master, run_direct)
            results = {}
            for step in order:
                results[step] = step(statement)
            if i < args.warmup:
                continue
            direct_ms.append(results[run_direct][0])
            master_ms.append(results[run_master][0])
            if results[run_master][1] is not None:
                master_reported.append(results[run_master][1])

        print(f"count={len(direct_ms)}")
        for name, values in (("direct", direct_ms), ("sqlrepl", master_ms),
                             ("reported", master_reported)):
            if values:
                print(f"{name}_p50={percentile(values, 50):.3f}")
                print(f"{name}_p90={percentile(values, 90):.3f}")
                print(f"{name}_p99={percentile(values, 99):.3f}")
        overhead = [m - d for m, d in zip(master_ms, direct_ms)]
        print(f"overhead_p50={percentile(master_ms, 50) - percentile(direct_ms, 50):.3f}")
        print(f"paired_overhead_p50={percentile(overhead, 50):.3f}")
        print(f"rss_master={master.vm_hwm_mb():.1f}")
        for n, slave in enumerate(slaves, 1):
            print(f"rss_slave{n}={vm_hwm_mb(slave.pid):.1f}")
        return 0
    except ProbeError as e:
        print(f"latency probe: {e}", file=sys.stderr)
        return 1
    finally:
        for session, quit_line in zip(sessions, ("quit", "\\q")):
            try:
                session.close(quit_line)
            except (OSError, ChildProcessError):
                pass
        for slave in slaves:
            if slave.poll() is None:
                slave.terminate()
            try:
                slave.wait(30)
            except subprocess.TimeoutExpired:
                slave.kill()
                slave.wait()
        homes.cleanup()


if __name__ == "__main__":
    sys.exit(main())
