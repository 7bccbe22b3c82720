#!/usr/bin/python3
"""The workers' statement table — name, SQL text, parameter count — read from
src/statements.cpp itself, so that the database ceiling of `make bench` runs the very
SQL the endpoints run without a second copy of it.

statements.cpp builds part of its table at run time (the list statements, one per
sort key and direction), so the table is not parsed: bench/print_statements.cpp is
compiled against src/statements.cpp (one file, about a second) and prints it as JSON.

    python3 bench/extract_statements.py            # prints the JSON
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "src")
SOURCES = [os.path.join(HERE, "print_statements.cpp"), os.path.join(SRC, "statements.cpp")]


def _compiler():
    for cxx in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if cxx and shutil.which(cxx):
            return cxx
    raise RuntimeError("no C++ compiler (c++/g++/clang++) to build bench/print_statements.cpp")


def extract(cache_dir=None):
    """[{index, name, nparams, idempotent, plan_per_call, sql}] in StatementId order."""
    digest = hashlib.sha256()
    for path in SOURCES + [os.path.join(SRC, "statements.h"), os.path.join(SRC, "list_query.h")]:
        with open(path, "rb") as f:
            digest.update(f.read())
    cache_dir = cache_dir or os.path.join(tempfile.gettempdir(), f"todo-api-bench-{os.geteuid()}")
    os.makedirs(cache_dir, exist_ok=True)
    exe = os.path.join(cache_dir, "print_statements-" + digest.hexdigest()[:16])
    if not os.path.exists(exe):
        tmp = exe + f".{os.getpid()}.tmp"
        r = subprocess.run([_compiler(), "-std=c++20", "-O0", "-w", "-I", SRC, *SOURCES, "-o", tmp],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"building bench/print_statements.cpp failed:\n{r.stderr[-3000:]}")
        os.replace(tmp, exe)
    r = subprocess.run([exe], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(r.stdout)


if __name__ == "__main__":
    json.dump(extract(), sys.stdout, indent=2)
    print()
