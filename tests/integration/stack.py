"""A real todo-api stack for integration tests: PostgreSQL, the pool, nginx.

python3 stdlib only. One stack per test module:

    import stack
    setUpModule, tearDownModule = stack.module_fixtures(workers=2)

    class PoolTest(stack.StackTestCase):
        def test_health(self):
            r = self.stack.request("GET", "/api/health")
            self.assertEqual(r.status, 200, r.body)

`Stack(...)` owns a temporary directory with everything in it (cluster, sockets,
certificate, rendered nginx config, logs) and removes it on stop(). Every process
it starts is its direct child with a parent-death signal, in a session of its own,
and stop() (also run at exit and on SIGTERM/SIGINT) ends them and any process they
left behind, so nothing outlives the test run.

- PostgreSQL runs as an unprivileged user (`postgres` when we are root), listens on a
  unix socket only, with fsync on. An initdb'd cluster with the roles and database is
  built once per PostgreSQL version and roles SQL and cached under /tmp; each stack
  copies it.
- The pool is `todo-api serve` (TODO_API_BIN, else <root>/build/todo-api) with a
  random JWT_SECRET; readiness comes from its sd_notify READY=1 (NOTIFY_SOCKET).
- nginx serves the shipped nginx/todo-api.conf, rendered by exact text substitution
  (ports, server_name, certificate, socket, log, rate limit) with a self-signed
  certificate.
"""

import atexit
import base64
import glob
import hashlib
import hmac
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.abspath(os.environ.get("TODO_API_ROOT") or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("TODO_API_BIN") or os.path.join(ROOT, "build", "todo-api")
SITE_FILE = os.path.join(ROOT, "nginx", "todo-api.conf")
CACHE_DIR = os.path.join(tempfile.gettempdir(), "todo-api-test-cache-%d" % os.geteuid())

INITDB_EXTRA = []  # part of the template's cache key, with the version and roles SQL

OWNER_ROLE = "todo_owner"
APP_ROLE = "todo_app"
DB_NAME = "todo"

# Test rendering of the site's rate limit: high enough that no test trips it by
# accident (all clients are 127.0.0.1). Tests of 429 pass rate_limit=("2r/s", 1).
TEST_RATE_LIMIT = ("10000r/s", 10000)


# ---------------------------------------------------------------------------
# Small process helpers


def _log(msg):
    sys.stderr.write("stack: %s\n" % msg)
    sys.stderr.flush()


def _pdeathsig(sig):
    """preexec_fn: the child gets `sig` when the process that started it dies.

    Runs after subprocess has switched user/group, so the setting survives (a
    credential change clears it)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def fn():
        libc.prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)
        if os.getppid() == 1:  # the parent died before prctl
            os.kill(os.getpid(), int(sig))
    return fn


def _stat(pid):
    """(ppid, starttime) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    if fields[0] == b"Z":
        return None
    return int(fields[1]), int(fields[19])


def children(pid):
    """Direct children of `pid` (live, not zombies)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st and st[0] == pid:
                out.append(int(entry))
    return sorted(out)


def descendants(pid):
    """{pid: starttime} of every live descendant of `pid`."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                table[int(entry)] = st
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for p, (ppid, start) in table.items():
            if ppid == parent and p not in found:
                found[p] = start
                todo.append(p)
    return found


def alive(pid):
    return _stat(pid) is not None


def _kill_leftovers(procs):
    """SIGKILL every process of {pid: starttime} still running (same start time)."""
    for pid, start in procs.items():
        st = _stat(pid)
        if st and st[1] == start:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _stop_process(proc, sig, timeout, name):
    """Signals a Popen, waits, SIGKILLs it and every descendant left; returns rc."""
    if proc is None:
        return None
    family = descendants(proc.pid)
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _log("%s did not stop within %.0f s of %s: SIGKILL" % (name, timeout, sig.name))
            proc.kill()
            proc.wait()
    family.update(descendants(proc.pid) if alive(proc.pid) else {})
    _kill_leftovers(family)
    return proc.returncode


def _unix_listening(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
            return True
        except OSError:
            return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "(no %s)" % path
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


# ---------------------------------------------------------------------------
# Tokens (HS256/384/512 in pure python)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret, sub="user-1", ttl=3600, alg="HS256", header=None, now=None,
               **claims):
    """An HS* JWT. exp = now + ttl unless given; a claim given as None is left out.

    header: extra/overriding header fields (e.g. {"kid": "x"}, {"alg": "none"}).
    """
    now = int(time.time() if now is None else now)
    body = {"sub": sub, "iat": now, "exp": now + ttl}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    head = {"alg": alg, "typ": "JWT"}
    head.update(header or {})
    signing_input = b64url(json.dumps(head, separators=(",", ":"))) + "." + \
        b64url(json.dumps(body, separators=(",", ":")))
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}.get(alg, hashlib.sha256)
    key = secret.encode() if isinstance(secret, str) else secret
    sig = hmac.new(key, signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(sig)


# ---------------------------------------------------------------------------
# HTTPS client


class Response:
    """status, headers (http.client.HTTPMessage: case-insensitive .get), body bytes.

    Unpacks as (status, headers, body); .json parses the body."""

    def __init__(self, status, headers, body, reason=""):
        self.status, self.headers, self.body, self.reason = status, headers, body, reason

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class _Connection(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 but verifies the certificate for `localhost`."""

    def __init__(self, port, context, timeout, server_hostname="localhost"):
        super().__init__("127.0.0.1", port, context=context, timeout=timeout)
        self._sni = server_hostname

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        # http.client writes the headers and the body in two sends: with Nagle on, the
        # body waits for nginx's delayed ACK of the headers, 40 ms per request with a
        # body on a kept-alive connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._sni)


# ---------------------------------------------------------------------------
# PostgreSQL


def pg_bindir():
    if os.environ.get("TODO_API_PG_BIN"):
        return os.environ["TODO_API_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server not found (apt-get install postgresql)")
    return os.path.dirname(found[-1])


def pg_user():
    """The unprivileged user PostgreSQL runs as: ourselves, or `postgres` for root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    return pwd.getpwnam("postgres")


# Used only when the project has no roles file: what docs/DATABASE.md describes.
ROLES_SQL_FALLBACK = """
CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app_role" LOGIN NOINHERIT PASSWORD :'app_password';
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO %I', current_database(), :'owner_role')
\\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app_role') \\gexec
GRANT CREATE, USAGE ON SCHEMA public TO :"owner_role";
CREATE SCHEMA todo AUTHORIZATION :"owner_role";
GRANT USAGE ON SCHEMA todo TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA todo
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
"""


def roles_sql_file(root=ROOT):
    """The project's SQL that creates the two roles, if there is one.

    Contract (sql/roles.sql.example, docs/DATABASE.md): run by psql as a superuser
    in the application's database, with ON_ERROR_STOP and the psql variables
    owner_role, app_role, owner_password, app_password."""
    for rel in ("sql/roles.sql.example", "sql/roles.sql"):
        path = os.path.join(root, rel)
        if os.path.isfile(path):
            return path
    return None


def roles_sql_text(root=ROOT):
    path = roles_sql_file(root)
    if path:
        with open(path) as f:
            return f.read()
    return ROLES_SQL_FALLBACK


class Postgres:
    """A cluster in `datadir`, listening on a unix socket in `sockdir` only."""

    def __init__(self, datadir, sockdir, port, logfile):
        self.bindir = pg_bindir()
        self.user = pg_user()
        self.datadir, self.sockdir, self.port, self.logfile = datadir, sockdir, port, logfile
        self.proc = None

    # -- lifecycle
    def _as_pg_user(self):
        if os.geteuid() == 0:
            return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return {}

    def _env(self):
        return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                "HOME": self.user.pw_dir, "TZ": "UTC"}

    def run_as_pg_user(self, args, **kw):
        return subprocess.run(args, env=self._env(), check=True, capture_output=True,
                              **self._as_pg_user(), **kw)

    def chown(self, path):
        if os.geteuid() == 0:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def initdb(self):
        self.run_as_pg_user([os.path.join(self.bindir, "initdb"), "-D", self.datadir,
                             "-U", "postgres", "--auth=trust", "-E", "UTF8",
                             "--locale=C.UTF-8", "--no-sync", "--no-instructions",
                             # 1 MiB WAL segments: a 2 MiB pg_wal instead of 17 MiB
                             # makes copying the template ~40% faster.
                             "--wal-segsize=1"] + INITDB_EXTRA)

    def start(self, timeout=30):
        os.makedirs(self.sockdir, mode=0o700, exist_ok=True)
        self.chown(self.sockdir)
        # Stale pid file from a crashed run of a persistent cluster.
        pidfile = os.path.join(self.datadir, "postmaster.pid")
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                old = f.readline().strip()
            if not (old.isdigit() and alive(int(old))):
                os.unlink(pidfile)
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, "postgres"), "-D", self.datadir,
             "-c", "listen_addresses=", "-c", "port=%d" % self.port,
             "-c", "unix_socket_directories=%s" % self.sockdir,
             "-c", "unix_socket_permissions=0700",
             "-c", "fsync=on", "-c", "synchronous_commit=on",
             "-c", "shared_buffers=32MB", "-c", "max_connections=60",
             "-c", "logging_collector=off", "-c", "log_min_messages=warning",
             "-c", "log_line_prefix=%m [%p] %q%u@%d ", "-c", "TimeZone=UTC"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self._env(),
            start_new_session=True, preexec_fn=_pdeathsig(signal.SIGINT),
            cwd=self.datadir, **self._as_pg_user())
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited with %s:\n%s"
                                   % (self.proc.returncode, tail(self.logfile)))
            try:
                with open(pidfile) as f:
                    lines = f.read().splitlines()
            except OSError:
                return False
            return len(lines) >= 8 and lines[0].strip() == str(self.proc.pid) and \
                lines[7].strip() == "ready"
        wait_until(ready, timeout, what="postgres to accept connections")
        return self

    def stop(self, timeout=30):
        """Fast shutdown (SIGINT): rolls back sessions, checkpoints, exits."""
        proc, self.proc = self.proc, None
        return _stop_process(proc, signal.SIGINT, timeout, "postgres")

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- access
    def conninfo(self, user=APP_ROLE, dbname=DB_NAME):
        return "host=%s port=%d dbname=%s user=%s" % (self.sockdir, self.port, dbname, user)

    def psql(self, sql, user="postgres", dbname=DB_NAME, variables=None, check=True,
             timeout=60):
        """Runs `sql` through psql (-X -A -t, ON_ERROR_STOP); returns stdout."""
        args = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", self.sockdir, "-p", str(self.port), "-U", user, "-d", dbname]
        for k, v in (variables or {}).items():
            args += ["-v", "%s=%s" % (k, v)]
        r = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=timeout,
                           env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                                "PGCONNECT_TIMEOUT": "5"})
        if check and r.returncode != 0:
            raise RuntimeError("psql failed (%d): %s\nSQL: %s" % (r.returncode, r.stderr, sql))
        return r.stdout

    def session(self, user="postgres", dbname=DB_NAME):
        return PsqlSession(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.sockdir, "-p", str(self.port), "-U", user,
                            "-d", dbname])

    def create_roles(self, root=ROOT):
        """The database and its two roles, the way an admin makes them: CREATE
        DATABASE, then the project's roles SQL (else the fallback) in it. The
        passwords are random and unused (local connections are trusted)."""
        self.psql("CREATE DATABASE %s" % DB_NAME, dbname="postgres")
        self.psql(roles_sql_text(root), dbname=DB_NAME,
                  variables={"owner_role": OWNER_ROLE, "app_role": APP_ROLE,
                             "owner_password": secrets.token_hex(16),
                             "app_password": secrets.token_hex(16)})


class PsqlSession:
    """A psql session kept open (e.g. to hold a lock while a test runs requests).

        with stack.psql_session() as db:
            db.execute("BEGIN; LOCK TABLE todo.tasks IN ACCESS EXCLUSIVE MODE")
            ...                       # requests wait for the lock
            db.execute("ROLLBACK")
    """

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                     preexec_fn=_pdeathsig(signal.SIGTERM))
        self._n = 0

    def execute(self, sql):
        """Runs `sql`, waits for it to finish, returns its output lines."""
        self._n += 1
        marker = "__psql_session_done_%d" % self._n
        self.proc.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo %s\n" % marker)
        self.proc.stdin.flush()
        out = []
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line == marker:
                return out
            out.append(line)
        raise RuntimeError("psql session ended: %s" % "\n".join(out))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def template_cluster(root=ROOT):
    """Path of a cached, stopped cluster with roles and database, built once.

    Keyed by the PostgreSQL version and the roles SQL, so a change of either builds
    a new one. Built in a scratch directory and renamed into place: concurrent test
    processes never see a half-built template."""
    bindir = pg_bindir()
    version = subprocess.run([os.path.join(bindir, "postgres"), "--version"],
                             capture_output=True, text=True, check=True).stdout.strip()
    recipe = "\0".join([version, "wal-segsize=1"] + INITDB_EXTRA + [roles_sql_text(root)])
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    path = os.path.join(CACHE_DIR, "pg-" + key)
    if os.path.isfile(os.path.join(path, "PG_VERSION")):
        os.utime(path)  # in use: not pruned
        return path
    os.makedirs(CACHE_DIR, mode=0o755, exist_ok=True)
    for old in glob.glob(os.path.join(CACHE_DIR, "pg-*")):  # unused for a day
        if time.time() - os.stat(old).st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)
    scratch = tempfile.mkdtemp(prefix="build-", dir=CACHE_DIR)
    os.chmod(scratch, 0o755)
    try:
        pg = Postgres(os.path.join(scratch, "data"), os.path.join(scratch, "s"),
                      free_port(), os.path.join(scratch, "postgres.log"))
        pg.chown(scratch)
        pg.initdb()
        pg.start()
        try:
            pg.create_roles(root)
        finally:
            pg.stop()
        try:
            os.rename(pg.datadir, path)
        except OSError:
            if not os.path.isfile(os.path.join(path, "PG_VERSION")):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


# ---------------------------------------------------------------------------
# nginx site rendering


def render_site(text, https_port, http_port, fcgi_socket, cert, key, access_log,
                server_name="localhost", rate_limit=TEST_RATE_LIMIT, listen="127.0.0.1"):
    """The shipped site file with test values, by exact substitution.

    Every substituted line must be found exactly as often as expected, so the
    shipped file and this renderer cannot drift apart silently."""
    rules = [
        ("listen 80;", "listen %s:%d;" % (listen, http_port), 1),
        ("listen [::]:80;", "", 1),
        ("listen 443 ssl http2;", "listen %s:%d ssl http2;" % (listen, https_port), 1),
        ("listen [::]:443 ssl http2;", "", 1),
        ("server_name api.example.com;", "server_name %s;" % server_name, 2),
        ("return 301 https://$host$request_uri;",
         "return 301 https://$host:%d$request_uri;" % https_port, 1),
        ("ssl_certificate /etc/letsencrypt/live/api.example.com/fullchain.pem;",
         "ssl_certificate %s;" % cert, 1),
        ("ssl_certificate_key /etc/letsencrypt/live/api.example.com/privkey.pem;",
         "ssl_certificate_key %s;" % key, 1),
        ("server unix:/run/todo-api/fcgi.sock;", "server unix:%s;" % fcgi_socket, 1),
        ("access_log /var/log/nginx/todo-api.access.log todo_api buffer=64k flush=1s;",
         "access_log %s todo_api;" % access_log, 1),
    ]
    if rate_limit:
        rate, burst = rate_limit
        rules += [("zone=todo_api:10m rate=20r/s;", "zone=todo_api:10m rate=%s;" % rate, 1),
                  ("limit_req zone=todo_api burst=100 nodelay;",
                   "limit_req zone=todo_api burst=%d nodelay;" % burst, 1)]
    for old, new, count in rules:
        found = text.count(old)
        if found != count:
            raise ValueError("nginx/todo-api.conf: expected %d x %r, found %d"
                             % (count, old, found))
        text = text.replace(old, new)
    return text


def nginx_main_conf(prefix, site_path, worker_processes=1):
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return """# Rendered by tests/integration/stack.py
{user}worker_processes {workers};
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {p}/tmp/body;
    fastcgi_temp_path {p}/tmp/fastcgi;
    proxy_temp_path {p}/tmp/proxy;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    include {site};
}}
""".format(user=user, workers=worker_processes, p=prefix, site=site_path)


def make_certificate(directory):
    """Self-signed ECDSA certificate for localhost (SAN DNS:localhost, IP:127.0.0.1)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


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


class Stack:
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
      listen                     how the pool gets its socket: "path" (it binds
                                 FCGI_SOCKET), "systemd" (LISTEN_FDS=1, fd 3, as from
                                 todo-api.socket) or "stdin" (fd 0, as from spawn-fcgi);
                                 for the last two the harness owns the socket, like
                                 systemd, and it outlives pool restarts
    """

    def __init__(self, workers=2, shutdown_timeout=10, env=None, postgres=True, pool=True,
                 nginx=True, migrate=True, rate_limit=TEST_RATE_LIMIT, base_dir=None,
                 https_port=None, http_port=None, pg_port=None, nginx_workers=1,
                 root=ROOT, binary=BIN, jwt_secret=None, listen="path"):
        self.root, self.binary = root, binary
        self.workers, self.shutdown_timeout = workers, shutdown_timeout
        self.extra_env = dict(env or {})
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
        })
        if self.pg:
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
                not _unix_listening(self.fcgi_socket):
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
            stderr=log, start_new_session=True, preexec_fn=_pdeathsig(signal.SIGTERM),
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
        return _stop_process(proc, sig, timeout or self.shutdown_timeout + 10, "todo-api")

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
            stderr=log, start_new_session=True, preexec_fn=_pdeathsig(signal.SIGTERM))
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
        return _stop_process(proc, signal.SIGTERM, 10, "nginx")

    # -- clients
    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = True
        return ctx

    def connection(self, timeout=10):
        """A keep-alive HTTPS connection (http.client) to nginx."""
        return _Connection(self.https_port, self.ssl_context(), timeout)

    def request(self, method, path, body=None, headers=None, token=None, timeout=10,
                conn=None):
        """One HTTPS request through nginx -> Response(status, headers, body).

        body: bytes/str sent as is, anything else as JSON (with Content-Type JSON unless
        headers set one). token: a JWT string, or a dict of claims for make_token()."""
        hdrs = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body).encode()
            if not any(k.lower() == "content-type" for k in hdrs):
                hdrs["Content-Type"] = "application/json"
        if token is not None:
            if isinstance(token, dict):
                token = self.token(**token)
            hdrs["Authorization"] = "Bearer " + token
        own = conn is None
        conn = conn or self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.headers, data, resp.reason)
        finally:
            if own:
                conn.close()

    def raw(self, data, tls=True, timeout=5, port=None):
        """Sends raw bytes to nginx (HTTPS port; tls=False: the plain HTTP port) and
        returns everything it answers until it closes or `timeout` passes."""
        sock = self.raw_socket(tls=tls, timeout=timeout, port=port)
        try:
            sock.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ssl.SSLError, ConnectionResetError):
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            sock.close()

    def raw_socket(self, tls=True, timeout=5, port=None):
        port = port or (self.https_port if tls else self.http_port)
        sock = socket.create_connection(("127.0.0.1", port), timeout)
        if tls:
            sock = self.ssl_context().wrap_socket(sock, server_hostname="localhost")
        return sock

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


# ---------------------------------------------------------------------------
# unittest glue

_CURRENT = None


def current():
    """The stack of the running test module (module_fixtures)."""
    return _CURRENT


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)



class RequestStream:
    """`threads` clients sending `GET path` in a loop for `seconds`, as a context manager:
    the body of the `with` runs while they send (disturb the pool there); on exit the
    clients are joined. `results` holds every status, `errors` every non-200 response or
    exception — a failed request is the finding."""

    def __init__(self, stack, seconds, threads=2, path="/api/health", timeout=10):
        self.stack, self.path, self.timeout = stack, path, timeout
        self.stop_at = time.monotonic() + seconds
        self.results, self.errors = [], []
        self.threads = [threading.Thread(target=self._client) for _ in range(threads)]

    def _client(self):
        while time.monotonic() < self.stop_at:
            try:
                r = self.stack.request("GET", self.path, timeout=self.timeout)
                self.results.append(r.status)
                if r.status != 200:
                    self.errors.append(r)
            except Exception as e:  # noqa: BLE001 - a failed request is the finding
                self.errors.append(e)

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(0.5)  # let the stream get going before the disturbance
        return self

    def __exit__(self, *exc):
        for t in self.threads:
            t.join()
        return False

def module_fixtures(**options):
    """(setUpModule, tearDownModule) that start and stop one Stack(**options)."""
    def set_up():
        global _CURRENT
        # SIGTERM (e.g. from a test runner) unwinds like Ctrl-C: teardown and atexit run.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited ignored
        _CURRENT = Stack(**options).start()
        _log("stack up in %.2f s (%s) in %s" % (
            _CURRENT.timings["start"],
            ", ".join("%s %.2f s" % kv for kv in _CURRENT.timings.items() if kv[0] != "start"),
            _CURRENT.dir))

    def tear_down():
        global _CURRENT
        s, _CURRENT = _CURRENT, None
        if s:
            s.stop()
            _log("stack down in %.2f s" % s.timings.get("stop", 0))
    return set_up, tear_down


class StackTestCase(unittest.TestCase):
    """Base class: `self.stack` is the module's stack; a failing test prints the tail
    of every log of the stack."""

    @property
    def stack(self):
        return _CURRENT

    def run(self, result=None):
        before = (len(result.failures), len(result.errors)) if result else None
        out = super().run(result)
        if result is not None and _CURRENT is not None and \
                (len(result.failures), len(result.errors)) != before:
            _CURRENT.print_logs()
        return out
