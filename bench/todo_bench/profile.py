"""--callgrind: the worker's instructions per request and its top functions."""
import os
import re
import shutil
import time

from .common import BENCH_DIR, BenchError, log, run
from .procstat import children_of, git_commit


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
