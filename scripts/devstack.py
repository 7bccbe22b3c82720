#!/usr/bin/python3
"""Local stack for trying todo-api: `make run` (= scripts/devstack.py run).

PostgreSQL under <repo>/.run/ (created once, kept across runs), migrations, the pool
and nginx on https://localhost:8443 (HTTP redirect on 8080), all from the same code
the integration tests use (tests/integration/harness/) and the shipped nginx site.
Prints a token and curl lines, then waits; Ctrl-C or SIGTERM stops everything.

    scripts/devstack.py run [--workers N] [--https-port P] [--http-port P]
    scripts/devstack.py reset     delete .run/ (database, dev secret, certificate)
"""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

RUN_DIR = os.path.join(ROOT, ".run")
PG_PORT = 54329  # names the unix socket only; PostgreSQL listens on no TCP port


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def check_reachable_by_postgres(path):
    """As root, PostgreSQL runs as `postgres`, which must be able to reach .run/."""
    if os.geteuid() != 0:
        return
    user = harness.pg_user()
    r = subprocess.run(["test", "-x", path], user=user.pw_uid, group=user.pw_gid,
                       extra_groups=[])
    if r.returncode != 0:
        sys.exit("devstack: user %s cannot reach %s (a parent directory is not "
                 "searchable by others); move the checkout, or chmod o+x its parents"
                 % (user.pw_name, path))


def token_for(s):
    try:
        return s.cli_token("demo-user", email="demo@example.com", ttl=7 * 24 * 3600)
    except (subprocess.CalledProcessError, OSError) as e:
        print("devstack: `todo-api token` failed (%s); minting the token in python" % e)
        return s.token("demo-user", email="demo@example.com", ttl=7 * 24 * 3600)


def print_banner(s, token):
    base = "https://localhost:%d" % s.https_port
    auth = "-H %s" % shlex.quote("Authorization: Bearer " + token)
    body = shlex.quote('{"title":"Buy milk","tags":["home"]}')
    print("""
todo-api is up: {base}  (HTTP {http} redirects; certificate {cert})
  pool: {workers} workers, pid {pid}; logs in {run}/ (pool.log, postgres.log, nginx/)
  database: psql {owner_dsn}

Token for user demo-user (valid 7 days, signed with the dev secret in .run/jwt_secret):
  TOKEN={token}

Try:
  curl -k {base}/api/health
  curl -k {auth} -H 'Content-Type: application/json' -d {body} {base}/api/tasks
  curl -k {auth} {base}/api/tasks

The pool (loopback only): curl -k {base}/status?full, curl -k {base}/metrics,
or {binary} status --file {run}/status

Ctrl-C stops everything.
""".format(base=base, http=s.http_port, cert=s.cert, workers=s.workers, pid=s.pool_pid,
           run=s.dir, owner_dsn=shlex.quote(s.database_url(harness.OWNER_ROLE)),
           token=token, auth=auth, body=body,
           binary=shlex.quote(os.path.relpath(harness.BIN, ROOT) if hasattr(harness, 'BIN')
                              else 'build/todo-api')), flush=True)


def run(args):
    if not os.path.exists(harness.BIN):
        sys.exit("devstack: build/todo-api is missing: run `make run` (it builds first)")
    # SIGINT may arrive ignored (a background job of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    os.makedirs(RUN_DIR, exist_ok=True)
    check_reachable_by_postgres(RUN_DIR)
    s = harness.Stack(base_dir=RUN_DIR, workers=args.workers, https_port=args.https_port,
                    http_port=args.http_port, pg_port=PG_PORT, rate_limit=None,
                    shutdown_timeout=10, env={"LOG_FORMAT": "text"})
    try:
        print("devstack: starting PostgreSQL, migrations, pool and nginx in %s ..." % RUN_DIR,
              flush=True)
        s.start()
        print_banner(s, token_for(s))
        while True:
            time.sleep(0.5)
            for name, proc in (("todo-api", s.pool_proc), ("nginx", s.nginx_proc),
                               ("postgres", s.pg.proc)):
                if proc is None or proc.poll() is not None:
                    code = proc.returncode if proc else None
                    print("devstack: %s exited (%s); stopping" % (name, code), file=sys.stderr)
                    s.print_logs(20)
                    return 1
    except KeyboardInterrupt:
        print("\ndevstack: stopping ...", flush=True)
        return 0
    except Exception as e:  # noqa: BLE001 - one clear line, logs were printed by start()
        print("devstack: %s" % e, file=sys.stderr)
        return 1
    finally:
        # Ignore further Ctrl-C while stopping, so nothing is left half-stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        s.stop()
        print("devstack: stopped", flush=True)


def reset(_args):
    pid_file = os.path.join(RUN_DIR, "pgdata", "postmaster.pid")
    if os.path.exists(pid_file):
        with open(pid_file) as f:
            pid = f.readline().strip()
        if pid.isdigit() and harness.alive(int(pid)):
            sys.exit("devstack: the dev stack is running (postgres pid %s): stop it first" % pid)
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    print("devstack: removed %s" % RUN_DIR)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="start the local stack and wait")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--https-port", type=int, default=8443)
    p.add_argument("--http-port", type=int, default=8080)
    p.set_defaults(func=run)
    p = sub.add_parser("reset", help="delete .run/")
    p.set_defaults(func=reset)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
