"""Processes the harness starts and what they cost: free ports, start and
stop, readiness over HTTP, CPU time and resident memory from /proc, and the
machine's own busy time (to tell a quiet run from one that competed with
other work)."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"  # every server under test listens on loopback only
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """Something could not be built, started or measured: the run fails."""


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


_used_ports = set()


def free_port():
    """A TCP port on HOST that nothing listens on now, not handed out before
    in this run. (Another process may still take it before our server binds:
    starters retry on a new port.)"""
    for _ in range(200):
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _used_ports:
            _used_ports.add(port)
            return port
    raise BenchError("no free loopback port")


class Processes:
    """Every long-running process of the run, stopped in reverse order by
    stop_all() (stop_signal, TERM by default, then KILL after 5 s), also
    when the run fails; a process's `cleanup` runs once it has stopped."""

    def __init__(self):
        self._procs = []
        self._how = {}  # pid -> (stop signal, cleanup or None)

    def start(self, argv, log_path, env=None, cwd=None, user=None,
              stop_signal=signal.SIGTERM, cleanup=None):
        out = open(log_path, "wb")
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, cwd=cwd, user=user)
        except OSError:
            if cleanup:
                cleanup()
            raise
        finally:
            out.close()
        self._procs.append(proc)
        self._how[proc.pid] = (stop_signal, cleanup)
        return proc

    def stop(self, proc):
        if proc is None:
            return
        stop_signal, cleanup = self._how.pop(proc.pid, (signal.SIGTERM, None))
        if proc.poll() is None:
            proc.send_signal(stop_signal)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self._procs:
            self._procs.remove(proc)
        if cleanup:
            cleanup()

    def stop_all(self):
        for proc in reversed(list(self._procs)):
            self.stop(proc)


PROCS = Processes()


def tail(path, lines=10):
    try:
        with open(path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
    except OSError:
        return ""


def request(port, method, path, headers=None, body=None, timeout=60):
    """One HTTP/1.1 request on a fresh connection: (status, body bytes, headers)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body, headers or {})
        res = conn.getresponse()
        return res.status, res.read(), res.getheaders()
    finally:
        conn.close()


def wait_http(proc, port, path="/healthz", seconds=15):
    """True once GET path answers 2xx; False if the process died or the time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            status, _, _ = request(port, "GET", path, timeout=1)
            if 200 <= status < 300:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def descendants(pid):
    """pid and every process below it (nginx and node workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def cpu_ticks(pids):
    """utime + stime (clock ticks) of the processes, all their threads included."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total


def vm_mib(pid, field):
    """A /proc/PID/status memory field (VmRSS, VmHWM) in MiB; 0 if gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_ticks():
    """(busy, total) ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def busy_percent(seconds):
    b0, t0 = machine_ticks()
    time.sleep(seconds)
    b1, t1 = machine_ticks()
    return 100 * (b1 - b0) // max(t1 - t0, 1)


def wait_quiet(max_wait):
    """Waits (at most max_wait s) until the CPUs are at most 25% busy, since
    other work would skew the figures; returns the last busy percentage."""
    waited = 0
    while True:
        busy = busy_percent(2)
        if busy <= 25:
            return busy
        if waited >= max_wait:
            log(f"note: the machine is still {busy}% busy with other work; measuring anyway")
            return busy
        log(f"the machine is {busy}% busy with other work; waiting (at most {max_wait - waited} s more)")
        waited += 2


def settle(pids, seconds=30):
    """Waits until the processes use under 5% of a CPU (work left behind by
    the run before, e.g. sessions written in the background), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t0 = cpu_ticks(pids)
        time.sleep(0.5)
        if (cpu_ticks(pids) - t0) * 100 <= CLK_TCK * 5 / 2:
            return
    log("note: a server is still busy after 30 s; measuring anyway")


def run_timed(argv, out_path, seconds_limit, env=None, cwd=None):
    """Runs a child to completion with stdout+stderr to out_path; returns
    (exit code, its CPU seconds). Killed after seconds_limit."""
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    return wait_timed(proc, seconds_limit)


def wait_timed(proc, seconds_limit):
    """wait4 on a child (its own rusage, not all children's): (exit code, CPU s)."""
    deadline = time.monotonic() + seconds_limit
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.05)
