"""Operations (issue 11) and the per-user rate limit (issue 10): the scoreboard in
shared memory seen through GET /status, GET /metrics and `todo-api status`, each
metric moved by the traffic that should move it, loopback-only exposure, the
slow-request log, and USER_RATE_LIMIT / USER_RATE_BURST at their defaults.
"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest

import harness

WORKERS = 2
setUpModule, tearDownModule = harness.module_fixtures(
    workers=WORKERS, env={"USER_RATE_LIMIT": None, "USER_RATE_BURST": None,
                          "SLOW_REQUEST_MS": None})  # None: the shipped defaults (20, 100, 500)

SAMPLE = re.compile(r'^([a-z_]+)(\{.*\})? (\S+)$')


def parse_metrics(text):
    """{(name, frozenset(labels)): float}; checks every line is valid 0.0.4 text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def log_lines(path):
    with open(path) as f:
        return f.readlines()


def metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class OpsTestCase(harness.StackTestCase):
    def metrics(self):
        r = self.stack.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        return parse_metrics(r.body.decode())

    def status(self, full=False):
        r = self.stack.request("GET", "/status?full" if full else "/status")
        self.assertEqual(r.status, 200, r)
        return r.json

    def cli(self, *args, env=None):
        e = self.stack.pool_env()
        e.update(env or {})
        return subprocess.run([self.stack.binary, "status"] + list(args), env=e,
                              capture_output=True, text=True, timeout=10)


class Metrics(OpsTestCase):
    def test_requests_status_classes_and_histogram_move_with_traffic(self):
        s = self.stack
        token = s.token("metrics-user")
        before = self.metrics()
        for _ in range(3):
            self.assertEqual(s.request("GET", "/api/tasks", token=token).status, 200)
        self.assertEqual(s.request("POST", "/api/tasks", body={"title": "m"}, token=token).status,
                         201)
        self.assertEqual(s.request("GET", "/api/nope").status, 404)
        self.assertEqual(s.request("GET", "/api/tasks").status, 401)
        after = self.metrics()

        def delta(name, **labels):
            return metric(after, name, **labels) - metric(before, name, **labels)
        self.assertEqual(delta("todo_api_requests_total", route="/api/tasks", method="GET",
                               code="200"), 3)
        self.assertEqual(delta("todo_api_requests_total", route="/api/tasks", method="POST",
                               code="201"), 1)
        self.assertEqual(delta("todo_api_requests_total", route="unmatched", method="GET",
                               code="404"), 1)
        self.assertEqual(delta("todo_api_requests_total", route="/api/tasks", method="GET",
                               code="401"), 1)
        self.assertEqual(delta("todo_api_request_duration_seconds_count", route="/api/tasks"), 5)
        self.assertEqual(delta("todo_api_request_duration_seconds_bucket", route="/api/tasks",
                               le="+Inf"), 5)
        self.assertGreater(delta("todo_api_request_duration_seconds_sum", route="/api/tasks"), 0)
        # Buckets are cumulative and end at the count.
        les = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
               "0.5", "1", "+Inf"]
        series = [metric(after, "todo_api_request_duration_seconds_bucket", route="/api/tasks",
                         le=le) for le in les]
        self.assertEqual(series, sorted(series))
        # The /metrics request before counts as accepted too: 6 + that one.
        self.assertEqual(delta("todo_api_accepted_connections_total"), 7)
        # Token cache: the first request verified the token, the next ones hit
        # (with 2 workers each verifies once at most).
        self.assertGreaterEqual(delta("todo_api_token_cache_misses_total"), 1)
        self.assertLessEqual(delta("todo_api_token_cache_misses_total"), WORKERS)
        self.assertGreaterEqual(delta("todo_api_token_cache_hits_total"), 4 - WORKERS)
        build = [(dict(k[1]), v) for k, v in after.items() if k[0] == "todo_api_build_info"]
        self.assertEqual(len(build), 1, build)
        self.assertRegex(build[0][0]["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(build[0][1], 1)
        self.assertEqual(sum(metric(after, "todo_api_workers", state=st) for st in
                             ("idle", "reading", "auth", "db", "render", "writing")), WORKERS)

    def test_worker_killed_moves_the_respawn_counter_and_shows_why(self):
        s = self.stack
        before = metric(self.metrics(), "todo_api_worker_respawns_total")
        victim = s.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        s.wait_workers(WORKERS, timeout=5, exclude=(victim,))
        harness.wait_until(lambda: metric(self.metrics(), "todo_api_worker_respawns_total")
                         == before + 1, 5, interval=0.1, what="respawn counter")
        st = harness.wait_until(
            lambda: (lambda j: j if all(p["state"] != "starting" for p in j["processes"])
                     else None)(self.status(full=True)), 5, interval=0.1, what="workers ready")
        self.assertEqual(sorted(p["pid"] for p in st["processes"]), sorted(s.worker_pids()))
        self.assertIn("signal Killed", [p["predecessor exit"] for p in st["processes"]])
        self.assertEqual(st["respawns"], before + 1)

    def test_stopped_database_moves_db_errors_and_reconnects(self):
        s = self.stack
        before = self.metrics()
        s.stop_postgres()
        try:
            for _ in range(WORKERS * 2):
                self.assertEqual(s.request("GET", "/api/health").status, 503)
        finally:
            s.start_postgres()
        harness.wait_until(lambda: s.request("GET", "/api/health").status == 200, 10,
                         interval=0.1, what="health back")
        after = self.metrics()
        self.assertGreaterEqual(metric(after, "todo_api_db_errors_total", **{"class": "connection"})
                                - metric(before, "todo_api_db_errors_total",
                                         **{"class": "connection"}), WORKERS * 2)
        self.assertGreaterEqual(metric(after, "todo_api_db_reconnects_total")
                                - metric(before, "todo_api_db_reconnects_total"), 1)


class Status(OpsTestCase):
    def test_status_has_php_fpm_fields_and_full_lists_every_worker(self):
        st = self.status()
        for key in ("pool", "start time", "accepted conn", "listen queue", "max listen queue",
                    "idle processes", "active processes", "max children reached",
                    "slow requests", "total processes", "version"):
            self.assertIn(key, st)
        self.assertEqual(st["pool"], "todo-api")
        self.assertNotIn("processes", st)
        self.assertLessEqual(abs(st["start time"] - time.time()), 3600)
        # The worker answering is busy (render/writing) while it renders: 1 active.
        self.assertGreaterEqual(st["active processes"], 1)
        self.assertEqual(st["idle processes"] + st["active processes"], WORKERS)
        full = self.status(full=True)
        self.assertEqual(sorted(p["pid"] for p in full["processes"]),
                         sorted(self.stack.worker_pids()))
        me = [p for p in full["processes"] if p["request route"] == "/status"
              and p["state"] not in ("idle", "starting")]
        self.assertEqual(len(me), 1, full["processes"])

    def test_no_token_user_id_or_task_content_is_shown(self):
        s = self.stack
        token = s.token("secret-user-id-42")
        s.request("POST", "/api/tasks", body={"title": "secret-title-42"}, token=token)
        s.request("GET", "/api/tasks/00000000-0000-0000-0000-000000000000", token=token)
        for path in ("/status?full", "/metrics"):
            body = s.request("GET", path).body.decode()
            for needle in ("secret-user-id-42", "secret-title-42", token[:20],
                           "00000000-0000"):
                self.assertNotIn(needle, body, path)

    def test_refused_from_an_address_that_is_not_allowed(self):
        s = self.stack
        for path in ("/status", "/metrics"):
            raw = socket.create_connection(("127.0.0.1", s.https_port), 5,
                                           source_address=("127.0.0.2", 0))
            tls = s.ssl_context().wrap_socket(raw, server_hostname="localhost")
            try:
                tls.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                             % path).encode())
                data = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            finally:
                tls.close()
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 403"), head)
            self.assertEqual(json.loads(body)["code"], "forbidden")
            self.assertNotIn(b"todo_api_", body)
        # ...while loopback is served.
        self.assertEqual(s.request("GET", "/status").status, 200)

    def test_not_under_api_and_no_auth_needed_only_there(self):
        self.assertEqual(self.stack.request("GET", "/api/status").status, 404)
        self.assertEqual(self.stack.request("POST", "/metrics").status, 405)


class Cli(OpsTestCase):
    def test_todo_api_status_reads_the_running_pool(self):
        r = self.cli("--full")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"pool: +todo-api ")
        self.assertRegex(r.stdout, r"processes: +active \d+, idle \d+, total %d" % WORKERS)
        self.assertIn("listen queue:", r.stdout)
        for pid in self.stack.worker_pids():
            self.assertRegex(r.stdout, r"(?m)^ *%d  " % pid)
        j = self.cli("--json")
        self.assertEqual(j.returncode, 0, j.stderr)
        self.assertEqual(json.loads(j.stdout)["master pid"], self.stack.pool_pid)

    def test_no_pool_is_a_non_zero_exit(self):
        r = self.cli(env={"STATUS_FILE": self.stack.path("no-such-status")})
        self.assertEqual(r.returncode, 1)
        self.assertIn("no running pool", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_stale_file_of_a_dead_master_is_a_non_zero_exit(self):
        with open(self.stack.path("status"), "rb") as f:
            data = bytearray(f.read())
        dead = subprocess.Popen(["true"])
        dead.wait()
        struct.pack_into("<i", data, 24, dead.pid)  # SharedHeader.master_pid
        stale = self.stack.path("stale-status")
        with open(stale, "wb") as f:
            f.write(data)
        r = self.cli("--file", stale)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("stale", r.stderr)

    def test_listen_queue_builds_when_every_worker_is_busy(self):
        s = self.stack
        s.restart_pool(env={"WORKERS": "1"})
        held = []
        try:
            self._queue_builds(s, held)
        finally:
            for c in held:
                c.close()
            s.restart_pool()

    def test_listen_queue_of_a_tcp_socket(self):
        """TCP_INFO instead of sock_diag, when FCGI_SOCKET is host:port."""
        s = self.stack
        port = harness.free_port()
        s.restart_pool(env={"WORKERS": "1", "FCGI_SOCKET": "127.0.0.1:%d" % port})
        held = []
        try:
            for _ in range(4):
                held.append(socket.create_connection(("127.0.0.1", port), 5))
            st = harness.wait_until(
                lambda: (lambda r: json.loads(r.stdout) if r.returncode == 0 and
                         json.loads(r.stdout)["listen queue"] == 3 else None)(self.cli("--json")),
                3, interval=0.05, what="listen queue of 3 on TCP")
            self.assertEqual(st["listen queue"], 3)
            self.assertGreaterEqual(st["listen queue len"], 3)
        finally:
            for c in held:
                c.close()
            s.restart_pool()

    def _queue_builds(self, s, held):
        # A connection that sends nothing holds the only worker; the rest queue. Until the
        # worker has accepted the first one, all four may be queued: wait for exactly 3.
        for _ in range(4):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(s.fcgi_socket)
            held.append(c)
        st = harness.wait_until(
            lambda: (lambda r: json.loads(r.stdout) if r.returncode == 0 and
                     json.loads(r.stdout)["listen queue"] == 3 else None)(self.cli("--json")),
            3, interval=0.05, what="listen queue of 3")
        self.assertEqual(st["listen queue"], 3)
        self.assertGreaterEqual(st["max listen queue"], 3)
        self.assertGreaterEqual(st["listen queue len"], 3)
        self.assertGreaterEqual(st["max children reached"], 1)
        for c in held:
            c.close()
        samples = harness.wait_until(
            lambda: (lambda m: m if metric(m, "todo_api_listen_queue") == 0 else None)(
                self.metrics()), 10, interval=0.2, what="queue drained")
        self.assertGreaterEqual(metric(samples, "todo_api_listen_queue_max"), 3)
        self.assertGreaterEqual(metric(samples, "todo_api_max_children_reached_total"), 1)


class SlowLog(OpsTestCase):
    def test_a_slow_request_is_logged_with_its_stages(self):
        s = self.stack
        token = s.token("slow-user")
        before = metric(self.metrics(), "todo_api_slow_requests_total")
        result = {}
        with s.psql_session() as db:
            db.execute("BEGIN; LOCK TABLE todo.tasks IN ACCESS EXCLUSIVE MODE")
            t = threading.Thread(target=lambda: result.update(
                r=s.request("GET", "/api/tasks", token=token, timeout=10)))
            t.start()
            time.sleep(0.8)
            db.execute("ROLLBACK")
            t.join()
        r = result["r"]
        self.assertEqual(r.status, 200, r)
        rid = r.headers.get("X-Request-Id")
        line = harness.wait_until(lambda: next(
            (json.loads(l) for l in log_lines(s.logs["pool"]) if '"slow request"' in l and rid in l),
            None), 5, what="slow request line")
        self.assertEqual(line["route"], "/api/tasks")
        self.assertEqual(line["status"], "200")
        self.assertEqual(line["level"], "warn")
        for stage in ("read_ms", "auth_ms", "db_ms", "render_ms", "write_ms", "total_ms"):
            self.assertIn(stage, line)
        self.assertGreaterEqual(float(line["db_ms"]), 700)
        self.assertGreaterEqual(float(line["total_ms"]), float(line["db_ms"]))
        self.assertNotIn("slow-user", json.dumps(line))
        self.assertEqual(metric(self.metrics(), "todo_api_slow_requests_total"), before + 1)
        # A fast request is not logged.
        fast = s.request("GET", "/api/tasks", token=token).headers.get("X-Request-Id")
        time.sleep(0.2)
        self.assertFalse(any(fast in l for l in log_lines(s.logs["pool"]) if "slow request" in l))


class UserRateLimit(OpsTestCase):
    def test_one_user_flooding_gets_429_while_another_is_served(self):
        s = self.stack
        flooder, other = s.token("flooder"), s.token("bystander")
        before = metric(self.metrics(), "todo_api_rate_limited_total")
        statuses, refused = [], None
        conn = s.connection()
        t0 = time.monotonic()
        for _ in range(130):
            r = s.request("GET", "/api/me", token=flooder, conn=conn)
            statuses.append(r.status)
            if r.status == 429 and refused is None:
                refused = r
        elapsed = time.monotonic() - t0
        conn.close()
        # Burst 100 plus what 20/s refilled while we sent.
        allowed = statuses.count(200)
        self.assertGreaterEqual(allowed, 100)
        self.assertLessEqual(allowed, 100 + int(20 * elapsed) + 1)
        self.assertEqual(allowed + statuses.count(429), 130, statuses)
        self.assertIsNotNone(refused)
        self.assertEqual(refused.json["code"], "too_many_requests")
        self.assertIn("detail", refused.json)
        self.assertGreaterEqual(int(refused.headers.get("Retry-After")), 1)
        self.assertEqual(refused.headers.get("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(metric(self.metrics(), "todo_api_rate_limited_total") - before,
                         statuses.count(429))
        # The bystander is served in full while the flooder's bucket is empty.
        for _ in range(50):
            self.assertEqual(s.request("GET", "/api/me", token=other).status, 200)
        harness.log("rate limit: %d admitted of 130 in %.2f s, then 429 Retry-After %s"
                   % (allowed, elapsed, refused.headers.get("Retry-After")))
        # Retry-After is honest: after it, the flooder is admitted again.
        time.sleep(int(refused.headers.get("Retry-After")))
        self.assertEqual(s.request("GET", "/api/me", token=flooder).status, 200)

    def test_nginx_limit_conn_per_address(self):
        """The site's limit_conn, lowered to 2 for the test: a third concurrent request
        from one address gets nginx's JSON 429 while two wait in the workers."""
        s = self.stack
        site = s.path("nginx", "todo-api.conf")
        with open(site) as f:
            shipped = f.read()
        self.assertEqual(shipped.count("limit_conn todo_api_conn 100;"), 1)

        def reload(text):
            with open(site, "w") as f:
                f.write(text)
            subprocess.run(s.nginx_command("-s", "reload"), check=True, capture_output=True)
            time.sleep(0.5)  # the old nginx workers finish
        reload(shipped.replace("limit_conn todo_api_conn 100;", "limit_conn todo_api_conn 2;"))
        try:
            token = s.token("conn-user")
            results = []
            with s.psql_session() as db:
                db.execute("BEGIN; LOCK TABLE todo.tasks IN ACCESS EXCLUSIVE MODE")
                held = [threading.Thread(target=lambda: results.append(
                    s.request("GET", "/api/tasks", token=token, timeout=10))) for _ in range(2)]
                for t in held:
                    t.start()
                harness.wait_until(lambda: self.cli("--json").returncode == 0 and json.loads(
                    self.cli("--json").stdout)["active processes"] == 2, 5, interval=0.05,
                    what="two requests in the workers")
                third = s.request("GET", "/api/tasks", token=token)
                db.execute("ROLLBACK")
                for t in held:
                    t.join()
            self.assertEqual(third.status, 429, third)
            self.assertEqual(third.json["code"], "too_many_requests")
            self.assertEqual(sorted(r.status for r in results), [200, 200])
        finally:
            reload(shipped)

    def test_zero_disables_the_limit(self):
        s = self.stack
        s.restart_pool(env={"USER_RATE_LIMIT": "0"})
        try:
            token = s.token("unlimited")
            conn = s.connection()
            codes = {s.request("GET", "/api/me", token=token, conn=conn).status for _ in range(150)}
            conn.close()
            self.assertEqual(codes, {200})
        finally:
            s.restart_pool()


if __name__ == "__main__":
    unittest.main()
