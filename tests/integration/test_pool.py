"""The pool behind the real nginx site over TLS, with a real PostgreSQL.

Process faults of QUALITY.md "Reliability": database stopped and back, kill -9 of a
worker, SIGHUP under a stream of requests, SIGTERM with a request in flight, and a
client that stalls mid-request. Plus the HTTP edges nginx and the worker share:
405/Allow, 404, 413 from both, nginx's own 400/414, and a 9 KiB Authorization header.
"""

import json
import os
import signal
import threading
import time
import unittest

import harness

WORKERS = 2
setUpModule, tearDownModule = harness.module_fixtures(workers=WORKERS, shutdown_timeout=10)

JSON_TYPE = "application/json; charset=utf-8"


def backend_pids(s, user=harness.APP_ROLE):
    """Server processes of the pool's database connections."""
    out = s.psql("SELECT pid FROM pg_stat_activity WHERE usename = '%s'" % user,
                 dbname="postgres")
    return [int(p) for p in out.split()]


class PoolTestCase(harness.StackTestCase):
    def setUp(self):
        # A test that stops the pool or the database must not break the next one.
        if not self.stack.pg.running:
            self.stack.start_postgres()
        if self.stack.pool_proc is None or self.stack.pool_proc.poll() is not None:
            self.stack.stop_pool()  # reaps what a failed test may have left
            self.stack.start_pool()
        self.stack.wait_workers(WORKERS, timeout=5)

    def assertJsonError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE, r)
        body = r.json
        self.assertEqual(body.get("code"), code, r)
        self.assertIsInstance(body.get("detail"), str, r)
        self.assertTrue(r.headers.get("X-Request-Id"), r)
        return body

    def health_ok(self):
        r = self.stack.request("GET", "/api/health", timeout=5)
        return r if r.status == 200 else None


class Health(PoolTestCase):
    def test_the_socket_is_for_its_owner_and_group_only(self):
        # FCGI_SOCKET_MODE 0660: nginx reaches it through the group, nobody else at all
        # (libfcgi's CVE-2025-23016 must only ever see nginx's params).
        import stat
        mode = os.stat(self.stack.fcgi_socket).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o660)

    def test_health_over_tls_with_nginx_request_id(self):
        r = self.stack.request("GET", "/api/health")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ok")
        self.assertEqual(r.json["database"], "ok")
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        self.assertIn("max-age=", r.headers.get("Strict-Transport-Security", ""))
        rid = r.headers.get("X-Request-Id")
        self.assertRegex(rid or "", r"^[0-9a-f]{32}$")
        # The id is nginx's $request_id (the access log names it), not one the
        # worker made up.
        log = harness.wait_until(
            lambda: "request_id=%s" % rid in harness.tail(self.stack.logs["nginx-access"], 50),
            2, what="the request id in nginx's access log")
        self.assertTrue(log)

    def test_each_request_gets_its_own_id(self):
        ids = {self.stack.request("GET", "/api/health").headers["X-Request-Id"]
               for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_root_health_is_the_api_health(self):
        r = self.stack.request("GET", "/health")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ok")
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")

    def test_live_and_ready(self):
        self.assertEqual(self.stack.request("GET", "/api/health/live").status, 200)
        self.assertEqual(self.stack.request("GET", "/api/health/ready").status, 200)


class HttpEdges(PoolTestCase):
    def test_wrong_method_is_405_with_allow(self):
        r = self.stack.request("DELETE", "/api/health")
        self.assertJsonError(r, 405, "method_not_allowed")
        allow = [m.strip() for m in r.headers.get("Allow", "").split(",")]
        self.assertIn("GET", allow, r.headers)
        self.assertNotIn("DELETE", allow)

    def test_unknown_route_is_404_json_from_the_worker(self):
        self.assertJsonError(self.stack.request("GET", "/api/nope"), 404, "not_found")

    def test_path_outside_api_is_404_json_from_nginx(self):
        self.assertJsonError(self.stack.request("GET", "/index.html"), 404, "not_found")

    def test_body_over_nginx_limit_is_413_json_from_nginx(self):
        body = b'{"title":"' + b"x" * 70000 + b'"}'
        r = self.stack.request("POST", "/api/tasks", body=body, token=self.stack.token(),
                               headers={"Content-Type": "application/json"})
        self.assertJsonError(r, 413, "payload_too_large")
        self.assertEqual(r.json["detail"], "Request body is too large")  # nginx's page

    def test_body_over_max_body_bytes_is_413_json_from_the_worker(self):
        self.stack.restart_pool(env={"MAX_BODY_BYTES": "1000"})
        try:
            body = {"title": "x" * 2000}
            r = self.stack.request("POST", "/api/tasks", body=body, token=self.stack.token())
            self.assertJsonError(r, 413, "payload_too_large")
            self.assertIn("1000", r.json["detail"])  # the worker's message names its limit
        finally:
            self.stack.restart_pool()

    def test_unparsable_request_line_is_400_json_from_nginx(self):
        raw = self.stack.raw(b"GARBAGE\x01\x02 / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 400 "), raw)
        self.assertIn(b"content-type: " + JSON_TYPE.encode(), head.lower())
        self.assertEqual(json.loads(body)["code"], "bad_request")

    def test_uri_too_long_is_414_json_from_nginx(self):
        r = self.stack.request("GET", "/api/tasks?q=" + "a" * 20000)
        self.assertJsonError(r, 414, "bad_request")

    def test_9k_authorization_header_reaches_the_worker(self):
        token = self.stack.token(pad="p" * 9 * 1024)
        self.assertGreater(len(token), 9 * 1024)
        r = self.stack.request("GET", "/api/tasks", token=token)
        # The worker's 401 (token over 8 KiB), not nginx's 400 "header too large".
        self.assertJsonError(r, 401, "unauthorized")
        self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers)

    def test_stalled_partial_requests_do_not_tie_up_workers(self):
        # With fastcgi_request_buffering off, the body-stalled requests would each
        # hold a worker reading the body, and this test fails.
        token = self.stack.token().encode()
        stalled = []
        try:
            for i in range(WORKERS * 2):
                sock = self.stack.raw_socket(timeout=30)
                if i % 2:  # headers cut in the middle
                    sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: local")
                else:  # headers complete (valid token), body announced, partly sent
                    sock.sendall(b"POST /api/tasks HTTP/1.1\r\nHost: localhost\r\n"
                                 b"Authorization: Bearer " + token + b"\r\n"
                                 b"Content-Type: application/json\r\n"
                                 b"Content-Length: 100\r\n\r\n{\"title\":")
                stalled.append(sock)
            time.sleep(0.3)
            for _ in range(WORKERS * 3):
                t0 = time.monotonic()
                r = self.stack.request("GET", "/api/health", timeout=3)
                self.assertEqual(r.status, 200, r)
                self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            for sock in stalled:
                sock.close()


class DatabaseOutage(PoolTestCase):
    def test_database_down_503_fast_then_back(self):
        workers = self.stack.worker_pids()
        self.stack.stop_postgres()
        try:
            for _ in range(WORKERS * 2):  # every worker notices, each within 1 s
                t0 = time.monotonic()
                r = self.stack.request("GET", "/api/health", timeout=10)
                elapsed = time.monotonic() - t0
                self.assertEqual(r.status, 503, r)
                self.assertLess(elapsed, 1.0, "503 took %.2f s" % elapsed)
                self.assertEqual(r.json["status"], "unavailable")
                self.assertEqual(r.json["database"], "unreachable")
                self.assertTrue(r.headers.get("Retry-After"), r.headers)
                self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        finally:
            self.stack.start_postgres()
        t0 = time.monotonic()
        harness.wait_until(self.health_ok, 5, interval=0.1, what="health 200 after restart")
        back = time.monotonic() - t0
        # Every worker reconnects, not only one.
        for _ in range(WORKERS * 2):
            self.assertEqual(self.stack.request("GET", "/api/health").status, 200)
        self.assertEqual(self.stack.worker_pids(), workers, "a worker crashed")
        harness.log("database back: health 200 after %.2f s" % back)


class StatementTimeout(PoolTestCase):
    def test_statement_timeout_is_503_and_the_connection_stays_usable(self):
        self.stack.restart_pool(env={"DB_STATEMENT_TIMEOUT_MS": "300", "WORKERS": "1"})
        try:
            token = self.stack.token("timeout-user")
            self.assertEqual(self.stack.request("GET", "/api/tasks", token=token).status, 200)
            backends = backend_pids(self.stack)
            worker = self.stack.worker_pids()
            with self.stack.psql_session() as db:
                db.execute("BEGIN; LOCK TABLE todo.tasks IN ACCESS EXCLUSIVE MODE")
                t0 = time.monotonic()
                r = self.stack.request("GET", "/api/tasks", token=token, timeout=10)
                elapsed = time.monotonic() - t0
                db.execute("ROLLBACK")
            self.assertJsonError(r, 503, "service_unavailable")
            self.assertTrue(r.headers.get("Retry-After"), r.headers)
            self.assertLess(elapsed, 2.0)
            r = self.stack.request("GET", "/api/tasks", token=token)
            self.assertEqual(r.status, 200, r)
            # Same worker, same database session: the timeout did not cost a reconnect.
            self.assertEqual(self.stack.worker_pids(), worker)
            self.assertEqual(backend_pids(self.stack), backends)
        finally:
            self.stack.restart_pool()


class ProcessFaults(PoolTestCase):
    def test_kill_9_during_creates_loses_no_acknowledged_task(self):
        token = self.stack.token("kill9-user")
        created, failed = [], []
        stop_at = time.monotonic() + 2.0

        def creator(n):
            i = 0
            while time.monotonic() < stop_at:
                i += 1
                try:
                    r = self.stack.request("POST", "/api/tasks", body={"title": "t%d-%d" % (n, i)},
                                           token=token, timeout=10)
                except Exception as e:  # noqa: BLE001 - a cut request is allowed here
                    failed.append(e)
                    continue
                if r.status == 201:
                    created.append(r.json["data"]["id"])
                else:
                    failed.append(r)
        threads = [threading.Thread(target=creator, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.7)
        victims = self.stack.worker_pids()
        os.kill(victims[0], signal.SIGKILL)
        t0 = time.monotonic()
        self.stack.wait_workers(WORKERS, timeout=1.0, exclude=victims[:1])
        replaced = time.monotonic() - t0
        for t in threads:
            t.join()
        self.assertGreater(len(created), 20, "the stream did not run: %r" % failed[:3])
        # At most the requests in flight on the killed worker may fail.
        self.assertLessEqual(len(failed), 1, failed)
        stored = set(self.stack.psql(
            "SELECT id FROM todo.tasks WHERE user_id = 'kill9-user'").split())
        self.assertEqual(set(created) - stored, set(), "acknowledged tasks lost")
        harness.log("kill -9 during creates: %d created, %d failed, replaced in %.3f s"
                   % (len(created), len(failed), replaced))


    def test_kill_9_worker_is_replaced_within_1s(self):
        victim = self.stack.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        t0 = time.monotonic()
        pids = self.stack.wait_workers(WORKERS, timeout=1.0, exclude=[victim])
        harness.log("worker replaced in %.3f s" % (time.monotonic() - t0))
        self.assertNotIn(victim, pids)
        self.assertTrue(self.stack.pool_proc.poll() is None, "the master died")
        for _ in range(WORKERS * 3):
            self.assertEqual(self.stack.request("GET", "/api/health").status, 200)

    def test_sighup_under_load_fails_no_request_and_replaces_workers(self):
        old = set(self.stack.worker_pids())
        with harness.RequestStream(self.stack, seconds=2.0, timeout=5) as stream:
            os.kill(self.stack.pool_pid, signal.SIGHUP)
        results, errors = stream.results, stream.errors
        self.assertEqual(errors, [])
        self.assertGreater(len(results), 20, "the stream did not run")
        new = harness.wait_until(
            lambda: (lambda p: p if len(p) == WORKERS and not set(p) & old else None)(
                self.stack.worker_pids()), 10, what="every worker replaced")
        self.assertFalse(set(new) & old)
        self.assertEqual(self.stack.request("GET", "/api/health").status, 200)

    def test_sigterm_lets_the_request_in_flight_finish_and_no_worker_outlives_master(self):
        master = self.stack.pool_proc
        workers = self.stack.worker_pids()
        # Make the next request slow: freeze the pool's database backends, so a
        # worker's list query waits in the middle of the request (up to its deadline,
        # DB_STATEMENT_TIMEOUT_MS + 300 ms; health would give up after 700 ms).
        token = self.stack.token("sigterm-user")
        frozen = backend_pids(self.stack)
        self.assertEqual(len(frozen), WORKERS)
        result = {}

        def slow():
            try:
                result["r"] = self.stack.request("GET", "/api/tasks", token=token, timeout=20)
            except Exception as e:  # noqa: BLE001
                result["e"] = e
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        thread = threading.Thread(target=slow)
        try:
            thread.start()
            time.sleep(0.5)
            self.assertTrue(thread.is_alive(), "the request was not held: %r" % result)
            master.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            self.assertIsNone(master.poll(), "the master exited with a request in flight")
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        thread.join(20)
        self.assertNotIn("e", result)
        self.assertEqual(result["r"].status, 200, result["r"])
        rc = master.wait(15)
        survivors = [p for p in workers if harness.alive(p)]
        self.assertEqual(survivors, [], "workers outlived the master")
        self.assertEqual(rc, 0)
        self.assertFalse(os.path.exists(self.stack.fcgi_socket), "socket left behind")
        self.stack.pool_proc = None
        # With the pool gone nginx answers itself: 502 as a JSON error.
        r = self.stack.request("GET", "/api/health")
        self.assertJsonError(r, 502, "service_unavailable")
        self.assertTrue(r.headers.get("Retry-After"))

    def test_readiness_is_notified(self):
        # wait_pool_ready() relies on it at every start; here explicitly, after a restart.
        self.stack.stop_pool()
        self.stack.start_pool(wait=False)
        self.stack.wait_pool_ready(timeout=10)
        self.assertEqual(len(self.stack.wait_workers(WORKERS)), WORKERS)



class UnpreparedStatements(PoolTestCase):
    """DB_PREPARED=off (transaction-mode poolers such as PgBouncer): every statement is sent
    as an unnamed one, and every endpoint still works."""

    def test_every_kind_of_statement_works_unprepared(self):
        self.stack.restart_pool({"DB_PREPARED": "off"})
        try:
            token = self.stack.token("unprepared-user")
            r = self.stack.request("POST", "/api/tasks", body={"title": "No prepare", "tags": ["x"]},
                                   token=token)
            self.assertEqual(r.status, 201, r)
            task_id = r.json["data"]["id"]
            for method, path, status in (
                    ("GET", "/api/tasks/" + task_id, 200),
                    ("PATCH", "/api/tasks/%s/complete" % task_id, 200),
                    ("GET", "/api/tasks", 200),
                    ("GET", "/api/tasks?completed=true&sort=title", 200),  # a filtered list
                    ("GET", "/api/me", 200),
                    ("DELETE", "/api/tasks?completed=true", 200)):
                r = self.stack.request(method, path, token=token)
                self.assertEqual(r.status, status, (method, path, r))
            self.assertEqual(r.json["data"]["deleted"], 1)  # the toggle above really completed it
            log = harness.tail(self.stack.logs["pool"], 400)
            self.assertIn('"statements":"unnamed"', log)  # the setting was really in force
        finally:
            self.stack.restart_pool()


if __name__ == "__main__":
    unittest.main()
