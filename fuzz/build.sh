#!/usr/bin/env bash
# Builds the libFuzzer targets by hand (they are deliberately not in CMake):
#   fuzz/build.sh [outdir]     then e.g.  build/fuzz/fuzz_task_body -dict=fuzz/task_body.dict fuzz/corpus/task_body
# Needs clang++ with libFuzzer; links the pure sources directly, not todo_core.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/fuzz}
cxx=${CXX:-clang++}
mkdir -p "$out"
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/src" $(pkg-config --cflags libpq libcjson))
common=("$root/src/utf8.cpp" "$root/src/rfc3339.cpp")
"$cxx" "${flags[@]}" "$root/fuzz/fuzz_task_body.cpp" "$root/src/task_input.cpp" \
  "$root/src/json_strict.cpp" "${common[@]}" -lcjson -o "$out/fuzz_task_body"
"$cxx" "${flags[@]}" "$root/fuzz/fuzz_list_query.cpp" "$root/src/list_query.cpp" \
  "${common[@]}" -o "$out/fuzz_list_query"
echo "built $out/fuzz_task_body $out/fuzz_list_query"
