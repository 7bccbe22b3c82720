"""A remote PostgreSQL over verified TLS (docs/DATABASE.md, docs/SCALING.md step 3).

The test makes a CA and a server certificate for `localhost` (openssl CLI) and restarts
the module's cluster with ssl=on, listening on 127.0.0.1, where pg_hba.conf admits the
application role over TCP only with `hostssl ... scram-sha-256`. The pool then connects
with DATABASE_URL sslmode=verify-full, sslrootcert=<the CA>, channel_binding=require.

Decided (docs/DATABASE.md): a connection that fails TLS verification (wrong CA, a host
name the certificate does not name) is a configuration error: `check-config` exits
non-zero and `serve` refuses to start, both with one line naming DATABASE_URL and libpq's
reason. A database that is merely down at start still lets the pool start (503 until it
is back).
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

PASSWORD = secrets.token_hex(16)
setUpModule_stack, tearDownModule = harness.module_fixtures(workers=2)
CERTS = None


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(directory, name):
    key, cert = os.path.join(directory, name + ".key"), os.path.join(directory, name + ".crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=%s" % name, "-keyout", key, "-out", cert,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, cert


def make_server_cert(directory, ca_key, ca_cert, dns_name):
    key, csr = os.path.join(directory, "server.key"), os.path.join(directory, "server.csr")
    cert, ext = os.path.join(directory, "server.crt"), os.path.join(directory, "server.ext")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", "/CN=%s" % dns_name, "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n" % dns_name)
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "2", "-extfile", ext, "-out", cert)
    return key, cert


def setUpModule():
    global CERTS
    setUpModule_stack()
    s = harness.current()
    try:
        d = s.path("tls")
        os.makedirs(d)
        os.chmod(d, 0o755)
        ca_key, ca_cert = make_ca(d, "todo-test-ca")
        _, other_ca = make_ca(d, "other-ca")
        key, cert = make_server_cert(d, ca_key, ca_cert, "localhost")
        for src, name, mode in ((cert, "server.crt", 0o644), (key, "server.key", 0o600)):
            dst = os.path.join(s.pg.datadir, name)
            shutil.copy(src, dst)
            os.chmod(dst, mode)
            s.pg.chown(dst)
        for path in (ca_cert, other_ca):
            os.chmod(path, 0o644)
        with open(os.path.join(s.pg.datadir, "pg_hba.conf"), "w") as f:
            f.write("# test_pg_tls: the unix socket for the harness, TCP only over TLS\n"
                    "local all all trust\n"
                    "hostssl %s %s 127.0.0.1/32 scram-sha-256\n"
                    "hostssl %s %s ::1/128 scram-sha-256\n"
                    % (harness.DB_NAME, harness.APP_ROLE, harness.DB_NAME, harness.APP_ROLE))
        s.psql("ALTER ROLE %s PASSWORD '%s'" % (harness.APP_ROLE, PASSWORD))
        s.stop_pool()
        s.stop_postgres()
        s.pg.settings = ["listen_addresses=127.0.0.1", "ssl=on", "ssl_cert_file=server.crt",
                         "ssl_key_file=server.key", "password_encryption=scram-sha-256"]
        s.start_postgres()
        CERTS = {"ca": ca_cert, "other_ca": other_ca}
        s.start_pool(env={"DATABASE_URL": url()})
    except BaseException:
        tearDownModule()
        raise


def url(host="localhost", ca=None, **extra):
    params = {"sslmode": "verify-full", "sslrootcert": ca or CERTS["ca"],
              "channel_binding": "require"}
    params.update(extra)
    return "postgresql://%s:%s@%s:%d/%s?%s" % (
        harness.APP_ROLE, PASSWORD, host, harness.current().pg.port, harness.DB_NAME,
        "&".join("%s=%s" % kv for kv in params.items()))


class VerifiedTls(harness.StackTestCase):
    def run_command(self, database_url, *args, timeout=20):
        with tempfile.TemporaryDirectory() as d:
            env = self.stack.pool_env({"DATABASE_URL": database_url,
                                       "FCGI_SOCKET": os.path.join(d, "fcgi.sock")})
            t0 = time.monotonic()
            r = subprocess.run([self.stack.binary] + list(args), env=env, capture_output=True,
                               text=True, timeout=timeout)
            return r, time.monotonic() - t0

    def assertRefused(self, database_url, reason):
        for command in (["check-config"], ["serve"]):
            r, elapsed = self.run_command(database_url, *command)
            what = "%s: rc %d, %.2f s\n%s%s" % (command[0], r.returncode, elapsed, r.stdout,
                                               r.stderr)
            self.assertNotEqual(r.returncode, 0, what)
            if command == ["serve"]:
                self.assertEqual(r.returncode, 2, what)  # a configuration error
                self.assertLess(elapsed, 5, what)
            lines = [l for l in r.stderr.splitlines() if l.startswith("todo-api: ")]
            self.assertTrue(lines, what)
            self.assertIn("todo-api: DATABASE_URL: TLS connection to the database refused",
                          lines[-1], what)
            self.assertIn(reason, lines[-1], what)
            self.assertNotIn(PASSWORD, r.stdout + r.stderr)
            harness.log("%s refused: %s" % (command[0], lines[-1]))

    def test_requests_work_over_verified_tls_with_channel_binding(self):
        token = self.stack.token("tls-user")
        r = self.stack.request("POST", "/api/tasks", body={"title": "over TLS"}, token=token)
        self.assertEqual(r.status, 201, r)
        r = self.stack.request("GET", "/api/tasks/" + r.json["data"]["id"], token=token)
        self.assertEqual(r.status, 200, r)
        # The pool's sessions are TCP, TLS 1.3, authenticated by SCRAM (channel binding
        # requires SCRAM-SHA-256-PLUS over TLS).
        rows = self.stack.psql(
            "SELECT a.client_addr, s.ssl, s.version FROM pg_stat_activity a "
            "JOIN pg_stat_ssl s USING (pid) WHERE a.usename = '%s'" % harness.APP_ROLE,
            dbname="postgres").split()
        self.assertTrue(rows)
        for row in rows:
            self.assertEqual(row.split("|")[1:], ["t", "TLSv1.3"], rows)
        r, _ = self.run_command(url(), "check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_without_tls_the_server_refuses(self):
        r, _ = self.run_command(url(sslmode="disable", channel_binding="disable"),
                                "check-config")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no pg_hba.conf entry", r.stderr)

    def test_a_host_name_the_certificate_does_not_name_is_refused_at_start(self):
        self.assertRefused(url(host="127.0.0.1"), 'does not match host name "127.0.0.1"')

    def test_a_certificate_from_another_ca_is_refused_at_start(self):
        self.assertRefused(url(ca=CERTS["other_ca"]), "certificate verify failed")

    def test_a_database_down_at_start_still_lets_the_pool_start(self):
        self.stack.stop_pool()
        self.stack.stop_postgres()
        try:
            self.stack.start_pool(env={"DATABASE_URL": url()})
            r = self.stack.request("GET", "/api/health")
            self.assertEqual(r.status, 503, r)
        finally:
            self.stack.start_postgres()
        harness.wait_until(lambda: self.stack.request("GET", "/api/health").status == 200, 5,
                         interval=0.1, what="health 200 over TLS")


if __name__ == "__main__":
    unittest.main()
