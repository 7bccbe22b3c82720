#!/usr/bin/env bash
# `make deb`: the Debian package, built by dpkg-buildpackage (debhelper, debian/),
# checked by lintian, and left in dist/ (todo-api_VERSION_ARCH.deb, its .changes, the
# native source package and the -dbgsym package).
#
# dpkg-buildpackage writes its results into the parent of the source tree, so it runs
# on a copy of the tree staged in dist/stage/todo-api-VERSION/. rsync keeps the times of
# unchanged files and leaves the copy's CMake build directory (build-deb/) in place,
# and debian/rules keeps that directory when TODO_API_KEEP_BUILD=1: a rebuild compiles
# only what changed.
#
# Environment: DIST_DIR (default ./dist), JOBS (parallel compile jobs), LINTIAN=0 to
# skip lintian (the integration test runs it itself).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${DIST_DIR:-$root/dist}
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
stage=$out/stage
tree=$stage/todo-api-$version

mkdir -p "$tree"
# Older versions' copies and the previous build's results go.
find "$stage" -mindepth 1 -maxdepth 1 ! -path "$tree" -exec rm -rf {} +
rsync -a --delete \
  --exclude=/.git --exclude=/build --exclude='/build-*' --exclude=/dist --exclude=/.run \
  --exclude=__pycache__ --exclude='*.pyc' \
  "$root/" "$tree/"

log=$stage/build.log
echo "build-deb: dpkg-buildpackage in $tree (log: $log)"
if ! (cd "$tree" && TODO_API_KEEP_BUILD=1 dpkg-buildpackage -us -uc -j"${JOBS:-$(nproc)}") \
     >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "build-deb: dpkg-buildpackage failed (full log: $log)" >&2
  exit 1
fi

mkdir -p "$out"
find "$out" -maxdepth 1 -type f -name 'todo-api*_*' -delete
find "$stage" -maxdepth 1 -type f -name 'todo-api*_*' -exec cp {} "$out/" \;
changes=$(ls "$out"/todo-api_"$version"_*.changes)
ls -l "$out"/*.deb

if [ "${LINTIAN:-1}" != 0 ]; then
  # Errors fail the build; the warnings that remain are explained in docs/PACKAGING.md.
  lintian --fail-on error --display-info "$changes"
fi
