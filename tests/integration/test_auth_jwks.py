"""Authentication end to end (API.md §2), the JWKS source: the pool's one fetcher process
and the document it shares with the workers (jwks_fetcher.h), against a JWKS server the
test owns (harness/authapi.py, which also plays Better Auth's tokens; the token checks are
test_auth_tokens.py).

Tests count the JWKS server's hits to prove that an unknown kid costs at most one fetch
per 30 s for the whole pool, and make the server slow to prove that no request waits for
a fetch. No test sleeps out the 30 s: the first unknown kid after a start is fetched at
once, and the TTL path is driven with JWKS_CACHE_TTL=2.

Each class restarts the pool with its own environment, so classes do not depend on
their order.
"""

import concurrent.futures
import os
import signal
import subprocess
import time
import unittest

import harness
from harness import jwt_tools
from harness.authapi import (BASE, JWKS, K1, K2, K3, KEYDIR, KEYS, PROMPT, R1, AuthCase,
                             auth_fixtures, ba_token, payload_of, unique_user)

setUpModule, tearDownModule = auth_fixtures()


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
