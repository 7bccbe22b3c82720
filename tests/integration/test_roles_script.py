"""sql/roles.sql.example as an admin runs it (docs/DATABASE.md "Roles").

Passwords never on a command line: from files named with -v ..._password_file (a
password or its SCRAM verifier), else asked by psql's \\password (only the verifier is
sent). A password on the command line is refused. With the server logging every
statement, the plain password from a file does not reach the log. The application
role gets statement_timeout on the role itself, so it holds behind a pooler.
"""

import base64
import hashlib
import hmac
import os
import secrets
import subprocess
import tempfile
import unittest

import harness

setUpModule, tearDownModule = harness.module_fixtures(pool=False, nginx=False, migrate=False)

SCRIPT = os.path.join(harness.ROOT, "sql", "roles.sql.example")


def scram_matches(verifier, password):
    """True when `verifier` (pg_authid.rolpassword) is SCRAM-SHA-256 of `password`."""
    method, rest = verifier.split("$", 1)
    iter_salt, keys = rest.split("$")
    iterations, salt = iter_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt),
                                 int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return method == "SCRAM-SHA-256" and \
        hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


class RolesScript(harness.StackTestCase):
    def setUp(self):
        self.db = "roles_" + secrets.token_hex(4)
        self.owner, self.app = self.db + "_owner", self.db + "_app"
        self.stack.psql("CREATE DATABASE %s" % self.db, dbname="postgres")
        self.dir = tempfile.mkdtemp(prefix="todo-api-roles-")

    def tearDown(self):
        self.stack.psql("DROP DATABASE IF EXISTS %s" % self.db, dbname="postgres")
        for role in (self.app, self.owner):
            self.stack.psql("DROP ROLE IF EXISTS %s" % role, dbname="postgres")
        subprocess.run(["rm", "-rf", self.dir], check=False)

    def secret_file(self, name, content):
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(content + "\n")
        return path

    def run_script(self, variables, stdin=""):
        pg = self.stack.pg
        args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg.sockdir,
                "-p", str(pg.port), "-U", "postgres", "-d", self.db,
                "-v", "owner_role=" + self.owner, "-v", "app_role=" + self.app]
        for k, v in variables.items():
            args += ["-v", "%s=%s" % (k, v)]
        args += ["-f", SCRIPT]
        # A session of its own: no controlling terminal, so \password reads stdin.
        r = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60,
                           start_new_session=True,
                           env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        return args, r

    def rolpassword(self, role):
        return self.stack.psql("SELECT rolpassword FROM pg_authid WHERE rolname = '%s'" % role,
                               dbname="postgres").strip()

    def role_setting(self, role):
        return self.stack.psql(
            "SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = '%s'" % role,
            dbname="postgres").strip()

    def test_passwords_from_files_never_on_the_command_line_nor_in_the_log(self):
        owner_pw, app_pw = "own-" + secrets.token_hex(12), "app-" + secrets.token_hex(12)
        files = {"owner_password_file": self.secret_file("owner", owner_pw),
                 "app_password_file": self.secret_file("app", app_pw)}
        # The server logs every statement of every session meanwhile.
        self.stack.psql("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf()",
                        dbname="postgres")
        try:
            harness.wait_until(lambda: self.stack.psql("SHOW log_statement").strip() == "all", 5)
            args, r = self.run_script(files)
            marker = "logged-" + secrets.token_hex(6)
            self.stack.psql("SELECT '%s'" % marker)
        finally:
            self.stack.psql("ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf()",
                            dbname="postgres")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(owner_pw, " ".join(args))
        self.assertNotIn(app_pw, " ".join(args))
        self.assertTrue(scram_matches(self.rolpassword(self.owner), owner_pw))
        self.assertTrue(scram_matches(self.rolpassword(self.app), app_pw))
        log = harness.wait_until(
            lambda: (lambda t: t if marker in t else None)(
                harness.tail(self.stack.logs["postgres"], 100000)), 5,
            what="statement logging to work")
        self.assertFalse(owner_pw in log or app_pw in log, "a password is in the server log")
        # The application role's own statement_timeout: it holds on every session,
        # also those a transaction pooler hands out.
        self.assertEqual(self.role_setting(self.app), "statement_timeout=5s")
        shown = self.stack.psql("SHOW statement_timeout", user=self.app, dbname=self.db)
        self.assertEqual(shown.strip(), "5s")

    def test_statement_timeout_and_a_verifier_in_the_file(self):
        # A SCRAM verifier in the file is stored as is: the password never travels.
        salt = os.urandom(16)
        password = "verifier-" + secrets.token_hex(8)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 4096)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        verifier = "SCRAM-SHA-256$4096:%s$%s:%s" % (
            base64.b64encode(salt).decode(),
            base64.b64encode(hashlib.sha256(client_key).digest()).decode(),
            base64.b64encode(server_key).decode())
        _, r = self.run_script({"owner_password_file": self.secret_file("o", verifier),
                                "app_password_file": self.secret_file("a", verifier),
                                "statement_timeout": "1500ms"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rolpassword(self.app), verifier)
        self.assertTrue(scram_matches(self.rolpassword(self.app), password))
        self.assertEqual(self.role_setting(self.app), "statement_timeout=1500ms")

    def test_asked_with_password_when_no_file_is_given(self):
        # psql's \password: asked twice per role, only the verifier is sent.
        owner_pw, app_pw = "ask-" + secrets.token_hex(8), "ask-" + secrets.token_hex(8)
        _, r = self.run_script({}, stdin="%s\n%s\n%s\n%s\n" % (owner_pw, owner_pw, app_pw, app_pw))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(scram_matches(self.rolpassword(self.owner), owner_pw))
        self.assertTrue(scram_matches(self.rolpassword(self.app), app_pw))

    def test_a_password_on_the_command_line_is_refused(self):
        _, r = self.run_script({"app_password": "on-the-command-line"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("command line", r.stderr)
        self.assertEqual(self.stack.psql(
            "SELECT count(*) FROM pg_roles WHERE rolname = '%s'" % self.app,
            dbname="postgres").strip(), "0")

    def test_an_empty_or_missing_password_file_is_refused(self):
        _, r = self.run_script({"owner_password_file": self.secret_file("o", "x"),
                                "app_password_file": os.path.join(self.dir, "missing")})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("app_password_file", r.stderr)
        self.assertEqual(self.rolpassword(self.app), "")  # no password set


if __name__ == "__main__":
    unittest.main()
