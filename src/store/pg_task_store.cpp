// PgTaskStore: the parameter layout of each statement (statements.h), the
// decoding of its binary result, and the mapping of results to StoreStatus.
// Binary results (libpq resultFormat 1): uuid 16 bytes, bool 1 byte, int4/int8
// big-endian, timestamptz int64 µs since 2000-01-01 UTC, enum and text as their
// bytes, text[] in the array wire format. Faster to decode than text and it
// leaves every formatting job to the worker (docs/PERFORMANCE.md).
#include <charconv>
#include <cstring>

#include "core/contract.h"
#include "store/pg_text_array.h"
#include "store/task_store.h"

namespace {

constexpr const char* kTrue = "true";
constexpr const char* kFalse = "false";
constexpr int kTaskColumns = 11;

std::uint32_t be32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}
std::uint64_t be64(const char* p) {
  return (std::uint64_t{be32(p)} << 32) | be32(p + 4);
}

// Reads column `col` of row `row`: a view of its bytes; nullopt for NULL.
std::optional<std::string_view> cell(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return std::string_view{PQgetvalue(r, row, col),
                          static_cast<std::size_t>(PQgetlength(r, row, col))};
}

bool read_bool(const PGresult* r, int row, int col, bool& out) {
  auto v = cell(r, row, col);
  if (!v || v->size() != 1) return false;
  out = (*v)[0] != 0;
  return true;
}

// int2/int4/int8 by width: counts are bigint, counters integer.
bool read_int(const PGresult* r, int row, int col, std::int64_t& out) {
  auto v = cell(r, row, col);
  if (!v) return false;
  if (v->size() == 8) {
    out = static_cast<std::int64_t>(be64(v->data()));
  } else if (v->size() == 4) {
    out = static_cast<std::int32_t>(be32(v->data()));
  } else {
    return false;
  }
  return true;
}

bool read_timestamp(std::string_view v, std::int64_t& pg_us) {
  if (v.size() != 8) return false;
  pg_us = static_cast<std::int64_t>(be64(v.data()));
  return true;
}

bool read_optional_timestamp(const PGresult* r, int row, int col,
                             std::optional<std::int64_t>& out) {
  auto v = cell(r, row, col);
  out.reset();
  if (!v) return true;
  std::int64_t us;
  if (!read_timestamp(*v, us)) return false;
  out = us;
  return true;
}

// text[] wire format: ndim, has-null flag, element oid, then (size, lower bound)
// per dimension, then (length, bytes) per element. Tags are one-dimensional,
// without NULLs, at most 20 (the tasks_tags CHECK).
bool read_tags(std::string_view v, Task& t) {
  t.tag_count = 0;
  if (v.size() < 12) return false;
  std::uint32_t ndim = be32(v.data());
  if (ndim == 0) return true;
  if (ndim != 1 || v.size() < 20) return false;
  std::uint32_t n = be32(v.data() + 12);
  if (n > Task::kMaxTags) return false;
  std::size_t pos = 20;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (pos + 4 > v.size()) return false;
    std::uint32_t len = be32(v.data() + pos);
    pos += 4;
    if (len == 0xFFFFFFFFu || pos + len > v.size()) return false;
    t.tags[i] = v.substr(pos, len);
    pos += len;
  }
  t.tag_count = n;
  return true;
}

// The 11 task columns from `first` on (TODO_TASK_COLUMNS in statements.cpp).
bool read_task(const PGresult* r, int row, int first, Task& t) {
  if (PQnfields(r) < first + kTaskColumns) return false;
  auto id = cell(r, row, first);
  if (!id || id->size() != 16) return false;
  std::memcpy(t.id.data(), id->data(), 16);
  auto title = cell(r, row, first + 1);
  auto priority = cell(r, row, first + 4);
  auto tags = cell(r, row, first + 6);
  auto created = cell(r, row, first + 7);
  auto updated = cell(r, row, first + 8);
  std::int64_t version = 0;
  if (!title || !priority || !tags || !created || !updated) return false;
  t.title = *title;
  t.description = cell(r, row, first + 2);
  t.priority = *priority;
  bool ok = read_bool(r, row, first + 3, t.completed) &&
            read_optional_timestamp(r, row, first + 5, t.due_at) && read_tags(*tags, t) &&
            read_timestamp(*created, t.created_at) && read_timestamp(*updated, t.updated_at) &&
            read_optional_timestamp(r, row, first + 9, t.completed_at) &&
            read_int(r, row, first + 10, version);
  t.version = static_cast<std::int32_t>(version);
  return ok;
}

// A result that does not have the shape its statement promises: a bug or a
// schema out of step with the binary. 500, with a log line saying which.
template <class Reply>
void malformed(Reply& out, StatementId id) {
  out.status = StoreStatus::db_error;
  out.db.status = DbStatus::error;
  out.db.sqlstate = "XX000";
  out.db.message = std::string("unexpected result shape from ") + statement(id).name;
  out.db.result.reset();
}

template <class Reply>
bool ran(Reply& out, StatementId id, const char* const* params, int n, Database& db) {
  out.db = db.exec(id, params, n);
  if (out.db.status == DbStatus::ok) return true;
  out.status = StoreStatus::db_error;
  return false;
}

// Per-worker parameter buffers (a worker serves one request at a time): the
// text of string_view inputs, the If-Match array and the tags literal.
struct Params {
  std::string user, id, if_match, tags;
  const char* user_of(std::string_view v) { return (user.assign(v)).c_str(); }
  const char* id_of(std::string_view v) { return (id.assign(v)).c_str(); }
  const char* condition(const VersionCondition& c) {
    if (!c.active) return nullptr;
    if_match = '{';
    char buf[16];
    for (std::size_t i = 0; i < c.versions.size(); ++i) {
      if (i > 0) if_match += ',';
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, c.versions[i]);
      if_match.append(buf, end);
    }
    if_match += '}';
    return if_match.c_str();
  }
  const char* tag_array(const Field<std::vector<std::string>>& f) {
    if (!f.present || !f.value) return nullptr;
    tags.clear();
    append_pg_text_array(tags, *f.value);
    return tags.c_str();
  }
};
Params& params_buffer() {
  thread_local Params p;
  return p;
}

const char* text_or_null(const Field<std::string>& f) {
  return f.present && f.value ? f.value->c_str() : nullptr;
}
const char* bool_or_null(const Field<bool>& f) {
  if (!f.present || !f.value) return nullptr;
  return *f.value ? kTrue : kFalse;
}

// The one row of a conditional write: TASK (NULL when nothing changed), found.
void read_write_result(TaskReply& out, StatementId id) {
  const PGresult* r = out.db.result.get();
  if (PQntuples(r) != 1 || PQnfields(r) != kTaskColumns + 1) return malformed(out, id);
  if (!PQgetisnull(r, 0, 0)) {
    out.status = read_task(r, 0, 0, out.task) ? StoreStatus::ok : StoreStatus::db_error;
    if (out.status != StoreStatus::ok) malformed(out, id);
    return;
  }
  bool found = false;
  if (!read_bool(r, 0, kTaskColumns, found)) return malformed(out, id);
  out.status = found ? StoreStatus::version_mismatch : StoreStatus::not_found;
}

}  // namespace

PgTaskStore::PgTaskStore(Database& db, std::int64_t max_tasks_per_user)
    : db_(db), max_tasks_(max_tasks_per_user) {}

void PgTaskStore::create(const StoreUser& user, const TaskInput& in, TaskReply& out) {
  Params& p = params_buffer();
  const char* tags = p.tag_array(in.tags);
  char quota[24];
  *std::to_chars(quota, quota + sizeof quota - 1, max_tasks_).ptr = '\0';
  const char* params[9] = {
      p.user_of(user.id),
      user.email ? user.email->c_str() : nullptr,
      text_or_null(in.title),
      text_or_null(in.description),
      bool_or_null(in.completed) ? bool_or_null(in.completed) : kFalse,
      in.priority.value ? in.priority.value->c_str() : contract::kDefaultPriority.data(),
      text_or_null(in.due_at),
      tags ? tags : "{}",
      quota};
  if (!ran(out, StatementId::task_create, params, 9, db_)) return;
  const PGresult* r = out.db.result.get();
  if (PQntuples(r) == 0) {
    out.status = StoreStatus::quota_exceeded;
    return;
  }
  if (PQntuples(r) != 1 || !read_task(r, 0, 0, out.task)) {
    return malformed(out, StatementId::task_create);
  }
  out.status = StoreStatus::ok;
}

void PgTaskStore::get(std::string_view user, std::string_view id, TaskReply& out) {
  Params& p = params_buffer();
  const char* params[2] = {p.user_of(user), p.id_of(id)};
  if (!ran(out, StatementId::task_get, params, 2, db_)) return;
  const PGresult* r = out.db.result.get();
  if (PQntuples(r) == 0) {
    out.status = StoreStatus::not_found;
    return;
  }
  if (!read_task(r, 0, 0, out.task)) return malformed(out, StatementId::task_get);
  out.status = StoreStatus::ok;
}

void PgTaskStore::replace(std::string_view user, std::string_view id, const VersionCondition& cond,
                          const TaskInput& in, TaskReply& out) {
  Params& p = params_buffer();
  const char* tags = p.tag_array(in.tags);
  const char* params[9] = {
      p.user_of(user),
      p.id_of(id),
      p.condition(cond),
      text_or_null(in.title),
      text_or_null(in.description),
      bool_or_null(in.completed) ? bool_or_null(in.completed) : kFalse,
      in.priority.value ? in.priority.value->c_str() : contract::kDefaultPriority.data(),
      text_or_null(in.due_at),
      tags ? tags : "{}"};
  if (!ran(out, StatementId::task_replace, params, 9, db_)) return;
  read_write_result(out, StatementId::task_replace);
}

void PgTaskStore::patch(std::string_view user, std::string_view id, const VersionCondition& cond,
                        const TaskInput& in, TaskReply& out) {
  Params& p = params_buffer();
  const char* params[11] = {p.user_of(user),
                            p.id_of(id),
                            p.condition(cond),
                            text_or_null(in.title),
                            in.description.present ? kTrue : kFalse,
                            text_or_null(in.description),
                            bool_or_null(in.completed),
                            text_or_null(in.priority),
                            in.due_at.present ? kTrue : kFalse,
                            text_or_null(in.due_at),
                            p.tag_array(in.tags)};
  if (!ran(out, StatementId::task_patch, params, 11, db_)) return;
  read_write_result(out, StatementId::task_patch);
}

void PgTaskStore::complete(std::string_view user, std::string_view id, const VersionCondition& cond,
                           std::optional<bool> set, TaskReply& out) {
  Params& p = params_buffer();
  const char* params[4] = {p.user_of(user), p.id_of(id), p.condition(cond),
                           set ? (*set ? kTrue : kFalse) : nullptr};
  if (!ran(out, StatementId::task_complete, params, 4, db_)) return;
  read_write_result(out, StatementId::task_complete);
}

void PgTaskStore::remove(std::string_view user, std::string_view id, const VersionCondition& cond,
                         DeleteReply& out) {
  Params& p = params_buffer();
  const char* params[3] = {p.user_of(user), p.id_of(id), p.condition(cond)};
  if (!ran(out, StatementId::task_delete, params, 3, db_)) return;
  const PGresult* r = out.db.result.get();
  bool deleted = false, found = false;
  if (PQntuples(r) != 1 || !read_bool(r, 0, 0, deleted) || !read_bool(r, 0, 1, found)) {
    return malformed(out, StatementId::task_delete);
  }
  out.status =
      deleted ? StoreStatus::ok : (found ? StoreStatus::version_mismatch : StoreStatus::not_found);
}

void PgTaskStore::remove_completed(std::string_view user, CountReply& out) {
  Params& p = params_buffer();
  const char* params[1] = {p.user_of(user)};
  if (!ran(out, StatementId::tasks_delete_completed, params, 1, db_)) return;
  const PGresult* r = out.db.result.get();
  if (PQntuples(r) != 1 || !read_int(r, 0, 0, out.count)) {
    return malformed(out, StatementId::tasks_delete_completed);
  }
  out.status = StoreStatus::ok;
}

void PgTaskStore::list(std::string_view user, const ListQuery& q, TaskPage& out) {
  bool filtered =
      q.completed || q.priority || q.tag || q.q || q.due_before || q.due_after || q.overdue;
  Params& p = params_buffer();
  char limit[16], offset[16];
  *std::to_chars(limit, limit + sizeof limit - 1, q.limit).ptr = '\0';
  *std::to_chars(offset, offset + sizeof offset - 1, q.offset).ptr = '\0';
  const char* params[10] = {p.user_of(user), limit, offset};
  if (filtered) {
    params[3] = q.completed ? (*q.completed ? kTrue : kFalse) : nullptr;
    params[4] = q.priority ? q.priority->c_str() : nullptr;
    params[5] = q.tag ? q.tag->c_str() : nullptr;
    params[6] = q.q ? q.q->c_str() : nullptr;
    params[7] = q.due_before ? q.due_before->c_str() : nullptr;
    params[8] = q.due_after ? q.due_after->c_str() : nullptr;
    params[9] = q.overdue ? kTrue : nullptr;
  }
  StatementId id = list_statement(q.sort, q.descending, filtered);
  out.tasks.clear();
  if (!ran(out, id, params, filtered ? 10 : 3, db_)) return;
  const PGresult* r = out.db.result.get();
  int rows = PQntuples(r);
  if (rows < 1 || PQnfields(r) != kTaskColumns + 1 || !read_int(r, 0, 0, out.total)) {
    return malformed(out, id);
  }
  if (PQgetisnull(r, 0, 1)) rows = 0;  // the empty page's one row of NULLs
  out.tasks.resize(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    if (!read_task(r, i, 1, out.tasks[static_cast<std::size_t>(i)])) return malformed(out, id);
  }
  out.status = StoreStatus::ok;
}

void PgTaskStore::stats(std::string_view user, UserStats& out) {
  Params& p = params_buffer();
  const char* params[1] = {p.user_of(user)};
  if (!ran(out, StatementId::me_stats, params, 1, db_)) return;
  const PGresult* r = out.db.result.get();
  if (PQntuples(r) != 1 || !read_int(r, 0, 0, out.total) || !read_int(r, 0, 1, out.completed) ||
      !read_int(r, 0, 2, out.overdue)) {
    return malformed(out, StatementId::me_stats);
  }
  out.status = StoreStatus::ok;
}
