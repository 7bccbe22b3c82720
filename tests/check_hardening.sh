#!/bin/sh
# Checks that a built binary carries the hardening of CMakeLists.txt (readelf only):
# PIE, full RELRO (GNU_RELRO + BIND_NOW), stack protector, _FORTIFY_SOURCE.
# Usage: tests/check_hardening.sh path/to/todo-api
set -u
bin=${1:?usage: check_hardening.sh BINARY}
failed=0
check() {  # check DESCRIPTION COMMAND...: prints ok/FAIL, remembers a failure
  what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    echo "ok   $what"
  else
    echo "FAIL $what"
    failed=1
  fi
}
header=$(readelf -hW "$bin") || exit 1
dynamic=$(readelf -dW "$bin")
segments=$(readelf -lW "$bin")
symbols=$(readelf --dyn-syms -W "$bin")

check "PIE (ELF type DYN)" sh -c 'printf "%s\n" "$1" | grep -Eq "Type: +DYN"' _ "$header"
check "PIE flag in FLAGS_1" sh -c 'printf "%s\n" "$1" | grep -Eq "FLAGS_1.*PIE"' _ "$dynamic"
check "BIND_NOW (FLAGS NOW or FLAGS_1 NOW)" \
  sh -c 'printf "%s\n" "$1" | grep -Eq "\(BIND_NOW\)|\(FLAGS(_1)?\).* NOW"' _ "$dynamic"
check "GNU_RELRO segment" sh -c 'printf "%s\n" "$1" | grep -q GNU_RELRO' _ "$segments"
check "stack protector (__stack_chk_fail)" \
  sh -c 'printf "%s\n" "$1" | grep -q " __stack_chk_fail"' _ "$symbols"
check "_FORTIFY_SOURCE (__*_chk symbols)" \
  sh -c 'printf "%s\n" "$1" | grep -Eq " __[a-z0-9_]+_chk(@|$)"' _ "$symbols"
check "no executable stack" \
  sh -c 'printf "%s\n" "$1" | grep "GNU_STACK" | grep -vq "RWE"' _ "$segments"
exit $failed
