#!/usr/bin/python3
"""`make bench` (QUALITY.md "Performance"): the entry point of the bench/todo_bench package,
where the harness lives (its docstring says what one run does).

    python3 bench/run_bench.py [--smoke | --soak SECONDS | --via-pgbouncer | ...]
    python3 bench/run_bench.py --help
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from todo_bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
