"""build/bench/openloop (make bench's open-loop generator) against a tiny HTTPS server that
stalls once: the stall must show in the latencies of every request that was due while it
lasted (latency from the intended send time, no coordinated omission), the rate must be
the offered one, and keep-alive must hold. No PostgreSQL, pool or nginx needed."""
import http.server
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BIN, make_certificate

OPENLOOP = os.path.join(os.path.dirname(BIN), "bench", "openloop")
STALL_S = 0.5
RATE = 200
DURATION = 2.0


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        srv = self.server
        with srv.lock:
            srv.requests += 1
            srv.methods[self.command] = srv.methods.get(self.command, 0) + 1
            stall = srv.requests == srv.stall_at
        if stall:
            time.sleep(STALL_S)
        body = b'{"ok":true}'
        status = b"201 Created" if self.command == "POST" else b"200 OK"
        # One write with TCP_NODELAY: headers and body in two segments would meet the
        # client's delayed ACK (40 ms a request) and measure Nagle, not the generator.
        self.wfile.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    do_GET = do_POST = do_PATCH = _answer

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class OpenLoopTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(OPENLOOP):
            raise RuntimeError(f"{OPENLOOP} is missing: make build builds it")
        cls.dir = tempfile.mkdtemp(prefix="todo-openloop-")
        cert, key = make_certificate(cls.dir)
        cls.server = _Server(("127.0.0.1", 0), _Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        cls.server.socket = ctx.wrap_socket(cls.server.socket, server_side=True)
        cls.server.lock = threading.Lock()
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.users = os.path.join(cls.dir, "users.txt")
        with open(cls.users, "w") as f:
            f.write("token-a 11111111-1111-4111-8111-111111111111,22222222-2222-4222-8222-222222222222\n")
            f.write("token-b 33333333-3333-4333-8333-333333333333\n")

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_openloop(self, scenario, stall_at, connections):
        self.server.requests, self.server.methods, self.server.stall_at = 0, {}, stall_at
        out = subprocess.run([OPENLOOP, "--url", f"https://127.0.0.1:{self.server.server_address[1]}",
                              "--users", self.users, "--scenario", scenario, "--rate", str(RATE),
                              "--duration", str(DURATION), "--warmup", "0.2",
                              "--connections", str(connections)],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        line = [ln for ln in out.splitlines() if ln.startswith("OPENLOOP_JSON ")]
        self.assertEqual(len(line), 1, out)
        return json.loads(line[0][len("OPENLOOP_JSON "):])

    def test_a_stall_delays_every_request_due_during_it(self):
        # One connection: while the stalled response is pending nothing else can be sent,
        # ~RATE * STALL_S requests come due and each must carry its wait.
        r = self.run_openloop("get", stall_at=int(RATE * 0.2) + RATE // 2, connections=1)
        self.assertEqual(r["non2xx"], 0, r)
        self.assertEqual(r["errors"], 0, r)
        self.assertEqual(r["sent"], int(RATE * DURATION), r)
        self.assertEqual(r["completed"], r["sent"], r)
        # A closed-loop count would see one slow request in 400 (p99 fast). Open loop: about
        # a quarter of the requests waited, so the p90 is well into the stall.
        self.assertGreater(r["p90_us"], 100_000, r)
        self.assertGreater(r["p99_us"], 0.8 * STALL_S * 1e6, r)
        self.assertLess(r["p50_us"], 100_000, r)
        self.assertAlmostEqual(r["offered_rps"], RATE, delta=1)

    def test_keeps_the_rate_over_keep_alive_connections_without_a_stall(self):
        r = self.run_openloop("mix", stall_at=-1, connections=4)
        self.assertEqual((r["non2xx"], r["errors"]), (0, 0), r)
        self.assertEqual(r["completed"], int(RATE * DURATION), r)
        self.assertGreater(r["rps"], 0.9 * RATE, r)
        self.assertLess(r["rps"], 1.1 * RATE, r)
        self.assertLessEqual(r["new_connections"], 4, r)  # never more than --connections: reused
        # The mix sends reads, toggles (PATCH) and creates (POST).
        self.assertEqual(set(self.server.methods), {"GET", "PATCH", "POST"}, self.server.methods)
        self.assertEqual(set(r["statuses"]), {"200", "201"}, r)


if __name__ == "__main__":
    unittest.main()
