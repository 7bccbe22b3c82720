"""sql/002 on a database that already holds data from 001 (issue #9): nothing is lost,
the counters stay exact, the insert trigger is gone, and the new create statement
counts the tasks it writes (and refuses past the quota)."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from test_sql_checks import print_statements

setUpModule, tearDownModule = harness.module_fixtures(pool=False, nginx=False, migrate=False)

SQL_DIR = os.path.join(harness.ROOT, "sql")

SEED = """
insert into todo.users (id, email) values ('m-a', 'a@example.com'), ('m-b', null);
insert into todo.tasks (user_id, title, description, completed, completed_at, tags, due_at)
select u, 'task ' || i, case when i % 2 = 0 then 'd' || i end, i % 3 = 0,
       case when i % 3 = 0 then now() end, case when i % 4 = 0 then '{x,Y}'::text[] else '{}' end,
       case when i % 5 = 0 then now() + i * interval '1 hour' end
  from unnest(array['m-a', 'm-b']) u, generate_series(1, 40) i;
"""
SNAPSHOT = ("select md5(string_agg(t::text, '|' order by t.user_id, t.id)) from todo.tasks t;"
            "select string_agg(u.id || ':' || u.task_count || ':' || u.completed_count, ','"
            " order by u.id) from todo.users u;")


class Migrate002(harness.StackTestCase):
    def migrate(self, sql_dir):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "DATABASE_URL": self.stack.database_url(harness.OWNER_ROLE)}
        r = subprocess.run([self.stack.binary, "migrate", "--dir", sql_dir], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_002_keeps_data_and_counters(self):
        only_001 = tempfile.mkdtemp(prefix="mig001-")
        try:
            shutil.copy(os.path.join(SQL_DIR, "001_init.sql"), only_001)
            self.migrate(only_001)
        finally:
            shutil.rmtree(only_001)
        self.stack.psql(SEED, user=harness.OWNER_ROLE)
        before = self.stack.psql(SNAPSHOT)
        self.assertIn("m-a:40:13,m-b:40:13", before)  # 001's trigger counted the seed
        self.migrate(SQL_DIR)
        self.assertEqual(self.stack.psql(SNAPSHOT), before)
        self.assertEqual(self.stack.psql(
            "select count(*) from pg_trigger where tgname = 'tasks_count_insert'").strip(), "0")
        # The new create counts; past the quota it writes nothing; recount agrees.
        out = self.stack.psql(
            print_statements() +
            "\\pset tuples_only on\n"
            "execute task_create('m-a', null, 'new', null, 'true', 'low', null, '{}', 0);\n"
            "execute task_create('m-b', null, 'over', null, 'false', 'low', null, '{}', 40);\n"
            "select 'counts=' || string_agg(id || ':' || task_count || ':' || completed_count,"
            " ',' order by id) from todo.users;\n", user=harness.APP_ROLE)
        self.assertIn("counts=m-a:41:14,m-b:40:13", out)
        self.stack.psql("select todo.recount_tasks(id) from todo.users", user=harness.OWNER_ROLE)
        self.assertIn("m-a:41:14,m-b:40:13", self.stack.psql(SNAPSHOT))


if __name__ == "__main__":
    unittest.main()
