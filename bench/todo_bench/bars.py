"""QUALITY.md's bars per scenario (judge) and the exit status of a run (verdict)."""

from .common import BARE_FOR, P99_BAR_MS, PG_CPU_BAR, RSS_BAR_KIB, TPS_BAR, log
from .drivers import BARE_STATEMENTS


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
