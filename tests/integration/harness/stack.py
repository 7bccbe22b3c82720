"""Stack: PostgreSQL, the pool and nginx of one test module in one temporary directory
(the package's docstring, harness/__init__.py, says how it is used)."""
import atexit
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from .common import (APP_ROLE, BIN, DB_NAME, OWNER_ROLE, ROOT, SITE_FILE, TEST_RATE_LIMIT, alive,
                     children, free_port, pdeathsig, stop_process, tail, unix_listening,
                     wait_until)
from .jwt_tools import make_token
from .pg import Postgres, template_cluster
from .pgbouncer import PgBouncer, via_pgbouncer_from_env
from .web import StackClient, make_certificate, nginx_main_conf, render_site

# ---------------------------------------------------------------------------
# The stack


_STACKS = []


def _sweep_abandoned_dirs():
    """Removes temporary dirs of stacks whose test process was killed (SIGKILL leaves
    no chance to clean up; the processes themselves died with it, by pdeathsig)."""
    for d in glob.glob(os.path.join(tempfile.gettempdir(), "todo-api-*", "owner.pid")):
        try:
            with open(d) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            continue
        if pid and not alive(pid):
            shutil.rmtree(os.path.dirname(d), ignore_errors=True)


def _stop_all():
    for s in list(_STACKS):
        s.stop()


atexit.register(_stop_all)


class Stack(StackClient):
    """PostgreSQL + pool + nginx in one temporary directory.

    Options:
      workers, shutdown_timeout  WORKERS, SHUTDOWN_TIMEOUT_SECONDS of the pool
      env                        extra environment for the pool
      postgres, pool, nginx      which parts to start (e.g. nginx only)
      migrate                    run `todo-api migrate` after PostgreSQL is up
      rate_limit                 (rate, burst) rendered into the site; None: as shipped
      base_dir                   persistent directory instead of a temporary one
                                 (devstack: cluster, secret and certificate are kept)
      https_port, http_port, pg_port   fixed ports (default: free ones)
      nginx_workers              worker_processes of nginx
      pgbouncer                  put a real PgBouncer (transaction mode, pgbouncer_pool_size
                                 server connections) between the pool and the cluster;
                                 None: the TODO_TEST_VIA_PGBOUNCER switch decides. The pool
                                 then runs with DB_PREPARED=off and at least twice as many
                                 workers as server connections (pgbouncer.py)
      site_filter                a function applied to the rendered nginx site text (a test's
                                 variant of the shipped file, e.g. another upstream block)
      listen                     how the pool gets its socket: "path" (it binds
                                 FCGI_SOCKET), "systemd" (LISTEN_FDS=1, fd 3, as from
                                 todo-api.socket) or "stdin" (fd 0, as from spawn-fcgi);
                                 for the last two the harness owns the socket, like
                                 systemd, and it outlives pool restarts
    """

    def __init__(self, workers=2, shutdown_timeout=10, env=None, postgres=True, pool=True,
                 nginx=True, migrate=True, rate_limit=TEST_RATE_LIMIT, base_dir=None,
                 https_port=None, http_port=None, pg_port=None, nginx_workers=1,
                 root=ROOT, binary=BIN, jwt_secret=None, listen="path", pgbouncer=None,
                 pgbouncer_pool_size=2, site_filter=None):
        self.root, self.binary = root, binary
        self.workers, self.shutdown_timeout = workers, shutdown_timeout
        self.extra_env = dict(env or {})
        self.want_pgbouncer = via_pgbouncer_from_env() if pgbouncer is None else pgbouncer
        self.want_pgbouncer = self.want_pgbouncer and postgres
        self.pgbouncer_pool_size = pgbouncer_pool_size
        self.bouncer = None
        self.site_filter = site_filter
        if self.want_pgbouncer:
            self.workers = max(workers, 2 * pgbouncer_pool_size)
            self.extra_env.setdefault("DB_PREPARED", "off")
        self.want_postgres, self.want_pool, self.want_nginx = postgres, pool, nginx
        self.want_migrate = migrate
        self.rate_limit = rate_limit
        self.persistent = base_dir is not None
        self.dir = os.path.abspath(base_dir) if base_dir else None
        self.https_port, self.http_port, self.pg_port = https_port, http_port, pg_port
        self.nginx_workers = nginx_workers
        self.jwt_secret = jwt_secret
        self.pg = None
        self.pool_proc = None
        self.nginx_proc = None
        self._notify = None
        self._stopped = True
        self.logs = {}
        self.timings = {}
        self._extra_dirs = []
        self.listen = listen
        self._listen_sock = None

    # -- paths
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def fcgi_socket(self):
        return self.path("fcgi.sock")

    # -- whole stack
    def start(self):
        t0 = time.monotonic()
        if self.dir is None:
            _sweep_abandoned_dirs()
            self.dir = tempfile.mkdtemp(prefix="todo-api-")
            with open(self.path("owner.pid"), "w") as f:
                f.write("%d\n" % os.getpid())
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)  # PostgreSQL's user must reach its directories
        self._stopped = False
        _STACKS.append(self)
        try:
            if self.jwt_secret is None:
                self.jwt_secret = self._persistent_secret() if self.persistent \
                    else secrets.token_urlsafe(36)  # 48 characters, never written down
            if self.want_postgres:
                self._start_postgres_first()
                if self.want_migrate:
                    self.migrate()
                if self.want_pgbouncer:
                    self.start_pgbouncer()
            if self.want_pool:
                self.start_pool()
            if self.want_nginx:
                self.start_nginx()
        except BaseException:
            self.print_logs()
            self.stop()
            raise
        self.timings["start"] = time.monotonic() - t0
        return self

    def stop(self):
        """Stops everything (nginx, pool, PostgreSQL) and removes the temporary dir."""
        if self._stopped:
            return
        self._stopped = True
        t0 = time.monotonic()
        try:
            self.stop_nginx()
            self.stop_pool()
            if self.bouncer:
                self.bouncer.stop()
            if self.pg:
                self.pg.stop()
        finally:
            if self in _STACKS:
                _STACKS.remove(self)
            if self._notify:
                self._notify.close()
                self._notify = None
            if self._listen_sock:
                self._listen_sock.close()
                self._listen_sock = None
                if os.path.exists(self.fcgi_socket):
                    os.unlink(self.fcgi_socket)
            if not self.persistent and self.dir and not os.environ.get("TODO_API_KEEP_TMP"):
                shutil.rmtree(self.dir, ignore_errors=True)
            for d in self._extra_dirs:
                shutil.rmtree(d, ignore_errors=True)
        self.timings["stop"] = time.monotonic() - t0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _persistent_secret(self):
        path = self.path("jwt_secret")
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(36))
        with open(path) as f:
            return f.read().strip()

    # -- PostgreSQL
    def _start_postgres_first(self):
        t0 = time.monotonic()
        datadir = self.path("pgdata")
        sockdir = self.path("pgsock")
        if len(sockdir) > 80:  # sun_path holds 107 bytes, with "/.s.PGSQL.NNNNN.lock"
            sockdir = tempfile.mkdtemp(prefix="todo-api-pgsock-")
            self._extra_dirs.append(sockdir)
        self.pg = Postgres(datadir, sockdir, self.pg_port or free_port(),
                           self.path("postgres.log"))
        self.logs["postgres"] = self.pg.logfile
        if not os.path.isfile(os.path.join(datadir, "PG_VERSION")):
            template = template_cluster(self.root)
            subprocess.run(["cp", "-a", template, datadir], check=True)
        self.pg.start()
        self.timings["postgres"] = time.monotonic() - t0

    def stop_postgres(self, timeout=30):
        """Stops PostgreSQL (fast shutdown); start_postgres() brings it back, same port."""
        return self.pg.stop(timeout)

    def start_postgres(self):
        self.pg.start()

    def psql(self, sql, user="postgres", dbname=DB_NAME, **kw):
        return self.pg.psql(sql, user=user, dbname=dbname, **kw)

    def psql_session(self, user="postgres", dbname=DB_NAME):
        """An open psql session (PsqlSession); close it, or use it with `with`."""
        return self.pg.session(user, dbname)

    def database_url(self, user=APP_ROLE):
        return self.pg.conninfo(user)

    def start_pgbouncer(self):
        """PgBouncer in front of the cluster; the pool's DATABASE_URL then points at it.
        Migrations keep going to the cluster directly (as they must: DDL and the
        migration lock are session work)."""
        t0 = time.monotonic()
        self.bouncer = PgBouncer(self.pg, self.path("pgbouncer"), self.pgbouncer_pool_size)
        self.logs["pgbouncer"] = self.bouncer.logfile
        self.bouncer.configure(self.pool_env().get("DB_STATEMENT_TIMEOUT_MS", "5000"))
        self.bouncer.start()
        self.timings["pgbouncer"] = time.monotonic() - t0  # named in the "stack up" line

    def migrate(self):
        """`todo-api migrate --dir <root>/sql` as the owner role."""
        sql_dir = os.path.join(self.root, "sql")
        if not os.path.isdir(sql_dir):
            return
        t0 = time.monotonic()
        env = self._base_env()
        env["DATABASE_URL"] = self.pg.conninfo(OWNER_ROLE)
        r = subprocess.run([self.binary, "migrate", "--dir", sql_dir], env=env,
                           capture_output=True, text=True, timeout=120)
        with open(self.path("migrate.log"), "a") as f:
            f.write(r.stdout + r.stderr)
        self.logs["migrate"] = self.path("migrate.log")
        if r.returncode != 0:
            raise RuntimeError("todo-api migrate failed (%d):\n%s%s"
                               % (r.returncode, r.stdout, r.stderr))
        self.timings["migrate"] = time.monotonic() - t0

    # -- the pool
    def _base_env(self):
        return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC"}

    def pool_env(self, extra=None):
        env = self._base_env()
        env.update({
            "JWT_SECRET": self.jwt_secret,
            "FCGI_SOCKET": self.fcgi_socket,
            "FCGI_SOCKET_MODE": "0660",
            "WORKERS": str(self.workers),
            "SHUTDOWN_TIMEOUT_SECONDS": str(self.shutdown_timeout),
            "LOG_LEVEL": "info",
            "LOG_FORMAT": "json",
            # Tests send hundreds of requests per user; the per-user limit is tested on
            # its own (test_ops.py), as nginx's limit_req is with TEST_RATE_LIMIT.
            "USER_RATE_LIMIT": "0",
            "STATUS_FILE": self.path("status"),
        })
        if self.bouncer:
            env["DATABASE_URL"] = self.bouncer.conninfo(APP_ROLE)
        elif self.pg:
            env["DATABASE_URL"] = self.pg.conninfo(APP_ROLE)
        env.update(self.extra_env)
        env.update(extra or {})
        return {k: v for k, v in env.items() if v is not None}

    def start_pool(self, env=None, wait=True, timeout=15):
        """Starts `todo-api serve`; waits for its READY=1 (sd_notify) unless wait=False.

        env: extra variables for this start only (a value None removes one)."""
        t0 = time.monotonic()
        if self._notify is None:
            self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            if os.path.exists(self.path("notify.sock")):
                os.unlink(self.path("notify.sock"))  # left by an earlier run (devstack)
            self._notify.bind(self.path("notify.sock"))
        if self.listen == "path" and os.path.exists(self.fcgi_socket) and \
                not unix_listening(self.fcgi_socket):
            os.unlink(self.fcgi_socket)  # stale: its pool is gone
        self._drain_notify()
        full_env = self.pool_env(env)
        full_env["NOTIFY_SOCKET"] = self.path("notify.sock")
        self.logs["pool"] = self.path("pool.log")
        cmd, stdin = [self.binary, "serve"], subprocess.DEVNULL
        if self.listen in ("systemd", "stdin"):
            stdin = self.inherited_socket()
        if self.listen == "systemd":
            # sd_listen_fds(3): the socket on fd 3, LISTEN_PID = the server's own pid.
            cmd = ["/bin/sh", "-c", 'exec 3<&0 0</dev/null; LISTEN_PID=$$ LISTEN_FDS=1 '
                   'LISTEN_FDNAMES=todo-api.socket exec "$0" serve', self.binary]
        log = open(self.logs["pool"], "ab")
        self.pool_proc = subprocess.Popen(
            cmd, env=full_env, stdin=stdin, stdout=log,
            stderr=log, start_new_session=True, preexec_fn=pdeathsig(signal.SIGTERM),
            cwd=self.dir)
        log.close()
        if wait:
            self.wait_pool_ready(timeout)
        self.timings["pool"] = time.monotonic() - t0
        return self.pool_proc

    def inherited_socket(self):
        """The listening socket the harness owns (listen="systemd"/"stdin"), made
        once like systemd's todo-api.socket: mode 0660, backlog 4096."""
        if self._listen_sock is None:
            if os.path.exists(self.fcgi_socket):
                os.unlink(self.fcgi_socket)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(self.fcgi_socket)
            os.chmod(self.fcgi_socket, 0o660)
            sock.listen(4096)
            self._listen_sock = sock
        return self._listen_sock

    def _drain_notify(self):
        self._notify.setblocking(False)
        try:
            while True:
                self._notify.recv(4096)
        except BlockingIOError:
            pass

    def notifications(self, timeout=0.0):
        """sd_notify messages received since the last call (e.g. ["READY=1"])."""
        out = []
        self._notify.settimeout(timeout)
        try:
            while True:
                out.append(self._notify.recv(4096).decode(errors="replace"))
                self._notify.settimeout(0.0)
        except (BlockingIOError, socket.timeout):
            pass
        return out

    def wait_pool_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pool_proc.poll() is not None:
                raise RuntimeError("todo-api serve exited with %s:\n%s"
                                   % (self.pool_proc.returncode, tail(self.logs["pool"])))
            for msg in self.notifications(timeout=0.1):
                if "READY=1" in msg.split("\n"):
                    return
        raise TimeoutError("todo-api serve sent no READY=1 within %.0f s:\n%s"
                           % (timeout, tail(self.logs["pool"])))

    def stop_pool(self, sig=signal.SIGTERM, timeout=None):
        """Stops the pool; returns its exit status (None if it was not running)."""
        proc, self.pool_proc = self.pool_proc, None
        return stop_process(proc, sig, timeout or self.shutdown_timeout + 10, "todo-api")

    def restart_pool(self, env=None):
        self.stop_pool()
        return self.start_pool(env)

    @property
    def pool_pid(self):
        return self.pool_proc.pid if self.pool_proc else None

    def worker_pids(self):
        return children(self.pool_proc.pid) if self.pool_proc else []

    def wait_workers(self, count, timeout=5, exclude=()):
        """Waits until the pool has `count` workers none of which is in `exclude`."""
        def check():
            pids = self.worker_pids()
            return pids if len(pids) == count and not set(pids) & set(exclude) else None
        return wait_until(check, timeout, what="%d workers" % count)

    # -- nginx
    def render_nginx(self):
        prefix = self.path("nginx")
        os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
        if not (os.path.exists(self.path("cert.pem")) and os.path.exists(self.path("key.pem"))):
            make_certificate(self.dir)
        self.cert, self.key = self.path("cert.pem"), self.path("key.pem")
        self.https_port = self.https_port or free_port()
        self.http_port = self.http_port or free_port()
        with open(SITE_FILE if self.root == ROOT else
                  os.path.join(self.root, "nginx", "todo-api.conf")) as f:
            site = render_site(f.read(), self.https_port, self.http_port, self.fcgi_socket,
                               self.cert, self.key, os.path.join(prefix, "access.log"),
                               rate_limit=self.rate_limit)
        if self.site_filter:
            site = self.site_filter(site)
        site_path = os.path.join(prefix, "todo-api.conf")
        with open(site_path, "w") as f:
            f.write(site)
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_main_conf(prefix, site_path, self.nginx_workers))
        self.logs["nginx"] = os.path.join(prefix, "error.log")
        self.logs["nginx-access"] = os.path.join(prefix, "access.log")
        return prefix, conf

    def nginx_command(self, *extra):
        prefix, conf = os.path.join(self.dir, "nginx"), os.path.join(self.dir, "nginx",
                                                                      "nginx.conf")
        return ["nginx", "-p", prefix + "/", "-c", conf, "-e",
                os.path.join(prefix, "error.log")] + list(extra)

    def start_nginx(self, timeout=10):
        t0 = time.monotonic()
        self.render_nginx()
        log = open(self.path("nginx", "stderr.log"), "ab")
        self.nginx_proc = subprocess.Popen(
            self.nginx_command("-g", "daemon off;"), stdin=subprocess.DEVNULL, stdout=log,
            stderr=log, start_new_session=True, preexec_fn=pdeathsig(signal.SIGTERM))
        log.close()

        def listening():
            if self.nginx_proc.poll() is not None:
                raise RuntimeError("nginx exited with %s:\n%s" % (
                    self.nginx_proc.returncode, tail(self.path("nginx", "stderr.log")) +
                    "\n" + tail(self.logs["nginx"])))
            try:
                socket.create_connection(("127.0.0.1", self.https_port), 0.2).close()
                return True
            except OSError:
                return False
        wait_until(listening, timeout, what="nginx to listen")
        self.timings["nginx"] = time.monotonic() - t0

    def stop_nginx(self):
        proc, self.nginx_proc = self.nginx_proc, None
        return stop_process(proc, signal.SIGTERM, 10, "nginx")

    # -- tokens
    def token(self, sub="user-1", **kw):
        """An HS256 token signed with this stack's JWT_SECRET (see make_token)."""
        return make_token(self.jwt_secret, sub=sub, **kw)

    def cli_token(self, sub, email=None, ttl=None):
        """A token minted by `todo-api token`."""
        args = [self.binary, "token", "--sub", sub]
        if email:
            args += ["--email", email]
        if ttl:
            args += ["--ttl", str(ttl)]
        r = subprocess.run(args, env=self.pool_env(), capture_output=True, text=True,
                           check=True)
        return r.stdout.strip()

    # -- diagnostics
    def print_logs(self, lines=40, out=None):
        out = out or sys.stderr
        for name, path in sorted(self.logs.items()):
            out.write("----- %s (%s), last %d lines -----\n%s\n" % (name, path, lines,
                                                                   tail(path, lines)))
        out.flush()
