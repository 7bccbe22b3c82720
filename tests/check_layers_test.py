#!/usr/bin/env python3
"""scripts/check_layers.py refuses what it must: a copy of src/ with one backward
include (store/ including http/), one libpq include outside store/ and one file
outside a layer folder must each be reported, and the clean tree must pass."""
import importlib.util
import os
import shutil
import sys
import tempfile

root = sys.argv[1]
spec = importlib.util.spec_from_file_location("check_layers", os.path.join(root, "scripts", "check_layers.py"))
check_layers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layers)

assert check_layers.check(root) == [], check_layers.check(root)
with tempfile.TemporaryDirectory() as tmp:
    shutil.copytree(os.path.join(root, "src"), os.path.join(tmp, "src"))
    with open(os.path.join(tmp, "src", "store", "db.cpp"), "a") as f:
        f.write('#include "http/http.h"\n')
    with open(os.path.join(tmp, "src", "tasks", "tasks.cpp"), "a") as f:
        f.write("#include <libpq-fe.h>\n")
    with open(os.path.join(tmp, "src", "stray.cpp"), "w") as f:
        f.write("\n")
    problems = check_layers.check(tmp)
    expected = ["store/ includes http/http.h", "<libpq-fe.h> belongs to", "src/stray.cpp"]
    for e in expected:
        assert any(e in p for p in problems), (e, problems)
    assert len(problems) == 3, problems
print("ok: the layer check refuses a backward include, a misplaced C library and a stray file")
