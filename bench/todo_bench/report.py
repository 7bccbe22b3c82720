"""The tables of a run for the terminal and docs/PERFORMANCE.md, and the JSON lines of
bench/results/history.jsonl."""
import datetime
import json
import os
import re

from .common import BARE_FOR, BENCH_DIR, ROOT, SIZE_BAR


def fmt(v, spec="{:.0f}", none="–"):
    return none if v is None else spec.format(v)


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
