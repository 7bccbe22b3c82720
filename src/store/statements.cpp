#include "store/statements.h"

#include <array>
#include <memory>
#include <string>

// SQL fragments shared by several statements. They are compile-time text: no SQL
// is ever built from request data (sort orders and filters pick a fixed text).
namespace {

// The task's columns in the order PgTaskStore decodes them (pg_task_store.cpp):
// typed values, returned in binary; the worker renders the JSON (task_json.cpp).
// user_id is never returned.
#define TODO_TASK_COLUMNS                                                                  \
  "t.id, t.title, t.description, t.completed, t.priority, t.due_at, t.tags, t.created_at," \
  " t.updated_at, t.completed_at, t.version"

#define TODO_NOW_MS "date_trunc('milliseconds', now())"

// completed_at follows `completed` only when it changes (API.md §3). NEW is the
// new value of `completed`; t.* are the old values inside UPDATE ... SET.
#define TODO_COMPLETED_AT(NEW) \
  "case when " NEW " = t.completed then t.completed_at when " NEW " then " TODO_NOW_MS " end"

// The task ($1, $2), only when its version is one If-Match ($3) accepts.
#define TODO_TASK_MATCH                                                                 \
  "t.user_id = $1::text and t.id = $2::uuid and ($3::integer[] is null or t.version = " \
  "any($3::integer[]))"

// One row for a conditional write: the task's columns, all NULL when nothing
// changed; `found` tells a version mismatch (412) from a missing task (404). The
// exists() reads the snapshot taken before the write, so it sees the task as it was.
#define TODO_WRITE_RESULT                                                                    \
  "select " TODO_TASK_COLUMNS                                                                \
  ","                                                                                        \
  " case when t.id is not null then true when $3::integer[] is null then false"              \
  " else exists (select 1 from todo.tasks x where x.user_id = $1::text and x.id = $2::uuid)" \
  " end as found from (select 1) one left join t on true"

// One upsert of the users row counts the task (and creates the row on a user's
// first write); the task is inserted only when it returned a row, i.e. when the
// quota ($9, 0 = none) allowed it. ON CONFLICT locks the users row and evaluates
// its WHERE on the latest version, so a user's concurrent creates serialize there
// and cannot overshoot. Zero rows back means quota_exceeded.
constexpr const char* kCreate =
    "with u as ("
    " insert into todo.users as u (id, email, task_count, completed_count)"
    " values ($1::text, $2::text, 1, case when $5::boolean then 1 else 0 end)"
    " on conflict (id) do update set task_count = u.task_count + 1,"
    " completed_count = u.completed_count + excluded.completed_count,"
    " email = coalesce(excluded.email, u.email)"
    " where $9::integer = 0 or u.task_count < $9::integer"
    " returning u.id"
    "), t as ("
    " insert into todo.tasks as t"
    " (user_id, title, description, completed, priority, due_at, tags, completed_at)"
    " select $1::text, $3::text, $4::text, $5::boolean, $6::todo.task_priority,"
    " date_trunc('milliseconds', $7::timestamptz), $8::text[],"
    " case when $5::boolean then " TODO_NOW_MS
    " end from u"
    " returning t.*"
    ") select " TODO_TASK_COLUMNS " from t";

constexpr const char* kGet = "select " TODO_TASK_COLUMNS
                             " from todo.tasks t"
                             " where t.user_id = $1::text and t.id = $2::uuid";

constexpr const char* kReplace =
    "with t as (update todo.tasks t set"
    " title = $4::text, description = $5::text, completed = $6::boolean,"
    " completed_at = " TODO_COMPLETED_AT("$6::boolean") ","
    " priority = $7::todo.task_priority, due_at = date_trunc('milliseconds', $8::timestamptz),"
    " tags = $9::text[], version = t.version + 1, updated_at = " TODO_NOW_MS
    " where " TODO_TASK_MATCH " returning t.*) " TODO_WRITE_RESULT;

// Merge patch: NULL leaves a non-nullable field alone; the nullable ones
// (description, due_at) carry a "present" flag so that null can clear them.
constexpr const char* kPatch =
    "with t as (update todo.tasks t set"
    " title = coalesce($4::text, t.title),"
    " description = case when $5::boolean then $6::text else t.description end,"
    " completed = coalesce($7::boolean, t.completed),"
    " completed_at = " TODO_COMPLETED_AT("coalesce($7::boolean, t.completed)") ","
    " priority = coalesce($8::todo.task_priority, t.priority),"
    " due_at = case when $9::boolean then date_trunc('milliseconds', $10::timestamptz)"
    " else t.due_at end,"
    " tags = coalesce($11::text[], t.tags), version = t.version + 1,"
    " updated_at = " TODO_NOW_MS " where " TODO_TASK_MATCH " returning t.*) " TODO_WRITE_RESULT;

constexpr const char* kComplete =
    "with t as (update todo.tasks t set"
    " completed = coalesce($4::boolean, not t.completed),"
    " completed_at = " TODO_COMPLETED_AT("coalesce($4::boolean, not t.completed)") ","
    " version = t.version + 1, updated_at = " TODO_NOW_MS " where " TODO_TASK_MATCH
    " returning t.*) " TODO_WRITE_RESULT;

constexpr const char* kDelete =
    "with t as (delete from todo.tasks t where " TODO_TASK_MATCH
    " returning 1)"
    " select exists (select 1 from t) as deleted,"
    " case when $3::integer[] is null then false"
    " else exists (select 1 from todo.tasks x where x.user_id = $1::text and x.id = $2::uuid)"
    " end as found";

constexpr const char* kDeleteCompleted =
    "with t as (delete from todo.tasks t where t.user_id = $1::text and t.completed returning 1)"
    " select count(*) as deleted from t";

constexpr const char* kMeStats =
    "select coalesce(u.task_count, 0) as total, coalesce(u.completed_count, 0) as completed,"
    " (select count(*) from todo.tasks t where t.user_id = $1::text"
    " and t.due_at < now() and not t.completed) as overdue"
    " from (select 1) one left join todo.users u on u.id = $1::text";

// List filters; a NULL parameter switches its filter off (API.md §4). `q` is an
// ILIKE substring whose %, _ and \ are escaped here, from the parameter.
constexpr const char* kListFilters =
    "t.user_id = $1::text"
    " and ($4::boolean is null or t.completed = $4::boolean)"
    " and ($5::todo.task_priority is null or t.priority = $5::todo.task_priority)"
    " and ($6::text is null or todo.tags_lower(t.tags) @> array[lower($6::text)])"
    " and ($7::text is null or t.title ilike ('%' || replace(replace(replace($7::text,"
    " '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') or t.description ilike ('%' ||"
    " replace(replace(replace($7::text, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'))"
    " and ($8::timestamptz is null or t.due_at < $8::timestamptz)"
    " and ($9::timestamptz is null or t.due_at >= $9::timestamptz)"
    " and ($10::boolean is not true or (t.due_at < now() and not t.completed))";

// meta.total of a filtered list: the counters when only `completed` is set,
// otherwise a count of the matches.
constexpr const char* kFilteredTotal =
    "case when $5::todo.task_priority is null and $6::text is null and $7::text is null"
    " and $8::timestamptz is null and $9::timestamptz is null and $10::boolean is not true"
    " then coalesce((select case when $4::boolean is null then u.task_count"
    " when $4::boolean then u.completed_count else u.task_count - u.completed_count end"
    " from todo.users u where u.id = $1::text), 0)"
    " else (select count(*) from todo.tasks t where ";

constexpr const char* kSortColumns[] = {"created_at", "updated_at", "due_at", "priority", "title"};
constexpr int kSortCount = 5;

// `a.key dir [nulls last], a.id dir`: ties by id in the same direction; tasks
// without due_at last in both directions.
std::string order_by(const char* key_expr, const char* id_expr, int sort, bool desc) {
  std::string s = key_expr;
  s += desc ? " desc" : " asc";
  if (sort == static_cast<int>(SortKey::due_at)) s += " nulls last";
  s += ", ";
  s += id_expr;
  s += desc ? " desc" : " asc";
  return s;
}

std::string list_sql(int sort, bool desc, bool filtered) {
  std::string col = std::string("t.") + kSortColumns[sort];
  std::string sql = "select s.total, " TODO_TASK_COLUMNS " from (select ";
  if (filtered) {
    sql += kFilteredTotal;
    sql += kListFilters;
    sql += ") end";
  } else {
    sql += "coalesce((select u.task_count from todo.users u where u.id = $1::text), 0)";
  }
  // One row per task of the page, each with the total; one row of NULLs (but the
  // total) when the page is empty. The lateral subquery reads the page from the
  // sort index; the outer ORDER BY only re-sorts those <= 100 rows.
  sql += " as total) s left join lateral (select " TODO_TASK_COLUMNS " from todo.tasks t where ";
  sql += filtered ? kListFilters : "t.user_id = $1::text";
  sql += " order by " + order_by(col.c_str(), "t.id", sort, desc);
  sql += " limit $2::integer offset $3::integer) t on true order by ";
  sql += order_by(col.c_str(), "t.id", sort, desc);
  return sql;
}

constexpr int kListFirst = static_cast<int>(StatementId::list_created_at_asc);
constexpr int kListFilteredFirst = static_cast<int>(StatementId::list_filtered_created_at_asc);
constexpr int kStatementCount = static_cast<int>(StatementId::list_filtered_title_desc) + 1;

struct Table {
  std::array<Statement, kStatementCount> rows;
  std::array<std::string, kStatementCount> names;  // owned text for the list rows
  std::array<std::string, kStatementCount> sqls;
};

// Built once, in place: the rows point into `names` and `sqls`.
std::unique_ptr<Table> build_table() {
  auto owned = std::make_unique<Table>();
  Table& t = *owned;
  auto fixed = [&](StatementId id, const char* name, const char* sql, int n, bool idem) {
    t.rows[static_cast<int>(id)] = Statement{id, name, sql, n, idem};
  };
  fixed(StatementId::ping, "ping", "select 1", 0, true);
  fixed(StatementId::task_create, "task_create", kCreate, 9, false);
  fixed(StatementId::task_get, "task_get", kGet, 2, true);
  fixed(StatementId::task_replace, "task_replace", kReplace, 9, false);
  fixed(StatementId::task_patch, "task_patch", kPatch, 11, false);
  fixed(StatementId::task_complete, "task_complete", kComplete, 4, false);
  fixed(StatementId::task_delete, "task_delete", kDelete, 3, false);
  fixed(StatementId::tasks_delete_completed, "tasks_delete_completed", kDeleteCompleted, 1, false);
  fixed(StatementId::me_stats, "me_stats", kMeStats, 1, true);
  for (int filtered = 0; filtered < 2; ++filtered) {
    for (int sort = 0; sort < kSortCount; ++sort) {
      for (int desc = 0; desc < 2; ++desc) {
        int i = (filtered ? kListFilteredFirst : kListFirst) + sort * 2 + desc;
        t.names[i] = std::string(filtered ? "list_filtered_" : "list_") + kSortColumns[sort] +
                     (desc ? "_desc" : "_asc");
        t.sqls[i] = list_sql(sort, desc, filtered != 0);
        t.rows[i] = Statement{static_cast<StatementId>(i),
                              t.names[i].c_str(),
                              t.sqls[i].c_str(),
                              filtered ? 10 : 3,
                              true,
                              filtered != 0};
      }
    }
  }
  return owned;
}

const Table& table() {
  static const std::unique_ptr<Table> t = build_table();
  return *t;
}

}  // namespace

const Statement& statement(StatementId id) {
  return table().rows[static_cast<int>(id)];
}
std::size_t statement_count() {
  return table().rows.size();
}

StatementId list_statement(SortKey sort, bool descending, bool filtered) {
  int first = filtered ? kListFilteredFirst : kListFirst;
  return static_cast<StatementId>(first + static_cast<int>(sort) * 2 + (descending ? 1 : 0));
}
