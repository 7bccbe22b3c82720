"""The shipped nginx site on its own (no pool, no database): TLS profile, the HTTP
redirect, HSTS, the rate limit's 429 and nginx's own JSON error pages, over HTTP/1.1
and over HTTP/2 (what browsers speak), the default server that closes connections for
unknown Host names, and no nginx version anywhere.

The rate limit is rendered low here (2 r/s, burst 3) so that 429 is reachable; the
other modules render it high so that no test trips it by accident."""

import json
import random
import socket
import string
import ssl
import subprocess
import time
import unittest

import harness

setUpModule, tearDownModule = harness.module_fixtures(postgres=False, pool=False,
                                                    rate_limit=("2r/s", 3))

JSON_TYPE = "application/json; charset=utf-8"


class SiteCase(harness.StackTestCase):
    def assertJsonError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE, r)
        self.assertEqual(r.json["code"], code, r)
        self.assertIsInstance(r.json["detail"], str)
        self.assertRegex(r.headers.get("X-Request-Id", ""), r"^[0-9a-f]{32}$")
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        self.assertIn("max-age=", r.headers.get("Strict-Transport-Security", ""))

    def wait_for_rate_token(self):
        time.sleep(0.6)  # 2 r/s: one request's worth of budget comes back in 0.5 s


class NginxSite(SiteCase):
    def test_pool_down_is_502_json_with_retry_after(self):
        self.wait_for_rate_token()
        r = self.stack.request("GET", "/api/health")
        self.assertJsonError(r, 502, "service_unavailable")
        self.assertEqual(r.headers.get("Retry-After"), "5")

    def test_rate_limit_answers_429_json(self):
        time.sleep(2.1)  # the whole burst budget (3) refills
        statuses = []
        last = None
        for _ in range(12):
            last = self.stack.request("GET", "/api/health")
            statuses.append(last.status)
            if last.status == 429:
                break
        self.assertIn(429, statuses, statuses)
        self.assertGreaterEqual(statuses.index(429), 3, statuses)  # the burst was honoured
        self.assertJsonError(last, 429, "too_many_requests")
        self.assertEqual(last.headers.get("Retry-After"), "1")

    def test_header_too_large_is_400_json(self):
        self.wait_for_rate_token()
        r = self.stack.request("GET", "/api/health", headers={"X-Big": "b" * 17000})
        self.assertJsonError(r, 400, "bad_request")

    def test_plain_http_on_the_https_port_is_400_json(self):
        raw = self.stack.raw(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n", tls=False,
                             port=self.stack.https_port)
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 400 "), raw[:200])
        self.assertEqual(json.loads(body)["code"], "bad_request")

    def test_http_redirects_to_https_with_the_path(self):
        raw = self.stack.raw(b"GET /api/tasks?x=1 HTTP/1.1\r\nHost: localhost:8080\r\n"
                             b"Connection: close\r\n\r\n", tls=False)
        head = raw.partition(b"\r\n\r\n")[0].decode() + "\r\n"
        self.assertTrue(head.startswith("HTTP/1.1 301 "), head)
        # The configured server_name and port, whatever the Host header said.
        self.assertIn("\r\nLocation: https://localhost:%d/api/tasks?x=1\r\n"
                      % self.stack.https_port, head)
        self.assertIn("\r\nServer: nginx\r\n", head)
        self.assertNotIn(b"nginx/", raw)
        raw = self.stack.raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                             tls=False)
        self.assertIn("\r\nLocation: https://localhost:%d/\r\n" % self.stack.https_port,
                      raw.decode())

    def test_uri_too_long_is_414_json_over_http_1_1(self):
        self.wait_for_rate_token()
        r = harness.curl(self.stack, "GET", "/api/" + noise(17000), http2=False)
        self.assertEqual(r.http_version, "1.1", r)
        self.assertJsonError(r, 414, "bad_request")

    def handshake(self, version, ciphers=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.stack.cert)
        ctx.minimum_version = ctx.maximum_version = version
        if ciphers:
            ctx.set_ciphers(ciphers)
        with socket.create_connection(("127.0.0.1", self.stack.https_port), 5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.version(), tls.cipher()[0]

    def test_tls_1_2_and_1_3_are_served(self):
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_3)[0], "TLSv1.3")
        version, cipher = self.handshake(ssl.TLSVersion.TLSv1_2)
        self.assertEqual(version, "TLSv1.2")
        self.assertTrue(cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA" in cipher),
                        cipher)

    def test_tls_1_2_without_forward_secrecy_is_refused(self):
        with self.assertRaises(ssl.SSLError) as ctx:
            self.handshake(ssl.TLSVersion.TLSv1_2, "AES128-SHA256:AES256-GCM-SHA384")
        self.assertIn("HANDSHAKE_FAILURE", str(ctx.exception).upper())  # the server's alert

    def test_tls_1_1_is_refused_by_the_server(self):
        # The client is made willing (security level 0); the refusal must come from
        # nginx as a protocol_version alert, not from the client's own policy.
        r = subprocess.run(["openssl", "s_client", "-connect",
                            "127.0.0.1:%d" % self.stack.https_port, "-tls1_1",
                            "-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "localhost"],
                           input="", capture_output=True, text=True, timeout=20)
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn("alert protocol version", out.lower(), out)


def noise(n):
    """n random letters and digits: HPACK's Huffman code cannot shrink them much, so
    over HTTP/2 they stay about as long as they are."""
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


def no_version(testcase, r):
    """No nginx version in the Server header or the body of a response."""
    testcase.assertEqual(r.headers.get("Server"), "nginx", r.headers)
    testcase.assertNotIn(b"nginx/", r.body, r)


class Http2(SiteCase):
    """nginx's own answers over HTTP/2 are the same JSON as over HTTP/1.1."""

    def h2(self, method, path, **kw):
        r = harness.curl(self.stack, method, path, **kw)
        self.assertEqual(r.http_version, "2", r)
        return r

    def test_body_too_large_is_413_json(self):
        # The bug this pins: over HTTP/2 the 413's error page re-ran the body size check
        # (the body is not marked discarded as over HTTP/1.1) and nginx fell back to HTML.
        self.wait_for_rate_token()
        r = self.h2("POST", "/api/tasks", body=b"x" * (64 * 1024 + 1),
                    headers={"Content-Type": "application/json"})
        self.assertJsonError(r, 413, "payload_too_large")
        no_version(self, r)
        self.wait_for_rate_token()
        r = harness.curl(self.stack, "POST", "/api/tasks", body=b"x" * (64 * 1024 + 1),
                       headers={"Content-Type": "application/json"}, http2=False)
        self.assertJsonError(r, 413, "payload_too_large")

    def test_bad_request_is_400_json(self):
        self.wait_for_rate_token()
        r = self.h2("GET", "/../api/health")  # above the root: nginx refuses the URI
        self.assertJsonError(r, 400, "bad_request")
        no_version(self, r)

    def test_not_found_and_pool_down_are_json(self):
        self.wait_for_rate_token()
        self.assertJsonError(self.h2("GET", "/nothing-here"), 404, "not_found")
        self.wait_for_rate_token()
        r = self.h2("GET", "/api/health")
        self.assertJsonError(r, 502, "service_unavailable")
        self.assertEqual(r.headers.get("Retry-After"), "5")

    def test_rate_limit_is_429_json(self):
        # Twelve requests on one HTTP/2 connection (one curl, as a browser multiplexes):
        # separate curl processes may be too slow to exceed 2 r/s on a busy machine.
        time.sleep(2.1)  # the whole burst budget (3) refills
        url = "https://localhost:%d/api/health" % self.stack.https_port
        out = subprocess.run(
            ["curl", "-sS", "-i", "--http2", "--cacert", self.stack.cert, "--resolve",
             "localhost:%d:127.0.0.1" % self.stack.https_port] + [url] * 12,
            capture_output=True, timeout=30).stdout
        answers = [b"HTTP/2 " + a for a in out.split(b"HTTP/2 ")[1:]]
        statuses = [int(a[7:10]) for a in answers]
        self.assertEqual(len(statuses), 12, out[:2000])
        self.assertIn(429, statuses, statuses)
        self.assertGreaterEqual(statuses.index(429), 3, statuses)  # the burst was honoured
        head, _, body = answers[statuses.index(429)].partition(b"\r\n\r\n")
        head = head.decode().lower()
        self.assertIn("\r\ncontent-type: application/json; charset=utf-8", head)
        self.assertIn("\r\nretry-after: 1", head)
        self.assertIn("\r\nserver: nginx\r\n", head)
        self.assertEqual(json.loads(body)["code"], "too_many_requests")

    def test_oversized_header_fields_get_no_html(self):
        # Over HTTP/2 a header field (the :path included) longer than
        # large_client_header_buffers is an HPACK-level error: nginx ends the connection
        # without an HTTP answer (no 414/400 exists there to give a body). What must not
        # happen is an HTML page or a version string.
        self.wait_for_rate_token()
        for kw in ({"path": "/api/" + noise(30000)},
                   {"path": "/api/health", "headers": {"X-Big": noise(30000)}}):
            r = harness.curl(self.stack, "GET", kw["path"], headers=kw.get("headers"))
            self.assertNotEqual(r.exit_code, 0, r)
            self.assertEqual(r.status, 0, r)
            self.assertEqual(r.body, b"", r)

    def test_header_just_under_the_limit_reaches_the_location(self):
        self.wait_for_rate_token()
        r = self.h2("GET", "/api/health", headers={"X-Big": noise(15000)})
        self.assertJsonError(r, 502, "service_unavailable")  # passed on to the (absent) pool


class DefaultServer(SiteCase):
    """Unknown Host names get nothing: 444 (closed without an answer), and over TLS
    the handshake itself is refused for an unknown SNI name."""

    def test_unknown_host_on_port_80_is_closed_without_answer(self):
        for host in (b"evil.example", b"127.0.0.2", b"localhost.evil.example"):
            raw = self.stack.raw(b"GET /api/health HTTP/1.1\r\nHost: " + host + b"\r\n\r\n",
                                 tls=False)
            self.assertEqual(raw, b"", host)
        raw = self.stack.raw(b"GET / HTTP/1.0\r\n\r\n", tls=False)  # no Host at all
        self.assertEqual(raw, b"")

    def test_unknown_sni_is_refused_at_the_handshake(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for sni in ("evil.example", None):
            with socket.create_connection(("127.0.0.1", self.stack.https_port), 5) as raw:
                with self.assertRaises(ssl.SSLError) as caught:
                    ctx.wrap_socket(raw, server_hostname=sni).close()
                self.assertIn("UNRECOGNIZED_NAME", str(caught.exception).upper(), sni)

    def test_unknown_host_over_tls_is_closed_without_answer(self):
        self.wait_for_rate_token()
        raw = self.stack.raw(b"GET /api/health HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        self.assertEqual(raw, b"")
        r = harness.curl(self.stack, "GET", "/api/health", headers={"Host": "evil.example"})
        self.assertNotEqual(r.exit_code, 0, r)
        self.assertEqual(r.body, b"", r)

    def test_plain_http_with_unknown_host_on_the_tls_port_is_closed(self):
        raw = self.stack.raw(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", tls=False,
                             port=self.stack.https_port)
        self.assertEqual(raw, b"")


if __name__ == "__main__":
    unittest.main()
