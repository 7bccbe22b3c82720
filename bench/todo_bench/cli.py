"""The command line (parse_args) and main(): start the stack, run, report, record, stop."""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

import todo_bench

from .bars import verdict
from .common import DEFAULT_WORKERS, OPEN_FRACTION, SCENARIOS, BenchError, log
from .procstat import git_commit, machine_info
from .report import record, report
from .run import bench
from .seed import mint_token, user_id
from .stack import BenchStack


def parse_args(argv):
    ap = argparse.ArgumentParser(description=todo_bench.__doc__.split("\n\n")[0],
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
