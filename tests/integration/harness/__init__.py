"""The integration harness: a real todo-api stack per test module (PostgreSQL, the pool,
nginx), and the helpers the test modules share.

python3 stdlib only. One stack per test module:

    import harness
    setUpModule, tearDownModule = harness.module_fixtures(workers=2)

    class PoolTest(harness.StackTestCase):
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

The modules (each imports only public names of the others; test modules import this
package's names below, or a helper module such as harness.taskapi):
  common     paths, roles, constants, process helpers (log, wait_until, stop_process...)
  jwt_tools  JWKS documents and signed JWTs (openssl CLI), and make_token (HS*)
  pg         the PostgreSQL cluster (Postgres, PsqlSession, the cached template)
  pgbouncer  a real PgBouncer in transaction mode (Stack(pgbouncer=True))
  web        responses, the HTTPS client (StackClient), curl, the nginx site, RequestStream
  stack      Stack itself
  fixtures   module_fixtures, current, StackTestCase
  taskapi, listapi, authapi   helpers of the task, list and auth test modules
"""

from .common import (APP_ROLE, BIN, CACHE_DIR, DB_NAME, INITDB_EXTRA, OWNER_ROLE, ROOT,
                     SITE_FILE, TEST_RATE_LIMIT, alive, children, descendants, free_port,
                     kill_leftovers, log, pdeathsig, proc_stat, stop_process, tail,
                     unix_listening, wait_until)
from .fixtures import StackTestCase, current, module_fixtures
from .jwt_tools import b64url, make_token
from .pg import Postgres, PsqlSession, pg_bindir, pg_user, roles_sql_file, template_cluster
from .pgbouncer import PgBouncer, via_pgbouncer_from_env
from .stack import Stack
from .web import (CurlResponse, HttpsConnection, RequestStream, Response, StackClient, curl,
                  make_certificate, nginx_main_conf, render_site)

__all__ = [
    "APP_ROLE", "BIN", "CACHE_DIR", "DB_NAME", "INITDB_EXTRA", "OWNER_ROLE", "ROOT", "SITE_FILE",
    "TEST_RATE_LIMIT", "alive", "children", "descendants", "free_port", "kill_leftovers", "log",
    "pdeathsig", "proc_stat", "stop_process", "tail", "unix_listening", "wait_until",
    "StackTestCase", "current", "module_fixtures",
    "b64url", "make_token",
    "Postgres", "PsqlSession", "pg_bindir", "pg_user", "roles_sql_file", "template_cluster",
    "PgBouncer", "via_pgbouncer_from_env",
    "Stack",
    "CurlResponse", "HttpsConnection", "RequestStream", "Response", "StackClient", "curl",
    "make_certificate", "nginx_main_conf", "render_site",
]
