"""One bench run against a started BenchStack: seed, bare reference, front ceilings, closed
loop, open loop, data size, HOT updates; and the --via-pgbouncer comparison."""
import os
import time

from .bars import judge
from .common import OPEN_FRACTION, ROOT, SIZE_BAR, BenchError, log, run
from .drivers import bare_reference, measure, openloop, sample_request, wrk
from .procstat import RssSampler, workers_rss
from .profile import callgrind_dump, callgrind_worker
from .seed import seed_sql, task_uuid, user_id, write_users_file
from .stack import fixed_location


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
                    f"select count(*) from pg_stat_activity where usename = '{st.app_role()}'")[0])
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
