#!/bin/sh
# Python lint: pyflakes over every Python file of tests/, bench/ and scripts/ (issue 17).
# Real errors only (unused imports and variables, undefined names, redefinitions, star
# imports), no style: Debian's pyflakes3, installed here when missing (apt, as root).
# Exit status: 0 clean, 1 findings (printed one per line), 2 pyflakes unavailable.
#
#   scripts/lint-python.sh
set -eu
cd "$(dirname "$0")/.."

if ! command -v pyflakes3 >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lint-python: pyflakes3 is missing (apt-get install pyflakes3, as root)" >&2
    exit 2
  fi
  echo "lint-python: installing pyflakes3" >&2
  apt-get install -y -q --no-install-recommends pyflakes3 >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends pyflakes3 >/dev/null; }
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files -co --exclude-standard -- 'tests/*.py' 'bench/*.py' 'scripts/*.py')
else
  files=$(find tests bench scripts -name '*.py' -not -path '*/__pycache__/*' | sort)
fi
[ -n "$files" ] || { echo "lint-python: no Python files found" >&2; exit 2; }

# shellcheck disable=SC2086 # one argument per file; no file name has a space
if pyflakes3 $files; then
  echo "lint-python: $(echo "$files" | wc -l) files clean"
else
  exit 1
fi
