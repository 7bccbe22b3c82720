"""A worker never waits forever for its FastCGI peer (docs/DESIGN.md "Stalled FastCGI peers").

With WORKERS=1, raw connections to the pool's unix socket that send nothing, or stop in
the middle of a record (of the header, of the params, of the body), must each be
dropped after a few seconds: a normal request through nginx queued behind them is
still answered, and the worker is the same process (dropped, not crashed).
"""

import socket
import struct
import time
import unittest

import harness

STALL_LIMIT = 3.0  # the worker's documented limit (src/worker.cpp, kStalledPeerMs)
# A peer dropped inside FCGX_Accept_r is closed by libfcgi with its lingering close
# (shutdown, then up to 2 s for the peer's EOF): that much on top, per peer.
LINGER = 2.0
SLACK = 1.5

setUpModule, tearDownModule = harness.module_fixtures(workers=1)

FCGI_BEGIN_REQUEST, FCGI_PARAMS, FCGI_STDIN = 1, 4, 5


def record(rtype, content, request_id=1):
    return struct.pack(">BBHHBx", 1, rtype, request_id, len(content), 0) + content


def name_value(name, value):
    name, value = name.encode(), value.encode()
    return bytes([len(name), len(value)]) + name + value


def begin_request():
    return record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))  # responder, no keep-conn


def params(pairs):
    body = b"".join(name_value(k, v) for k, v in pairs)
    return record(FCGI_PARAMS, body) + record(FCGI_PARAMS, b"")


HEALTH_PARAMS = [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/api/health"),
                 ("DOCUMENT_URI", "/api/health"), ("QUERY_STRING", ""),
                 ("SERVER_PROTOCOL", "HTTP/1.1")]

POST_PARAMS = [("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/api/tasks"),
               ("DOCUMENT_URI", "/api/tasks"), ("QUERY_STRING", ""),
               ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "100"),
               ("SERVER_PROTOCOL", "HTTP/1.1")]

STALLS = {
    # name: the bytes sent before the peer goes silent (the socket stays open)
    "nothing": b"",
    "half a record header": begin_request()[:4],
    "half the params": begin_request() + params(HEALTH_PARAMS)[:20],
    "half the body": begin_request() + params(POST_PARAMS) +
    struct.pack(">BBHHBx", 1, FCGI_STDIN, 1, 100, 0) + b'{"title":',
}


class StalledPeer(harness.StackTestCase):
    def stall(self, data):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.stack.fcgi_socket)
        if data:
            sock.sendall(data)
        return sock

    def check(self, name):
        worker = self.stack.worker_pids()
        self.assertEqual(len(worker), 1, worker)
        self.assertEqual(self.stack.request("GET", "/api/health").status, 200)
        sock = self.stall(STALLS[name])
        try:
            time.sleep(0.3)  # the worker has taken the stalled connection
            t0 = time.monotonic()
            r = self.stack.request("GET", "/api/health", timeout=STALL_LIMIT + LINGER + 10)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.status, 200, r)
            self.assertLess(elapsed, STALL_LIMIT + LINGER + SLACK,
                            "%s: the request behind it waited %.2f s" % (name, elapsed))
            # The worker dropped the connection (EOF), it did not leave it open.
            sock.settimeout(1)
            try:
                leftover = sock.recv(65536)
            except ConnectionResetError:
                leftover = b""
            self.assertEqual(leftover, b"", "%s: the worker answered %r" % (name, leftover))
        finally:
            sock.close()
        self.assertEqual(self.stack.worker_pids(), worker, "the worker was replaced")
        harness.log("stalled peer (%s): request behind it answered after %.2f s"
                   % (name, elapsed))

    def test_peer_that_sends_nothing(self):
        self.check("nothing")

    def test_peer_that_stops_in_a_record_header(self):
        self.check("half a record header")

    def test_peer_that_stops_in_the_params(self):
        self.check("half the params")

    def test_peer_that_stops_in_the_body(self):
        self.check("half the body")

    def test_several_stalled_peers_in_a_row(self):
        socks = [self.stall(STALLS[name]) for name in
                 ("half a record header", "half the params")]
        try:
            time.sleep(0.3)
            t0 = time.monotonic()
            r = self.stack.request("GET", "/api/health", timeout=3 * STALL_LIMIT + 10)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.status, 200, r)
            self.assertLess(elapsed, 2 * (STALL_LIMIT + LINGER) + SLACK)
        finally:
            for s in socks:
                s.close()

    def test_a_complete_raw_request_is_still_served(self):
        # The same bytes, not cut: the worker answers them (the stalls above are
        # stalls, not malformed requests).
        sock = self.stall(begin_request() + params(HEALTH_PARAMS) + record(FCGI_STDIN, b""))
        try:
            sock.settimeout(5)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            sock.close()
        self.assertIn(b"Status: 200", data)


if __name__ == "__main__":
    unittest.main()
