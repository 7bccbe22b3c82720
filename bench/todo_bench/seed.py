"""The seeded data: user and task ids the SQL and the wrk data agree on without a query,
the seed SQL (schema todo and the bare reference), and the users file of bench/api.lua."""
import hashlib
import uuid

from .common import BENCH_EMAIL, JWT_SECRET, USER_BASE

from harness.jwt_tools import make_token  # on sys.path: todo_bench/__init__.py


def user_id(k):
    return str(USER_BASE + k)


def task_uuid(uid, k):
    """Same as SQL md5(uid || '/' || k)::uuid: the seed and the wrk data agree without a query."""
    return str(uuid.UUID(hex=hashlib.md5(f"{uid}/{k}".encode()).hexdigest()))


def mint_token(sub, ttl=3600):
    """An HS256 token for the stack's JWT_SECRET, with the seeded users' email (so a request
    never upserts the user). Signed by the integration harness's minter, the one Stack.token()
    uses, rather than a copy of it: one HS256 signer for tests and bench."""
    return make_token(JWT_SECRET, sub=sub, ttl=ttl, email=BENCH_EMAIL)


def seed_sql(nusers, ntasks, big_users):
    """SQL run as the owner: users, their tasks, the big users (schema `todo`), then the
    bare reference (schema `bare`) with the same rows. Only the API's task columns and
    users (id, email) are written, so a schema with other counter columns, triggers or
    indexes seeds the same way; the priority is cast to whatever type the column has."""
    task_cols = ("user_id, id, title, description, completed, priority, due_at, tags, "
                 "created_at, updated_at, completed_at")
    prio = "(array['low','medium','high'])[1 + k % 3]::" + ":prio_type"
    big = "\n".join(
        f"""insert into todo.users (id, email) values ('{uid}', '{BENCH_EMAIL}');
insert into todo.tasks ({task_cols})
select '{uid}', md5('{uid}/' || k)::uuid, 'Task ' || k || ' of a big user',
       'Description of task ' || k || ': buy milk, call the bank', k % 4 = 0,
       {prio},
       case when k % 2 = 0 then timestamptz '2026-12-01 09:00Z' + k * interval '1 minute' end,
       case k % 3 when 0 then '{{}}'::text[] when 1 then '{{home}}' else '{{home,errands}}' end,
       timestamptz '2026-01-01Z' + k * interval '1 second',
       timestamptz '2026-01-01Z' + k * interval '1 second',
       case when k % 4 = 0 then timestamptz '2026-11-02Z' end
from generate_series(1, {n}) k;"""
        for uid, n in big_users)
    return f"""\\set ON_ERROR_STOP on
set synchronous_commit = off;
select format_type(atttypid, atttypmod) as prio_type from pg_attribute
 where attrelid = 'todo.tasks'::regclass and attname = 'priority' \\gset
begin;
insert into todo.users (id, email)
select ({USER_BASE} + u)::text, '{BENCH_EMAIL}'
from generate_series(1, {nusers}) u;
insert into todo.tasks ({task_cols})
select ({USER_BASE} + u)::text, md5(({USER_BASE} + u)::text || '/' || k)::uuid,
       'Task ' || k || ' of user ' || u,
       case when k % 3 = 0 then null else 'Description of task ' || k || ': buy milk, call the bank' end,
       k % 4 = 0,
       {prio},
       case when k % 2 = 0 then timestamptz '2026-12-01 09:00Z' + k * interval '1 hour' end,
       case k % 3 when 0 then '{{}}'::text[] when 1 then '{{home}}' else '{{home,errands}}' end,
       timestamptz '2026-11-01Z' + (u * {ntasks} + k) * interval '1 second',
       timestamptz '2026-11-01Z' + (u * {ntasks} + k) * interval '1 second',
       case when k % 4 = 0 then timestamptz '2026-11-02Z' end
from generate_series(1, {nusers}) u, generate_series(1, {ntasks}) k;
{big}
-- Since sql/002 only the create statement counts tasks: a direct insert sets the
-- counters itself (meta.total, /api/me and the quota read them).
update todo.users u set task_count = c.n, completed_count = c.done
  from (select user_id, count(*) as n, count(*) filter (where completed) as done
          from todo.tasks group by user_id) c
 where u.id = c.user_id;
-- The bare reference: the minimal table a todo API needs, the same rows.
drop schema if exists bare cascade;
create schema bare;
create table bare.users as select id, email from todo.users;
alter table bare.users add primary key (id);
create table bare.tasks (like todo.tasks including defaults);
insert into bare.tasks select * from todo.tasks;
alter table bare.tasks add primary key (user_id, id),
  add foreign key (user_id) references bare.users (id);
create index on bare.tasks (user_id, created_at desc, id);
-- pgbench draws a (user, task) pair by number from here (bench only).
create table bare.ids (n int primary key, user_id text not null, id uuid not null);
insert into bare.ids
select (u - 1) * {ntasks} + k, ({USER_BASE} + u)::text, md5(({USER_BASE} + u)::text || '/' || k)::uuid
from generate_series(1, {nusers}) u, generate_series(1, {ntasks}) k;
commit;
analyze;
"""


def write_users_file(path, users):
    """users: [(uid, [task ids])] -> "<token> <id>,<id>,..." lines for bench/api.lua."""
    with open(path, "w") as f:
        for uid, ids in users:
            f.write(f"{mint_token(uid)} {','.join(ids)}\n")
