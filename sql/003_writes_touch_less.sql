-- todo-api: no-transaction
-- 003: writes touch as little as possible (issue #9). Each index must pay for itself
-- with a query at 100,000 tasks for one user that needs it; the others go. Measured
-- numbers (write cost per index, the queries with and without it) are in
-- docs/DATABASE.md "Indexes and the queries they serve".
--
-- Runs outside a transaction (first line; see docs/DATABASE.md "Migrations"): an index
-- built on a live table must be CREATE INDEX CONCURRENTLY, which cannot run inside
-- one. Each statement commits on its own, so every statement here may run again after
-- an interrupted run (IF EXISTS, and the new index is dropped before it is built, in
-- case an interrupted CONCURRENTLY left it invalid). No row is touched.

-- The tag functions in PL/pgSQL, same results (tests/integration/test_migrate_003.py
-- compares them with 001's on edge cases): the check constraint calls tags_valid and
-- the tags index calls tags_lower on every insert, and a non-inlinable SQL function
-- is planned again on each call (~100 us per insert between the two); PL/pgSQL keeps
-- its plans for the session.
create or replace function todo.tags_valid(tags text[]) returns boolean
language plpgsql immutable strict parallel safe as $$
declare
  t text;
  seen text[] := '{}';
begin
  if cardinality(tags) = 0 then return true; end if;
  if cardinality(tags) > 20 or array_ndims(tags) <> 1 then return false; end if;
  foreach t in array tags loop
    if t is null or char_length(t) not between 1 and 50
       or t ~ '[\u0001-\u001f\u007f-\u009f]' then
      return false;
    end if;
    if lower(t) = any (seen) then return false; end if;
    seen := seen || lower(t);
  end loop;
  return true;
end $$;
create or replace function todo.tags_lower(tags text[]) returns text[]
language plpgsql immutable strict parallel safe as $$
declare
  t text;
  out text[] := '{}';
begin
  foreach t in array tags loop
    out := out || lower(t);
  end loop;
  return out;
end $$;

-- Room for HOT updates: a toggle or a PATCH of unindexed fields writes the new row
-- version in the same page when there is space. Applies to pages written from now on.
alter table todo.tasks set (fillfactor = 90);

-- Sorts without a bar (a top-N sort over the user's rows instead; ~140-180 ms at
-- 100,000 tasks). tasks_updated also made every write a non-HOT update.
drop index concurrently if exists todo.tasks_updated;
drop index concurrently if exists todo.tasks_priority;
drop index concurrently if exists todo.tasks_title;
drop index concurrently if exists todo.tasks_due_desc;

-- completed= with the default sort: tasks_created plus a filter on `completed` reads
-- about page / share rows (0.05 ms at 100,000); meta.total comes from the counters.
-- Keeping `completed` out of every index is what lets a toggle be HOT.
drop index concurrently if exists todo.tasks_completed_created;

-- The due index without INCLUDE (completed), for the same reason; it still serves
-- sort=due_at, due_before/due_after and overdue (a heap check of `completed`).
drop index concurrently if exists todo.tasks_due;
create index concurrently tasks_due on todo.tasks (user_id, due_at asc nulls last, id asc);
drop index concurrently if exists todo.tasks_due_asc;
