// Every SQL text the workers run, with its name and parameter count. Prepared once
// per connection (DB_PREPARED=on) or sent as unnamed statements (off).
// Every statement that touches tasks takes the caller's user id as $1, and each
// one is the whole request: one round trip. Parameters are text (libpq text
// format); NULL means "absent" where the layout below says so. Results are typed
// columns in binary format (result_format 1); no statement builds JSON: the
// worker renders it (task_json.cpp). Only PgTaskStore (pg_task_store.cpp) knows
// these layouts.
//
// Parameter layouts (docs/DATABASE.md explains each statement); TASK is the 11
// task columns id, title, description, completed, priority, due_at, tags,
// created_at, updated_at, completed_at, version:
//   task_create   $1 user  $2 email|NULL  $3 title  $4 description|NULL  $5 completed
//                 $6 priority  $7 due_at|NULL  $8 tags (array literal)  $9 quota (0: none)
//                 -> TASK; 0 rows: quota reached (counts the task in the users row,
//                    creating it on the user's first write)
//   task_get      $1 user  $2 id                          -> TASK (0 rows: 404)
//   task_replace  $1 user  $2 id  $3 if_match  $4 title  $5 description|NULL  $6 completed
//                 $7 priority  $8 due_at|NULL  $9 tags     -> TASK, found
//   task_patch    $1 user  $2 id  $3 if_match  $4 title|NULL  $5 description_set
//                 $6 description|NULL  $7 completed|NULL  $8 priority|NULL  $9 due_at_set
//                 $10 due_at|NULL  $11 tags|NULL           -> TASK, found
//   task_complete $1 user  $2 id  $3 if_match  $4 completed|NULL (NULL: toggle)
//                                                          -> TASK, found
//   task_delete   $1 user  $2 id  $3 if_match              -> deleted, found
//   tasks_delete_completed $1 user                         -> deleted (count)
//   me_stats      $1 user                                  -> total, completed, overdue
//   list_*        $1 user  $2 limit  $3 offset             -> total, TASK (one row per task;
//                                                             one row of NULL TASK when empty)
//   list_filtered_* the same, then $4 completed  $5 priority  $6 tag  $7 q
//                 $8 due_before  $9 due_after  $10 overdue (each NULL = no filter)
// if_match is an integer array literal ("{2,3}") of acceptable versions, NULL when
// the request has no If-Match (or `*`). Writes return one row: TASK NULL means
// nothing changed, and `found` tells 412 (the task exists) from 404.
#pragma once

#include <cstddef>

#include "core/task.h"

enum class StatementId : int {
  ping,
  task_create,
  task_get,
  task_replace,
  task_patch,
  task_complete,
  task_delete,
  tasks_delete_completed,
  me_stats,
  // Lists without filters, one per sort key and direction (SortKey order, asc
  // then desc): meta.total comes from the per-user counter.
  list_created_at_asc,
  list_created_at_desc,
  list_updated_at_asc,
  list_updated_at_desc,
  list_due_at_asc,
  list_due_at_desc,
  list_priority_asc,
  list_priority_desc,
  list_title_asc,
  list_title_desc,
  // Lists with filters (NULL parameters switch them off), in the same order.
  list_filtered_created_at_asc,
  list_filtered_created_at_desc,
  list_filtered_updated_at_asc,
  list_filtered_updated_at_desc,
  list_filtered_due_at_asc,
  list_filtered_due_at_desc,
  list_filtered_priority_asc,
  list_filtered_priority_desc,
  list_filtered_title_asc,
  list_filtered_title_desc,
};

struct Statement {
  StatementId id;
  const char* name;
  const char* sql;
  int nparams;
  // True when running it twice is harmless: after a lost connection the worker
  // reconnects and retries it once instead of answering 503.
  bool idempotent;
  // True for statements whose best plan depends on the values (the filtered
  // lists: a rare tag wants the GIN index, a common one the sort index). They are
  // not prepared but sent with their values each time (PQexecParams, still one
  // round trip), so PostgreSQL plans them for those values.
  bool plan_per_call = false;
  // libpq result format: 1 = binary (typed values, decoded by PgTaskStore).
  int result_format = 1;
};

// All statements, indexed by StatementId.
const Statement& statement(StatementId id);
std::size_t statement_count();

// The list statement for a sort, direction and whether any filter is set.
StatementId list_statement(SortKey sort, bool descending, bool filtered);
