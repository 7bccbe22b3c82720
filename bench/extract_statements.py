#!/usr/bin/python3
"""The workers' statement table — name, SQL text, parameter count — from the source
itself, so that the database ceiling of `make bench` runs the very SQL the endpoints
run without a second copy of it.

statements.cpp builds part of its table at run time (the list statements, one per sort
key and direction), so the table is not parsed from the C++: it is printed by
`print_statements` (tests/tools/print_statements.cpp, built with the project as
build/tests/print_statements), one `PREPARE name AS sql;` per statement.

    python3 bench/extract_statements.py            # prints the table as JSON
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tool_path():
    if os.environ.get("TODO_API_PRINT_STATEMENTS"):
        return os.environ["TODO_API_PRINT_STATEMENTS"]
    if os.environ.get("TODO_API_BIN"):  # build/todo-api -> build/tests/print_statements
        return os.path.join(os.path.dirname(os.environ["TODO_API_BIN"]), "tests", "print_statements")
    return os.path.join(ROOT, "build", "tests", "print_statements")


def extract():
    """[{name, nparams, sql}] in StatementId order."""
    exe = tool_path()
    if not os.path.exists(exe):
        raise RuntimeError(f"{exe} is missing: build first (make build)")
    out = subprocess.run([exe], capture_output=True, text=True, timeout=30, check=True).stdout
    statements = [{"name": m.group(1), "sql": m.group(2),
                   "nparams": max((int(n) for n in re.findall(r"\$(\d+)", m.group(2))), default=0)}
                  for m in re.finditer(r"^PREPARE (\w+) AS (.*?);\n(?=PREPARE |\Z)", out, re.M | re.S)]
    if not statements:
        raise RuntimeError(f"{exe} printed no PREPARE statements")
    return statements


if __name__ == "__main__":
    json.dump(extract(), sys.stdout, indent=2)
    print()
