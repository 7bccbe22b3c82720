"""BenchStack: the integration harness's Stack plus what the bench needs (front-ceiling
locations in the rendered site, a known JWT secret, a pgbouncer of its own)."""
import os
import re
import shutil
import subprocess
import time

import harness  # tests/integration/harness/ (todo_bench/__init__.py)

from .common import JWT_SECRET, BenchError, run
from .drivers import https_request


NGINX_OWN_HEADERS = {"server", "date", "content-length", "connection", "content-type",
                     "transfer-encoding", "keep-alive"}


def nginx_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fixed_location(name, status, headers, body):
    """An nginx location answering `return 200` with this body and these headers."""
    if "$" in body:
        body = body.replace("$", "S")  # same size; nginx would read $x as a variable
    chunks = [body[i:i + 1500] for i in range(0, len(body), 1500)] or [""]
    lines = [f"location = /bench/fixed-{name} {{",
             "  # make bench only: the front ceiling (same TLS, same headers, same body size)"]
    ctype = "application/json"
    for k, v in headers:
        lk = k.lower()
        if lk == "content-type":
            ctype = v
        elif lk == "x-request-id":
            lines.append("  add_header X-Request-Id $request_id always;")
        elif lk not in NGINX_OWN_HEADERS:
            lines.append(f"  add_header {k} {nginx_quote(v)} always;")
    lines.append(f"  default_type {nginx_quote(ctype)};")
    for i, c in enumerate(chunks):
        lines.append(f"  set $bench_{name}_{i} {nginx_quote(c)};")
    lines.append("  return 200 \"" + "".join(f"${{bench_{name}_{i}}}" for i in range(len(chunks))) + "\";")
    lines.append("}")
    return "\n".join(lines) + "\n"


class BenchStack:
    """The Stack of tests/integration/harness/ (reused as is), plus what the bench needs:
    a rate limit nobody trips, a known JWT secret, and an `include` in the rendered
    TLS server for the front-ceiling locations (the shipped file is not touched)."""

    def __init__(self, args, state_dir):
        self.args = args
        self.state_dir = state_dir
        self.stack = None
        self.pgbouncer = None
        self.include = os.path.join(state_dir, "bench-locations.conf")

    def start(self):
        include = self.include
        keepalive = self.args.fcgi_keepalive
        site_replace = [r.split("=>", 1) for r in self.args.site_replace]
        open(include, "w").close()

        class _Stack(harness.Stack):
            def render_nginx(self):
                prefix, conf = super().render_nginx()
                site = os.path.join(prefix, "todo-api.conf")
                with open(site) as f:
                    text = f.read()
                anchor = "    location /api/ {"
                if text.count(anchor) != 1:
                    raise BenchError(f"{site}: cannot find {anchor.strip()!r} to add the bench locations")
                text = text.replace(anchor, f"    include {include};  # make bench: front ceiling\n\n{anchor}")
                for old, new in site_replace:  # --site-replace: tuning experiments
                    if text.count(old) != 1:
                        raise BenchError(f"{site}: --site-replace: {old!r} found {text.count(old)} times")
                    text = text.replace(old, new)
                if keepalive:  # --fcgi-keepalive: measure FastCGI keep-conn (not what ships)
                    for old, new in (("fastcgi_keep_conn off;", "fastcgi_keep_conn on;"),
                                     ("upstream todo_api {", f"upstream todo_api {{\n    keepalive {keepalive};")):
                        if text.count(old) != 1:
                            raise BenchError(f"{site}: cannot find {old!r} for --fcgi-keepalive")
                        text = text.replace(old, new)
                with open(site, "w") as f:
                    f.write(text)
                return prefix, conf

        kw = {"workers": self.args.workers,
              "rate_limit": ("1000000r/s", 1000000),
              "jwt_secret": JWT_SECRET,
              "nginx_workers": self.args.nginx_workers,
              "env": {"LOG_LEVEL": "warn"}}
        if self.args.callgrind:
            kw["binary"] = self._callgrind_wrapper(harness.BIN)
        self.stack = _Stack(**kw)
        try:
            self.stack.start()
        except BenchError:
            raise
        except Exception as e:  # noqa: BLE001 - report any start failure as one line
            raise BenchError(f"the stack did not start: {e}") from e
        self.port = self.stack.https_port
        self.workers = kw["workers"]
        self.app_dsn = self.stack.database_url()
        self.nginx_conf = os.path.join(self.stack.dir, "nginx", "nginx.conf")

    def _callgrind_wrapper(self, binary):
        """`todo-api serve` under callgrind (the forked worker inherits it); other
        subcommands (migrate) run as they are."""
        self.callgrind_dir = os.path.join(self.state_dir, "callgrind")
        os.makedirs(self.callgrind_dir, exist_ok=True)
        path = os.path.join(self.state_dir, "todo-api-callgrind")
        with open(path, "w") as f:
            f.write(f"""#!/bin/sh
if [ "$1" = serve ]; then
  exec valgrind --tool=callgrind --trace-children=yes --compress-strings=no --compress-pos=no --callgrind-out-file={self.callgrind_dir}/callgrind.%p {binary} "$@"
fi
exec {binary} "$@"
""")
        os.chmod(path, 0o755)
        return path

    @property
    def master_pid(self):
        return self.stack.pool_pid

    def owner_sql(self, sql, timeout):
        try:
            self.stack.psql(sql, user=self.owner_role(), timeout=timeout)
        except Exception as e:  # noqa: BLE001
            raise BenchError(f"seeding failed: {e}") from e

    def psql_lines(self, sql):
        return [ln for ln in self.stack.psql(sql, user=self.owner_role()).splitlines() if ln]

    @property
    def owner_dsn(self):
        return self.stack.database_url(self.owner_role())

    def cpu_roots(self):
        """The root process of each server tier, for cpu_snapshot()."""
        roots = {"postgres": self.stack.pg.proc.pid if self.stack.pg and self.stack.pg.proc else None,
                 "nginx": self.stack.nginx_proc.pid if self.stack.nginx_proc else None,
                 "workers": self.stack.pool_pid}
        if self.pgbouncer is not None:
            roots["pgbouncer"] = self.pgbouncer.pid
        return roots

    def owner_role(self):
        return harness.OWNER_ROLE

    def app_role(self):
        return harness.APP_ROLE

    def restart_pool(self, env=None):
        """The pool again with these extra variables (None: as started)."""
        try:
            self.stack.restart_pool(env)
        except Exception as e:  # noqa: BLE001
            raise BenchError(f"the pool did not restart with {env}: {e}") from e

    def start_pgbouncer(self, server_connections):
        """Debian's pgbouncer in front of the cluster: transaction pooling, at most
        `server_connections` connections to PostgreSQL, a unix socket only. Runs as the
        cluster's user (pgbouncer refuses root). Returns the DATABASE_URL for the pool."""
        exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(exe):
            raise BenchError("pgbouncer is not installed (make deps)")
        pg = self.stack.pg
        d = self.stack.path("pgbouncer")  # the stack's dir: reachable by the cluster's user
        os.makedirs(d, exist_ok=True)
        port = harness.free_port()
        with open(os.path.join(d, "userlist.txt"), "w") as f:
            f.write(f'"{self.app_role()}" ""\n')
        with open(os.path.join(d, "pgbouncer.ini"), "w") as f:
            f.write(f"""[databases]
{harness.DB_NAME} = host={pg.sockdir} port={pg.port} dbname={harness.DB_NAME}

[pgbouncer]
listen_addr =
listen_port = {port}
unix_socket_dir = {d}
auth_type = trust
auth_file = {d}/userlist.txt
pool_mode = transaction
default_pool_size = {server_connections}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_db_connections = {server_connections}
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {d}/pgbouncer.log
log_connections = 0
log_disconnections = 0
""")
        for name in os.listdir(d):
            pg.chown(os.path.join(d, name))
        pg.chown(d)
        log_f = open(os.path.join(d, "stderr.log"), "ab")
        self.pgbouncer = subprocess.Popen([exe, os.path.join(d, "pgbouncer.ini")], stdin=subprocess.DEVNULL,
                                          stdout=log_f, stderr=log_f, start_new_session=True,
                                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                          **pg.as_pg_user())
        log_f.close()
        sock = os.path.join(d, f".s.PGSQL.{port}")
        deadline = time.time() + 10
        while not os.path.exists(sock):
            if self.pgbouncer.poll() is not None or time.time() > deadline:
                tail = open(os.path.join(d, "stderr.log")).read()[-2000:] + \
                    (open(os.path.join(d, "pgbouncer.log")).read()[-2000:]
                     if os.path.exists(os.path.join(d, "pgbouncer.log")) else "")
                raise BenchError(f"pgbouncer did not start:\n{tail}")
            time.sleep(0.05)
        self.pgbouncer_dsn = (f"host={d} port={port} dbname={harness.DB_NAME} "
                              f"user={self.app_role()}")
        return self.pgbouncer_dsn

    def stop_pgbouncer(self):
        proc, self.pgbouncer = self.pgbouncer, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def add_nginx_locations(self, text):
        with open(self.include, "w") as f:
            f.write(text)
        p = run(self.stack.nginx_command("-s", "reload"), timeout=30, check=False)
        if p.returncode != 0:
            raise BenchError(f"nginx reload with the bench locations failed:\n{p.stderr}\n{text[:2000]}")
        # The reload is asynchronous: wait until the new workers answer.
        names = re.findall(r"location = /bench/fixed-(\w+)", text)
        deadline = time.time() + 10
        while names:
            try:
                status, _, _ = https_request(self.port, "GET", f"/bench/fixed-{names[0]}", "x")
                if status == 200:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise BenchError("nginx did not serve the bench locations within 10 s")
            time.sleep(0.1)

    def stop(self):
        self.stop_pgbouncer()
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
