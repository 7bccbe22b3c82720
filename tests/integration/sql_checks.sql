-- Functional checks of the workers' statements against a migrated database.
-- Run in ONE psql session after the PREPAREs printed by build/tests/print_statements:
--   psql -X -v ON_ERROR_STOP=1 -f <(build/tests/print_statements) -f tests/integration/sql_checks.sql
-- Everything runs in a transaction that is rolled back: the database is left as found.
-- A failed check raises an error naming it (psql exits non-zero with ON_ERROR_STOP).
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
set client_min_messages = warning;
begin;

create function pg_temp.ok(cond boolean, what text) returns void language plpgsql as $$
begin
  if cond is not true then raise exception 'CHECK FAILED: %', what; end if;
end $$;

-- Create: first write creates the users row (FK + data-modifying CTE in one statement).
drop table if exists r; create temp table r as execute task_create('chk-a', 'a@example.com', 'Buy milk', '2 litres', 'false',
  'medium', '2026-12-01T09:00:00.1239+01:00', '{home,"Errands, \"x\""}', 0);
select pg_temp.ok((select count(*) = 1 from todo.users where id = 'chk-a' and email = 'a@example.com'),
  'create upserts the users row');
select pg_temp.ok((select due_at = '2026-12-01T08:00:00.123Z' from r),
  'due_at truncated to milliseconds');
select pg_temp.ok((select tags = array['home', 'Errands, "x"'] from r), 'tags kept as given');
select pg_temp.ok((select title = 'Buy milk' and description = '2 litres' and not completed
  and priority = 'medium' and completed_at is null and version = 1 from r), 'create returns the task');
select pg_temp.ok((select string_agg(attname, ',' order by attnum) = 'id,title,description,completed,'
  'priority,due_at,tags,created_at,updated_at,completed_at,version' from pg_attribute
  where attrelid = 'r'::regclass and attnum > 0), 'task columns in the decoded order, no user_id');
select id as a1 from r \gset

-- A second create: email unchanged when the token has none; completed at creation.
drop table if exists r; create temp table r as execute task_create('chk-a', null, 'Done', null, 'true', 'high', null, '{}', 0);
select id as a2 from r \gset
select pg_temp.ok((select email = 'a@example.com' and task_count = 2 and completed_count = 1
  from todo.users where id = 'chk-a'), 'counters after two creates, email kept');
select pg_temp.ok((select completed_at is not null from r),
  'completed_at set when created completed');

-- Quota ($9): a create past it inserts nothing and counts nothing.
drop table if exists q; create temp table q as execute task_create('chk-a', null, 'Over', null, 'false', 'low', null, '{}', 2);
select pg_temp.ok((select count(*) = 0 from q), 'create past the quota returns no row');
select pg_temp.ok((select task_count = 2 from todo.users where id = 'chk-a'), 'quota: nothing counted');
drop table if exists q; create temp table q as execute task_create('chk-a', null, 'Under', null, 'false', 'low', null, '{}', 3);
select pg_temp.ok((select count(*) = 1 from q), 'create under the quota');
delete from todo.tasks where id = (select id from q);
select pg_temp.ok((select task_count = 2 from todo.users where id = 'chk-a'), 'delete uncounts');

-- Get: own task found, another user's not, version returned for the ETag.
create temp table g1 as execute task_get('chk-a', :'a1');
select pg_temp.ok((select count(*) = 1 from g1), 'get own');

create temp table g as execute task_get('chk-b', :'a1');
select pg_temp.ok((select count(*) = 0 from g), 'get other user: no row');

-- Complete: toggle, then set to the same value (completed_at unchanged, version +1).
drop table if exists w; create temp table w as execute task_complete('chk-a', :'a1', null, null);
select pg_temp.ok((select version = 2 and completed
  and completed_at is not null from w), 'toggle completes');
select pg_temp.ok((select completed_count = 2 from todo.users where id = 'chk-a'), 'counter on toggle');
select completed_at as c_at from w \gset
drop table if exists w; create temp table w as execute task_complete('chk-a', :'a1', null, 'true');
select pg_temp.ok((select version = 3 and completed_at = :'c_at' from w),
  'set same value: completed_at unchanged, version +1');

-- If-Match: mismatch -> no row, found (412); nothing changed.
drop table if exists w; create temp table w as execute task_complete('chk-a', :'a1', '{1,2}', 'false');
select pg_temp.ok((select id is null and found from w), 'if-match mismatch is 412');
select pg_temp.ok((select version = 3 and completed from todo.tasks where id = :'a1'),
  '412 changed nothing');
drop table if exists w; create temp table w as execute task_complete('chk-a', :'a1', '{2,3}', 'false');
select pg_temp.ok((select version = 4 and completed_at is null from w),
  'if-match list match, uncompleting clears completed_at');
-- Missing task and other user's task: 404 with or without If-Match.
drop table if exists w; create temp table w as execute task_complete('chk-b', :'a1', '{4}', null);
create temp table w2 as execute task_complete('chk-a', '00000000-0000-0000-0000-000000000000', null, null);
insert into w select * from w2;
select pg_temp.ok((select bool_and(id is null and not found) from w), 'complete 404');

-- Patch: merge semantics; null clears nullable fields; absent leaves them.
drop table if exists w; create temp table w as execute task_patch('chk-a', :'a1', null, null, 'false', null, null, 'low', 'true',
  null, null);
select pg_temp.ok((select priority = 'low' and title = 'Buy milk'
  and description = '2 litres' and due_at is null and version = 5 from w), 'patch priority, clear due_at');
drop table if exists w; create temp table w as execute task_patch('chk-a', :'a1', '{5}', 'Oat milk', 'true', null, 'true', null,
  'false', null, '{Shop}');
select pg_temp.ok((select title = 'Oat milk' and description is null
  and tags = '{Shop}' and completed and completed_at is not null and version = 6 from w), 'patch several');
drop table if exists w; create temp table w as execute task_patch('chk-a', :'a1', null, null, 'false', null, null, null, 'false',
  null, null);
select pg_temp.ok((select version = 7 from w), 'empty patch still bumps version');

-- Replace: omitted optional fields back to defaults (the handler sends defaults).
drop table if exists w; create temp table w as execute task_replace('chk-a', :'a1', '{7}', 'Replaced', null, 'false', 'medium', null, '{}');
select pg_temp.ok((select title = 'Replaced' and not completed
  and completed_at is null and version = 8 from w), 'replace');
select pg_temp.ok((select updated_at >= created_at from w),
  'updated_at moves');
drop table if exists w; create temp table w as execute task_replace('chk-a', :'a1', '{7}', 'X', null, 'false', 'medium', null, '{}');
select pg_temp.ok((select id is null and found from w), 'replace 412');

-- Constraints mirror the API limits (the handler validates first; these are the net).
do $$
declare
  bad text[] := array[
    $q$insert into todo.tasks (user_id, title) values ('chk-a', '')$q$,
    $q$insert into todo.tasks (user_id, title) values ('chk-a', repeat('x', 201))$q$,
    $q$insert into todo.tasks (user_id, title) values ('chk-a', e'a\x01b')$q$,
    $q$insert into todo.tasks (user_id, title, description) values ('chk-a', 't', repeat('x', 2001))$q$,
    $q$insert into todo.tasks (user_id, title, tags) values ('chk-a', 't', '{a,A}')$q$,
    $q$insert into todo.tasks (user_id, title, tags) values ('chk-a', 't', array_fill('x'::text, array[21]))$q$,
    $q$insert into todo.tasks (user_id, title, completed) values ('chk-a', 't', true)$q$,
    $q$insert into todo.tasks (user_id, title, priority) values ('chk-a', 't', 'urgent')$q$,
    $q$insert into todo.tasks (user_id, title, version) values ('chk-a', 't', 0)$q$,
    $q$insert into todo.tasks (user_id, title) values ('nobody', 't')$q$];
  s text;
begin
  foreach s in array bad loop
    begin
      execute s;
      raise exception 'CHECK FAILED: accepted: %', s;
    exception when integrity_constraint_violation or invalid_text_representation then null;
    end;
  end loop;
end $$;
select pg_temp.ok((select task_count = 2 from todo.users where id = 'chk-a'), 'rejected rows not counted');

-- Lists: total from the counters; filters; q escapes % and _.
drop table if exists r; create temp table r as execute task_create('chk-a', null, '100% sure_thing', null, 'false', 'low',
  '2000-01-01T00:00:00Z', '{Work}', 0);
drop table if exists r; create temp table r as execute task_create('chk-a', null, '100 percent', 'about _ and \', 'false', 'high', null, '{}', 0);
drop table if exists l; create temp table l as execute list_created_at_desc('chk-a', 50, 0);
select pg_temp.ok((select min(total) = 4 and count(id) = 4 from l), 'plain list');
select pg_temp.ok((select (array_agg(id))[1] = (select id from todo.tasks where user_id = 'chk-a'
  order by created_at desc, id desc limit 1) from l), 'default order: created_at desc, id desc');
drop table if exists l; create temp table l as execute list_filtered_created_at_desc('chk-a', 50, 0, null, null, null, '0% s', null, null, null);
select pg_temp.ok((select min(total) = 1 and min(title) = '100% sure_thing' from l), 'q literal %');
drop table if exists l; create temp table l as execute list_filtered_created_at_desc('chk-a', 50, 0, null, null, null, '_', null, null, null);
select pg_temp.ok((select min(total) = 2 from l), 'q literal _ (title or description)');
drop table if exists l; create temp table l as execute list_filtered_created_at_desc('chk-a', 50, 0, null, null, null, '\', null, null, null);
select pg_temp.ok((select min(total) = 1 from l), 'q literal backslash');
drop table if exists l; create temp table l as execute list_filtered_title_asc('chk-a', 50, 0, null, null, 'work', null, null, null, null);
select pg_temp.ok((select min(total) = 1 from l), 'tag case-insensitive');
drop table if exists l; create temp table l as execute list_filtered_created_at_desc('chk-a', 50, 0, null, null, null, null, null, null, 'true');
select pg_temp.ok((select min(total) = 1 from l), 'overdue');
drop table if exists l; create temp table l as execute list_filtered_created_at_desc('chk-a', 1, 1, 'false', null, null, null, null, null, null);
select pg_temp.ok((select min(total) = 3 and count(id) = 1 from l),
  'completed=false total from counters, page of 1');
drop table if exists l; create temp table l as execute list_filtered_due_at_asc('chk-a', 50, 0, null, null, null, null,
  '2030-01-01T00:00:00Z', '2000-01-01T00:00:00Z', null);
select pg_temp.ok((select min(total) = 1 from l), 'due_after <= due_at < due_before');
drop table if exists l; create temp table l as execute list_due_at_desc('chk-a', 50, 0);
select pg_temp.ok((select (array_agg(due_at))[3] is null and (array_agg(due_at))[1] is not null from l),
  'due_at desc: nulls last');
drop table if exists l; create temp table l as execute list_priority_asc('chk-a', 50, 0);
select pg_temp.ok((select (array_agg(priority))[1] = 'low' from l), 'priority asc is low first');
drop table if exists l; create temp table l as execute list_created_at_desc('nobody', 50, 0);
select pg_temp.ok((select count(*) = 1 and min(total) = 0 and count(id) = 0 from l), 'empty list: one row, total, no task');

-- Stats, delete, bulk delete, and the counters throughout.
create temp table m as execute me_stats('chk-a');
select pg_temp.ok((select (total, completed, overdue) = (4, 1, 1) from m), 'me stats');
drop table if exists d; create temp table d as execute task_delete('chk-a', :'a1', '{1}');
select pg_temp.ok((select not deleted and found from d), 'delete 412');
drop table if exists d; create temp table d as execute task_delete('chk-a', :'a1', '{8}');
create temp table d2 as execute task_delete('chk-a', :'a1', null);
insert into d select * from d2;
select pg_temp.ok((select array_agg(deleted) = '{t,f}' and bool_and(not found or deleted) from d), 'delete, then 404');
create temp table x as execute tasks_delete_completed('chk-a');
select pg_temp.ok((select deleted = 1 from x),
  'bulk delete completed');
select pg_temp.ok((select task_count = 2 and completed_count = 0 from todo.users where id = 'chk-a'),
  'counters after deletes');
create temp table m2 as execute me_stats('nobody');
select pg_temp.ok((select (total, completed, overdue) = (0, 0, 0) from m2), 'me stats for a user with no row');

-- Cascade: deleting the user removes the tasks (and the delete trigger copes).
delete from todo.users where id = 'chk-a';
select pg_temp.ok((select count(*) = 0 from todo.tasks where user_id = 'chk-a'), 'cascade');

rollback;
\echo sql_checks: all passed
