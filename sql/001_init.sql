-- 001_init: users, tasks, the constraints that mirror API.md §3, and the per-user
-- counters that give meta.total and /api/me without counting rows.
-- Applied by `todo-api migrate` inside one transaction, as the owner role.
-- Everything lives in schema `todo`; statements name it explicitly, so the
-- application never depends on search_path. See docs/DATABASE.md.

create schema if not exists todo;

-- Trusted extensions: CREATE on the database is enough (no superuser).
create extension if not exists pg_trgm with schema todo;   -- q: ILIKE served by trigrams
create extension if not exists btree_gin with schema todo; -- user_id inside the GIN indexes

-- Declaration order is sort order: ascending priority is low -> medium -> high.
create type todo.task_priority as enum ('low', 'medium', 'high');

-- Tags are stored as given; matching and the tag index use this lower-cased copy.
-- Immutable so that it can be an index expression.
create function todo.tags_lower(tags text[]) returns text[]
language sql immutable strict parallel safe
begin atomic
  select coalesce(array_agg(lower(t) order by n), '{}') from unnest(tags) with ordinality u (t, n);
end;

-- API.md §3 tag rules that the database can see: 1..50 code points, no control
-- characters, no NULL element, no case-insensitive duplicates, at most 20.
create function todo.tags_valid(tags text[]) returns boolean
language sql immutable strict parallel safe
begin atomic
  select cardinality(tags) <= 20
     and array_ndims(tags) is not distinct from case when cardinality(tags) = 0 then null else 1 end
     and coalesce(bool_and(t is not null and char_length(t) between 1 and 50
                           and t !~ '[\u0001-\u001f\u007f-\u009f]'), true)
     and count(distinct lower(t)) = count(*)
  from unnest(tags) t;
end;

create table todo.users (
  id text primary key,
  email text,
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  -- Maintained by the triggers below, in the writing transaction.
  task_count integer not null default 0,
  completed_count integer not null default 0,
  constraint users_id_length check (octet_length(id) between 1 and 255),
  constraint users_counts check (task_count >= 0 and completed_count between 0 and task_count)
);

create table todo.tasks (
  user_id text not null references todo.users (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  title text not null,
  description text,
  completed boolean not null default false,
  priority todo.task_priority not null default 'medium',
  due_at timestamptz,
  tags text[] not null default '{}',
  version integer not null default 1,
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  updated_at timestamptz not null default date_trunc('milliseconds', now()),
  completed_at timestamptz,
  primary key (user_id, id),
  constraint tasks_title check (char_length(title) between 1 and 200
                                and title !~ '[\u0001-\u001f\u007f-\u009f]'),
  constraint tasks_description check (char_length(description) <= 2000
                                      and description !~ '[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]'),
  constraint tasks_tags check (todo.tags_valid(tags)),
  constraint tasks_version check (version >= 1),
  constraint tasks_completed_at check ((completed_at is not null) = completed)
);

-- Per-user counters. Inserts and deletes are counted per statement (transition
-- tables), so a bulk delete or a cascade touches each users row once, not once
-- per task. Updates are counted per row, and only when `completed` changes.
create function todo.tasks_count_insert() returns trigger
language plpgsql as $$
begin
  update todo.users u
     set task_count = u.task_count + n.total,
         completed_count = u.completed_count + n.done
    from (select user_id, count(*) as total, count(*) filter (where completed) as done
            from new_rows group by user_id) n
   where u.id = n.user_id;
  return null;
end $$;

create function todo.tasks_count_delete() returns trigger
language plpgsql as $$
begin
  update todo.users u
     set task_count = u.task_count - o.total,
         completed_count = u.completed_count - o.done
    from (select user_id, count(*) as total, count(*) filter (where completed) as done
            from old_rows group by user_id) o
   where u.id = o.user_id;
  return null;
end $$;

create function todo.tasks_count_update() returns trigger
language plpgsql as $$
begin
  update todo.users
     set completed_count = completed_count + case when new.completed then 1 else -1 end
   where id = new.user_id;
  return null;
end $$;

create trigger tasks_count_insert after insert on todo.tasks
  referencing new table as new_rows for each statement
  execute function todo.tasks_count_insert();
create trigger tasks_count_delete after delete on todo.tasks
  referencing old table as old_rows for each statement
  execute function todo.tasks_count_delete();
create trigger tasks_count_update after update of completed on todo.tasks
  for each row when (old.completed is distinct from new.completed)
  execute function todo.tasks_count_update();

-- Indexes. Every one leads with user_id: every query is scoped by it.
-- Sorts (ties broken by id in the same direction; a backward scan serves the
-- other direction, except due_at whose NULLs go last both ways):
create index tasks_created on todo.tasks (user_id, created_at desc, id desc);  -- default page
create index tasks_updated on todo.tasks (user_id, updated_at, id);
create index tasks_due_asc on todo.tasks (user_id, due_at asc nulls last, id asc)
  include (completed);  -- also overdue (/api/me, overdue=true) as an index-only scan
create index tasks_due_desc on todo.tasks (user_id, due_at desc nulls last, id desc);
create index tasks_priority on todo.tasks (user_id, priority, id);
create index tasks_title on todo.tasks (user_id, title, id);
-- Filters:
create index tasks_completed_created on todo.tasks (user_id, completed, created_at desc, id desc);
create index tasks_tags on todo.tasks using gin (user_id, todo.tags_lower(tags));
create index tasks_search on todo.tasks
  using gin (user_id, title todo.gin_trgm_ops, description todo.gin_trgm_ops);
