"""A real PgBouncer between the pool and the cluster (see stack.py, Stack(pgbouncer=True)).

Transaction pooling with fewer server connections than workers, as a team puts in front
of one PostgreSQL (or as Neon's pooled endpoint does): the workers run with
DB_PREPARED=off, and the statement timeout lives on the application role
(`ALTER ROLE ... SET statement_timeout`), because a session `SET` stays on whichever
server connection ran it and is not the setting of the next transaction's connection.

PgBouncer refuses to run as root: like the cluster it runs as PostgreSQL's
unprivileged user, with its files in a directory that user owns. Clients log in with
SCRAM against an auth_file (userlist) holding the application role's password.
"""
import os
import secrets
import signal
import socket
import subprocess

from .common import APP_ROLE, DB_NAME, free_port, pdeathsig, stop_process, tail, wait_until

# The switch that runs any integration module through PgBouncer (tests/CMakeLists.txt
# adds integration.pgbouncer.<module> entries with it set).
ENV_SWITCH = "TODO_TEST_VIA_PGBOUNCER"


def via_pgbouncer_from_env():
    return os.environ.get(ENV_SWITCH, "") not in ("", "0", "off", "no")


class PgBouncer:
    """PgBouncer on 127.0.0.1:port in front of `pg` (a harness.pg.Postgres)."""

    def __init__(self, pg, directory, pool_size=2, port=None):
        self.pg, self.dir, self.pool_size = pg, directory, pool_size
        self.port = port or free_port()
        self.password = secrets.token_hex(16)
        self.proc = None
        self.logfile = os.path.join(directory, "pgbouncer.log")

    def _write(self, name, text):
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.pg.chown(path)
        return path

    def configure(self, statement_timeout_ms):
        """The role's password (for the userlist) and statement timeout, then the files."""
        # Settings of the role apply at login to every server connection PgBouncer opens;
        # the worker's own session SET would reach only one of them.
        self.pg.psql("ALTER ROLE %s PASSWORD '%s';\n"
                     "ALTER ROLE %s SET statement_timeout = %d;"
                     % (APP_ROLE, self.password, APP_ROLE, int(statement_timeout_ms)))
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self.pg.chown(self.dir)
        userlist = self._write("userlist.txt", '"%s" "%s"\n' % (APP_ROLE, self.password))
        self.ini = self._write("pgbouncer.ini", """\
; Rendered by tests/integration/harness/pgbouncer.py
[databases]
{db} = host={sockdir} port={pgport} dbname={db}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {userlist}
pool_mode = transaction
; fewer server connections than workers: workers queue in PgBouncer, not in PostgreSQL
default_pool_size = {size}
min_pool_size = 0
reserve_pool_size = 0
max_db_connections = {size}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
pidfile = {dir}/pgbouncer.pid
""".format(db=DB_NAME, sockdir=self.pg.sockdir, pgport=self.pg.port, port=self.port,
           userlist=userlist, size=self.pool_size, dir=self.dir))

    def start(self, timeout=15):
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            ["/usr/sbin/pgbouncer", self.ini], stdin=subprocess.DEVNULL, stdout=log,
            stderr=log, env=self.pg.env(), start_new_session=True,
            preexec_fn=pdeathsig(signal.SIGTERM), cwd=self.dir, **self.pg.as_pg_user())
        log.close()

        def listening():
            if self.proc.poll() is not None:
                raise RuntimeError("pgbouncer exited with %s:\n%s"
                                   % (self.proc.returncode, tail(self.logfile)))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_until(listening, timeout, what="pgbouncer to listen")
        return self

    def stop(self, timeout=10):
        proc, self.proc = self.proc, None
        return stop_process(proc, signal.SIGTERM, timeout, "pgbouncer")  # immediate shutdown

    def conninfo(self, user=APP_ROLE):
        return "host=127.0.0.1 port=%d dbname=%s user=%s password=%s" % (
            self.port, DB_NAME, user, self.password)

    def psql(self, sql, timeout=30):
        """Runs `sql` through PgBouncer as the application role; returns stdout."""
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            self.conninfo()], input=sql, capture_output=True, text=True,
                           timeout=timeout, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        if r.returncode != 0:
            raise RuntimeError("psql via pgbouncer failed (%d): %s" % (r.returncode, r.stderr))
        return r.stdout
