#!/usr/bin/python3
"""`make bench` (QUALITY.md "Performance"): the whole stack on this machine, every
endpoint figure judged as a ratio to references measured in the same run.

    make bench                      # full run (~5 min): tables with PASS/FAIL,
                                    # bench/results/history.jsonl, docs/PERFORMANCE.md
    make bench-smoke                # the harness end to end in well under a minute (ctest)
    make bench-pgbouncer            # direct vs DB_PREPARED=off vs PgBouncer (transaction mode)
    python3 bench/run_bench.py --help

What one run does:
  1. starts the stack of tests/integration/stack.py (PostgreSQL, `todo-api migrate`,
     owner/app roles, the pool, nginx from nginx/todo-api.conf with a self-signed
     certificate) under a bench-owned state directory, all on 127.0.0.1;
  2. seeds 1,000 users x 50 tasks with SQL (generate_series) as the owner into the `todo`
     schema (users: id and email only; tasks: explicit columns), users with 10,000 and
     100,000 tasks for the data-size check, and copies the same rows into the bare
     reference schema `bare` (the task columns, PK (user_id, id), one index
     (user_id, created_at desc, id), FK to users; nothing else);
  3. the bare reference: `pgbench -M prepared -c 16 -j 2` on bare statements (a page of
     50 with every column, one task, one insert, one toggle): tps and PostgreSQL CPU per
     transaction;
  4. per scenario (list, get, create, toggle, mix), closed loop: the front ceiling (nginx
     `return 200` of a body of the same size), then the endpoint with wrk (bench/api.lua)
     over TLS with keep-alive, tokens rotating over every user, after a warm-up; CPU per
     request of every tier (wrk, nginx, workers, PostgreSQL) and the workers' RSS;
  5. open loop: every scenario at a constant offered rate (half the closed-loop maximum
     of the mix) with build/bench/openloop, latency from each request's intended send time;
  6. default-page latency for users with 50, 10,000 and 100,000 tasks (wrk, 1 connection);
  7. prints the tables with PASS/FAIL per bar, appends JSON lines to
     bench/results/history.jsonl and rewrites docs/PERFORMANCE.md (full runs only).
  --via-pgbouncer instead compares, in one run, list/get/create direct (prepared), direct
  with DB_PREPARED=off, and through Debian's pgbouncer (transaction mode, fewer server
  connections than workers) with DB_PREPARED=off.

CPU accounting: a tier's CPU is read from /proc/<pid>/stat of its root process (the
postmaster, nginx's master, the pool's master, pgbouncer) and every live descendant:
utime + stime + cutime + cstime, so processes that came and went during the window
(autovacuum workers, respawned workers) are counted through their parent's cutime/cstime.

Exit status: 0 ok; 1 something failed to run; 3 (full runs only) a bar was missed.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "bench")
sys.path.insert(0, BENCH_DIR)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

SCENARIOS = ["list", "get", "create", "toggle", "mix"]
# QUALITY.md's bars against the bare reference of the same run: the scenario's bare
# statement, PostgreSQL CPU per request <= factor x bare's per transaction, and req/s >=
# factor x bare tps. p99 at the constant offered rate for every scenario; 0 non-2xx.
BARE_FOR = {"list": "page", "get": "one", "create": "insert", "toggle": "toggle"}
PG_CPU_BAR = {"list": 1.3, "get": 1.3, "create": 1.5, "toggle": 1.5}
TPS_BAR = {"list": 0.4, "get": 0.4, "create": 0.6, "toggle": 0.6}
OPEN_FRACTION = 0.5  # open-loop rate: this fraction of the mix's closed-loop maximum
P99_BAR_MS = 10.0
RSS_BAR_KIB = 8 * 1024
SIZE_BAR = 1.5
JWT_SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # >= 32 bytes
BENCH_EMAIL = "bench@bench.invalid"  # every seeded user's email and every token's: no upsert write
USER_BASE = 1000000   # user k has id str(USER_BASE + k): pgbench can draw it with random()
# The pool's WORKERS for the bench. A worker has one statement in flight; writes wait for
# the WAL flush (~5 ms here), so throughput is bounded by WORKERS / fsync time: with the
# pool's default (nproc = 2) creates cannot approach pgbench -c 16. Measured sweep in
# docs/PERFORMANCE.md.
DEFAULT_WORKERS = 16
LOOKUP_EVERY = 32     # pgbench: refresh the (user, task) pair every ~32 transactions

# The very request each scenario sends (bench/api.lua sends the same).
CREATE_BODY = ('{"title":"Bench task 0-0","description":"Created by make bench: buy milk, call the bank",'
               '"priority":"high","due_at":"2026-12-24T18:00:00Z","tags":["bench","errands"]}')


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------- data

def user_id(k):
    return str(USER_BASE + k)


def task_uuid(uid, k):
    """Same as SQL md5(uid || '/' || k)::uuid: the seed and the wrk data agree without a query."""
    return str(uuid.UUID(hex=hashlib.md5(f"{uid}/{k}".encode()).hexdigest()))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_token(sub, ttl=3600):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": sub, "email": BENCH_EMAIL, "iat": now,
                                 "exp": now + ttl}, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = hmac.new(JWT_SECRET.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def seed_sql(nusers, ntasks, big_users):
    """SQL run as the owner: users, their tasks, the big users (schema `todo`), then the
    bare reference (schema `bare`) with the same rows. Only the API's task columns and
    users (id, email) are written, so a schema with other counter columns, triggers or
    indexes seeds the same way; the priority is cast to whatever type the column has."""
    task_cols = ("user_id, id, title, description, completed, priority, due_at, tags, "
                 "created_at, updated_at, completed_at")
    prio = "(array['low','medium','high'])[1 + k % 3]::" + ":prio_type"
    big = "\n".join(
        f"""insert into todo.users (id, email) values ('{uid}', '{BENCH_EMAIL}');
insert into todo.tasks ({task_cols})
select '{uid}', md5('{uid}/' || k)::uuid, 'Task ' || k || ' of a big user',
       'Description of task ' || k || ': buy milk, call the bank', k % 4 = 0,
       {prio},
       case when k % 2 = 0 then timestamptz '2026-12-01 09:00Z' + k * interval '1 minute' end,
       case k % 3 when 0 then '{{}}'::text[] when 1 then '{{home}}' else '{{home,errands}}' end,
       timestamptz '2026-01-01Z' + k * interval '1 second',
       timestamptz '2026-01-01Z' + k * interval '1 second',
       case when k % 4 = 0 then timestamptz '2026-11-02Z' end
from generate_series(1, {n}) k;"""
        for uid, n in big_users)
    return f"""\\set ON_ERROR_STOP on
set synchronous_commit = off;
select format_type(atttypid, atttypmod) as prio_type from pg_attribute
 where attrelid = 'todo.tasks'::regclass and attname = 'priority' \\gset
begin;
insert into todo.users (id, email)
select ({USER_BASE} + u)::text, '{BENCH_EMAIL}'
from generate_series(1, {nusers}) u;
insert into todo.tasks ({task_cols})
select ({USER_BASE} + u)::text, md5(({USER_BASE} + u)::text || '/' || k)::uuid,
       'Task ' || k || ' of user ' || u,
       case when k % 3 = 0 then null else 'Description of task ' || k || ': buy milk, call the bank' end,
       k % 4 = 0,
       {prio},
       case when k % 2 = 0 then timestamptz '2026-12-01 09:00Z' + k * interval '1 hour' end,
       case k % 3 when 0 then '{{}}'::text[] when 1 then '{{home}}' else '{{home,errands}}' end,
       timestamptz '2026-11-01Z' + (u * {ntasks} + k) * interval '1 second',
       timestamptz '2026-11-01Z' + (u * {ntasks} + k) * interval '1 second',
       case when k % 4 = 0 then timestamptz '2026-11-02Z' end
from generate_series(1, {nusers}) u, generate_series(1, {ntasks}) k;
{big}
-- Since sql/002 only the create statement counts tasks: a direct insert sets the
-- counters itself (meta.total, /api/me and the quota read them).
update todo.users u set task_count = c.n, completed_count = c.done
  from (select user_id, count(*) as n, count(*) filter (where completed) as done
          from todo.tasks group by user_id) c
 where u.id = c.user_id;
-- The bare reference: the minimal table a todo API needs, the same rows.
drop schema if exists bare cascade;
create schema bare;
create table bare.users as select id, email from todo.users;
alter table bare.users add primary key (id);
create table bare.tasks (like todo.tasks including defaults);
insert into bare.tasks select * from todo.tasks;
alter table bare.tasks add primary key (user_id, id),
  add foreign key (user_id) references bare.users (id);
create index on bare.tasks (user_id, created_at desc, id);
-- pgbench draws a (user, task) pair by number from here (bench only).
create table bare.ids (n int primary key, user_id text not null, id uuid not null);
insert into bare.ids
select (u - 1) * {ntasks} + k, ({USER_BASE} + u)::text, md5(({USER_BASE} + u)::text || '/' || k)::uuid
from generate_series(1, {nusers}) u, generate_series(1, {ntasks}) k;
commit;
analyze;
"""


def write_users_file(path, users):
    """users: [(uid, [task ids])] -> "<token> <id>,<id>,..." lines for bench/api.lua."""
    with open(path, "w") as f:
        for uid, ids in users:
            f.write(f"{mint_token(uid)} {','.join(ids)}\n")


# --------------------------------------------------------------------------- processes

def run(cmd, timeout, env=None, check=True, input=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, input=input)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"timed out after {timeout}s: {shlex.join(cmd)}") from e
    if check and p.returncode != 0:
        raise BenchError(f"exit {p.returncode}: {shlex.join(cmd)}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p


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


def soak_verdict(results):
    """Private (anonymous) memory of the largest worker may not grow by more than 256 KiB
    from the first sample to the last, and VmRSS must stay <= 8 MiB (QUALITY.md)."""
    samples = results.get("rss_samples") or []
    if len(samples) < 2:
        log("soak: FAILED (fewer than two RSS samples)")
        return 1
    first, last = samples[0], samples[-1]
    growth = last["anon_max_kib"] - first["anon_max_kib"]
    peak = max(s["max_kib"] for s in samples)
    ok = growth <= 256 and peak <= 8192
    log(f"soak: private memory of the largest worker {first['anon_max_kib']} -> "
        f"{last['anon_max_kib']} KiB over {last['t_s']} s (growth {growth} KiB, bar <= 256); "
        f"VmRSS peak {peak} KiB (bar <= 8192): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 3


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


# --------------------------------------------------------------------------- wrk

def wrk(url, scenario, users_file, duration, connections, threads, path=None, timeout_s=5):
    threads = max(1, min(threads, connections))
    duration = max(1, int(duration))  # wrk takes whole seconds
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout_s}s",
           "-s", os.path.join(BENCH_DIR, "api.lua"), url, "--", scenario, users_file]
    if path:
        cmd.append(path)
    p = run(cmd, timeout=duration + 60)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            r = json.loads(line[len("BENCH_JSON "):])
            r["socket_errors"] = sum(r["errors"][k] for k in ("connect", "read", "write", "timeout"))
            return r
    raise BenchError(f"wrk printed no BENCH_JSON line: {shlex.join(cmd)}\n{p.stdout}\n{p.stderr}")


# --------------------------------------------------------------------------- open loop

def openloop_path():
    """build/bench/openloop, next to the binary under test when TODO_API_BIN is set."""
    if os.environ.get("TODO_API_BIN"):
        return os.path.join(os.path.dirname(os.environ["TODO_API_BIN"]), "bench", "openloop")
    return os.path.join(ROOT, "build", "bench", "openloop")


def openloop(url, scenario, users_file, rate, duration, warmup, connections, timeout_ms=5000):
    exe = openloop_path()
    if not os.path.exists(exe):
        raise BenchError(f"{exe} is missing: build first (make build)")
    cmd = [exe, "--url", url, "--users", users_file, "--scenario", scenario, "--rate", f"{rate:.3f}",
           "--duration", f"{duration:g}", "--warmup", f"{warmup:g}", "--connections", str(connections),
           "--timeout-ms", str(timeout_ms)]
    p = run(cmd, timeout=duration + warmup + timeout_ms / 1000 + 60)
    for line in p.stdout.splitlines():
        if line.startswith("OPENLOOP_JSON "):
            return json.loads(line[len("OPENLOOP_JSON "):])
    raise BenchError(f"openloop printed no OPENLOOP_JSON line: {shlex.join(cmd)}\n{p.stdout}\n{p.stderr}")


# --------------------------------------------------------------------------- bare reference

BARE_STATEMENTS = ["page", "one", "insert", "toggle"]


def bare_scripts(columns, nusers, nids, lookup_every):
    """{name: pgbench script} of the bare reference. `columns`: bare.tasks's columns but
    user_id (what a task response carries). Parameters are pgbench variables, sent as
    parameters of the prepared statement (-M prepared), as the workers send theirs."""
    cols = ", ".join(columns)
    pick_user = f"\\set uid random({USER_BASE + 1}, {USER_BASE + nusers})"
    # A (user, task) pair from bare.ids, refreshed on ~1 transaction in `lookup_every`:
    # pgbench cannot compute the seed's md5 ids itself.
    pick_task = "\n".join([f"\\set r random(1, {lookup_every})",
                           "\\if :r = 1 or :fresh = 0",
                           f"\\set n random(1, {nids})",
                           "select user_id as uid, id as tid from bare.ids where n = :n \\gset",
                           "\\set fresh 1",
                           "\\endif"])
    toggle_set = ["completed = not completed",
                  "completed_at = case when completed then null else now() end",
                  "updated_at = now()"]
    if "version" in columns:
        toggle_set.append("version = version + 1")
    return {
        "page": f"{pick_user}\nselect {cols} from bare.tasks where user_id = :uid "
                "order by created_at desc, id limit 50;\n",
        "one": f"{pick_task}\nselect {cols} from bare.tasks where user_id = :uid and id = :tid;\n",
        "insert": f"{pick_user}\ninsert into bare.tasks (user_id, title, description, priority, due_at, tags) "
                  f"values (:uid, :title, :description, :priority, :due_at, :tags) returning {cols};\n",
        "toggle": f"{pick_task}\nupdate bare.tasks set {', '.join(toggle_set)} "
                  f"where user_id = :uid and id = :tid returning {cols};\n",
    }


# The insert's values: those of bench/api.lua's create.
BARE_DEFINES = {"title": "Bench task 0-0", "description": "Created by make bench: buy milk, call the bank",
                "priority": "high", "due_at": "2026-12-24T18:00:00Z", "tags": "{bench,errands}"}


def pgbench(dsn, script_path, defines, clients, threads, seconds):
    cmd = ["pgbench", "-M", "prepared", "-c", str(clients), "-j", str(threads), "-T", str(seconds),
           "-n", "-D", "fresh=0"]
    for k, v in defines.items():
        cmd += ["-D", f"{k}={v}"]
    cmd += ["-f", script_path, dsn]
    p = run(cmd, timeout=seconds + 60)
    out = p.stdout + p.stderr
    tps = re.search(r"^tps = ([\d.]+)", out, re.M)
    lat = re.search(r"^latency average = ([\d.]+) ms", out, re.M)
    done = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", out, re.M)
    if not tps or not done:
        raise BenchError(f"pgbench printed no tps: {shlex.join(cmd)}\n{out}")
    if failed and int(failed.group(1)) > 0:
        raise BenchError(f"pgbench: {failed.group(1)} failed transactions\n{out}")
    return {"tps": float(tps.group(1)), "transactions": int(done.group(1)),
            "latency_ms": float(lat.group(1)) if lat else None}


def bare_reference(args, st, state_dir):
    """{name: {tps, transactions, pg_cpu_us, client_cpu_us, ...}} for every bare statement,
    each after a warm-up of the same statement."""
    columns = [c for c in st.psql_lines(
        "select attname from pg_attribute where attrelid = 'bare.tasks'::regclass "
        "and attnum > 0 and not attisdropped order by attnum") if c != "user_id"]
    scripts = bare_scripts(columns, args.users, args.users * args.tasks, LOOKUP_EVERY)
    out = {}
    for name in BARE_STATEMENTS:
        path = os.path.join(state_dir, f"bare-{name}.pgbench")
        with open(path, "w") as fh:
            fh.write(scripts[name])
        defines = BARE_DEFINES if name == "insert" else {}
        log(f"bare reference: {name} (pgbench -M prepared -c {args.pgbench_clients} "
            f"-j {args.pgbench_threads}, warm-up {args.warmup:g} s, {args.duration:g} s)")
        if args.warmup:
            pgbench(st.owner_dsn, path, defines, args.pgbench_clients, args.pgbench_threads,
                    max(1, int(args.warmup)))
        cpu0 = cpu_snapshot(st.cpu_roots())
        d = pgbench(st.owner_dsn, path, defines, args.pgbench_clients, args.pgbench_threads,
                    max(1, int(round(args.duration))))
        cpu = cpu_per_request(cpu0, cpu_snapshot(st.cpu_roots()), d["transactions"])
        d.update({"pg_cpu_us": cpu["postgres"], "pg_cpu_sys_us": cpu["postgres_sys"],
                  "client_cpu_us": cpu["client"], "machine_us": cpu["machine"],
                  "other_us": cpu["other"], "script": scripts[name]})
        out[name] = d
        log(f"bare {name}: {d['tps']:.0f} tps, PostgreSQL {d['pg_cpu_us']:.0f} µs CPU per transaction")
    return out


# --------------------------------------------------------------------------- front ceiling

NGINX_OWN_HEADERS = {"server", "date", "content-length", "connection", "content-type",
                     "transfer-encoding", "keep-alive"}


def nginx_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fixed_location(name, status, headers, body):
    """An nginx location answering `return 200` with this body and these headers."""
    if "$" in body:
        body = body.replace("$", "S")  # same size; nginx would read $x as a variable
    chunks = [body[i:i + 1500] for i in range(0, len(body), 1500)] or [""]
    lines = [f"location = /bench/fixed-{name} {{",
             "  # make bench only: the front ceiling (same TLS, same headers, same body size)"]
    ctype = "application/json"
    for k, v in headers:
        lk = k.lower()
        if lk == "content-type":
            ctype = v
        elif lk == "x-request-id":
            lines.append("  add_header X-Request-Id $request_id always;")
        elif lk not in NGINX_OWN_HEADERS:
            lines.append(f"  add_header {k} {nginx_quote(v)} always;")
    lines.append(f"  default_type {nginx_quote(ctype)};")
    for i, c in enumerate(chunks):
        lines.append(f"  set $bench_{name}_{i} {nginx_quote(c)};")
    lines.append("  return 200 \"" + "".join(f"${{bench_{name}_{i}}}" for i in range(len(chunks))) + "\";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def https_request(port, method, path, token, body=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # "localhost", not 127.0.0.1: the site's default server rejects a TLS handshake
    # whose SNI is not its server_name (ssl_reject_handshake), and an IP sends none.
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, r.getheaders(), data
    finally:
        conn.close()


# --------------------------------------------------------------------------- callgrind

def callgrind_worker(st):
    pids = children_of(st.master_pid)
    if len(pids) != 1:
        raise BenchError(f"--callgrind expects one worker, found {pids}")
    return pids[0]


def callgrind_dump(st, worker, scenario, requests):
    """Dumps the worker's counters since the last zero; returns Ir per request and the
    top functions (inclusive and self), written to bench/results/callgrind/<scenario>.txt."""
    before = set(os.listdir(st.callgrind_dir))
    run(["callgrind_control", f"--dump={scenario}", str(worker)], timeout=60)
    deadline = time.time() + 30
    while True:
        new = [f for f in os.listdir(st.callgrind_dir) if f not in before and f.startswith(f"callgrind.{worker}")]
        if new or time.time() > deadline:
            break
        time.sleep(0.2)
    if not new:
        raise BenchError(f"callgrind wrote no dump for {worker}: {sorted(os.listdir(st.callgrind_dir))}")
    dump = os.path.join(st.callgrind_dir, sorted(new)[-1])
    time.sleep(0.5)  # let valgrind finish writing
    # A call in progress when the counters were zeroed shows as "calls=0"; callgrind_annotate
    # then books its inclusive cost as the caller's self cost (all of it on __libc_start_main).
    with open(dump) as f:
        text = f.read()
    with open(dump, "w") as f:
        f.write(re.sub(r"^calls=0 ", "calls=1 ", text, flags=re.M))
    incl = run(["callgrind_annotate", "--inclusive=yes", "--threshold=99.9", dump], timeout=120).stdout
    excl = run(["callgrind_annotate", "--threshold=99.9", dump], timeout=120).stdout
    total = re.search(r"^([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", incl, re.M)
    ir = int(total.group(1).replace(",", "")) if total else 0

    def top(text, n):
        body = text.split("PROGRAM TOTALS", 1)[-1]
        lines = [ln for ln in body.splitlines() if re.match(r"^\s*[\d,]+ \(", ln)]
        return lines[:n]
    out_dir = os.path.join(BENCH_DIR, "results", "callgrind")
    os.makedirs(out_dir, exist_ok=True)
    per_req = ir / requests if requests else None
    with open(os.path.join(out_dir, f"{scenario}.txt"), "w") as f:
        f.write(f"# {scenario}: {ir:,} Ir for {requests} requests = {per_req or 0:,.0f} Ir/request "
                f"(worker only; commit {git_commit()})\n\n## inclusive\n")
        f.write("\n".join(top(incl, 60)) + "\n\n## self\n" + "\n".join(top(excl, 40)) + "\n")
    shutil.copy(dump, os.path.join(out_dir, f"callgrind.out.{scenario}"))
    log(f"{scenario}: {per_req or 0:,.0f} instructions per request in the worker "
        f"(bench/results/callgrind/{scenario}.txt)")
    return {"ir": ir, "requests": requests, "ir_per_request": per_req,
            "top_self": [ln.strip() for ln in top(excl, 12)]}


# --------------------------------------------------------------------------- report

def fmt(v, spec="{:.0f}", none="–"):
    return none if v is None else spec.format(v)


def judge(row, bare):
    """QUALITY.md's bars for one scenario against the bare reference of the same run."""
    checks = []
    s = row["scenario"]
    b = (bare or {}).get(BARE_FOR.get(s))
    if b and row.get("cpu_us"):
        row["pg_ratio"] = row["cpu_us"]["postgres"] / b["pg_cpu_us"] if b["pg_cpu_us"] else None
        row["tps_ratio"] = row["rps"] / b["tps"] if b["tps"] else None
        checks.append((f"PG CPU≤{PG_CPU_BAR[s]}×bare",
                       row["pg_ratio"] is not None and row["pg_ratio"] <= PG_CPU_BAR[s]))
        checks.append((f"req/s≥{TPS_BAR[s]}×bare",
                       row["tps_ratio"] is not None and row["tps_ratio"] >= TPS_BAR[s]))
    o = row.get("open")
    if o:
        checks.append((f"open p99≤{P99_BAR_MS:g}ms", o["p99_ms"] <= P99_BAR_MS and o["completed"] > 0))
    checks.append(("0 non-2xx", row["non2xx"] == 0 and row["socket_errors"] == 0
                   and (not o or (o["non2xx"] == 0 and o["errors"] == 0))))
    if row.get("rss_max_kib") is not None:
        checks.append(("RSS≤8MiB", row["rss_max_kib"] <= RSS_BAR_KIB))
    row["bar"] = ", ".join(c for c, _ in checks)
    row["failed"] = [c for c, ok in checks if not ok]
    row["verdict"] = "PASS" if not row["failed"] else "FAIL"


def render_table(rows, bare):
    head = ["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx", "PG CPU µs/req", "bare PG µs/tx",
            "PG ÷ bare", "bare tps", "req/s ÷ bare", "open-loop rate/s", "open p50/p99/p99.9 ms",
            "RSS max MiB", "verdict"]
    body = []
    for r in rows:
        b = (bare or {}).get(BARE_FOR.get(r["scenario"])) or {}
        o = r.get("open")
        nonok = str(r["non2xx"]) + (f" (+{r['socket_errors']} sock)" if r["socket_errors"] else "")
        if o and (o["non2xx"] or o["errors"]):
            nonok += f"; open {o['non2xx']} (+{o['errors']} err)"
        verdict = r["verdict"] + ("" if not r["failed"] else " (" + ", ".join(r["failed"]) + ")")
        body.append([r["scenario"], fmt(r["rps"]), fmt(r["p50_ms"], "{:.2f}"), fmt(r["p99_ms"], "{:.2f}"),
                     nonok, fmt((r.get("cpu_us") or {}).get("postgres")), fmt(b.get("pg_cpu_us")),
                     fmt(r.get("pg_ratio"), "{:.2f}"), fmt(b.get("tps")), fmt(r.get("tps_ratio"), "{:.2f}"),
                     fmt(o and o["offered_rps"]),
                     "–" if not o else f"{o['p50_ms']:.2f} / {o['p99_ms']:.2f} / {o['p999_ms']:.2f}",
                     fmt(r.get("rss_max_kib") and r["rss_max_kib"] / 1024, "{:.1f}"), verdict])
    return head, body


def bare_table(bare):
    head = ["bare statement", "tps", "PG CPU µs/tx (kernel)", "pgbench CPU µs/tx", "latency avg ms",
            "transactions"]
    body = [[name, fmt(d["tps"]), f"{d['pg_cpu_us']:.0f} ({d['pg_cpu_sys_us']:.0f})",
             fmt(d["client_cpu_us"]), fmt(d["latency_ms"], "{:.2f}"), d["transactions"]]
            for name, d in bare.items()]
    return head, body


def open_table(rows):
    head = ["open loop", "offered/s", "achieved/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms",
            "non-2xx", "errors", "send lag p99 ms", "new conns", "PG CPU µs/req", "workers µs/req",
            "nginx µs/req", "openloop µs/req"]
    body = []
    for r in rows:
        o = r.get("open")
        if not o:
            continue
        c = o.get("cpu_us") or {}
        body.append([r["scenario"], fmt(o["offered_rps"]), fmt(o["rps"]), fmt(o["p50_ms"], "{:.2f}"),
                     fmt(o["p99_ms"], "{:.2f}"), fmt(o["p999_ms"], "{:.2f}"), fmt(o["max_ms"], "{:.1f}"),
                     o["non2xx"], o["errors"], fmt(o["send_lag_p99_us"] / 1000, "{:.2f}"),
                     o["new_connections"], fmt(c.get("postgres")), fmt(c.get("workers")),
                     fmt(c.get("nginx")), fmt(c.get("client"))])
    return head, body


def pooler_table(rows):
    head = ["connection", "scenario", "req/s", "p99 ms", "non-2xx", "PG CPU µs/req", "pgbouncer µs/req",
            "workers µs/req", "req/s ÷ direct", "PG CPU ÷ direct", "server conns"]
    direct = {r["scenario"]: r for r in rows if r["config"] == "direct"}
    body = []
    for r in rows:
        d = direct.get(r["scenario"])
        c = r["cpu_us"]
        body.append([r["config"], r["scenario"], fmt(r["rps"]), fmt(r["p99_ms"], "{:.2f}"),
                     r["non2xx"] + r["socket_errors"], fmt(c["postgres"]), fmt(c.get("pgbouncer")),
                     fmt(c["workers"]),
                     fmt(d and d["rps"] and r["rps"] / d["rps"], "{:.2f}"),
                     fmt(d and d["cpu_us"]["postgres"] and c["postgres"] / d["cpu_us"]["postgres"], "{:.2f}"),
                     r.get("server_connections", "–")])
    return head, body


def markdown_table(head, body):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(out)


def text_table(head, body):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in body])


def size_table(size_rows):
    head = ["tasks of the user", "req/s (1 conn)", "p50 ms", "p99 ms", "non-2xx"]
    body = [[f"{r['tasks']:,}", fmt(r["rps"]), fmt(r["p50_ms"], "{:.2f}"), fmt(r["p99_ms"], "{:.2f}"),
             r["non2xx"]] for r in size_rows]
    return head, body


# --------------------------------------------------------------------------- the stack

class BenchStack:
    """The stack of tests/integration/stack.py (reused as is), plus what the bench needs:
    a rate limit nobody trips, a known JWT secret, and an `include` in the rendered
    TLS server for the front-ceiling locations (the shipped file is not touched)."""

    def __init__(self, args, state_dir):
        self.args = args
        self.state_dir = state_dir
        self.stack = None
        self.pgbouncer = None
        self.include = os.path.join(state_dir, "bench-locations.conf")

    def start(self):
        try:
            import stack as stack_mod  # tests/integration/stack.py
        except ImportError as e:
            raise BenchError(f"tests/integration/stack.py is needed: {e}") from e
        include = self.include
        keepalive = self.args.fcgi_keepalive
        site_replace = [r.split("=>", 1) for r in self.args.site_replace]
        open(include, "w").close()

        class _Stack(stack_mod.Stack):
            def render_nginx(self):
                prefix, conf = super().render_nginx()
                site = os.path.join(prefix, "todo-api.conf")
                with open(site) as f:
                    text = f.read()
                anchor = "    location /api/ {"
                if text.count(anchor) != 1:
                    raise BenchError(f"{site}: cannot find {anchor.strip()!r} to add the bench locations")
                text = text.replace(anchor, f"    include {include};  # make bench: front ceiling\n\n{anchor}")
                for old, new in site_replace:  # --site-replace: tuning experiments
                    if text.count(old) != 1:
                        raise BenchError(f"{site}: --site-replace: {old!r} found {text.count(old)} times")
                    text = text.replace(old, new)
                if keepalive:  # --fcgi-keepalive: measure FastCGI keep-conn (not what ships)
                    for old, new in (("fastcgi_keep_conn off;", "fastcgi_keep_conn on;"),
                                     ("upstream todo_api {", f"upstream todo_api {{\n    keepalive {keepalive};")):
                        if text.count(old) != 1:
                            raise BenchError(f"{site}: cannot find {old!r} for --fcgi-keepalive")
                        text = text.replace(old, new)
                with open(site, "w") as f:
                    f.write(text)
                return prefix, conf

        kw = {"workers": self.args.workers,
              "rate_limit": ("1000000r/s", 1000000),
              "jwt_secret": JWT_SECRET,
              "nginx_workers": self.args.nginx_workers,
              "env": {"LOG_LEVEL": "warn"}}
        if self.args.callgrind:
            kw["binary"] = self._callgrind_wrapper(stack_mod.BIN)
        self.stack = _Stack(**kw)
        try:
            self.stack.start()
        except BenchError:
            raise
        except Exception as e:  # noqa: BLE001 - report any start failure as one line
            raise BenchError(f"the stack did not start: {e}") from e
        self.port = self.stack.https_port
        self.workers = kw["workers"]
        self.app_dsn = self.stack.database_url()
        self.nginx_conf = os.path.join(self.stack.dir, "nginx", "nginx.conf")

    def _callgrind_wrapper(self, binary):
        """`todo-api serve` under callgrind (the forked worker inherits it); other
        subcommands (migrate) run as they are."""
        self.callgrind_dir = os.path.join(self.state_dir, "callgrind")
        os.makedirs(self.callgrind_dir, exist_ok=True)
        path = os.path.join(self.state_dir, "todo-api-callgrind")
        with open(path, "w") as f:
            f.write(f"""#!/bin/sh
if [ "$1" = serve ]; then
  exec valgrind --tool=callgrind --trace-children=yes --compress-strings=no --compress-pos=no --callgrind-out-file={self.callgrind_dir}/callgrind.%p {binary} "$@"
fi
exec {binary} "$@"
""")
        os.chmod(path, 0o755)
        return path

    @property
    def master_pid(self):
        return self.stack.pool_pid

    def owner_sql(self, sql, timeout):
        try:
            self.stack.psql(sql, user=self._owner_role(), timeout=timeout)
        except Exception as e:  # noqa: BLE001
            raise BenchError(f"seeding failed: {e}") from e

    def psql_lines(self, sql):
        return [ln for ln in self.stack.psql(sql, user=self._owner_role()).splitlines() if ln]

    @property
    def owner_dsn(self):
        return self.stack.database_url(self._owner_role())

    def cpu_roots(self):
        """The root process of each server tier, for cpu_snapshot()."""
        roots = {"postgres": self.stack.pg.proc.pid if self.stack.pg and self.stack.pg.proc else None,
                 "nginx": self.stack.nginx_proc.pid if self.stack.nginx_proc else None,
                 "workers": self.stack.pool_pid}
        if self.pgbouncer is not None:
            roots["pgbouncer"] = self.pgbouncer.pid
        return roots

    def _owner_role(self):
        import stack as stack_mod
        return stack_mod.OWNER_ROLE

    def _app_role(self):
        import stack as stack_mod
        return stack_mod.APP_ROLE

    def restart_pool(self, env=None):
        """The pool again with these extra variables (None: as started)."""
        try:
            self.stack.restart_pool(env)
        except Exception as e:  # noqa: BLE001
            raise BenchError(f"the pool did not restart with {env}: {e}") from e

    def start_pgbouncer(self, server_connections):
        """Debian's pgbouncer in front of the cluster: transaction pooling, at most
        `server_connections` connections to PostgreSQL, a unix socket only. Runs as the
        cluster's user (pgbouncer refuses root). Returns the DATABASE_URL for the pool."""
        import stack as stack_mod
        exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(exe):
            raise BenchError("pgbouncer is not installed (make deps)")
        pg = self.stack.pg
        d = self.stack.path("pgbouncer")  # the stack's dir: reachable by the cluster's user
        os.makedirs(d, exist_ok=True)
        port = stack_mod.free_port()
        with open(os.path.join(d, "userlist.txt"), "w") as f:
            f.write(f'"{self._app_role()}" ""\n')
        with open(os.path.join(d, "pgbouncer.ini"), "w") as f:
            f.write(f"""[databases]
{stack_mod.DB_NAME} = host={pg.sockdir} port={pg.port} dbname={stack_mod.DB_NAME}

[pgbouncer]
listen_addr =
listen_port = {port}
unix_socket_dir = {d}
auth_type = trust
auth_file = {d}/userlist.txt
pool_mode = transaction
default_pool_size = {server_connections}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_db_connections = {server_connections}
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {d}/pgbouncer.log
log_connections = 0
log_disconnections = 0
""")
        for name in os.listdir(d):
            pg.chown(os.path.join(d, name))
        pg.chown(d)
        log_f = open(os.path.join(d, "stderr.log"), "ab")
        self.pgbouncer = subprocess.Popen([exe, os.path.join(d, "pgbouncer.ini")], stdin=subprocess.DEVNULL,
                                          stdout=log_f, stderr=log_f, start_new_session=True,
                                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                          **pg._as_pg_user())
        log_f.close()
        sock = os.path.join(d, f".s.PGSQL.{port}")
        deadline = time.time() + 10
        while not os.path.exists(sock):
            if self.pgbouncer.poll() is not None or time.time() > deadline:
                tail = open(os.path.join(d, "stderr.log")).read()[-2000:] + \
                    (open(os.path.join(d, "pgbouncer.log")).read()[-2000:]
                     if os.path.exists(os.path.join(d, "pgbouncer.log")) else "")
                raise BenchError(f"pgbouncer did not start:\n{tail}")
            time.sleep(0.05)
        self.pgbouncer_dsn = (f"host={d} port={port} dbname={stack_mod.DB_NAME} "
                              f"user={self._app_role()}")
        return self.pgbouncer_dsn

    def stop_pgbouncer(self):
        proc, self.pgbouncer = self.pgbouncer, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def add_nginx_locations(self, text):
        with open(self.include, "w") as f:
            f.write(text)
        p = run(self.stack.nginx_command("-s", "reload"), timeout=30, check=False)
        if p.returncode != 0:
            raise BenchError(f"nginx reload with the bench locations failed:\n{p.stderr}\n{text[:2000]}")
        # The reload is asynchronous: wait until the new workers answer.
        names = re.findall(r"location = /bench/fixed-(\w+)", text)
        deadline = time.time() + 10
        while names:
            try:
                status, _, _ = https_request(self.port, "GET", f"/bench/fixed-{names[0]}", "x")
                if status == 200:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise BenchError("nginx did not serve the bench locations within 10 s")
            time.sleep(0.1)

    def stop(self):
        self.stop_pgbouncer()
        if self.stack is not None:
            self.stack.stop()
            self.stack = None


# --------------------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="every code path of the harness in well under a minute, no bar judged: tiny "
                         "data, 1 s runs, 1 connection, the front ceiling of get only, the pooler "
                         "comparison of get")
    ap.add_argument("--duration", type=int, help="seconds per measured run (default 10; smoke 1)")
    ap.add_argument("--warmup", type=int, help="warm-up seconds before each scenario (default 3; smoke 0)")
    ap.add_argument("--connections", type=int, help="wrk connections (default 32; smoke 1)")
    ap.add_argument("--threads", type=int, help="wrk threads (default 2; smoke 1)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help=f"comma-separated subset of {','.join(SCENARIOS)} (default all)")
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                    help=f"WORKERS of the pool (default {DEFAULT_WORKERS}: as many statements in flight "
                         "as the database ceiling's pgbench -c 16; see docs/PERFORMANCE.md)")
    ap.add_argument("--fcgi-keepalive", type=int, default=0, metavar="K",
                    help="render the site with fastcgi_keep_conn on and `keepalive K` in the upstream "
                         "(a measurement: the shipped site has keep-conn off; keep K x nginx workers < WORKERS)")
    ap.add_argument("--site-replace", action="append", default=[], metavar="OLD=>NEW",
                    help="a tuning experiment: replace this exact text (found once) in the rendered "
                         "site, e.g. 'todo-api.access.log;=>todo-api.access.log buffer=64k;' (repeatable)")
    ap.add_argument("--nginx-workers", default="auto",
                    help="nginx worker_processes (default auto, as Debian's nginx.conf)")
    ap.add_argument("--users", type=int, help="users (default 1000; smoke 20)")
    ap.add_argument("--tasks", type=int, help="tasks per user (default 50; smoke 5)")
    ap.add_argument("--sizes", help="data-size check: tasks of the big users, comma-separated "
                                    "(default 10000,100000; smoke 200,1000; 'none' skips it)")
    ap.add_argument("--size-duration", type=int, help="seconds per data-size run (default 3; smoke 1)")
    ap.add_argument("--pgbench-clients", type=int, default=16)
    ap.add_argument("--pgbench-threads", type=int, default=2)
    ap.add_argument("--no-ceilings", action="store_true",
                    help="skip the bare reference (pgbench) and the front ceiling (nginx return 200)")
    ap.add_argument("--open-duration", type=float,
                    help="seconds of each open-loop run (default: --duration)")
    ap.add_argument("--open-warmup", type=float,
                    help="warm-up seconds of each open-loop run, at the same rate (default 2; smoke 0.2)")
    ap.add_argument("--open-rate", type=float,
                    help=f"fixed open-loop offered rate in req/s (default: {OPEN_FRACTION} x the mix's "
                         "closed-loop req/s of this run)")
    ap.add_argument("--no-open-loop", action="store_true", help="skip the open-loop runs")
    ap.add_argument("--via-pgbouncer", action="store_true",
                    help="instead of the bars: list, get and create direct (prepared statements), "
                         "direct with DB_PREPARED=off, and through pgbouncer (transaction mode, "
                         "WORKERS/2 server connections) with DB_PREPARED=off, in one run")
    ap.add_argument("--callgrind", action="store_true",
                    help="profile instead: WORKERS=1 under valgrind --tool=callgrind, no ceilings; per "
                         "scenario the worker's instructions per request and its top functions "
                         "(bench/results/callgrind/)")
    ap.add_argument("--jwt", action="store_true", help="also run build/bench/jwt_bench if it was built")
    ap.add_argument("--keep", action="store_true", help="leave the stack running at the end")
    ap.add_argument("--soak", type=int, metavar="SECONDS",
                    help="memory soak: the mix scenario for SECONDS with the workers' RSS sampled "
                         "every minute; fails if a worker's private memory grows")
    ap.add_argument("--state-dir", help="where the stack lives (default: a fresh temporary directory)")
    ap.add_argument("--no-record", action="store_true",
                    help="don't append to bench/results/history.jsonl nor rewrite docs/PERFORMANCE.md")
    a = ap.parse_args(argv)
    smoke = a.smoke
    a.duration = a.duration if a.duration is not None else (1 if smoke else 10)
    a.warmup = a.warmup if a.warmup is not None else (0 if smoke else 3)
    a.connections = a.connections or (1 if smoke or a.callgrind else 32)
    a.threads = a.threads or (1 if smoke else 2)
    a.users = a.users or (20 if smoke else 1000)
    a.tasks = a.tasks or (5 if smoke else 50)
    a.size_duration = a.size_duration if a.size_duration is not None else (1 if smoke else 3)
    a.open_duration = a.open_duration if a.open_duration is not None else (0.5 if smoke else a.duration)
    a.open_warmup = a.open_warmup if a.open_warmup is not None else (0.2 if smoke else 2)
    if a.via_pgbouncer and a.scenarios == ",".join(SCENARIOS):
        a.scenarios = "list,get,create"
    if smoke:
        a.pgbench_clients, a.pgbench_threads = 2, 1
    if smoke and a.workers == DEFAULT_WORKERS:
        a.workers = 2
    if a.callgrind:
        a.workers, a.no_ceilings, a.no_record, a.no_open_loop = 1, True, True, True
        a.connections = a.connections if a.connections and a.connections > 0 else 1
        if a.sizes is None:
            a.sizes = "none"
    if a.soak:
        a.scenarios, a.duration, a.no_ceilings, a.no_record, a.sizes = "mix", a.soak, True, True, "none"
        a.no_open_loop = True
    if a.via_pgbouncer:
        a.sizes, a.no_open_loop = "none", True
    sizes = a.sizes or ("200,1000" if smoke else "10000,100000")
    a.sizes = [] if sizes == "none" else [int(x) for x in sizes.split(",")]
    a.scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    for s in a.scenarios:
        if s not in SCENARIOS:
            ap.error(f"--scenarios: unknown scenario {s!r} (known: {', '.join(SCENARIOS)})")
    if a.via_pgbouncer and "mix" in a.scenarios:
        ap.error("--via-pgbouncer compares list, get, create and toggle")
    if a.duration <= 0 or a.connections < 1:
        ap.error("--duration and --connections must be positive")
    return a


def sample_request(port, scenario, uid, tid):
    """One real request of the scenario: (status, headers, body) for the front ceiling."""
    token = mint_token(uid)
    if scenario in ("list", "mix"):
        return https_request(port, "GET", "/api/tasks", token)
    if scenario == "get":
        return https_request(port, "GET", f"/api/tasks/{tid}", token)
    if scenario == "create":
        return https_request(port, "POST", "/api/tasks", token, CREATE_BODY)
    if scenario == "toggle":
        return https_request(port, "PATCH", f"/api/tasks/{tid}/complete", token)
    raise ValueError(scenario)


def measure(st, fn, count_key="requests"):
    """Runs fn() between two CPU snapshots; returns (its result, CPU µs per request)."""
    cpu0 = cpu_snapshot(st.cpu_roots())
    r = fn()
    return r, cpu_per_request(cpu0, cpu_snapshot(st.cpu_roots()), r[count_key])


def pooler_compare(args, st, url, users_file, results):
    """list/get/create direct (prepared), direct with DB_PREPARED=off, and through pgbouncer
    (transaction mode, fewer server connections than workers) with DB_PREPARED=off."""
    server_connections = max(1, st.workers // 2)
    configs = [("direct", None), ("direct, DB_PREPARED=off", {"DB_PREPARED": "off"}),
               ("pgbouncer, DB_PREPARED=off", "pgbouncer")]
    scenarios = [sc for sc in args.scenarios if sc != "mix"] if not args.smoke else ["get"]
    rows = []
    try:
        for name, env in configs:
            if env == "pgbouncer":
                env = {"DB_PREPARED": "off", "DATABASE_URL": st.start_pgbouncer(server_connections)}
            if rows or env is not None:  # the stack's pool is already the direct one
                log(f"pooler comparison: {name}: restarting the pool")
                st.restart_pool(env)
            for sc in scenarios:
                if args.warmup:
                    wrk(url, sc, users_file, args.warmup, args.connections, args.threads)
                r, cpu = measure(st, lambda: wrk(url, sc, users_file, args.duration, args.connections,
                                                 args.threads))
                row = {"config": name, "scenario": sc, "rps": r["rps"], "p99_ms": r["p99_us"] / 1000,
                       "non2xx": r["non2xx"], "socket_errors": r["socket_errors"],
                       "requests": r["requests"], "cpu_us": cpu}
                # Proof that the pooler multiplexes: the cluster's connections of the app role.
                row["server_connections"] = int(st.psql_lines(
                    f"select count(*) from pg_stat_activity where usename = '{st._app_role()}'")[0])
                rows.append(row)
                log(f"{name} {sc}: {r['rps']:.0f} req/s, PostgreSQL {cpu['postgres']:.0f} µs/request, "
                    f"{row['server_connections']} server connections, non-2xx {r['non2xx']}")
    finally:
        st.restart_pool(None)
        st.stop_pgbouncer()
    results["pooler"] = rows
    results["pooler_server_connections"] = server_connections


def open_rate(args, rows):
    """The constant offered rate: --open-rate, else OPEN_FRACTION x the mix's closed-loop
    req/s (the slowest measured scenario's when the mix was not run)."""
    if args.open_rate:
        return args.open_rate
    by = {r["scenario"]: r["rps"] for r in rows if r.get("rps")}
    base = by.get("mix") or (min(by.values()) if by else None)
    if not base:
        raise BenchError("no closed-loop maximum to derive the open-loop rate from")
    return OPEN_FRACTION * base


def bench(args, st, state_dir, results):
    """Runs everything against a started BenchStack `st`; fills `results`."""
    port = st.port
    url = f"https://localhost:{port}"  # SNI = the site's server_name (see https_request)

    # Seed.
    big_users = [(f"size-{n}", n) for n in args.sizes]
    t0 = time.time()
    log(f"seeding {args.users} users x {args.tasks} tasks"
        + (f" + users with {', '.join(str(n) for n in args.sizes)} tasks" if args.sizes else "")
        + " (schema todo), and the bare reference (schema bare)")
    st.owner_sql(seed_sql(args.users, args.tasks, big_users), timeout=600)
    results["seed_seconds"] = round(time.time() - t0, 1)

    users = [(user_id(u), [task_uuid(user_id(u), k) for k in range(1, args.tasks + 1)])
             for u in range(1, args.users + 1)]
    users_file = os.path.join(state_dir, "users.txt")
    write_users_file(users_file, users)
    sample_uid, sample_ids = users[0]

    if args.via_pgbouncer or args.smoke:
        pooler_compare(args, st, url, users_file, results)
        if args.via_pgbouncer:
            return

    # The bare reference.
    bare = {} if args.no_ceilings else bare_reference(args, st, state_dir)
    results["bare"] = bare

    # Front-ceiling locations: one per scenario, from a real response of that scenario.
    if not args.no_ceilings:
        snippets = []
        for sc in args.scenarios:
            if sc == "mix":
                continue
            status, headers, body = sample_request(port, sc, sample_uid, sample_ids[1])
            if status // 100 != 2:
                raise BenchError(f"sample {sc} request answered {status}: {body[:300]!r}")
            results.setdefault("body_bytes", {})[sc] = len(body)
            snippets.append(fixed_location(sc, status, headers, body.decode("utf-8", "replace")))
        st.add_nginx_locations("".join(snippets))

    # Closed loop: each scenario's maximum.
    rows = []
    for sc in args.scenarios:
        row = {"scenario": sc}
        if not args.no_ceilings and sc != "mix" and (sc == "get" or not args.smoke):
            log(f"{sc}: front ceiling (nginx return 200, {results['body_bytes'][sc]} B)")
            if args.warmup:
                wrk(url, "fixed", users_file, args.warmup, args.connections, args.threads,
                    path=f"/bench/fixed-{sc}")
            f = wrk(url, "fixed", users_file, args.duration, args.connections, args.threads,
                    path=f"/bench/fixed-{sc}")
            if f["non2xx"] or f["requests"] == 0:
                raise BenchError(f"front ceiling of {sc}: {f['statuses']}")
            row["front_ceiling"] = f["rps"]
        log(f"{sc}: endpoint (wrk -c{args.connections}, warm-up {args.warmup:g} s, {args.duration:g} s)")
        if args.warmup:
            wrk(url, sc, users_file, args.warmup, args.connections, args.threads)
        if args.callgrind:
            worker = callgrind_worker(st)
            run(["callgrind_control", "--zero", str(worker)], timeout=60)
        sampler = RssSampler(st.master_pid, 60 if args.soak else None)
        with sampler:
            r, row["cpu_us"] = measure(st, lambda: wrk(url, sc, users_file, args.duration,
                                                       args.connections, args.threads))
        if sampler.samples:
            results["rss_samples"] = sampler.samples
        if args.callgrind:
            row["callgrind"] = callgrind_dump(st, worker, sc, r["requests"])
        row.update({"rps": r["rps"], "requests": r["requests"], "p50_ms": r["p50_us"] / 1000,
                    "p99_ms": r["p99_us"] / 1000, "non2xx": r["non2xx"], "statuses": r["statuses"],
                    "socket_errors": r["socket_errors"]})
        rss = workers_rss(st.master_pid)
        if rss:
            row.update({"rss_sum_kib": rss["sum_kib"], "rss_max_kib": rss["max_kib"],
                        "rss_anon_max_kib": rss["anon_max_kib"], "workers": rss["workers"]})
        if row.get("front_ceiling"):
            row["ratio_front"] = row["rps"] / row["front_ceiling"]
        rows.append(row)
        log(f"{sc}: {row['rps']:.0f} req/s, PostgreSQL {row['cpu_us']['postgres']:.0f} µs CPU/request, "
            f"non-2xx {row['non2xx']}")
    results["rows"] = rows

    # Open loop: every scenario at one constant offered rate, latency from the intended send time.
    if not args.no_open_loop:
        rate = open_rate(args, rows)
        results["open_rate"] = rate
        for row in rows:
            sc = row["scenario"]
            log(f"{sc}: open loop at {rate:.0f} req/s ({args.open_warmup:g} s warm-up, "
                f"{args.open_duration:g} s)")
            o, cpu = measure(st, lambda: openloop(url, sc, users_file, rate, args.open_duration,
                                                  args.open_warmup, args.connections),
                             "completed_all")  # the CPU window holds the warm-up too
            o.update({"cpu_us": cpu, **{k.replace("_us", "_ms"): o[k] / 1000
                                        for k in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")}})
            row["open"] = o
            log(f"{sc}: open loop {o['rps']:.0f} req/s, p50 {o['p50_ms']:.2f} / p99 {o['p99_ms']:.2f} / "
                f"p99.9 {o['p999_ms']:.2f} ms, non-2xx {o['non2xx']}, errors {o['errors']}")
    for row in rows:
        judge(row, bare)

    # Data size: default-page latency for one user with 50 / 10k / 100k tasks, 1 connection.
    # The sizes are measured in interleaved 1 s rounds (median of the rounds), so that a
    # burst of noise on the shared machine does not land on one size only.
    if args.sizes:
        sizes = [(sample_uid, args.tasks)] + big_users
        files = {}
        for uid, n in sizes:
            files[n] = os.path.join(state_dir, f"size-{n}.txt")
            write_users_file(files[n], [(uid, [])])
            if not args.smoke:
                wrk(url, "list", files[n], 1, 1, 1)  # warm-up
        rounds = {n: [] for _, n in sizes}
        log(f"data size: default page of users with {', '.join(str(n) for _, n in sizes)} tasks "
            f"({args.size_duration} x 1 s each, 1 connection)")
        for _ in range(max(1, args.size_duration)):
            for _, n in sizes:
                rounds[n].append(wrk(url, "list", files[n], 1, 1, 1))
        med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        size_rows = []
        for _, n in sizes:
            rs = rounds[n]
            size_rows.append({"tasks": n, "rps": med([r["rps"] for r in rs]),
                              "p50_ms": med([r["p50_us"] for r in rs]) / 1000,
                              "p99_ms": med([r["p99_us"] for r in rs]) / 1000,
                              "non2xx": sum(r["non2xx"] + r["socket_errors"] for r in rs),
                              "requests": sum(r["requests"] for r in rs)})
        results["size_rows"] = size_rows
        base, top = size_rows[0], size_rows[-1]
        results["size_ratio_p50"] = top["p50_ms"] / base["p50_ms"] if base["p50_ms"] else None
        results["size_ratio_p99"] = top["p99_ms"] / base["p99_ms"] if base["p99_ms"] else None
        results["size_verdict"] = ("PASS" if results["size_ratio_p50"] is not None
                                   and results["size_ratio_p50"] <= SIZE_BAR
                                   and all(r["non2xx"] == 0 for r in size_rows) else "FAIL")

    # HOT updates (issue #9): the toggles of the whole run, the app's table beside bare's.
    # Backends report their counters when idle (at most ~1 s late): read last.
    if any(r["scenario"] in ("toggle", "mix") for r in rows):
        results["hot"] = {}
        for line in st.psql_lines("select schemaname || '.' || relname, n_tup_upd, n_tup_hot_upd "
                                  "from pg_stat_user_tables where relname = 'tasks' "
                                  "and schemaname in ('todo', 'bare') order by 1"):
            name, upd, hot = line.split("|")
            results["hot"][name] = {"n_tup_upd": int(upd), "n_tup_hot_upd": int(hot)}

    if args.jwt:
        exe = os.path.join(ROOT, "build", "bench", "jwt_bench")
        if os.path.exists(exe):
            log("jwt_bench")
            p = run([exe, "--benchmark_min_time=0.2"], timeout=300)
            results["jwt_bench"] = p.stdout
        else:
            results["jwt_bench"] = f"(not built: {exe})"


def cpu_table(rows):
    head = ["CPU µs/request (of which kernel)", "wrk", "nginx", "workers", "postgres", "irq+softirq",
            "steal", "other processes", "machine busy", "front ceiling/s", "req/s ÷ front"]
    body = [[r["scenario"]] + [f"{r['cpu_us'][k]:.0f} ({r['cpu_us'][k + '_sys']:.0f})" for k in
                               ("client", "nginx", "workers", "postgres")]
            + [fmt(r["cpu_us"][k], "{:.0f}") for k in ("irq", "steal", "other", "machine")]
            + [fmt(r.get("front_ceiling")), fmt(r.get("ratio_front"), "{:.2f}")]
            for r in rows if r.get("cpu_us")]
    return head, body


def size_summary(results):
    return (f"data size: default page p50 with {results['size_rows'][-1]['tasks']:,} / "
            f"{results['size_rows'][0]['tasks']:,} tasks = {fmt(results['size_ratio_p50'], '{:.2f}')} "
            f"(p99 {fmt(results['size_ratio_p99'], '{:.2f}')}); bar ≤ {SIZE_BAR}: {results['size_verdict']}")


def sections(results):
    """[(title, head, body, note)]: the tables of a run, for the terminal and the doc."""
    rows = results.get("rows", [])
    bare = results.get("bare") or {}
    out = []
    if rows:
        out.append(("Scenarios: closed loop (wrk), bare reference, open loop, bars",
                    *render_table(rows, bare), None))
    if bare:
        out.append(("Bare reference (pgbench -M prepared on schema bare)", *bare_table(bare), None))
    if any(r.get("cpu_us") for r in rows):
        out.append(("CPU per request of each tier, closed loop", *cpu_table(rows), None))
    if any(r.get("open") for r in rows):
        out.append((f"Open loop at {fmt(results.get('open_rate'))} req/s (latency from the intended send time)",
                    *open_table(rows), None))
    if results.get("size_rows"):
        out.append(("Data size: default page (GET /api/tasks) of one user",
                    *size_table(results["size_rows"]), size_summary(results)))
    if results.get("hot"):
        out.append(("HOT updates over the run (pg_stat_user_tables)",
                    ["table", "n_tup_upd", "n_tup_hot_upd", "HOT share"],
                    [[name, h["n_tup_upd"], h["n_tup_hot_upd"],
                      fmt(h["n_tup_upd"] and h["n_tup_hot_upd"] / h["n_tup_upd"], "{:.0%}")]
                     for name, h in results["hot"].items()], None))
    if results.get("pooler"):
        out.append((f"Pooler and DB_PREPARED=off against a direct connection (WORKERS={results.get('workers')}, "
                    f"pgbouncer transaction mode, {results.get('pooler_server_connections')} server connections)",
                    *pooler_table(results["pooler"]), None))
    return out


def report(args, results, machine, commit):
    out = []
    for title, head, body, note in sections(results):
        out += ["", f"== {title}", text_table(head, body)] + ([note] if note else [])
    for r in results.get("rows", []):
        if r.get("callgrind"):
            c = r["callgrind"]
            out += ["", f"callgrind {r['scenario']}: {c['ir_per_request'] or 0:,.0f} Ir/request "
                        f"({c['requests']} requests); top self cost:"] + ["  " + ln for ln in c["top_self"]]
    if results.get("jwt_bench"):
        out += ["", results["jwt_bench"].rstrip()]
    out.append("")
    out.append(f"machine: {machine['nproc']} CPUs, {machine['cpu']}, kernel {machine['kernel']}, "
               f"load at start {' '.join(machine['loadavg_start'])}; commit {commit}; "
               f"wrk -t{min(args.threads, args.connections)} -c{args.connections} -d{args.duration:g}s "
               f"(warm-up {args.warmup:g} s); pgbench -M prepared -c {args.pgbench_clients} "
               f"-j {args.pgbench_threads} -T {max(1, int(round(args.duration)))}; "
               + ("" if args.no_open_loop else f"openloop -c {args.connections} {args.open_duration:g} s "
                  f"(warm-up {args.open_warmup:g} s); ")
               + f"WORKERS={results.get('workers', 'default')}")
    print("\n".join(out), flush=True)
    return out


def record(args, results, machine, commit, doc=True):
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"duration": args.duration, "warmup": args.warmup, "connections": args.connections,
              "threads": args.threads, "users": args.users, "tasks": args.tasks,
              "workers": results.get("workers"), "pgbench_clients": args.pgbench_clients,
              "open_rate": results.get("open_rate"), "open_duration": args.open_duration}
    base = {"ts": ts, "commit": commit, "machine": machine, "params": params}
    rnd = lambda d: {k: (round(v, 3) if isinstance(v, float) else rnd(v) if isinstance(v, dict) else v)  # noqa: E731
                     for k, v in d.items()}
    lines = [{**base, **rnd(r)} for r in results.get("rows", [])]
    if results.get("bare"):
        lines.append({**base, "scenario": "bare",
                      "bare": {k: rnd({x: y for x, y in v.items() if x != "script"})
                               for k, v in results["bare"].items()}})
    if results.get("size_rows"):
        lines.append({**base, "scenario": "data-size", "sizes": results["size_rows"],
                      "ratio_p50": results["size_ratio_p50"], "ratio_p99": results["size_ratio_p99"],
                      "verdict": results["size_verdict"]})
    lines += [{**base, "scenario": "pooler", **rnd(r)} for r in results.get("pooler", [])]
    os.makedirs(os.path.join(BENCH_DIR, "results"), exist_ok=True)
    with open(os.path.join(BENCH_DIR, "results", "history.jsonl"), "a") as f:
        for rec in lines:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if doc:
        write_performance_md(args, results, machine, commit, ts)


def write_performance_md(args, results, machine, commit, ts):
    parts = [
        "# todo-api — performance",
        "",
        "The bars are in `../shared/spec/QUALITY.md` (\"Performance\"); `make bench` measures them. "
        "Everything above the notes is rewritten by every full `make bench` run; every run is also "
        "appended to `bench/results/history.jsonl`. How each number is computed, and the exact "
        "commands, are in the notes below.",
        "",
        f"## Latest run ({ts}, commit `{commit}`)",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['mem_mib']} MiB, "
        f"kernel {machine['kernel']}; load average at start {' '.join(machine['loadavg_start'])}. "
        f"The machine is shared and noisy: judge ratios to the same run's references.",
        "",
        f"Pool: WORKERS={results.get('workers')}; nginx: worker_processes {args.nginx_workers}, FastCGI "
        + (f"keep-conn on (keepalive {args.fcgi_keepalive})" if args.fcgi_keepalive else "keep-conn off (as shipped)")
        + (f"; site edits: {args.site_replace}" if args.site_replace else "")
        + f". wrk -t{min(args.threads, args.connections)} -c{args.connections} -d{args.duration:g}s after a "
        f"{args.warmup:g} s warm-up; pgbench -M prepared -c {args.pgbench_clients} -j {args.pgbench_threads} "
        f"-T {max(1, int(round(args.duration)))} after the same warm-up; openloop with {args.connections} "
        f"connections, {args.open_duration:g} s after {args.open_warmup:g} s at the same rate; "
        f"{args.users:,} users × {args.tasks} tasks.",
        "",
    ]
    for title, head, body, note in sections(results):
        parts += [f"### {title}", "", markdown_table(head, body), ""] + ([note, ""] if note else [])
    path = os.path.join(ROOT, "docs", "PERFORMANCE.md")
    notes = ""
    if os.path.exists(path):
        old = open(path).read()
        m = re.search(r"<!-- notes -->.*", old, re.S)
        if m:
            notes = m.group(0)
    if not notes:
        notes = ("<!-- notes -->\n## Notes (kept across runs)\n\nFindings and tuning measurements "
                 "are kept below this line; `make bench` rewrites only what is above it.\n")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n" + notes)


def verdict(args, results):
    """Exit status for a finished run (report already printed)."""
    rows = results.get("rows", [])
    if args.smoke:
        # No bar is judged; every part of the harness must have produced its numbers.
        bad = [r["scenario"] for r in rows if r["requests"] == 0 or r["non2xx"] or r["socket_errors"]
               or r["cpu_us"]["postgres"] <= 0
               or (r["scenario"] == "get" and not args.no_ceilings and not r.get("front_ceiling"))
               or (not args.no_open_loop and not (r.get("open") and r["open"]["completed"] > 0
                                                   and r["open"]["non2xx"] == 0 and r["open"]["errors"] == 0))]
        if not args.no_ceilings:
            bare = results.get("bare") or {}
            bad += [f"bare-{n}" for n in BARE_STATEMENTS
                    if not bare.get(n) or bare[n]["transactions"] == 0 or bare[n]["pg_cpu_us"] <= 0]
        bad += [f"size-{r['tasks']}" for r in results.get("size_rows", []) if r["requests"] == 0 or r["non2xx"]]
        pooler = results.get("pooler") or []
        bad += [f"pooler-{r['config']}" for r in pooler
                if r["requests"] == 0 or r["non2xx"] or r["socket_errors"] or r["cpu_us"]["postgres"] <= 0]
        # pgbouncer's CPU over a 1 s smoke run can be under one clock tick: measured, not > 0.
        if len(pooler) != 3 or "pgbouncer" not in pooler[-1].get("cpu_us", {}) \
                or pooler[-1]["server_connections"] > pooler[0]["server_connections"]:
            bad.append("pooler (pgbouncer row missing, its CPU not measured, or more server connections)")
        if len(rows) != len(args.scenarios) or bad:
            log(f"smoke: FAILED ({', '.join(bad) or 'missing rows'})")
            return 1
        log("smoke: OK (bars are not judged in smoke mode)")
        return 0
    if args.soak:
        return soak_verdict(results)
    if args.via_pgbouncer:
        bad = [f"{r['config']} {r['scenario']}" for r in results.get("pooler", [])
               if r["requests"] == 0 or r["non2xx"] or r["socket_errors"]]
        if bad:
            log(f"non-2xx or no requests: {', '.join(bad)}")
            return 3
        return 0
    missed = [f"{r['scenario']} ({', '.join(r['failed'])})" for r in rows if r["verdict"] != "PASS"]
    if results.get("size_verdict") == "FAIL":
        missed.append("data-size")
    if missed:
        log(f"bars missed: {'; '.join(missed)}")
        return 3
    log("every bar met")
    return 0


def main(argv=None, stack_factory=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for tool in ("wrk", "pgbench", "psql"):
        if shutil.which(tool) is None:
            log(f"{tool} is not installed (make deps)")
            return 1

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    machine = machine_info()
    commit = git_commit()
    own_dir = args.state_dir is None
    state_dir = args.state_dir or tempfile.mkdtemp(prefix="todo-bench-")
    os.makedirs(state_dir, exist_ok=True)
    results = {"workers": args.workers}
    st = (stack_factory or BenchStack)(args, state_dir)
    started = time.time()
    rc = 1
    try:
        log(f"starting the stack (state in {state_dir})")
        st.start()
        results["workers"] = st.workers
        bench(args, st, state_dir, results)
        report(args, results, machine, commit)
        log(f"done in {time.time() - started:.0f} s")
        full = set(args.scenarios) == set(SCENARIOS) and not args.no_ceilings and not args.no_open_loop
        if not args.smoke and not args.no_record and full:
            record(args, results, machine, commit)
            log("appended to bench/results/history.jsonl; rewrote docs/PERFORMANCE.md")
        elif args.via_pgbouncer and not args.smoke and not args.no_record:
            record(args, results, machine, commit, doc=False)
            log("appended to bench/results/history.jsonl")
        rc = verdict(args, results)
        if args.keep:
            log(f"--keep: the stack stays up until Ctrl-C: https://127.0.0.1:{st.port} "
                f"(users {state_dir}/users.txt: '<token> <task ids>' per line)")
            log(f"curl -k -H 'Authorization: Bearer {mint_token(user_id(1))}' "
                f"https://127.0.0.1:{st.port}/api/tasks")
            while True:
                signal.pause()
    except BenchError as e:
        log(f"FAILED: {e}")
        rc = 1
    except KeyboardInterrupt:
        if not args.keep:
            log("interrupted")
            rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        try:
            st.stop()
        except Exception as e:  # noqa: BLE001 - cleanup must go on
            log(f"stopping the stack: {e}")
        if own_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
