"""The Better Auth side of the auth test modules (test_auth_tokens, test_auth_jwks): a JWKS
server the test owns, the keys it publishes, tokens shaped like the JWT plugin's
(jwt_tools.better_auth_token), the module fixtures and AuthCase with its assertions on
401/503 bodies and on the pool's log.

The pool starts with only BETTER_AUTH_URL (no JWT_SECRET, no JWT_JWKS_URL), as a Better
Auth deployment does; each AuthCase class restarts it with its own ENV.

Not a test module itself (no `test_` prefix): CMake registers test_*.py only.
"""

import http.server
import json
import os
import shutil
import tempfile
import threading
import time

from . import jwt_tools
from .common import free_port, wait_until
from .fixtures import StackTestCase, current, module_fixtures

JSON_TYPE = "application/json; charset=utf-8"
K1, K2, K3, R1 = "ba-key-1", "ba-key-2", "ba-key-unpublished", "rsa-key-1"
PROMPT = 1.0  # seconds: an answer that waited on no network
MAX_TOKEN_BYTES = 8192  # kMaxTokenBytes


class JwksServer:
    """Serves `doc` at /api/auth/jwks (404 elsewhere) on a fixed 127.0.0.1 port and
    counts the fetches. stop() closes the socket (connection refused); start() binds
    the same port again. `delay` seconds of sleep before each answer; `in_flight`
    counts the fetches being answered."""

    PATH = "/api/auth/jwks"

    def __init__(self):
        self.port = free_port()
        self.doc = {"keys": []}
        self.fetches = 0
        self.delay = 0.0
        self.in_flight = 0
        self.lock = threading.Lock()
        self.httpd = self.thread = None

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        if self.httpd:
            return
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != JwksServer.PATH:
                    self.send_error(404)
                    return
                with server.lock:
                    server.fetches += 1
                    server.in_flight += 1
                    body = json.dumps(server.doc).encode()
                    delay = server.delay
                try:
                    time.sleep(delay)
                    self.reply(body)
                except OSError:
                    pass  # the fetcher gave up (its 3 s timeout)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def reply(self, body):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if not self.httpd:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
        self.httpd = self.thread = None

    def publish(self, jwk_list):
        with self.lock:
            self.doc = jwt_tools.jwks(jwk_list)

    def fetch_count(self):
        with self.lock:
            return self.fetches

    def fetching(self):
        with self.lock:
            return self.in_flight > 0


KEYDIR = tempfile.mkdtemp(prefix="todo-api-auth-keys-")
JWKS = JwksServer()
BASE = JWKS.base_url
KEYS = {}


def auth_fixtures():
    """(setUpModule, tearDownModule): the keys and the JWKS server, then one stack whose
    pool has one worker and only BETTER_AUTH_URL; torn down in the reverse order."""
    stack_up, stack_down = module_fixtures(
        workers=1, env={"JWT_SECRET": None, "BETTER_AUTH_URL": BASE})

    def set_up():
        os.makedirs(KEYDIR, exist_ok=True)  # again, if an earlier module removed it
        KEYS[K1] = jwt_tools.Key.generate("ed25519", KEYDIR, "k1")
        KEYS[K2] = jwt_tools.Key.generate("ed25519", KEYDIR, "k2")
        KEYS[K3] = jwt_tools.Key.generate("ed25519", KEYDIR, "k3")
        KEYS[R1] = jwt_tools.Key.generate("rsa", KEYDIR, "r1")
        publish_standard()
        JWKS.start()
        stack_up()

    def tear_down():
        try:
            stack_down()
        finally:
            JWKS.stop()
            shutil.rmtree(KEYDIR, ignore_errors=True)
    return set_up, tear_down


def publish_standard():
    """Better Auth's own key (Ed25519, no alg) plus an RSA key, as a JWKS may hold."""
    JWKS.publish([KEYS[K1].jwk(kid=K1), KEYS[R1].jwk(kid=R1)])


# ---------------------------------------------------------------------------
# Tokens


def payload_of(token):
    return json.loads(jwt_tools.b64url_decode(token.split(".")[1]))


def ba_token(user_id, kid=K1, key_id=None, **changes):
    """A Better Auth plugin token (whole user object, sub, 15 min exp, iss = aud = BASE)
    signed by KEYS[key_id or kid]; `changes` overrides claims (None removes one)."""
    key = KEYS[key_id or kid]
    token = jwt_tools.better_auth_token(key, BASE, user_id=user_id,
                                        email="%s@example.com" % user_id, kid=kid)
    if not changes:
        return token
    payload = payload_of(token)
    payload.update(changes)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt_tools.sign_token(key, "EdDSA", payload, kid=kid)


def unique_user(prefix):
    """A fresh user id, so that no token is a hit in the worker's token cache."""
    return "%s-%d" % (prefix, time.monotonic_ns())


def sized_token(user_id, size):
    """A valid Better Auth token of exactly `size` bytes, padded with a claim (and a
    header field: unpadded base64url is never 4k+1 characters long)."""
    base = payload_of(jwt_tools.better_auth_token(KEYS[K1], BASE, user_id=user_id))
    sig_len = len(jwt_tools.b64url(b"\0" * 64))  # Ed25519 signatures are 64 bytes
    for header_pad in range(4):
        header = {"alg": "EdDSA", "typ": "JWT", "kid": K1, "pad": "h" * header_pad}

        def length(pad):
            return len(jwt_tools.compact(header, dict(base, pad="p" * pad))) + 1 + sig_len
        guess = (size - length(0)) * 3 // 4
        for pad in range(max(guess - 8, 0), guess + 8):
            if length(pad) == size:
                token = jwt_tools.sign_token(KEYS[K1], "EdDSA", dict(base, pad="p" * pad),
                                             header=header)
                assert len(token) == size, len(token)
                return token
    raise ValueError("no padding gives a %d-byte token" % size)


# ---------------------------------------------------------------------------
# Assertions


class AuthCase(StackTestCase):
    ENV = {}  # pool environment of this class, on top of the module's

    @classmethod
    def setUpClass(cls):
        publish_standard()
        JWKS.start()
        JWKS.delay = 0.0
        s = current()
        s.restart_pool(env=cls.ENV)

    @classmethod
    def tearDownClass(cls):
        publish_standard()
        JWKS.delay = 0.0
        JWKS.start()

    def setUp(self):
        publish_standard()
        JWKS.delay = 0.0
        JWKS.start()
        if self.stack.pool_proc is None:  # a failed test left it stopped
            self.stack.start_pool(env=self.ENV)

    def me(self, token=None, authorization=None):
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = "Bearer " + token
        return self.stack.request("GET", "/api/me", headers=headers)

    # -- the pool's log
    def log_text(self):
        with open(self.stack.logs["pool"], encoding="utf-8", errors="replace") as f:
            return f.read()

    def log_entries(self):
        out = []
        for line in self.log_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def log_entry_for(self, request_id, msg):
        def find():
            for e in self.log_entries():
                if e.get("request_id") == request_id and e.get("msg") == msg:
                    return e
            return None
        try:
            return wait_until(find, 3, what="log %r for request %s" % (msg, request_id))
        except TimeoutError:
            self.fail("no %r log line for request %s" % (msg, request_id))

    def count_log(self, msg):
        return sum(1 for e in self.log_entries() if e.get("msg") == msg)

    def assertNotLogged(self, token):
        for name in ("pool", "nginx", "nginx-access"):
            path = self.stack.logs.get(name)
            if not path or not os.path.exists(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            self.assertFalse(token in text, "the token is in the %s log" % name)
            self.assertFalse(token.rsplit(".", 1)[1] in text,
                             "the token's signature is in the %s log" % name)

    # -- responses
    def assertErrorBody(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE, r)
        body = r.json
        self.assertEqual(set(body), {"detail", "code"}, r)
        self.assertEqual(body["code"], code, r)
        self.assertIsInstance(body["detail"], str, r)
        self.assertTrue(body["detail"], r)
        return body

    def assertAccepted(self, r, user_id, token=None):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"]["id"], user_id, r)
        if token:
            self.assertNotLogged(token)

    def assertChallenge(self, r):
        """Missing credentials: 401, plain `Bearer` challenge."""
        self.assertErrorBody(r, 401, "unauthorized")
        self.assertEqual(r.headers.get_all("WWW-Authenticate"), ["Bearer"], r.headers)

    def assertRejected(self, r, reason, token=None):
        """A token refused: 401 invalid_token; `reason` is in the log line of this very
        request and not in the response; the token is in no log."""
        body = self.assertErrorBody(r, 401, "unauthorized")
        self.assertEqual(r.headers.get_all("WWW-Authenticate"), ['Bearer error="invalid_token"'],
                         r.headers)
        rid = r.headers.get("X-Request-Id")
        self.assertTrue(rid, r.headers)
        entry = self.log_entry_for(rid, "token rejected")
        self.assertIn(reason, entry.get("reason", ""), entry)
        self.assertNotIn(entry["reason"], body["detail"])
        self.assertNotIn(reason, r.body.decode())
        if token:
            self.assertNotLogged(token)
        return entry
