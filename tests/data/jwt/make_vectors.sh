#!/usr/bin/env bash
# Regenerates the unit-test JWT vectors in this folder with the openssl CLI (through
# tests/integration/harness/jwt_tools.py, python3 stdlib only). Run once; the output is
# committed so the tests never depend on openssl at run time. RSA PKCS#1 v1.5 and
# EdDSA signatures are deterministic; PSS and ECDSA ones change on every run.
#
# The private keys (tests/fixtures/jwt-keys) are TEST KEYS ONLY, published with the
# repository so the vectors can be regenerated; nothing trusts them.
#
#   tests/data/jwt/make_vectors.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
keydir="$here/../../fixtures/jwt-keys"
mkdir -p "$keydir"
export KEYDIR="$keydir"
PYTHONPATH="$here/../../integration" PYTHONDONTWRITEBYTECODE=1 python3 - <<'PY'
import json
import os
from harness.jwt_tools import Key, jwks, sign_token, better_auth_token

ISS = AUD = "https://auth.example.com"
IAT = 1700000000
keys = {}
for kind in ("rsa", "ec256", "ec384", "ec521", "ed25519", "ed448"):
    path = os.path.join(os.environ["KEYDIR"], kind + ".pem")
    keys[kind] = Key(kind, path) if os.path.exists(path) else Key.generate(kind, os.environ["KEYDIR"])
with open("rsa.pub.pem", "w") as f:
    f.write(keys["rsa"].public_pem())

# Kids name keys; some JWKs carry alg, most (like Better Auth's) do not.
rsa_jwk = keys["rsa"].jwk(kid="rsa-1", use="sig")
doc = jwks([
    rsa_jwk,
    keys["rsa"].jwk(kid="rsa-rs256-only", alg="RS256"),
    keys["rsa"].jwk(kid="rsa-enc", use="enc"),
    keys["ec256"].jwk(kid="ec256-1", alg="ES256"),
    keys["ec384"].jwk(kid="ec384-1"),
    keys["ec521"].jwk(kid="ec521-1"),
    keys["ed25519"].jwk(kid="ed25519-1"),
    keys["ed448"].jwk(kid="ed448-1", alg="EdDSA"),
    {"kty": "oct", "kid": "oct-1", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
])
nokid = jwks([keys[k].jwk() for k in ("rsa", "ec256", "ed25519", "ed448")])
for name, value in (("jwks.json", doc), ("jwks_nokid.json", nokid)):
    with open(name, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")

def claims(name):
    return {"sub": "user-" + name, "email": name + "@example.com", "iat": IAT,
            "exp": IAT + 900, "iss": ISS, "aud": AUD}

tokens = []
def add(name, key, alg, kid, expect):
    tokens.append({"name": name, "alg": alg, "kid": kid, "expect": expect,
                   "token": sign_token(keys[key], alg, claims(name), kid=kid)})

for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
    add(alg, "rsa", alg, "rsa-1", "ok")
add("ES256", "ec256", "ES256", "ec256-1", "ok")
add("ES384", "ec384", "ES384", "ec384-1", "ok")
add("ES512", "ec521", "ES512", "ec521-1", "ok")
add("EdDSA-Ed25519", "ed25519", "EdDSA", "ed25519-1", "ok")
add("EdDSA-Ed448", "ed448", "EdDSA", "ed448-1", "ok")
add("RS256-rs256-only", "rsa", "RS256", "rsa-rs256-only", "ok")
# Attacks on key selection, all refused before any crypto:
add("PS256-rs256-only", "rsa", "PS256", "rsa-rs256-only", "bad_alg")   # the JWK's alg rules
add("RS256-kid-names-ec", "rsa", "RS256", "ec256-1", "bad_alg")        # kid of an EC key
add("RS256-kid-enc-key", "rsa", "RS256", "rsa-enc", "unknown_kid")     # use=enc is ignored
add("RS256-kid-oct-key", "rsa", "RS256", "oct-1", "unknown_kid")       # oct keys are ignored
# No kid: each key of a fitting type is tried (jwks_nokid.json).
for name, key, alg in (("nokid-RS256", "rsa", "RS256"), ("nokid-PS512", "rsa", "PS512"),
                       ("nokid-ES256", "ec256", "ES256"), ("nokid-Ed25519", "ed25519", "EdDSA"),
                       ("nokid-Ed448", "ed448", "EdDSA")):
    add(name, key, alg, None, "ok")
tokens.append({"name": "better-auth", "alg": "EdDSA", "kid": "ed25519-1", "expect": "ok",
               "token": better_auth_token(keys["ed25519"], ISS, "user-better-auth",
                                          email="better-auth@example.com", now=IAT,
                                          kid="ed25519-1")})
out = {"now": IAT + 100, "iss": ISS, "aud": AUD, "tokens": tokens}
with open("tokens.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(len(tokens), "tokens written")
PY
