"""The shipped nginx site on its own (no pool, no database): TLS profile, the HTTP
redirect, HSTS, the rate limit's 429 and nginx's own JSON error pages.

The rate limit is rendered low here (2 r/s, burst 3) so that 429 is reachable; the
other modules render it high so that no test trips it by accident."""

import json
import socket
import ssl
import subprocess
import time
import unittest

import stack

setUpModule, tearDownModule = stack.module_fixtures(postgres=False, pool=False,
                                                    rate_limit=("2r/s", 3))

JSON_TYPE = "application/json; charset=utf-8"


class NginxSite(stack.StackTestCase):
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
        raw = self.stack.raw(b"GET /api/tasks?x=1 HTTP/1.1\r\nHost: localhost\r\n"
                             b"Connection: close\r\n\r\n", tls=False)
        head = raw.partition(b"\r\n\r\n")[0].decode()
        self.assertTrue(head.startswith("HTTP/1.1 301 "), head)
        self.assertIn("\r\nLocation: https://localhost:%d/api/tasks?x=1" % self.stack.https_port,
                      head)

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


if __name__ == "__main__":
    unittest.main()
