"""sql/003 on a database that holds data from 001+002 (issue #9, "writes touch as little
as possible"): nothing is lost, the counters stay exact, only the indexes that serve a
query at 100,000 tasks remain, the PL/pgSQL tag functions give what 001's SQL ones gave,
toggles are HOT updates, and the no-transaction migration mode (`-- todo-api:
no-transaction`, used by 003 for CREATE INDEX CONCURRENTLY) is re-runnable and reports
the failing line."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from test_migrate_002 import SEED, SNAPSHOT
from test_sql_checks import print_statements

setUpModule, tearDownModule = harness.module_fixtures(pool=False, nginx=False, migrate=False)

SQL_DIR = os.path.join(harness.ROOT, "sql")
KEPT = ["tasks_created", "tasks_due", "tasks_pkey", "tasks_search", "tasks_tags"]

# 001's tag functions, kept here as the oracle for 003's PL/pgSQL ones.
OLD_FUNCTIONS = r"""
create schema oracle001;
create function oracle001.tags_lower(tags text[]) returns text[]
language sql immutable strict parallel safe
begin atomic
  select coalesce(array_agg(lower(t) order by n), '{}') from unnest(tags) with ordinality u (t, n);
end;
create function oracle001.tags_valid(tags text[]) returns boolean
language sql immutable strict parallel safe
begin atomic
  select cardinality(tags) <= 20
     and array_ndims(tags) is not distinct from case when cardinality(tags) = 0 then null else 1 end
     and coalesce(bool_and(t is not null and char_length(t) between 1 and 50
                           and t !~ '[\u0001-\u001f\u007f-\u009f]'), true)
     and count(distinct lower(t)) = count(*)
  from unnest(tags) t;
end;
"""
EDGE_TAGS = r"""
with cases(a) as (values ('{}'::text[]), ('{a}'), ('{A,a}'), ('{a,b}'), ('{NULL}'), ('{a,NULL}'),
  ('{""}'), (array[repeat('x', 50)]), (array[repeat('x', 51)]), (array[repeat('é', 50)]),
  ('{{a,b},{c,d}}'), ('{{a}}'), (array['a' || chr(1)]), (array['a' || chr(127)]),
  (array['a' || chr(159)]), (array['a' || chr(160)]), (array['Ä', 'ä']), (array['ΣΑΣ', 'σας']),
  ('[0:1]={x,y}'::text[]), ((select array_agg('t' || g) from generate_series(1, 20) g)),
  ((select array_agg('t' || g) from generate_series(1, 21) g)), (array['a', 'b', 'A']),
  (array['tab' || chr(9) || 'x']), ('{NULL,NULL}'), (array['Straße', 'STRASSE']))
select 'diff=' || count(*) filter (where oracle001.tags_valid(a) is distinct from todo.tags_valid(a))
       || ',' || count(*) filter (where oracle001.tags_lower(a) is distinct from todo.tags_lower(a))
       || ' valid=' || count(*) filter (where todo.tags_valid(a)) || '/' || count(*)
  from cases;
"""


class Migrate003(harness.StackTestCase):
    def migrate(self, sql_dir, ok=True):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "DATABASE_URL": self.stack.database_url(harness.OWNER_ROLE)}
        r = subprocess.run([self.stack.binary, "migrate", "--dir", sql_dir], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode == 0, ok, r.stdout + r.stderr)
        return r.stdout + r.stderr

    def indexes(self):
        return self.stack.psql("select string_agg(indexrelid::regclass::text, ','"
                               " order by indexrelid::regclass::text)"
                               " from pg_index where indrelid = 'todo.tasks'::regclass"
                               " and indisvalid").strip()

    def test_1_003_keeps_data_and_counters_and_drops_indexes(self):
        before_003 = tempfile.mkdtemp(prefix="mig002-")
        try:
            for f in ("001_init.sql", "002_create_counts_itself.sql"):
                shutil.copy(os.path.join(SQL_DIR, f), before_003)
            self.migrate(before_003)
        finally:
            shutil.rmtree(before_003)
        # Since 002 only the create statement counts: a direct insert recounts.
        self.stack.psql(SEED + "select todo.recount_tasks(id) from todo.users;",
                        user=harness.OWNER_ROLE)
        before = self.stack.psql(SNAPSHOT)
        self.assertIn("m-a:40:13,m-b:40:13", before)
        self.assertEqual(len(self.indexes().split(",")), 10)
        self.assertIn("applied 003_writes_touch_less.sql", self.migrate(SQL_DIR))
        self.assertEqual(self.stack.psql(SNAPSHOT), before)
        self.assertEqual(self.indexes(), ",".join("todo." + i for i in KEPT))
        self.assertIn("fillfactor=90", self.stack.psql(
            "select reloptions from pg_class where oid = 'todo.tasks'::regclass"))
        # Same results as 001's functions, and the tags index agrees with them.
        out = self.stack.psql(OLD_FUNCTIONS + EDGE_TAGS, user=harness.OWNER_ROLE)
        self.assertIn("diff=0,0 valid=10/25", out)
        self.assertEqual(self.stack.psql(
            "set enable_seqscan = off; select count(*) from todo.tasks"
            " where todo.tags_lower(tags) @> '{y}'").strip().splitlines()[-1], "20")

        # A no-transaction file runs again from its first statement after an
        # interruption: forget 003 and apply it a second time.
        self.stack.psql("delete from public.schema_migrations where version = 3",
                        user=harness.OWNER_ROLE)
        self.assertIn("applied 003_writes_touch_less.sql", self.migrate(SQL_DIR))
        self.assertEqual(self.indexes(), ",".join("todo." + i for i in KEPT))
        self.assertEqual(self.stack.psql(SNAPSHOT), before)

        # Toggles (the statement the workers run), one transaction each: all HOT,
        # and the trigger keeps completed_count exact.
        ids = self.stack.psql("select id from todo.tasks where user_id = 'm-a'"
                              " order by id limit 20").split()
        toggles = "".join("execute task_complete('m-a', '%s', null, null);\n" % i
                          for _ in range(10) for i in ids)
        self.stack.psql(print_statements() + toggles, user=harness.APP_ROLE)
        time.sleep(1.5)  # the statistics of a session are flushed when it ends
        upd, hot = self.stack.psql(
            "select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables"
            " where relid = 'todo.tasks'::regclass").split("|")
        print("toggles: n_tup_hot_upd / n_tup_upd = %s / %s" % (hot.strip(), upd.strip()))
        self.assertGreaterEqual(int(upd), 200)
        self.assertGreaterEqual(int(hot) / int(upd), 0.9)
        self.assertIn("m-a:40:13,m-b:40:13", self.stack.psql(SNAPSHOT))  # 10 flips each

    def test_2_no_transaction_failure_names_the_line_and_records_nothing(self):
        d = tempfile.mkdtemp(prefix="mignotx-")
        try:
            with open(os.path.join(d, "900_notx.sql"), "w") as f:
                f.write("-- todo-api: no-transaction\n"
                        "create table if not exists public.notx_a (x int);\n"
                        "-- the function body holds a ';' that must not split it\n"
                        "create or replace function public.notx_f() returns int\n"
                        "language plpgsql as $$ begin return 1; end $$;\n"
                        "create index concurrently if not exists notx_i on public.notx_a (x);\n"
                        "select 1 +\n"
                        "  no_such_column;\n")
            out = self.migrate(d, ok=False)
            self.assertIn("900_notx.sql:8:", out)
            self.assertIn("no_such_column", out)
            # Statements before the failure stay applied; the file is not recorded.
            self.assertEqual(self.stack.psql(
                "select public.notx_f(), to_regclass('public.notx_i') is not null,"
                " exists (select 1 from public.schema_migrations where version = 900)"
            ).strip(), "1|t|f")
            with open(os.path.join(d, "900_notx.sql"), "a") as f:
                f.write("-- fixed\n")
            with open(os.path.join(d, "900_notx.sql")) as f:
                fixed = f.read().replace("no_such_column", "1")
            with open(os.path.join(d, "900_notx.sql"), "w") as f:
                f.write(fixed)
            self.assertIn("applied 900_notx.sql", self.migrate(d))
            # A file without the marker still runs in one transaction: CONCURRENTLY fails.
            with open(os.path.join(d, "901_tx.sql"), "w") as f:
                f.write("create index concurrently notx_j on public.notx_a (x);\n")
            self.assertIn("CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
                          self.migrate(d, ok=False))
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
