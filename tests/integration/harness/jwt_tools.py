"""JWKS documents and signed JWTs for tests, with nothing but python3's stdlib and
the `openssl` command line (no pip).

Integration tests use it to play Better Auth: an Ed25519 key published in a JWKS
without `alg`, and tokens whose payload is the whole user object plus sub/iat/exp/
iss/aud. tests/data/jwt/make_vectors.sh uses it to make the unit-test vectors.

    key = Key.generate("ed25519", workdir)
    doc = jwks([key.jwk(kid="k1")])
    tok = better_auth_token(key, "https://app.example.com", user_id="u1", email="a@b.c")

Also the harness's HS* minter, make_token(): Stack.token() and make bench's tokens
(bench/todo_bench/seed.py) are signed by it.

Self-check, by hand (not a ctest):  python3 tests/integration/harness/jwt_tools.py
"""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time

# kind -> (openssl genpkey arguments, JWK kty, crv, coordinate length in bytes)
KINDS = {
    "rsa": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "RSA", None, None),
    "ec256": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "EC", "P-256", 32),
    "ec384": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "EC", "P-384", 48),
    "ec521": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"], "EC", "P-521", 66),
    "ed25519": (["-algorithm", "ED25519"], "OKP", "Ed25519", 32),
    "ed448": (["-algorithm", "ED448"], "OKP", "Ed448", 57),
}
HASHES = {"256": "sha256", "384": "sha384", "512": "sha512"}


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def _der_length(der, i):
    n = der[i]
    if n < 0x80:
        return n, i + 1
    count = n & 0x7F
    return int.from_bytes(der[i + 1:i + 1 + count], "big"), i + 1 + count


def ecdsa_der_to_raw(der, coord_len):
    """DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) -> JWS r||s, each coord_len bytes."""
    assert der[0] == 0x30, "not a DER SEQUENCE"
    _, i = _der_length(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02, "not a DER INTEGER"
        n, i = _der_length(der, i + 1)
        value = der[i:i + n].lstrip(b"\0")
        assert len(value) <= coord_len
        out += value.rjust(coord_len, b"\0")
        i += n
    return out


class Key:
    """A private key in a PEM file, of one of KINDS."""

    def __init__(self, kind, path):
        self.kind, self.path = kind, path
        _, self.kty, self.crv, self.coord_len = KINDS[kind]

    @classmethod
    def generate(cls, kind, directory, name=None):
        path = os.path.join(directory, (name or kind) + ".pem")
        openssl("genpkey", *KINDS[kind][0], "-out", path)
        return cls(kind, path)

    def public_pem(self):
        return openssl("pkey", "-in", self.path, "-pubout").decode()

    def jwk(self, kid=None, alg=None, use=None):
        """The public JWK; kid/alg/use only when given (Better Auth sends no alg)."""
        out = {"kty": self.kty}
        spki = openssl("pkey", "-in", self.path, "-pubout", "-outform", "DER")
        if self.kty == "RSA":
            text = openssl("pkey", "-in", self.path, "-noout", "-text").decode()
            modulus = openssl("rsa", "-in", self.path, "-noout", "-modulus").decode()
            n = bytes.fromhex(modulus.strip().split("=", 1)[1])
            e = int(re.search(r"publicExponent: (\d+)", text).group(1))
            out.update(n=b64url(n), e=b64url(e.to_bytes((e.bit_length() + 7) // 8, "big")))
        elif self.kty == "EC":
            point = spki[-(2 * self.coord_len + 1):]  # SPKI ends with the uncompressed point
            assert point[0] == 4
            out.update(crv=self.crv, x=b64url(point[1:1 + self.coord_len]),
                       y=b64url(point[1 + self.coord_len:]))
        else:
            out.update(crv=self.crv, x=b64url(spki[-self.coord_len:]))
        for name, value in (("kid", kid), ("alg", alg), ("use", use)):
            if value is not None:
                out[name] = value
        return out

    def sign(self, alg, data):
        """Raw JWS signature bytes of `data` for `alg`."""
        if alg == "EdDSA":
            with tempfile.NamedTemporaryFile() as f:  # -rawin one-shot signing wants a file
                f.write(data)
                f.flush()
                return openssl("pkeyutl", "-sign", "-rawin", "-inkey", self.path, "-in", f.name)
        md = "-" + HASHES[alg[2:]]
        if alg.startswith("RS"):
            return openssl("dgst", md, "-sign", self.path, data=data)
        if alg.startswith("PS"):
            return openssl("dgst", md, "-sign", self.path, "-sigopt", "rsa_padding_mode:pss",
                           "-sigopt", "rsa_pss_saltlen:digest", data=data)
        if alg.startswith("ES"):
            der = openssl("dgst", md, "-sign", self.path, data=data)
            return ecdsa_der_to_raw(der, self.coord_len)
        raise ValueError("unsupported alg " + alg)


def jwks(jwk_list):
    return {"keys": list(jwk_list)}


def compact(header, payload):
    def part(x):
        return b64url(x if isinstance(x, (bytes, str)) else json.dumps(x, separators=(",", ":")))
    return part(header) + "." + part(payload)


def sign_token(key, alg, payload, kid=None, header=None):
    """A compact JWS. `key` is a Key, or bytes/str (the HS* secret). `header` replaces
    the default {"alg", "typ", "kid"} header when given (dict, or raw JSON text)."""
    if header is None:
        header = {"alg": alg, "typ": "JWT"}
        if kid is not None:
            header["kid"] = kid
    signing_input = compact(header, payload)
    if alg.startswith("HS"):
        secret = key.encode() if isinstance(key, str) else key
        sig = hmac.new(secret, signing_input.encode(), HASHES[alg[2:]]).digest()
    else:
        sig = key.sign(alg, signing_input.encode())
    return signing_input + "." + b64url(sig)


def make_token(secret, sub="user-1", ttl=3600, alg="HS256", header=None, now=None,
               **claims):
    """An HS* JWT. exp = now + ttl unless given; a claim given as None is left out.

    header: extra/overriding header fields (e.g. {"kid": "x"}, {"alg": "none"}).
    """
    now = int(time.time() if now is None else now)
    body = {"sub": sub, "iat": now, "exp": now + ttl}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    head = {"alg": alg, "typ": "JWT"}
    head.update(header or {})
    signing_input = b64url(json.dumps(head, separators=(",", ":"))) + "." + \
        b64url(json.dumps(body, separators=(",", ":")))
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}.get(alg, hashlib.sha256)
    key = secret.encode() if isinstance(secret, str) else secret
    sig = hmac.new(key, signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(sig)


def better_auth_token(key, base_url, user_id, email="user@example.com", name="Test User",
                      now=None, ttl=900, kid=None):
    """What Better Auth's JWT plugin issues by default: EdDSA, the whole user object as
    the payload, sub = user id, iat, exp = iat + 900, iss = aud = BETTER_AUTH_URL."""
    now = int(time.time()) if now is None else now
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))
    payload = {"id": user_id, "email": email, "name": name, "emailVerified": True,
               "image": None, "createdAt": stamp, "updatedAt": stamp,
               "iat": now, "iss": base_url, "aud": base_url, "sub": user_id, "exp": now + ttl}
    return sign_token(key, "EdDSA", payload, kid=kid)


def _verify_with_openssl(key, alg, token, directory):
    """Independent check of our signing: openssl verifies what we produced."""
    signing_input, sig = token.rsplit(".", 1)
    sig = b64url_decode(sig)
    pub = os.path.join(directory, key.kind + ".pub.pem")
    with open(pub, "w") as f:
        f.write(key.public_pem())
    data_path, sig_path = os.path.join(directory, "data"), os.path.join(directory, "sig")
    with open(data_path, "wb") as f:
        f.write(signing_input.encode())
    if alg.startswith("ES"):  # back to DER for openssl
        half = len(sig) // 2
        ints = [int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big")]
        body = b""
        for v in ints:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "big")
            body += b"\x02" + _der_len(len(raw)) + raw
        sig = b"\x30" + _der_len(len(body)) + body
    with open(sig_path, "wb") as f:
        f.write(sig)
    if alg == "EdDSA":
        args = ["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub, "-in", data_path,
                "-sigfile", sig_path]
    else:
        args = ["dgst", "-" + HASHES[alg[2:]], "-verify", pub, "-signature", sig_path]
        if alg.startswith("PS"):
            args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        args.append(data_path)
    openssl(*args)  # raises on a bad signature


def _der_len(n):
    return bytes([n]) if n < 0x80 else bytes([0x81, n])


def _self_check():
    with tempfile.TemporaryDirectory() as d:
        cases = [("rsa", "RS256"), ("rsa", "PS384"), ("ec256", "ES256"), ("ec384", "ES384"),
                 ("ec521", "ES512"), ("ed25519", "EdDSA"), ("ed448", "EdDSA")]
        keys = {}
        for kind, alg in cases:
            key = keys.setdefault(kind, Key.generate(kind, d))
            jwk = key.jwk(kid=kind)
            for field in ("x", "y"):
                if field in jwk:
                    assert len(b64url_decode(jwk[field])) == key.coord_len, (kind, field)
            token = sign_token(key, alg, {"sub": "u1", "exp": 2000000000}, kid=kind)
            _verify_with_openssl(key, alg, token, d)
            print("ok", kind, alg, len(token), "bytes")
        token = better_auth_token(keys["ed25519"], "http://localhost:3000", "user-1")
        payload = json.loads(b64url_decode(token.split(".")[1]))
        assert payload["sub"] == payload["id"] == "user-1" and payload["exp"] - payload["iat"] == 900
        assert "alg" not in keys["ed25519"].jwk()
        hs = sign_token("s" * 32, "HS256", {"sub": "u"})
        assert hs.count(".") == 2
        print("ok better-auth token, HS256; jwks:", json.dumps(jwks([keys["ed25519"].jwk()])))


if __name__ == "__main__":
    _self_check()
    sys.exit(0)
