#!/usr/bin/env bash
# Installs, from Debian's packages only, whatever the build, the tests, `make run`
# and `make bench` need and this machine lacks. Idempotent and quiet when all is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libfcgi-dev libpq-dev libssl-dev libcjson-dev libcurl4-openssl-dev libgtest-dev libbenchmark-dev
  postgresql postgresql-contrib nginx-light openssl ca-certificates curl python3 systemd
  wrk pgbouncer
)
# Targets with tools of their own add them: make fuzz (clang, libFuzzer), make lint,
# make deb (debhelper, lintian).
# shellcheck disable=SC2206
packages+=(${EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start their own nginx and PostgreSQL services where an init
# system runs; the project starts its own instances, so keep the system ones out of the way.
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  systemctl disable --now nginx postgresql pgbouncer >/dev/null 2>&1 || true
fi
