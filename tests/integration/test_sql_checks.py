"""The workers' statements, checked inside PostgreSQL (tests/integration/sql_checks.sql).

Runs the exact SQL texts of src/statements.cpp (as printed by build/tests/print_statements)
as the application role, in one rolled-back transaction, so the checks also prove that
role's privileges are enough and nothing more is needed.
"""
import os
import subprocess
import unittest

import harness

setUpModule, tearDownModule = harness.module_fixtures(pool=False, nginx=False)

HERE = os.path.dirname(os.path.abspath(__file__))


def print_statements():
    binary = os.path.join(os.path.dirname(harness.BIN), "tests", "print_statements")
    return subprocess.run([binary], check=True, capture_output=True, text=True).stdout


class SqlChecks(harness.StackTestCase):
    def test_statements_behave_as_documented(self):
        with open(os.path.join(HERE, "sql_checks.sql")) as f:
            checks = f.read()
        # ON_ERROR_STOP: the first failed check raises here, naming itself.
        out = self.stack.psql(print_statements() + "\n" + checks, user=harness.APP_ROLE)
        # The script's last line is reached only when every check ran and passed.
        self.assertIn("sql_checks: all passed", out)

    def test_the_application_role_owns_nothing_and_has_no_ddl(self):
        # QUALITY.md: the database role the workers use owns nothing.
        owned = self.stack.psql(
            "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner "
            "where r.rolname = '%s'" % harness.APP_ROLE).strip()
        self.assertEqual(owned, "0")
        for sql in ("create table todo.x (i int)", "drop table todo.tasks",
                    "truncate todo.tasks", "alter table todo.tasks add column x int",
                    "select * from public.schema_migrations", "create schema evil"):
            with self.assertRaises(RuntimeError, msg=sql) as cm:
                self.stack.psql(sql, user=harness.APP_ROLE)
            self.assertRegex(str(cm.exception), r"permission denied|must be owner", sql)
        # ...while the DML the workers need works (and is rolled back).
        out = self.stack.psql("begin; select count(*) from todo.tasks; "
                              "delete from todo.tasks where false; rollback;",
                              user=harness.APP_ROLE)
        self.assertIn("0", out)

    def test_a_failing_check_is_reported(self):
        # The harness itself: a false check must surface as an error, not pass silently.
        with self.assertRaises(RuntimeError) as cm:
            self.stack.psql("create function pg_temp.ok(c boolean, w text) returns void "
                            "language plpgsql as $$ begin if c is not true then "
                            "raise exception 'CHECK FAILED: %', w; end if; end $$;"
                            "select pg_temp.ok(false, 'deliberate');", user=harness.APP_ROLE)
        self.assertIn("CHECK FAILED: deliberate", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
