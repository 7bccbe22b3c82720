"""Authentication end to end (API.md §2): client -> nginx over TLS -> the pool.

The test plays Better Auth with no extra configuration: it serves an Ed25519 JWKS
without `alg` at http://127.0.0.1:<port>/api/auth/jwks and starts the pool with only
BETTER_AUTH_URL (no JWT_SECRET, no JWT_JWKS_URL); tokens are shaped like the JWT
plugin's (jwt_tools.better_auth_token). One worker, so the JWKS cache under test is
the one that answers every request.

Each class restarts the pool with its own environment, so classes do not depend on
their order.

The JWKS is fetched by the pool's one fetcher process and shared with the workers
(jwks_fetcher.h): tests count the JWKS server's hits to prove that an unknown kid costs
at most one fetch per 30 s for the whole pool, and make the server slow to prove that no
request waits for a fetch. No test sleeps out the 30 s: the first unknown kid after a
start is fetched at once, and the TTL path is driven with JWKS_CACHE_TTL=2.
"""

import concurrent.futures
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import jwt_tools

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
        self.port = harness.free_port()
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
_stack_up, _stack_down = harness.module_fixtures(
    workers=1, env={"JWT_SECRET": None, "BETTER_AUTH_URL": BASE})


def setUpModule():
    KEYS[K1] = jwt_tools.Key.generate("ed25519", KEYDIR, "k1")
    KEYS[K2] = jwt_tools.Key.generate("ed25519", KEYDIR, "k2")
    KEYS[K3] = jwt_tools.Key.generate("ed25519", KEYDIR, "k3")
    KEYS[R1] = jwt_tools.Key.generate("rsa", KEYDIR, "r1")
    publish_standard()
    JWKS.start()
    _stack_up()


def tearDownModule():
    try:
        _stack_down()
    finally:
        JWKS.stop()
        shutil.rmtree(KEYDIR, ignore_errors=True)


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


class AuthCase(harness.StackTestCase):
    ENV = {}  # pool environment of this class, on top of the module's

    @classmethod
    def setUpClass(cls):
        publish_standard()
        JWKS.start()
        JWKS.delay = 0.0
        s = harness.current()
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
            return harness.wait_until(find, 3, what="log %r for request %s" % (msg, request_id))
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


# ---------------------------------------------------------------------------
# Better Auth out of the box


class BetterAuthDefaults(AuthCase):
    def test_jwks_fixture_is_what_better_auth_publishes(self):
        keys = JWKS.doc["keys"]
        ed = [k for k in keys if k.get("crv") == "Ed25519"]
        self.assertEqual(len(ed), 1, keys)
        self.assertEqual(ed[0]["kty"], "OKP")
        self.assertNotIn("alg", ed[0])
        self.assertGreaterEqual(JWKS.fetch_count(), 1,
                                "the worker never fetched <BETTER_AUTH_URL>/api/auth/jwks")

    def test_plugin_token_is_accepted(self):
        token = ba_token("ba-user-1")
        payload = payload_of(token)
        self.assertEqual((payload["iss"], payload["aud"]), (BASE, BASE))
        self.assertEqual(payload["exp"] - payload["iat"], 900)
        self.assertEqual(payload["id"], payload["sub"])
        self.assertAccepted(self.me(token), "ba-user-1", token)

    def test_plugin_token_without_kid_is_accepted(self):
        token = ba_token("ba-user-nokid", kid=None, key_id=K1)
        self.assertNotIn("kid", json.loads(jwt_tools.b64url_decode(token.split(".")[0])))
        self.assertAccepted(self.me(token), "ba-user-nokid", token)

    def test_sub_is_the_user_id_case_sensitive(self):
        r = self.me(ba_token("Ba-User-Case"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"]["id"], "Ba-User-Case")
        self.assertEqual(r.json["data"]["email"], "Ba-User-Case@example.com")

    def test_wrong_issuer_is_rejected(self):
        token = ba_token("ba-user-iss", iss="http://127.0.0.1:1")
        self.assertRejected(self.me(token), "iss missing or not the expected issuer", token)

    def test_missing_issuer_is_rejected(self):
        token = ba_token("ba-user-noiss", iss=None)
        self.assertRejected(self.me(token), "iss missing or not the expected issuer", token)

    def test_wrong_audience_is_rejected(self):
        token = ba_token("ba-user-aud", aud=BASE + "/other")
        self.assertRejected(self.me(token), "aud missing or not the expected audience", token)

    def test_audience_array_with_base_url_is_accepted(self):
        token = ba_token("ba-user-auds", aud=["https://other.example", BASE])
        self.assertAccepted(self.me(token), "ba-user-auds", token)

    def test_hs256_is_rejected_when_no_secret_is_configured(self):
        token = harness.make_token(self.stack.jwt_secret, sub="ba-user-hs", iss=BASE, aud=BASE)
        self.assertRejected(self.me(token), "HS256 token but no shared secret is configured",
                            token)

    def test_hs256_with_the_rsa_public_key_as_secret_is_rejected(self):
        rsa_token = jwt_tools.sign_token(KEYS[R1], "RS256", payload_of(ba_token("ba-rsa")),
                                         kid=R1)
        self.assertAccepted(self.me(rsa_token), "ba-rsa", rsa_token)  # the key is live
        forged = jwt_tools.sign_token(KEYS[R1].public_pem(), "HS256",
                                      payload_of(ba_token("ba-rsa-forged")), kid=R1)
        self.assertRejected(self.me(forged), "HS256 token but no shared secret", forged)


# ---------------------------------------------------------------------------
# The Authorization header and the token, with both a secret and the JWKS


class HeaderHandling(AuthCase):
    @classmethod
    def setUpClass(cls):
        cls.ENV = {"JWT_SECRET": harness.current().jwt_secret}
        super().setUpClass()

    def test_no_header_is_a_plain_bearer_challenge(self):
        self.assertChallenge(self.me())

    def test_empty_header_is_a_plain_bearer_challenge(self):
        self.assertChallenge(self.me(authorization=""))

    def test_basic_scheme_is_a_plain_bearer_challenge(self):
        self.assertChallenge(self.me(authorization="Basic dXNlcjpwYXNzd29yZA=="))

    def test_other_scheme_with_a_valid_token_is_a_plain_bearer_challenge(self):
        token = ba_token("hdr-token-scheme")
        self.assertChallenge(self.me(authorization="Token " + token))

    def test_bearer_scheme_is_case_insensitive(self):
        for scheme in ("bearer", "BEARER", "BeArEr"):
            user = "hdr-" + scheme
            token = ba_token(user)
            self.assertAccepted(self.me(authorization=scheme + " " + token), user, token)

    def test_bearer_without_token_is_invalid_token(self):
        self.assertRejected(self.me(authorization="Bearer "), "empty bearer token")
        self.assertRejected(self.me(authorization="Bearer"), "empty bearer token")

    def test_hs256_with_the_secret_is_accepted(self):
        token = self.stack.token(sub="hdr-hs256", iss=BASE, aud=BASE)
        self.assertAccepted(self.me(token), "hdr-hs256", token)

    def test_expired_token_is_rejected(self):
        now = int(time.time())
        token = ba_token("hdr-expired", iat=now - 1000, exp=now - 100)  # beyond the 30 s leeway
        self.assertRejected(self.me(token), "token expired", token)
        hs = self.stack.token(sub="hdr-expired-hs", ttl=-100, iss=BASE, aud=BASE)
        self.assertRejected(self.me(hs), "token expired", hs)

    def test_expiry_within_leeway_is_accepted(self):
        now = int(time.time())
        token = ba_token("hdr-leeway", iat=now - 900, exp=now - 5)
        self.assertAccepted(self.me(token), "hdr-leeway", token)

    def test_missing_exp_is_rejected(self):
        token = ba_token("hdr-noexp", exp=None)
        self.assertRejected(self.me(token), "exp missing", token)

    def test_nbf_in_the_future_is_rejected(self):
        token = ba_token("hdr-nbf", nbf=int(time.time()) + 600)
        self.assertRejected(self.me(token), "token not valid yet (nbf)", token)

    def test_alg_none_is_rejected(self):
        payload = payload_of(ba_token("hdr-none"))
        for alg in ("none", "None", "NONE"):
            head = jwt_tools.b64url(json.dumps({"alg": alg, "typ": "JWT"}))
            unsigned = head + "." + jwt_tools.b64url(json.dumps(payload)) + "."
            self.assertRejected(self.me(unsigned), 'alg "%s" not accepted' % alg)
        # The same with a real signature over the none header still fails on alg.
        signed = jwt_tools.sign_token(KEYS[K1], "EdDSA", payload,
                                      header={"alg": "none", "typ": "JWT", "kid": K1})
        self.assertRejected(self.me(signed), 'alg "none" not accepted', signed)

    def test_hs256_with_the_rsa_public_key_as_secret_is_rejected(self):
        payload = payload_of(ba_token("hdr-confused"))
        rsa_token = jwt_tools.sign_token(KEYS[R1], "RS256", payload, kid=R1)
        self.assertAccepted(self.me(rsa_token), "hdr-confused", rsa_token)  # the key is live
        for secret in (KEYS[R1].public_pem(), KEYS[R1].public_pem().encode().strip()):
            forged = jwt_tools.sign_token(secret, "HS256", payload, kid=R1)
            self.assertRejected(self.me(forged), "HS256 signature does not verify", forged)

    def test_rs256_with_an_ed25519_kid_is_rejected_before_crypto(self):
        payload = payload_of(ba_token("hdr-wrongtype"))
        token = jwt_tools.sign_token(KEYS[R1], "RS256", payload, kid=K1)
        self.assertRejected(self.me(token), 'RS256 is not allowed for the key of kid "%s"' % K1,
                            token)

    def test_tampered_signature_is_rejected(self):
        token = ba_token("hdr-tamper")
        self.assertAccepted(self.me(token), "hdr-tamper", token)
        head, payload, sig = token.split(".")
        i = len(sig) // 2
        bad_sig = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
        tampered = ".".join((head, payload, bad_sig))
        self.assertRejected(self.me(tampered), "EdDSA signature does not verify", tampered)

    def test_tampered_payload_is_rejected(self):
        token = ba_token("hdr-victim")
        head, _, sig = token.split(".")
        other = payload_of(token)
        other.update(sub="hdr-attacker", id="hdr-attacker")
        forged = ".".join((head, jwt_tools.b64url(json.dumps(other)), sig))
        self.assertRejected(self.me(forged), "EdDSA signature does not verify", forged)

    def test_token_of_8_kib_is_accepted(self):
        token = sized_token("hdr-8k", MAX_TOKEN_BYTES)
        self.assertAccepted(self.me(token), "hdr-8k", token)

    def test_9_kib_token_reaches_the_worker_and_is_rejected(self):
        # Validly signed: only the size limit can refuse it, and only the worker
        # answers 401 with this JSON (nginx would say 400 or 494).
        over = sized_token("hdr-8k-plus-1", MAX_TOKEN_BYTES + 1)
        self.assertRejected(self.me(over), "token over 8 KiB", over)
        token = sized_token("hdr-9k", 9 * 1024 + 100)
        self.assertGreater(len(token), 9 * 1024)
        self.assertRejected(self.me(token), "token over 8 KiB", token)

    def test_reasons_differ_in_the_log_but_not_in_the_response(self):
        now = int(time.time())
        expired = ba_token("hdr-same-1", iat=now - 1000, exp=now - 100)
        wrong_aud = ba_token("hdr-same-2", aud="https://elsewhere.example")
        r1, r2 = self.me(expired), self.me(wrong_aud)
        e1 = self.assertRejected(r1, "token expired", expired)
        e2 = self.assertRejected(r2, "aud missing", wrong_aud)
        self.assertNotEqual(e1["reason"], e2["reason"])
        self.assertEqual(r1.body, r2.body)
        self.assertEqual(r1.headers.get("WWW-Authenticate"), r2.headers.get("WWW-Authenticate"))


# ---------------------------------------------------------------------------
# The JWKS cache: unknown kid, JWKS down, cold start


class JwksRefresh(AuthCase):
    """Three workers and one fetcher: what one worker learns, all do."""

    ENV = {"WORKERS": "3"}

    def timed_me(self, token):
        t0 = time.monotonic()
        r = self.me(token)
        return r, time.monotonic() - t0

    def burst(self, tokens, threads=6):
        """GET /api/me with each token, `threads` at a time on their own connections
        (so several workers answer); [(response, seconds)] in order."""
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.timed_me, tokens))

    def assertPrompt(self, timed, statuses):
        for r, seconds in timed:
            self.assertIn(r.status, statuses, r)
            self.assertLess(seconds, PROMPT, "a request waited %.2f s: %r" % (seconds, r))

    def pids_of(self, timed, msg):
        ids = {r.headers.get("X-Request-Id") for r, _ in timed}
        return {e.get("pid") for e in self.log_entries()
                if e.get("request_id") in ids and e.get("msg") == msg}

    def test_unknown_kid_costs_one_fetch_for_the_whole_pool(self):
        self.stack.restart_pool(env=self.ENV)
        fetches = JWKS.fetch_count()
        JWKS.publish([KEYS[K1].jwk(kid=K1), KEYS[R1].jwk(kid=R1), KEYS[K2].jwk(kid=K2)])

        # A key rotated in: its first tokens are answered at once (401 until the
        # fetcher has the new JWKS), and one fetch serves every worker.
        first = self.burst([ba_token(unique_user("rot-first"), kid=K2) for _ in range(24)])
        self.assertPrompt(first, (200, 401))
        harness.wait_until(lambda: JWKS.fetch_count() >= fetches + 1, 5, what="the fetch")
        user = unique_user("rot-after")
        token = ba_token(user, kid=K2)
        r = harness.wait_until(lambda: (lambda r: r if r.status == 200 else None)(self.me(token)),
                             3, interval=0.1, what="the new key in every worker")
        self.assertAccepted(r, user, token)
        after = self.burst([ba_token(unique_user("rot-all"), kid=K2) for _ in range(12)])
        self.assertPrompt(after, (200,))

        # A flood of kids that are in no JWKS, across workers: every answer at once, and
        # no second fetch within 30 s of the first.
        flood = self.burst([ba_token(unique_user("flood"), kid=K3) for _ in range(60)])
        self.assertPrompt(flood, (401,))
        for r, _ in flood[:3]:
            self.assertRejected(r, 'unknown kid "%s"' % K3)
        self.assertGreaterEqual(len(self.pids_of(flood, "token rejected")), 2,
                                "the flood reached one worker only")
        time.sleep(1.0)  # a fetch the flood caused would have happened by now
        self.assertEqual(JWKS.fetch_count(), fetches + 1, "more than one fetch in 30 s")
        user1 = unique_user("rot-k1")
        self.assertAccepted(self.me(ba_token(user1)), user1)  # the old key stays

    def test_a_slow_jwks_server_blocks_no_request(self):
        self.stack.restart_pool(env=self.ENV)
        # Signed beforehand: signing takes longer than the fetch is slow.
        trigger_token = ba_token(unique_user("slow-trigger"), kid=K3)
        tokens, expected = [], []
        for _ in range(12):
            tokens.append(ba_token(unique_user("slow-ok")))  # a known key
            expected.append(200)
            tokens.append(ba_token(unique_user("slow-unknown"), kid=K2))  # not published
            expected.append(401)
        JWKS.delay = 4.0  # longer than the fetch's own 3 s timeout
        failures = self.count_log("JWKS fetch failed")
        trigger, seconds = self.timed_me(trigger_token)
        self.assertRejected(trigger, 'unknown kid "%s"' % K3)
        self.assertLess(seconds, PROMPT)
        harness.wait_until(JWKS.fetching, 3, what="the fetcher to be waiting on the server")

        timed = self.burst(tokens)
        self.assertTrue(JWKS.fetching(), "the fetch ended before the requests: not proven")
        for (r, seconds), status in zip(timed, expected):
            self.assertEqual(r.status, status, r)
            self.assertLess(seconds, PROMPT, r)
        # The fetch times out; the cached keys keep working.
        harness.wait_until(lambda: self.count_log("JWKS fetch failed") > failures, 6,
                         what="the timed-out fetch in the log")
        user = unique_user("slow-after")
        self.assertAccepted(self.me(ba_token(user)), user)

    def test_sighup_refetches_the_jwks_once(self):
        self.stack.restart_pool(env=self.ENV)
        fetches, reloads = JWKS.fetch_count(), self.count_log("reload complete")
        JWKS.publish([KEYS[K1].jwk(kid=K1), KEYS[K2].jwk(kid=K2)])
        os.kill(self.stack.pool_proc.pid, signal.SIGHUP)
        harness.wait_until(lambda: JWKS.fetch_count() == fetches + 1, 5, what="the reload's fetch")
        harness.wait_until(lambda: self.count_log("reload complete") > reloads, 10,
                         what="the reload")
        user = unique_user("hup-k2")
        self.assertAccepted(self.me(ba_token(user, kid=K2)), user)  # no unknown kid needed
        self.assertEqual(JWKS.fetch_count(), fetches + 1)

    def test_a_bad_key_is_skipped_with_a_log_line_and_the_others_load(self):
        forged = dict(KEYS[R1].jwk(kid="rsa-e1"), e=jwt_tools.b64url(b"\x01"))
        JWKS.publish([forged, KEYS[K1].jwk(kid=K1)])
        skipped = self.count_log("JWKS key skipped")
        self.stack.restart_pool(env=self.ENV)
        entries = [e for e in self.log_entries() if e.get("msg") == "JWKS key skipped"]
        self.assertEqual(len(entries), skipped + 1, entries)
        self.assertIn("RSA public exponent must be odd and at least 3", entries[-1]["reason"])
        user = unique_user("bad-key-k1")
        self.assertAccepted(self.me(ba_token(user)), user)
        # With e = 1 a "signature" equal to the padded digest would verify: never loaded.
        token = jwt_tools.sign_token(KEYS[R1], "RS256", payload_of(ba_token("e1")), kid="rsa-e1")
        self.assertRejected(self.me(token), 'unknown kid "rsa-e1"', token)

    def test_cached_keys_keep_working_when_the_jwks_is_down(self):
        # JWKS_CACHE_TTL=2: the fetcher refreshes every 2 s, and after a failure retries
        # every 2 s (min(TTL, 30 s)).
        self.stack.restart_pool(env=dict(self.ENV, JWKS_CACHE_TTL="2"))
        failures = self.count_log("JWKS fetch failed")
        JWKS.stop()
        user = unique_user("down-now")
        self.assertAccepted(self.me(ba_token(user)), user)
        harness.wait_until(lambda: self.count_log("JWKS fetch failed") > failures, 6,
                         what="a failed JWKS refresh in the log")
        user = unique_user("down-later")
        token = ba_token(user)
        self.assertAccepted(self.me(token), user, token)
        unknown = ba_token(unique_user("down-k3"), kid=K3)
        self.assertRejected(self.me(unknown), 'unknown kid "%s"' % K3, unknown)

        # Back up with a rotated key: the TTL refresh picks it up without a restart.
        JWKS.publish([KEYS[K2].jwk(kid=K2)])
        JWKS.start()
        user = unique_user("down-rotated")
        token = ba_token(user, kid=K2)
        r = harness.wait_until(lambda: (lambda r: r if r.status == 200 else None)(self.me(token)),
                             6, interval=0.2, what="the rotated key after the TTL")
        self.assertAccepted(r, user, token)
        old = ba_token(unique_user("down-k1"))
        self.assertRejected(self.me(old), 'unknown kid "%s"' % K1, old)  # rotated out


class ColdStart(AuthCase):
    def test_unreachable_jwks_at_start_is_503_until_it_comes_back(self):
        JWKS.stop()
        failures = self.count_log("JWKS fetch failed")
        self.stack.restart_pool()
        harness.wait_until(lambda: self.count_log("JWKS fetch failed") > failures, 3,
                         what="the fetcher's failed JWKS load in the log")
        token = ba_token(unique_user("cold"))
        r = self.me(token)
        body = self.assertErrorBody(r, 503, "service_unavailable")
        self.assertNotIn("WWW-Authenticate", r.headers)
        self.assertTrue(r.headers.get("Retry-After"), r.headers)
        self.assertNotIn("127.0.0.1", body["detail"])  # no fetch error for the client
        entry = self.log_entry_for(r.headers["X-Request-Id"], "no verification keys")
        self.assertIn("no JWKS keys loaded", entry.get("reason", ""), entry)
        self.assertNotLogged(token)

        # Decided without the JWKS: still 401, not 503.
        self.assertChallenge(self.me())
        self.assertRejected(self.me(authorization="Bearer not-a-jwt"),
                            "not three dot-separated parts")

        # The fetcher retries (every 5 s) and the pool recovers without a restart.
        JWKS.start()
        user = unique_user("cold-back")
        token = ba_token(user)

        def loaded():
            r = self.me(token)
            return r if r.json.get("detail") != body["detail"] else None
        r = harness.wait_until(loaded, 10, interval=0.5, what="the JWKS to be loaded again")
        self.assertAccepted(r, user, token)

    def test_check_config_names_an_unreachable_jwks(self):
        JWKS.stop()
        env = self.stack.pool_env()
        r = subprocess.run([self.stack.binary, "check-config"], env=env, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r)
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("todo-api: JWT keys")]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(BASE + "/api/auth/jwks", lines[0])
        JWKS.start()
        r = subprocess.run([self.stack.binary, "check-config"], env=env, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("configuration OK", r.stdout)


class PlainHttpKeys(harness.StackTestCase):
    """Keys over plain http only to loopback: `serve` and `check-config` refuse a JWKS
    or Better Auth URL on http to another host, naming the variable."""

    def run_binary(self, command, **env):
        full = self.stack.pool_env(env)
        full["FCGI_SOCKET"] = os.path.join(KEYDIR, "never.sock")  # never bound: refused first
        return subprocess.run([self.stack.binary, command], env=full, capture_output=True,
                              text=True, timeout=30)

    def test_http_to_a_remote_host_is_refused_at_start(self):
        cases = [({"BETTER_AUTH_URL": "http://auth.example.com"}, "BETTER_AUTH_URL"),
                 ({"BETTER_AUTH_URL": None, "JWT_JWKS_URL": "http://10.1.2.3/jwks"},
                  "JWT_JWKS_URL"),
                 ({"BETTER_AUTH_URL": BASE, "JWT_JWKS_URL": "http://[2001:db8::1]/jwks"},
                  "JWT_JWKS_URL")]
        for env, name in cases:
            for command in ("serve", "check-config"):
                r = self.run_binary(command, **env)
                self.assertEqual(r.returncode, 2, (command, env, r))
                lines = [ln for ln in r.stderr.splitlines() if ln.startswith("todo-api: ")]
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("todo-api: %s: plain http to " % name),
                                lines[0])
                self.assertIn("use https", lines[0])
                self.assertFalse(os.path.exists(os.path.join(KEYDIR, "never.sock")))

    def test_https_and_loopback_http_pass_the_rule(self):
        # Not refused by the rule (exit 1: the keys cannot be fetched, not 2: bad config).
        for url in ("https://127.0.0.1:1/api/auth/jwks", "http://localhost:1/jwks",
                    "http://[::1]:1/jwks"):
            r = self.run_binary("check-config", BETTER_AUTH_URL=None, JWT_JWKS_URL=url)
            self.assertEqual(r.returncode, 1, (url, r))
            self.assertIn("todo-api: JWT keys: none could be loaded from " + url, r.stderr)


if __name__ == "__main__":
    unittest.main()
