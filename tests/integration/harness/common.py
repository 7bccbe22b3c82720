"""Paths, roles and process helpers shared by the integration harness (see stack.py)."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.environ.get("TODO_API_ROOT") or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
BIN = os.environ.get("TODO_API_BIN") or os.path.join(ROOT, "build", "todo-api")
SITE_FILE = os.path.join(ROOT, "nginx", "todo-api.conf")
CACHE_DIR = os.path.join(tempfile.gettempdir(), "todo-api-test-cache-%d" % os.geteuid())

INITDB_EXTRA = []  # part of the template's cache key, with the version and roles SQL

OWNER_ROLE = "todo_owner"
APP_ROLE = "todo_app"
DB_NAME = "todo"

# Test rendering of the site's rate limit: high enough that no test trips it by
# accident (all clients are 127.0.0.1). Tests of 429 pass rate_limit=("2r/s", 1).
TEST_RATE_LIMIT = ("10000r/s", 10000)


# ---------------------------------------------------------------------------
# Small process helpers


def log(msg):
    sys.stderr.write("stack: %s\n" % msg)
    sys.stderr.flush()


def pdeathsig(sig):
    """preexec_fn: the child gets `sig` when the process that started it dies.

    Runs after subprocess has switched user/group, so the setting survives (a
    credential change clears it)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def fn():
        libc.prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)
        if os.getppid() == 1:  # the parent died before prctl
            os.kill(os.getpid(), int(sig))
    return fn


def proc_stat(pid):
    """(ppid, starttime) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    if fields[0] == b"Z":
        return None
    return int(fields[1]), int(fields[19])


def children(pid):
    """Direct children of `pid` (live, not zombies)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st and st[0] == pid:
                out.append(int(entry))
    return sorted(out)


def descendants(pid):
    """{pid: starttime} of every live descendant of `pid`."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st:
                table[int(entry)] = st
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for p, (ppid, start) in table.items():
            if ppid == parent and p not in found:
                found[p] = start
                todo.append(p)
    return found


def alive(pid):
    return proc_stat(pid) is not None


def kill_leftovers(procs):
    """SIGKILL every process of {pid: starttime} still running (same start time)."""
    for pid, start in procs.items():
        st = proc_stat(pid)
        if st and st[1] == start:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_process(proc, sig, timeout, name):
    """Signals a Popen, waits, SIGKILLs it and every descendant left; returns rc."""
    if proc is None:
        return None
    family = descendants(proc.pid)
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log("%s did not stop within %.0f s of %s: SIGKILL" % (name, timeout, sig.name))
            proc.kill()
            proc.wait()
    family.update(descendants(proc.pid) if alive(proc.pid) else {})
    kill_leftovers(family)
    return proc.returncode


def unix_listening(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
            return True
        except OSError:
            return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "(no %s)" % path
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])
