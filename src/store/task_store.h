// The typed store between the task handlers and PostgreSQL: one function per
// operation, typed inputs (the caller, a validated TaskInput, a ListQuery, the
// If-Match versions) and typed results or a status. Handlers never see SQL,
// `$n` positions, column numbers or libpq; PgTaskStore (pg_task_store.cpp) owns
// each statement's parameter layout, the decoding of its binary result and the
// SQLSTATE -> status mapping. Tests can drive the handlers with another
// implementation of TaskStore, in process.
//
// Ownership: every string_view in a Task points into memory owned by the reply
// object it came in (or by the store, for a fake), valid until that reply is
// destroyed or reused.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/task.h"
#include "store/db.h"

enum class StoreStatus {
  ok,
  not_found,         // no such task for this user: 404
  version_mismatch,  // the task exists but If-Match names none of its versions: 412
  quota_exceeded,    // create past MAX_TASKS_PER_USER: 422 quota_exceeded
  db_error,          // `db` says what (unavailable, invalid, error) for set_db_error
};

// A reply carrying one task. `db` keeps the rows the views point into, and the
// failure details when status == db_error.
struct TaskReply {
  StoreStatus status = StoreStatus::ok;
  Task task;
  DbResult db;
};

struct TaskPage {
  StoreStatus status = StoreStatus::ok;
  std::int64_t total = 0;   // meta.total: every match, not just the page
  std::vector<Task> tasks;  // reused across calls: clear()ed, capacity kept
  DbResult db;
};

struct CountReply {
  StoreStatus status = StoreStatus::ok;
  std::int64_t count = 0;
  DbResult db;
};

struct UserStats {
  StoreStatus status = StoreStatus::ok;
  std::int64_t total = 0, completed = 0, overdue = 0;
  DbResult db;
};

struct DeleteReply {
  StoreStatus status = StoreStatus::ok;  // ok, not_found, version_mismatch, db_error
  DbResult db;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // `in` is a validated create body: every field present (defaults filled in).
  virtual void create(const StoreUser& user, const TaskInput& in, TaskReply& out) = 0;
  virtual void get(std::string_view user, std::string_view id, TaskReply& out) = 0;
  // PUT: `in` has every field present. PATCH: absent fields stay as they are.
  virtual void replace(std::string_view user, std::string_view id, const VersionCondition& cond,
                       const TaskInput& in, TaskReply& out) = 0;
  virtual void patch(std::string_view user, std::string_view id, const VersionCondition& cond,
                     const TaskInput& in, TaskReply& out) = 0;
  // `set` nullopt toggles `completed`.
  virtual void complete(std::string_view user, std::string_view id, const VersionCondition& cond,
                        std::optional<bool> set, TaskReply& out) = 0;
  virtual void remove(std::string_view user, std::string_view id, const VersionCondition& cond,
                      DeleteReply& out) = 0;
  virtual void remove_completed(std::string_view user, CountReply& out) = 0;
  virtual void list(std::string_view user, const ListQuery& query, TaskPage& out) = 0;
  virtual void stats(std::string_view user, UserStats& out) = 0;
};

// The libpq-backed store. `db` must outlive it. `max_tasks_per_user` 0 = no quota.
class PgTaskStore final : public TaskStore {
 public:
  PgTaskStore(Database& db, std::int64_t max_tasks_per_user);

  void create(const StoreUser& user, const TaskInput& in, TaskReply& out) override;
  void get(std::string_view user, std::string_view id, TaskReply& out) override;
  void replace(std::string_view user, std::string_view id, const VersionCondition& cond,
               const TaskInput& in, TaskReply& out) override;
  void patch(std::string_view user, std::string_view id, const VersionCondition& cond,
             const TaskInput& in, TaskReply& out) override;
  void complete(std::string_view user, std::string_view id, const VersionCondition& cond,
                std::optional<bool> set, TaskReply& out) override;
  void remove(std::string_view user, std::string_view id, const VersionCondition& cond,
              DeleteReply& out) override;
  void remove_completed(std::string_view user, CountReply& out) override;
  void list(std::string_view user, const ListQuery& query, TaskPage& out) override;
  void stats(std::string_view user, UserStats& out) override;

 private:
  Database& db_;
  std::int64_t max_tasks_;
};
