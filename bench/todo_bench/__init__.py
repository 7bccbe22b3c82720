"""`make bench` (QUALITY.md "Performance"): the whole stack on this machine, every
endpoint figure judged as a ratio to references measured in the same run.

    make bench                      # full run (~5 min): tables with PASS/FAIL,
                                    # bench/results/history.jsonl, docs/PERFORMANCE.md
    make bench-smoke                # the harness end to end in well under a minute (ctest)
    make bench-pgbouncer            # direct vs DB_PREPARED=off vs PgBouncer (transaction mode)
    python3 bench/run_bench.py --help

bench/run_bench.py is the entry point; the code is this package, a module per part:
common (constants, log, run), seed, procstat (/proc: CPU per tier, RSS), drivers (wrk,
openloop, pgbench, HTTPS), stack (BenchStack), profile (--callgrind), bars, report, run
(one bench run), cli (arguments, main).

What one run does:
  1. starts the stack of tests/integration/harness/ (PostgreSQL, `todo-api migrate`,
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
import os
import sys

# The integration harness (tests/integration/harness/) is imported as `harness`: BenchStack
# runs its Stack, and the seed signs tokens with its HS256 minter (jwt_tools.make_token)
# rather than a copy of its own. On sys.path here, before any module of the package runs.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))
