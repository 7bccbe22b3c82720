"""What /proc says: CPU ticks per tier (process trees), the workers' RSS (sampled for
--soak), the machine and the commit."""
import os
import platform
import subprocess
import time

from .common import ROOT, log


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        kids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        stat = f.read()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
                except (OSError, IndexError, ValueError):
                    pass
        return kids


def rss_kib(pid):
    """(VmRSS, RssAnon) in KiB: resident total (shared library pages included) and
    the worker's private memory."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "RssAnon:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        return None
    return (out["VmRSS"], out.get("RssAnon", 0)) if "VmRSS" in out else None


CLK_TCK = os.sysconf("SC_CLK_TCK")
TIERS = ("client", "nginx", "workers", "pgbouncer", "postgres")


def proc_table():
    """{pid: (ppid, ticks, sys_ticks)} of every process; ticks = utime + stime + cutime +
    cstime: a process's own CPU plus that of its children it has reaped."""
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    data = f.read()
            except OSError:
                continue
            fields = data[data.rindex(")") + 2:].split()
            utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
            procs[int(d)] = (int(fields[1]), utime + stime + cutime + cstime, stime + cstime)
    return procs


def tree_ticks(procs, root):
    """(ticks, sys_ticks) of `root` and its live descendants. A descendant that exited
    during the window is in its parent's cutime/cstime once reaped (PostgreSQL's postmaster
    reaps its backends and autovacuum workers; the pool's master its workers)."""
    if root is None or root not in procs:
        return 0, 0
    kids = {}
    for pid, (ppid, *_rest) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    total = sys_total = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        _, ticks, sys_ticks = procs[pid]
        total += ticks
        sys_total += sys_ticks
        todo += kids.get(pid, [])
    return total, sys_total


def cpu_snapshot(roots):
    """CPU ticks of each tier: `roots` maps a tier to its root pid (postgres: the
    postmaster; nginx: its master; workers: the pool's master; pgbouncer); the client
    (wrk, openloop, pgbench) is our finished children (RUSAGE_CHILDREN); and the machine."""
    import resource
    procs = proc_table()
    groups = {}
    for tier, pid in roots.items():
        groups[tier], groups[tier + "_sys"] = tree_ticks(procs, pid)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    groups["client"] = (ru.ru_utime + ru.ru_stime) * CLK_TCK
    groups["client_sys"] = ru.ru_stime * CLK_TCK
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    groups["machine"] = sum(cpu[:8]) - cpu[3] - cpu[4]  # busy = all but idle and iowait
    groups["irq"] = cpu[5] + cpu[6]  # interrupts and softirqs: loopback TCP is processed there
    groups["steal"] = cpu[7]
    return groups


def cpu_per_request(before, after, requests):
    """µs of CPU per request for each tier; 'other' = the machine's busy time not spent by
    this run's processes (other users of the shared machine)."""
    b, a = before, after
    out = {}
    for k in TIERS:
        if k in a:
            for key in (k, k + "_sys"):
                out[key] = max(0.0, (a.get(key, 0) - b.get(key, 0))) / CLK_TCK * 1e6 / max(1, requests)
    for k in ("machine", "irq", "steal"):
        out[k] = max(0.0, a[k] - b[k]) / CLK_TCK * 1e6 / max(1, requests)
    out["other"] = max(0.0, out["machine"] - out["irq"] - out["steal"]
                       - sum(out.get(k, 0) for k in TIERS))
    return out


def workers_rss(master_pid):
    values = [v for v in (rss_kib(p) for p in children_of(master_pid)) if v is not None]
    if not values:
        return None
    return {"workers": len(values), "sum_kib": sum(v[0] for v in values),
            "max_kib": max(v[0] for v in values), "anon_max_kib": max(v[1] for v in values)}


class RssSampler:
    """Samples workers_rss() every `every` seconds in a thread while the `with` body runs
    (a no-op when `every` is None): the memory-growth evidence of --soak."""

    def __init__(self, master_pid, every):
        import threading
        self.master_pid, self.every = master_pid, every
        self.samples, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        t0 = time.monotonic()
        while True:
            rss = workers_rss(self.master_pid)
            if rss:
                self.samples.append({"t_s": round(time.monotonic() - t0), **rss})
                log(f"rss at {self.samples[-1]['t_s']} s: max {rss['max_kib']} KiB "
                    f"(private {rss['anon_max_kib']} KiB) over {rss['workers']} workers")
            if self.stop.wait(self.every):
                return

    def __enter__(self):
        if self.every:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.every:
            self.stop.set()
            self.thread.join()
            rss = workers_rss(self.master_pid)
            if rss:
                self.samples.append({"t_s": self.samples[-1]["t_s"] + 1 if self.samples else 0, **rss})
        return False


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(), "mem_mib": mem,
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}


def git_commit():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
