#!/usr/bin/env python3
"""The layer rule of docs/DESIGN.md, checked on every build (and as ctest layers.check).

src/ has one folder per layer, bottom first in LAYERS below. A file may include a
header of its own layer or of a layer below it, never above: the build fails
otherwise, so a backward dependency is refused by the machine, not by a reviewer.
Some C libraries also belong to one layer only (libpq is the store's).
"""
import os
import re
import sys

LAYERS = ["util", "core", "ops", "auth", "store", "http", "tasks", "api", "pool"]
# A system header and the layers that may include it.
OWNED_HEADERS = {
    "libpq-fe.h": {"store"},
    "fcgiapp.h": {"http", "pool"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def check(root):
    src = os.path.join(root, "src")
    rank = {name: i for i, name in enumerate(LAYERS)}
    problems = []
    for entry in sorted(os.listdir(src)):
        path = os.path.join(src, entry)
        if os.path.isfile(path):
            if entry != "main.cpp":
                problems.append(f"src/{entry}: a source outside a layer folder")
            continue
        if entry not in rank:
            problems.append(f"src/{entry}/: not a layer of scripts/check_layers.py")
            continue
        for name in sorted(os.listdir(path)):
            rel = f"src/{entry}/{name}"
            with open(os.path.join(path, name), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    kind, target = m.groups()
                    if kind == "<":
                        owners = OWNED_HEADERS.get(target)
                        if owners and entry not in owners:
                            problems.append(f"{rel}:{number}: <{target}> belongs to {sorted(owners)}")
                        continue
                    layer = target.split("/", 1)[0] if "/" in target else None
                    if layer is None:
                        problems.append(f"{rel}:{number}: \"{target}\" without its layer folder")
                    elif layer not in rank:
                        problems.append(f"{rel}:{number}: \"{target}\" names no layer")
                    elif rank[layer] > rank[entry]:
                        problems.append(f"{rel}:{number}: {entry}/ includes {target}, a layer above it")
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    for p in found:
        print(p, file=sys.stderr)
    sys.exit(1 if found else 0)
