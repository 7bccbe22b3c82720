"""The pool through a real PgBouncer in transaction mode (docs/SCALING.md, step 1).

Four workers share two server connections (default_pool_size=2), with DB_PREPARED=off.
The statement timeout is a setting of the application role, so every server connection
PgBouncer opens has it: a statement that waits on a row lock longer than that answers
503 in time, and the pool keeps serving. (integration.pgbouncer.test_tasks, _list and
_isolation run those whole modules through the same setup.)
"""

import threading
import time

import harness
from harness.taskapi import ApiTestCase

TIMEOUT_MS = 500
WORKERS, SERVER_CONNECTIONS = 4, 2
setUpModule, tearDownModule = harness.module_fixtures(
    workers=WORKERS, pgbouncer=True, pgbouncer_pool_size=SERVER_CONNECTIONS,
    env={"DB_STATEMENT_TIMEOUT_MS": str(TIMEOUT_MS)})


def server_connections(s):
    """(pid, application_name) of the application role's PostgreSQL sessions."""
    out = s.psql("SELECT pid, application_name FROM pg_stat_activity WHERE usename = '%s'"
                 % harness.APP_ROLE, dbname="postgres")
    return [tuple(line.split("|", 1)) for line in out.splitlines() if line]


class ThroughPgBouncer(ApiTestCase):
    def test_the_pool_runs_through_pgbouncer_with_unnamed_statements(self):
        self.assertEqual(len(self.stack.worker_pids()), WORKERS)
        env = self.stack.pool_env()
        self.assertEqual(env["DB_PREPARED"], "off")
        self.assertIn("port=%d" % self.stack.bouncer.port, env["DATABASE_URL"])
        with open(self.stack.logs["pool"]) as f:
            log = f.read()
        self.assertIn('"statements":"unnamed"', log)
        # Load from more clients than server connections: everything answers, and
        # PostgreSQL never sees more sessions of the app role than the pool size.
        errors, seen = [], set()
        stop_at = time.monotonic() + 2.0

        def client(n):
            task = self.create(sub="%s-%d" % (self.sub, n), title="t%d" % n)
            while time.monotonic() < stop_at:
                r = self.call("GET", "/api/tasks/" + task["id"], sub="%s-%d" % (self.sub, n))
                if r.status != 200:
                    errors.append(r)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            seen.update(pid for pid, _ in server_connections(self.stack))
            time.sleep(0.05)
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertGreaterEqual(len(seen), 1)
        self.assertLessEqual(len(seen), SERVER_CONNECTIONS, seen)

    def test_statement_timeout_is_a_role_setting(self):
        config = self.psql_value("SELECT array_to_string(rolconfig, ',') FROM pg_roles "
                                 "WHERE rolname = '%s'" % harness.APP_ROLE)
        self.assertIn("statement_timeout=%d" % TIMEOUT_MS, config)
        # Every new transaction through PgBouncer sees it, whichever server connection
        # it lands on (a session SET would hold on one of them only).
        for _ in range(SERVER_CONNECTIONS * 3):
            self.assertEqual(self.stack.bouncer.psql("SHOW statement_timeout").strip(),
                             "%dms" % TIMEOUT_MS)

    def test_a_statement_over_the_timeout_is_503_in_time_and_the_pool_still_works(self):
        task = self.create(title="locked")
        other = self.create(title="free")
        with self.stack.psql_session() as db:
            # A row lock held by another session: the PATCH waits on it.
            db.execute("BEGIN; SELECT 1 FROM todo.tasks WHERE id = '%s' FOR UPDATE"
                       % task["id"])
            try:
                t0 = time.monotonic()
                r = self.call("PATCH", "/api/tasks/" + task["id"], body={"title": "late"})
                elapsed = time.monotonic() - t0
                # Meanwhile the pool answers other requests on the other connection.
                self.assertEqual(self.fetch(other["id"])["title"], "free")
            finally:
                db.execute("ROLLBACK")
        self.assertError(r, 503)
        self.assertTrue(r.headers.get("Retry-After"), r.headers)
        self.assertGreaterEqual(elapsed, TIMEOUT_MS / 1000.0 * 0.9, "did it wait on the lock?")
        self.assertLess(elapsed, TIMEOUT_MS / 1000.0 + 1.0, "503 took %.2f s" % elapsed)
        harness.log("statement over the timeout: 503 after %.3f s" % elapsed)
        self.assertEqual(self.fetch(task["id"])["title"], "locked")  # nothing written
        # The cancelled transaction left no broken server connection: every worker,
        # whichever connection it gets, succeeds.
        for i in range(WORKERS * 3):
            r = self.call("PATCH", "/api/tasks/" + task["id"], body={"title": "now %d" % i})
            self.assertEqual(r.status, 200, r)
        self.assertEqual(self.fetch(task["id"])["title"], "now %d" % (WORKERS * 3 - 1))


if __name__ == "__main__":
    import unittest
    unittest.main()
