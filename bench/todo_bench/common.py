"""The bench's constants (QUALITY.md's bars, the seed's shape, the request bodies), its log
and error, and run() for the tools it drives."""
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_DIR = os.path.join(ROOT, "bench")

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


def run(cmd, timeout, env=None, check=True, input=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, input=input)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"timed out after {timeout}s: {shlex.join(cmd)}") from e
    if check and p.returncode != 0:
        raise BenchError(f"exit {p.returncode}: {shlex.join(cmd)}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p
