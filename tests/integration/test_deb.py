"""The Debian package (`make deb`): built with dpkg-buildpackage, checked by lintian,
installed with dpkg into a scratch root and run from there.

The package is built by `make deb` into <build>/deb/ (DIST_DIR), next to the build tree
of ctest: the staged copy and its CMake build directory persist there, so after the first
run only what changed is recompiled. No stack is started; nothing outside temporary
folders and <build>/deb/ is written (the scratch install runs the maintainer scripts
with DPKG_ROOT, which deb-systemd-helper honours)."""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

ROOT = harness.ROOT
DIST = os.path.join(os.path.dirname(os.path.abspath(harness.BIN)), "deb")

# The libraries the binary links (CMakeLists.txt): their packages must appear in
# Depends, computed by dpkg-shlibdeps with a minimum version.
LINKED_LIBRARY_PACKAGES = ("libpq5", "libfcgi0ldbl", "libcjson1", "libssl3", "libcurl4")

# lintian tags of level warning or above that are accepted (docs/PACKAGING.md says why).
# Today: none.
ACCEPTED_LINTIAN_WARNINGS = set()


def run(args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                     r.stderr))
    return r


def changelog_version():
    return run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "debian", "changelog"),
                "-S", "Version"]).stdout.strip()


def read(path):
    with open(path) as f:
        return f.read()


class Built:
    """What setUpModule built: paths of the .deb and .changes, the version."""
    deb = changes = version = None


def setUpModule():
    start = time.monotonic()
    env = dict(os.environ, DIST_DIR=DIST, LINTIAN="0", JOBS=str(os.cpu_count() or 2))
    run(["make", "-s", "-C", ROOT, "deb"], env=env)
    print("\nmake deb: %.1f s" % (time.monotonic() - start))
    Built.version = changelog_version()
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    Built.deb = os.path.join(DIST, "todo-api_%s_%s.deb" % (Built.version, arch))
    Built.changes = os.path.join(DIST, "todo-api_%s_%s.changes" % (Built.version, arch))


def scratch_root(prefix):
    """An empty root with an empty dpkg database."""
    root = tempfile.mkdtemp(prefix=prefix)
    admin = os.path.join(root, "var/lib/dpkg")
    for sub in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, sub))
    open(os.path.join(admin, "status"), "w").close()
    return root


def dpkg_in(root, *args):
    # The libraries come from this machine, so Depends are forced here; they are
    # checked against this machine by test_apt_would_install_it_on_this_machine.
    # Maintainer scripts run outside a chroot with DPKG_ROOT set.
    return run(["dpkg", "--root=" + root, "--log=/dev/null", "--force-depends",
                "--force-script-chrootless"] + list(args))


class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deb, cls.changes, cls.version = Built.deb, Built.changes, Built.version

    def field(self, name):
        return run(["dpkg-deb", "-f", self.deb, name]).stdout.strip()

    def contents(self):
        out = run(["dpkg-deb", "-c", self.deb]).stdout
        return {line.split()[-1].lstrip(".") for line in out.splitlines()}

    def test_version_is_the_changelog_s_and_the_binary_s(self):
        self.assertTrue(os.path.exists(self.deb), os.listdir(DIST))
        self.assertEqual(self.field("Version"), self.version)
        built = run([harness.BIN, "--version"]).stdout.strip()
        self.assertEqual(built, "todo-api %s" % self.version)

    def test_depends_are_computed_from_the_linked_libraries(self):
        control = read(os.path.join(ROOT, "debian", "control"))
        m = re.search(r"(?ms)^Package: todo-api$.*?^Depends:(.*?)^\S", control)
        self.assertIsNotNone(m, control)
        self.assertEqual(m.group(1).split(), ["${misc:Depends},", "${shlibs:Depends},"],
                         "Depends must come from dpkg-shlibdeps")
        depends = {}
        for item in self.field("Depends").split(","):
            m = re.match(r"^\s*([a-z0-9.+-]+)\s*(?:\((>=)\s*([^)]+)\))?\s*$", item)
            self.assertIsNotNone(m, item)
            depends[m.group(1)] = m.group(3)
        for package in LINKED_LIBRARY_PACKAGES + ("libc6", "libstdc++6"):
            self.assertIn(package, depends, self.field("Depends"))
            self.assertTrue(depends[package], "%s without a minimum version" % package)
        self.assertEqual(self.field("Recommends"), "nginx, postgresql-client")

    def test_files_where_a_debian_admin_expects_them(self):
        files = self.contents()
        sql = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "sql", "*.sql")))
        self.assertTrue(sql)
        expected = {
            "/usr/bin/todo-api",
            "/lib/systemd/system/todo-api.service",
            "/lib/systemd/system/todo-api.socket",
            "/etc/nginx/sites-available/todo-api.conf",
            "/etc/todo-api/env.example",
            "/usr/share/todo-api/sql/roles.sql.example",
            "/usr/share/man/man1/todo-api.1.gz",
            "/usr/share/doc/todo-api/copyright",
        } | {"/usr/share/todo-api/sql/" + name for name in sql}
        self.assertEqual(expected - files, set())
        # Enabling the site and writing the secrets are the admin's steps.
        self.assertFalse([f for f in files if "sites-enabled" in f or f == "/etc/todo-api/env"])

    def test_conffiles_are_the_nginx_site_and_the_env_template(self):
        with tempfile.TemporaryDirectory() as tmp:
            run(["dpkg-deb", "-e", self.deb, tmp])
            conffiles = read(os.path.join(tmp, "conffiles")).split()
        self.assertEqual(sorted(conffiles), ["/etc/nginx/sites-available/todo-api.conf",
                                             "/etc/todo-api/env.example"])

    def test_units_are_the_shipped_ones_and_exec_start_is_the_packaged_binary(self):
        with tempfile.TemporaryDirectory() as tmp:
            run(["dpkg-deb", "-x", self.deb, tmp])
            for unit in ("todo-api.service", "todo-api.socket"):
                self.assertEqual(read(os.path.join(tmp, "lib/systemd/system", unit)),
                                 read(os.path.join(ROOT, "systemd", unit)), unit)
            service = read(os.path.join(tmp, "lib/systemd/system/todo-api.service"))
            starts = re.findall(r"(?m)^ExecStart=(\S+) serve$", service)
            self.assertEqual(starts, ["/usr/bin/todo-api"])
            self.assertTrue(os.access(tmp + starts[0], os.X_OK))

    def test_lintian_reports_no_error_and_no_unexplained_warning(self):
        start = time.monotonic()
        r = run(["lintian", "--display-info", self.changes], check=False)
        print("\nlintian (%.1f s):\n%s" % (time.monotonic() - start, r.stdout))
        tags = re.findall(r"(?m)^([EWI]): (\S+?)(?: source)?: (\S+)", r.stdout)
        errors = [t for t in tags if t[0] == "E"]
        warnings = {t[2] for t in tags if t[0] == "W"}
        self.assertEqual(errors, [], r.stdout)
        self.assertEqual(warnings - ACCEPTED_LINTIAN_WARNINGS, set(), r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_source_package_holds_every_file_of_the_checkout(self):
        tarball = os.path.join(DIST, "todo-api_%s.tar.xz" % self.version)
        names = run(["tar", "-tJf", tarball]).stdout.splitlines()
        shipped = {n.split("/", 1)[1] for n in names if "/" in n and not n.endswith("/")}
        if os.path.isdir(os.path.join(ROOT, ".git")):
            tracked = set(run(["git", "-C", ROOT, "ls-files"]).stdout.splitlines())
        else:  # an unpacked source package: what it holds is what it holds
            tracked = {"debian/rules", "scripts/build-deb.sh", "src/main.cpp", "CMakeLists.txt"}
        self.assertEqual(tracked - shipped, set())
        self.assertFalse([n for n in shipped if n.startswith(("build", "dist/", ".run/"))])

    def test_apt_would_install_it_on_this_machine(self):
        # What the README's first step does, simulated: the computed Depends resolve
        # against Debian 12's packages.
        r = run(["apt-get", "-s", "-o", "Debug::NoLocking=1", "install", self.deb])
        self.assertRegex(r.stdout, r"(?m)^Inst todo-api \(%s " % re.escape(self.version))
        self.assertRegex(r.stdout, r"(?m)^Conf todo-api \(%s " % re.escape(self.version))


class ScratchRootInstall(unittest.TestCase):
    """dpkg --root: a real install (unpack, conffiles, maintainer scripts) into an
    empty root, and the binary run from there."""

    @classmethod
    def setUpClass(cls):
        cls.deb = Built.deb
        cls.root = scratch_root("todo-api-deb-root-")
        cls.install = dpkg_in(cls.root, "-i", cls.deb)
        cls.bin = os.path.join(cls.root, "usr/bin/todo-api")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_dpkg_reports_it_installed(self):
        status = dpkg_in(self.root, "-s", "todo-api").stdout
        self.assertIn("Status: install ok installed", status, self.install.stdout)

    def test_the_installed_binary_runs(self):
        r = run([self.bin, "--version"])
        self.assertEqual(r.stdout.strip(), "todo-api %s" % Built.version)

    def test_check_config_names_what_is_missing(self):
        r = run(["env", "-i", self.bin, "check-config"], check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("todo-api: DATABASE_URL: required", r.stderr)

    def test_migrate_finds_the_packaged_migrations(self):
        # From a folder without sql/: the installed binary finds /usr/share/todo-api/sql
        # of its own root and gets as far as connecting (nothing listens on port 1).
        # A copy of the binary outside the root has no migrations to find.
        env = {"DATABASE_URL": "postgresql://todo_owner@127.0.0.1:1/todo?connect_timeout=5",
               "PATH": "/usr/bin:/bin"}
        with tempfile.TemporaryDirectory() as cwd:
            r = run([self.bin, "migrate"], check=False, cwd=cwd, env=env)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("DATABASE_URL: cannot connect", r.stderr)
            elsewhere = os.path.join(cwd, "bin", "todo-api")
            os.makedirs(os.path.dirname(elsewhere))
            shutil.copy(self.bin, elsewhere)
            r = run([elsewhere, "migrate"], check=False, cwd=cwd, env=env)
            self.assertNotEqual(r.returncode, 0)
            self.assertNotIn("cannot connect", r.stderr)
            self.assertIn("sql", r.stderr)

    def test_nothing_is_enabled_and_the_env_is_left_to_the_admin(self):
        etc = os.path.join(self.root, "etc")
        links = [os.path.join(d, f) for d, _, fs in os.walk(etc) for f in fs
                 if os.path.islink(os.path.join(d, f))]
        self.assertEqual(links, [])
        self.assertFalse(os.path.exists(os.path.join(etc, "nginx/sites-enabled")))
        self.assertFalse(os.path.exists(os.path.join(etc, "todo-api/env")))
        self.assertTrue(os.path.exists(os.path.join(etc, "todo-api/env.example")))
        # The units are recorded, so that a purge removes the admin's enable links.
        state = os.path.join(self.root, "var/lib/systemd/deb-systemd-helper-enabled")
        self.assertTrue(os.path.exists(os.path.join(state, "todo-api.service.dsh-also")))

    def test_purge_removes_what_it_installed_and_keeps_the_admin_s_env(self):
        root = scratch_root("todo-api-deb-purge-")
        try:
            dpkg_in(root, "-i", self.deb)
            dpkg_in(root, "-i", self.deb)  # the upgrade path of the maintainer scripts
            # What README's deployment adds: the site enabled, the admin's env.
            enabled = os.path.join(root, "etc/nginx/sites-enabled")
            os.makedirs(enabled)
            os.symlink("../sites-available/todo-api.conf", os.path.join(enabled, "todo-api.conf"))
            env = os.path.join(root, "etc/todo-api/env")
            shutil.copy(os.path.join(root, "etc/todo-api/env.example"), env)
            dpkg_in(root, "--purge", "todo-api")
            left = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root)
                    for f in fs if not os.path.relpath(d, root).startswith("var/lib/dpkg")]
            # The site's link would dangle: gone. The env holds the admin's secrets: kept.
            self.assertEqual(left, ["etc/todo-api/env"])
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
