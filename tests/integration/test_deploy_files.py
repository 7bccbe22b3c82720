"""The files that ship for deployment: systemd units, nginx site, .env.example.

No stack is started: these run the real tools (systemd-analyze, nginx -t) on the
files as shipped (or rendered for the test machine by the harness, for nginx)."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

ROOT = harness.ROOT
SERVICE = os.path.join(ROOT, "systemd", "todo-api.service")
SOCKET = os.path.join(ROOT, "systemd", "todo-api.socket")


def read(path):
    with open(path) as f:
        return f.read()


def unit_settings(path):
    """{key: [values]} of a unit file (comments and section headers ignored)."""
    out = {}
    for line in read(path).splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def config_default(name):
    """A default from src/core/config.h, e.g. `int shutdown_timeout_seconds = 30;`."""
    m = re.search(r"\b%s\s*=\s*([^;]+);" % re.escape(name), read(os.path.join(ROOT, "src", "core",
                                                                               "config.h")))
    if not m:
        raise AssertionError("src/core/config.h: no default for %s" % name)
    return m.group(1).strip()


def config_variables():
    """Every variable of the configuration table in src/core/config.cpp (+ the fallbacks
    read outside the table)."""
    text = read(os.path.join(ROOT, "src", "core", "config.cpp"))
    names = set(re.findall(r'^\s*\{"([A-Z][A-Z0-9_]+)",', text, re.M))
    names |= set(re.findall(r'getenv\("([A-Z][A-Z0-9_]+)"\)', text))
    return names


class SystemdUnits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("systemd-analyze"):
            raise unittest.SkipTest("systemd-analyze not installed")
        cls.tmp = tempfile.mkdtemp(prefix="todo-api-units-")
        # verify checks that ExecStart's binary exists: point it at the built one,
        # everything else byte for byte as shipped.
        service = read(SERVICE)
        shipped = "ExecStart=/usr/bin/todo-api serve"
        assert service.count(shipped) == 1, "ExecStart line changed: update this test"
        with open(os.path.join(cls.tmp, "todo-api.service"), "w") as f:
            f.write(service.replace(shipped, "ExecStart=%s serve" % harness.BIN))
        shutil.copy(SOCKET, os.path.join(cls.tmp, "todo-api.socket"))
        # verify runs `man` on every Documentation= page: ours as installed.
        os.makedirs(os.path.join(cls.tmp, "man", "man1"))
        shutil.copy(os.path.join(ROOT, "docs", "todo-api.1"), os.path.join(cls.tmp, "man", "man1"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def analyze(self, *args):
        # A trailing ':' in MANPATH keeps the system's manual pages too.
        env = dict(os.environ, MANPATH=os.path.join(self.tmp, "man") + ":")
        return subprocess.run(["systemd-analyze"] + list(args), cwd=self.tmp, env=env,
                              capture_output=True, text=True, timeout=60)

    def test_verify_passes_and_prints_nothing_about_our_units(self):
        r = self.analyze("verify", "./todo-api.socket", "./todo-api.service")
        ours = [line for line in (r.stdout + r.stderr).splitlines() if "todo-api" in line]
        self.assertEqual(ours, [], r.stdout + r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_security_rating_is_ok_or_better(self):
        r = self.analyze("security", "--offline=true", "--no-pager", "./todo-api.service")
        m = re.search(r"Overall exposure level for todo-api\.service: ([0-9.]+) (\w+)",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        score, level = float(m.group(1)), m.group(2)
        self.assertIn(level, ("SAFE", "OK"), "exposure %s %s\n%s" % (score, level, r.stdout))
        self.assertLess(score, 2.0, r.stdout)  # today 1.1: notice a regression early

    def test_service_settings(self):
        s = unit_settings(SERVICE)
        self.assertEqual(s["Type"], ["notify"])
        self.assertEqual(s["KillMode"], ["mixed"])
        self.assertEqual(s["EnvironmentFile"], ["/etc/todo-api/env"])
        self.assertIn("todo-api.socket", s["Requires"][0])
        self.assertEqual(s["DynamicUser"], ["yes"])
        self.assertEqual(s["CapabilityBoundingSet"], [""])
        self.assertEqual(s["ExecReload"], ["/bin/kill -HUP $MAINPID"])
        # TimeoutStopSec must leave the master time to drain before SIGKILL.
        stop = int(s["TimeoutStopSec"][0].rstrip("s"))
        self.assertGreater(stop, int(config_default("shutdown_timeout_seconds")))

    def test_socket_is_for_nginx_only_and_matches_the_defaults(self):
        s = unit_settings(SOCKET)
        path = s["ListenStream"][0]
        self.assertEqual(s["SocketMode"], ["0660"])
        self.assertEqual(s["SocketGroup"], ["www-data"])
        self.assertEqual(config_default("fcgi_socket"), '"%s"' % path)
        self.assertIn("server unix:%s;" % path, read(harness.SITE_FILE))


class NginxSite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(postgres=False, pool=False, nginx=False)
        cls.stack.dir = tempfile.mkdtemp(prefix="todo-api-nginx-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.stack.dir, ignore_errors=True)

    def test_nginx_t_accepts_the_rendered_site(self):
        self.stack.render_nginx()
        r = subprocess.run(self.stack.nginx_command("-t", "-q"), capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("[warn]", r.stderr)
        self.assertNotIn("[emerg]", r.stderr)

    def test_rendering_fails_loudly_when_the_site_drifts(self):
        text = read(harness.SITE_FILE).replace("listen 443 ssl http2;", "listen 443 ssl;")
        with self.assertRaises(ValueError):
            harness.render_site(text, 1, 2, "/x.sock", "/c", "/k", "/a")

    def test_body_limit_matches_max_body_bytes(self):
        m = re.search(r"^\s*client_max_body_size (\d+)k;", read(harness.SITE_FILE), re.M)
        self.assertIsNotNone(m)
        self.assertEqual(int(m.group(1)) * 1024, int(config_default("max_body_bytes")))

    def test_keep_conn_is_off_and_no_upstream_keepalive(self):
        site = read(harness.SITE_FILE)
        self.assertRegex(site, r"(?m)^\s*fastcgi_keep_conn off;")
        self.assertNotRegex(site, r"(?m)^\s*keepalive \d+;")
        self.assertRegex(site, r"(?m)^\s*fastcgi_param REQUEST_ID \$request_id;")


class EnvExample(unittest.TestCase):
    def test_every_variable_is_listed_with_a_comment_and_no_secret(self):
        text = read(os.path.join(ROOT, ".env.example"))
        lines = text.splitlines()
        listed = {}
        for i, line in enumerate(lines):
            m = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line)
            if m:
                listed[m.group(1)] = (i, m.group(2))
        missing = config_variables() - set(listed)
        self.assertEqual(missing, set(), "not in .env.example")
        for name, (i, value) in listed.items():
            self.assertTrue(i > 0 and lines[i - 1].startswith("#"),
                            "%s has no comment above it" % name)
        for name in ("JWT_SECRET", "BETTER_AUTH_SECRET"):
            if name in listed:
                value = listed[name][1]
                self.assertTrue(value == "" or "change" in value.lower() or
                                "replace" in value.lower(),
                                "%s must be a placeholder, not a usable secret" % name)


if __name__ == "__main__":
    unittest.main()
