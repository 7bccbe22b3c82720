-- EXPLAIN checks at scale: one user with 100,000 tasks among 1,000 users with 50.
-- Run in ONE psql session after the PREPAREs printed by build/tests/print_statements,
-- as a role that may write todo.users/todo.tasks and VACUUM them (owner or superuser):
--   psql -X -v ON_ERROR_STOP=1 -f <(build/tests/print_statements) \
--        -f tests/integration/explain_checks.sql
-- Seeds its users (explain-*) once, then prints each plan and fails (exit 3, message
-- "EXPLAIN CHECK FAILED") when a plan reads tasks by Seq Scan or misses its index.
-- The plain lists run as prepared statements (generic plans after five runs), so
-- they are checked with force_generic_plan; the filtered lists are planned per call
-- with their values (Statement::plan_per_call), so with force_custom_plan.
-- Leaves the seeded users in place for reuse; `delete from todo.users where id like
-- 'explain-%'` removes them (cascade).
\set ON_ERROR_STOP 1
set client_min_messages = warning;
\pset tuples_only on

select not exists (select 1 from todo.users where id = 'explain-big') as need_seed \gset
\if :need_seed
begin;
insert into todo.users (id) select 'explain-small-' || g from generate_series(1, 1000) g;
insert into todo.tasks (user_id, title, description, completed, completed_at, priority, due_at,
                        tags, created_at, updated_at)
select 'explain-small-' || u, 'Task ' || i || ' of user ' || u,
       case when i % 3 = 0 then 'some notes ' || i end,
       i % 4 = 0, case when i % 4 = 0 then now() end,
       (array['low', 'medium', 'high'])[1 + i % 3]::todo.task_priority,
       case when i % 2 = 0 then now() + (i - 25) * interval '1 day' end,
       case when i % 5 = 0 then '{work}'::text[] else '{}' end,
       now() - i * interval '1 minute', now() - i * interval '1 minute'
  from generate_series(1, 1000) u, generate_series(1, 50) i;
insert into todo.users (id) values ('explain-big');
insert into todo.tasks (user_id, title, description, completed, completed_at, priority, due_at,
                        tags, created_at, updated_at)
select 'explain-big', 'Big task number ' || i || case when i % 1000 = 0 then ' needle' else '' end,
       case when i % 3 = 0 then 'description text ' || md5(i::text) end,
       i % 4 = 0, case when i % 4 = 0 then now() end,
       (array['low', 'medium', 'high'])[1 + i % 3]::todo.task_priority,
       case when i % 2 = 0 then now() + (i - 50000) * interval '1 minute' end,
       case when i % 500 = 0 then '{Rare}'::text[] when i % 5 = 0 then '{work,home}' else '{}' end,
       now() - i * interval '1 second', now() - i * interval '1 second'
  from generate_series(1, 100000) i;
commit;
\endif
vacuum analyze todo.users, todo.tasks;

-- Runs EXPLAIN of `stmt` (an EXECUTE), prints the plan, and checks it.
create function pg_temp.expect(stmt text, must text[], mode text) returns void
language plpgsql as $$
declare
  line text;
  plan text := '';
  m text;
begin
  execute format('set plan_cache_mode = %s', mode);
  for line in execute 'explain (costs off) ' || stmt loop
    plan := plan || line || e'\n';
  end loop;
  raise notice E'\n-- % [%]\n%', stmt, mode, plan;
  if plan ~ 'Seq Scan on tasks' then
    raise exception 'EXPLAIN CHECK FAILED: % reads tasks by Seq Scan', stmt;
  end if;
  foreach m in array must loop
    if position(m in plan) = 0 then
      raise exception 'EXPLAIN CHECK FAILED: % has no "%" in its plan', stmt, m;
    end if;
  end loop;
end $$;

set client_min_messages = notice;
-- Default page: the created index, no sort, total from the counter.
select pg_temp.expect($$execute list_created_at_desc('explain-big', 50, 0)$$,
  '{"Index Scan using tasks_created on tasks","Index Scan using users_pkey"}', 'force_generic_plan');
select pg_temp.expect($$execute list_created_at_asc('explain-big', 50, 0)$$,
  '{"Index Scan Backward using tasks_created on tasks"}', 'force_generic_plan');
select pg_temp.expect($$execute list_due_at_asc('explain-big', 50, 0)$$,
  '{"Index Scan using tasks_due on tasks"}', 'force_generic_plan');
-- sort=-due_at, priority, title, updated_at have no index since sql/003 (a top-N
-- sort over the user's rows; docs/DATABASE.md "Indexes"), so they are not checked.
-- The same for a small user: the plan does not depend on who asks.
select pg_temp.expect($$execute list_created_at_desc('explain-small-7', 50, 0)$$,
  '{"Index Scan using tasks_created on tasks"}', 'force_generic_plan');

-- completed only: the created index and a filter (no index has `completed`, so
-- toggles are HOT); total from counters.
select pg_temp.expect($$execute list_filtered_created_at_desc('explain-big', 50, 0, 'false',
  null, null, null, null, null, null)$$,
  '{"Index Scan using tasks_created on tasks","Index Scan using users_pkey"}',
  'force_custom_plan');
select pg_temp.expect($$execute list_filtered_created_at_desc('explain-big', 50, 0, 'true',
  null, null, null, null, null, null)$$,
  '{"Index Scan using tasks_created on tasks"}', 'force_custom_plan');
-- q: trigram GIN on title or description (BitmapOr), also for the count.
select pg_temp.expect($$execute list_filtered_created_at_desc('explain-big', 50, 0, null, null,
  null, 'needle', null, null, null)$$,
  '{"Bitmap Index Scan on tasks_search","BitmapOr"}', 'force_custom_plan');
-- tag: GIN on (user_id, lower-cased tags).
select pg_temp.expect($$execute list_filtered_created_at_desc('explain-big', 50, 0, null, null,
  'RARE', null, null, null, null)$$,
  '{"Bitmap Index Scan on tasks_tags"}', 'force_custom_plan');
-- sort=due_at with a due window: the due index.
select pg_temp.expect($$execute list_filtered_due_at_asc('explain-big', 50, 0, null, null, null,
  null, '2030-01-01T00:00:00Z', '2029-12-01T00:00:00Z', null)$$,
  '{"using tasks_due on tasks"}', 'force_custom_plan');
-- overdue: the due index; `completed` is checked on the heap (sql/003).
select pg_temp.expect($$execute list_filtered_due_at_asc('explain-big', 50, 0, null, null, null,
  null, null, null, 'true')$$,
  '{"tasks_due on tasks"}', 'force_custom_plan');

-- Single-task statements and /api/me.
select pg_temp.expect($$execute task_get('explain-big', '00000000-0000-0000-0000-000000000000')$$,
  '{"Index Scan using tasks_pkey on tasks"}', 'force_generic_plan');
select pg_temp.expect($$execute me_stats('explain-big')$$,
  '{"using tasks_due on tasks"}', 'force_generic_plan');
set plan_cache_mode = auto;
\echo explain_checks: all passed
