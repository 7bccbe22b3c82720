"""A PostgreSQL cluster for the tests: initdb as an unprivileged user, roles, psql (see stack.py)."""
import glob
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

from .common import (APP_ROLE, CACHE_DIR, DB_NAME, INITDB_EXTRA, OWNER_ROLE, ROOT, alive,
                     free_port, pdeathsig, stop_process, tail, wait_until)

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
\set owner_password `cat -- :'owner_password_file'`
\set app_password `cat -- :'app_password_file'`
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
    owner_role, app_role, owner_password_file, app_password_file (files holding the
    passwords: never a password on a command line)."""
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
        # Extra "name=value" server settings for the next start(), after (so overriding)
        # the defaults: e.g. listen_addresses=127.0.0.1 and ssl=on for a TLS test.
        self.settings = []

    # -- lifecycle
    def as_pg_user(self):
        """subprocess keyword arguments that run a child as PostgreSQL's user."""
        if os.geteuid() == 0:
            return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return {}

    def env(self):
        """The environment of a child run as PostgreSQL's user."""
        return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                "HOME": self.user.pw_dir, "TZ": "UTC"}

    def run_as_pg_user(self, args, **kw):
        return subprocess.run(args, env=self.env(), check=True, capture_output=True,
                              **self.as_pg_user(), **kw)

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
             "-c", "log_line_prefix=%m [%p] %q%u@%d ", "-c", "TimeZone=UTC"] +
            [arg for kv in self.settings for arg in ("-c", kv)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.env(),
            start_new_session=True, preexec_fn=pdeathsig(signal.SIGINT),
            cwd=self.datadir, **self.as_pg_user())
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
        return stop_process(proc, signal.SIGINT, timeout, "postgres")

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
        secret_dir = tempfile.mkdtemp(prefix="todo-api-pw-")
        try:
            files = {}
            for name in ("owner_password_file", "app_password_file"):
                files[name] = os.path.join(secret_dir, name)
                fd = os.open(files[name], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(16) + "\n")
            self.psql(roles_sql_text(root), dbname=DB_NAME,
                      variables=dict(files, owner_role=OWNER_ROLE, app_role=APP_ROLE))
        finally:
            shutil.rmtree(secret_dir, ignore_errors=True)


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
                                     preexec_fn=pdeathsig(signal.SIGTERM))
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
