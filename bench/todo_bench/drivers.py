"""The load generators and the references: wrk (closed loop), build/bench/openloop (open
loop), pgbench on the bare statements, and one-off HTTPS requests."""
import http.client
import json
import os
import re
import shlex
import ssl

from .common import BENCH_DIR, CREATE_BODY, LOOKUP_EVERY, ROOT, USER_BASE, BenchError, log, run
from .procstat import cpu_per_request, cpu_snapshot
from .seed import mint_token


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
