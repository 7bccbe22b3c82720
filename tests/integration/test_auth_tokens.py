"""Authentication end to end (API.md §2), the token checks: client -> nginx over TLS ->
the pool.

The test plays Better Auth with no extra configuration: it serves an Ed25519 JWKS
without `alg` at http://127.0.0.1:<port>/api/auth/jwks and starts the pool with only
BETTER_AUTH_URL (no JWT_SECRET, no JWT_JWKS_URL); tokens are shaped like the JWT
plugin's (jwt_tools.better_auth_token). One worker, so the JWKS cache under test is
the one that answers every request. The JWKS source itself (fetcher, rotation, outages)
is test_auth_jwks.py; the shared pieces are in harness/authapi.py.

Each class restarts the pool with its own environment, so classes do not depend on
their order.
"""

import json
import time
import unittest

import harness
from harness import jwt_tools
from harness.authapi import (BASE, JWKS, K1, KEYS, MAX_TOKEN_BYTES, R1, AuthCase, auth_fixtures,
                             ba_token, payload_of, sized_token)

setUpModule, tearDownModule = auth_fixtures()


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


if __name__ == "__main__":
    unittest.main()
