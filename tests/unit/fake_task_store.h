// An in-memory TaskStore for in-process tests of the dispatcher and handlers: the
// rows live in a std::map (node-based, so the string_views a reply hands out stay
// valid until that task changes), every call is recorded with the user it was
// scoped to, and `fail_next` makes the next call report a chosen status, so each
// handler's StoreStatus -> HTTP mapping can be driven without a database.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/task_store.h"
#include "tasks/task_json.h"

class FakeTaskStore final : public TaskStore {
 public:
  // A fixed clock: every write stamps this time (µs since 2000-01-01 UTC).
  static constexpr std::int64_t kNowPgUs = 850'000'000'000'000;  // 2026-12-08T...

  std::int64_t max_tasks = 0;      // 0 = no quota
  std::vector<std::string> calls;  // "op user [id]" per call, in order

  // The next call reports `status` (and, for db_error, `db` as the database's verdict).
  void fail_next(StoreStatus status, DbStatus db = DbStatus::error) { fault_ = Fault{status, db}; }

  // Adds a task for `user` directly; returns its id text.
  std::string seed(const std::string& user, const std::string& title, bool completed = false) {
    Row& row = insert_row(user);
    row.title = title;
    row.completed = completed;
    if (completed) row.completed_at = kNowPgUs;
    return row.id_text;
  }

  std::size_t size() const { return rows_.size(); }

  void create(const StoreUser& user, const TaskInput& in, TaskReply& out) override {
    record("create", user.id);
    if (faulted(out.status, out.db)) return;
    if (max_tasks > 0 && count_of(user.id) >= max_tasks) {
      out.status = StoreStatus::quota_exceeded;
      return;
    }
    Row& row = insert_row(std::string(user.id));
    apply(row, in);
    reply(row, out);
  }

  void get(std::string_view user, std::string_view id, TaskReply& out) override {
    record("get", user, id);
    if (faulted(out.status, out.db)) return;
    Row* row = find(user, id);
    if (row == nullptr) return void(out.status = StoreStatus::not_found);
    reply(*row, out);
  }

  void replace(std::string_view user, std::string_view id, const VersionCondition& cond,
               const TaskInput& in, TaskReply& out) override {
    record("replace", user, id);
    write(user, id, cond, in, out);
  }

  void patch(std::string_view user, std::string_view id, const VersionCondition& cond,
             const TaskInput& in, TaskReply& out) override {
    record("patch", user, id);
    write(user, id, cond, in, out);
  }

  void complete(std::string_view user, std::string_view id, const VersionCondition& cond,
                std::optional<bool> set, TaskReply& out) override {
    record("complete", user, id);
    Row* row = checked(user, id, cond, out.status, out.db);
    if (row == nullptr) return;
    row->completed = set.value_or(!row->completed);
    row->completed_at = row->completed ? std::optional<std::int64_t>(kNowPgUs) : std::nullopt;
    touch(*row);
    reply(*row, out);
  }

  void remove(std::string_view user, std::string_view id, const VersionCondition& cond,
              DeleteReply& out) override {
    record("remove", user, id);
    Row* row = checked(user, id, cond, out.status, out.db);
    if (row != nullptr) rows_.erase(key(user, row->id_text));
  }

  void remove_completed(std::string_view user, CountReply& out) override {
    record("remove_completed", user);
    if (faulted(out.status, out.db)) return;
    out.count = static_cast<std::int64_t>(std::erase_if(
        rows_, [&](const auto& kv) { return kv.second.user == user && kv.second.completed; }));
    out.status = StoreStatus::ok;
  }

  void list(std::string_view user, const ListQuery& query, TaskPage& out) override {
    record("list", user);
    out.tasks.clear();
    out.total = 0;
    if (faulted(out.status, out.db)) return;
    out.status = StoreStatus::ok;
    for (const auto& [k, row] : rows_) {
      if (row.user != user) continue;
      if (query.completed && row.completed != *query.completed) continue;
      if (out.total >= query.offset && out.total < query.offset + query.limit) {
        out.tasks.push_back(view(row));
      }
      ++out.total;
    }
  }

  void stats(std::string_view user, UserStats& out) override {
    record("stats", user);
    if (faulted(out.status, out.db)) return;
    out.status = StoreStatus::ok;
    out.total = count_of(user);
    out.completed = 0;
    for (const auto& [k, row] : rows_) out.completed += row.user == user && row.completed;
    out.overdue = 0;
  }

 private:
  struct Row {
    std::string user, id_text;
    std::array<unsigned char, 16> id{};
    std::string title = "t";
    std::optional<std::string> description;
    bool completed = false;
    std::string priority = "medium";
    std::optional<std::int64_t> due_at;
    std::vector<std::string> tags;
    std::int32_t version = 1;
    std::int64_t created_at = kNowPgUs, updated_at = kNowPgUs;
    std::optional<std::int64_t> completed_at;
  };
  struct Fault {
    StoreStatus status;
    DbStatus db;
  };

  static std::string key(std::string_view user, std::string_view id_text) {
    return std::string(user) + '\n' + std::string(id_text);
  }

  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
  }

  void record(const char* op, std::string_view user, std::string_view id = {}) {
    std::string call = std::string(op) + ' ' + std::string(user);
    if (!id.empty()) call += ' ' + lower(id);
    calls.push_back(std::move(call));
  }

  // Consumes the injected fault, if any: the reply says what it asked for.
  bool faulted(StoreStatus& status, DbResult& db) {
    if (!fault_) return false;
    status = fault_->status;
    db = DbResult{};
    db.status = fault_->status == StoreStatus::db_error ? fault_->db : DbStatus::ok;
    db.sqlstate = "XX000";
    db.message = "injected by FakeTaskStore";
    fault_.reset();
    return true;
  }

  Row& insert_row(const std::string& user) {
    Row row;
    row.user = user;
    ++next_id_;
    row.id[6] = 0x40;  // version 4, variant 1: a valid-looking UUID
    row.id[8] = 0x80;
    row.id[14] = static_cast<unsigned char>(next_id_ >> 8);
    row.id[15] = static_cast<unsigned char>(next_id_);
    append_uuid(row.id_text, row.id);
    return rows_[key(user, row.id_text)] = std::move(row);
  }

  Row* find(std::string_view user, std::string_view id) {
    auto it = rows_.find(key(user, lower(id)));
    return it == rows_.end() ? nullptr : &it->second;
  }

  std::int64_t count_of(std::string_view user) const {
    return std::count_if(rows_.begin(), rows_.end(),
                         [&](const auto& kv) { return kv.second.user == user; });
  }

  // The row to write, or nullptr with the status set (fault, 404, 412).
  Row* checked(std::string_view user, std::string_view id, const VersionCondition& cond,
               StoreStatus& status, DbResult& db) {
    if (faulted(status, db)) return nullptr;
    Row* row = find(user, id);
    if (row == nullptr) {
      status = StoreStatus::not_found;
      return nullptr;
    }
    if (cond.active && std::find(cond.versions.begin(), cond.versions.end(), row->version) ==
                           cond.versions.end()) {
      status = StoreStatus::version_mismatch;
      return nullptr;
    }
    status = StoreStatus::ok;
    return row;
  }

  void write(std::string_view user, std::string_view id, const VersionCondition& cond,
             const TaskInput& in, TaskReply& out) {
    Row* row = checked(user, id, cond, out.status, out.db);
    if (row == nullptr) return;
    apply(*row, in);
    touch(*row);
    reply(*row, out);
  }

  static void apply(Row& row, const TaskInput& in) {
    if (in.title.present && in.title.value) row.title = *in.title.value;
    if (in.description.present) row.description = in.description.value;
    if (in.completed.present && in.completed.value) {
      row.completed = *in.completed.value;
      row.completed_at = row.completed ? std::optional<std::int64_t>(kNowPgUs) : std::nullopt;
    }
    if (in.priority.present && in.priority.value) row.priority = *in.priority.value;
    if (in.due_at.present) row.due_at = in.due_at.value ? std::optional(kNowPgUs) : std::nullopt;
    if (in.tags.present && in.tags.value) row.tags = *in.tags.value;
  }

  static void touch(Row& row) {
    ++row.version;
    row.updated_at = kNowPgUs;
  }

  static Task view(const Row& row) {
    Task t;
    t.id = row.id;
    t.title = row.title;
    if (row.description) t.description = *row.description;
    t.completed = row.completed;
    t.priority = row.priority;
    t.due_at = row.due_at;
    t.tag_count = std::min(row.tags.size(), Task::kMaxTags);
    for (std::size_t i = 0; i < t.tag_count; ++i) t.tags[i] = row.tags[i];
    t.created_at = row.created_at;
    t.updated_at = row.updated_at;
    t.completed_at = row.completed_at;
    t.version = row.version;
    return t;
  }

  static void reply(const Row& row, TaskReply& out) {
    out.status = StoreStatus::ok;
    out.task = view(row);
  }

  std::map<std::string, Row> rows_;
  std::optional<Fault> fault_;
  int next_id_ = 0;
};
