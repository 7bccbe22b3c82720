-- 002: the create statement keeps users.task_count itself (and enforces
-- MAX_TASKS_PER_USER there), so the statement-level insert trigger goes.
-- Issue #9: a create wrote the task, upserted the users row in a CTE, then the
-- trigger updated that users row again through a transition table. Now one upsert
-- of the users row counts the task (created on a user's first write), and the
-- task insert reads from it: one users row version per create, no trigger.
-- Deletes (bulk and cascade) and changes of `completed` keep their triggers.
--
-- Anything that inserts into todo.tasks directly (seeding, imports) must now
-- count itself, e.g. `select todo.recount_tasks(id) from todo.users where ...`.
-- No data changes: the counters are exact before and after.

drop trigger tasks_count_insert on todo.tasks;
drop function todo.tasks_count_insert();

-- Recounts one user's counters from their tasks (for seeding and repairs).
create function todo.recount_tasks(user_id text) returns void
language sql as $$
  update todo.users u
     set task_count = c.n, completed_count = c.done
    from (select count(*) as n, count(*) filter (where completed) as done
            from todo.tasks t where t.user_id = recount_tasks.user_id) c
   where u.id = recount_tasks.user_id;
$$;
