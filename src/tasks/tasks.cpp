// The task endpoints (API.md §4): parse -> validate -> one store call -> render.
// The store (task_store.h) returns typed tasks; the JSON is rendered here
// (task_json.h), so the database only reads and writes rows.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "http/etag.h"
#include "http/render.h"
#include "http/status_http.h"
#include "ops/metrics.h"
#include "store/task_store.h"
#include "tasks/handlers.h"
#include "tasks/list_query.h"
#include "tasks/task_input.h"
#include "tasks/task_json.h"
#include "util/text_util.h"

namespace {

// Buffers reused across requests (a worker serves one request at a time), so a
// request allocates only when one outgrows them.
struct Scratch {
  TaskInput input;
  ListQuery query;
  VersionCondition condition;
  TaskReply reply;
  TaskPage page;
  std::string json;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// The compatibility routes /api/{user_id}/tasks... read bodies in the FastAPI
// dialect (API.md §5); /api/tasks and its /api/todos, /api/v1 aliases are strict.
BodyDialect dialect(const RequestContext& ctx) {
  return ctx.route.has_path_user ? BodyDialect::fastapi : BodyDialect::strict;
}

// True when `parsed` is ok; else its error is the response.
bool accepted(RequestContext& ctx, const Status& parsed) {
  write_status(parsed, ctx.res);
  return parsed.ok();
}

void task_not_found(RequestContext& ctx) {
  write_status(Status::not_found("Task not found"), ctx.res);
}

Status version_mismatch() {
  return Status::error(StatusCode::precondition_failed,
                       "The task has changed: If-Match does not match its ETag");
}

void add_etag(RequestContext& ctx, std::int32_t version) {
  std::string etag = "\"";
  append_number(etag, version);
  etag += '"';
  ctx.res.add_header("ETag", std::move(etag));
}

// If-Match as the store's condition: none for absent or `*`.
const VersionCondition& condition(RequestContext& ctx) {
  VersionCondition& c = scratch().condition;
  c.active = parse_if_match(ctx.req.if_match, c.versions) == IfMatch::list;
  return c;
}

// 200/201 with the task (and its ETag), or the status the store reported.
void render_task(RequestContext& ctx, const TaskReply& reply, int status) {
  switch (reply.status) {
    case StoreStatus::ok: {
      std::string& json = scratch().json;
      json.clear();
      append_task_json(json, reply.task);
      set_data(ctx.res, status, json, ctx.route.bare);
      add_etag(ctx, reply.task.version);
      return;
    }
    case StoreStatus::version_mismatch:
      return write_status(version_mismatch(), ctx.res);
    case StoreStatus::quota_exceeded:
      metrics::count(metrics::Counter::quota_refused);
      return write_status(Status::error(StatusCode::quota_exceeded,
                                        "Task quota reached: at most " +
                                            std::to_string(ctx.config.max_tasks_per_user) +
                                            " tasks per user (MAX_TASKS_PER_USER)"),
                          ctx.res);
    case StoreStatus::db_error:
      return set_db_error(ctx, reply.db);
    case StoreStatus::not_found:
      return task_not_found(ctx);
  }
}

void list_tasks(RequestContext& ctx) {
  ListQuery& q = scratch().query;
  q = ListQuery{};
  if (!accepted(ctx, parse_list_query(ctx.req.query, q))) return;
  TaskPage& page = scratch().page;
  ctx.store.list(ctx.identity.user_id, q, page);
  if (page.status != StoreStatus::ok) return set_db_error(ctx, page.db);
  Response& res = ctx.res;
  res.status = 200;
  std::string& body = res.body;
  body.clear();
  if (!ctx.route.bare) body += "{\"data\":";
  body += '[';
  for (std::size_t i = 0; i < page.tasks.size(); ++i) {
    if (i > 0) body += ',';
    append_task_json(body, page.tasks[i]);
  }
  body += ']';
  if (ctx.route.bare) {
    std::string total;
    append_number(total, page.total);
    res.add_header("X-Total-Count", std::move(total));
    return;
  }
  body += ",\"meta\":{\"total\":";
  append_number(body, page.total);
  body += ",\"limit\":";
  append_number(body, q.limit);
  body += ",\"offset\":";
  append_number(body, q.offset);
  body += "}}";
}

void create_task(RequestContext& ctx) {
  TaskInput& in = scratch().input;
  in = TaskInput{};
  if (!accepted(ctx, parse_task_body(ctx.req.body, BodyMode::create, in, dialect(ctx)))) return;
  const Identity& who = ctx.identity;
  TaskReply& reply = scratch().reply;
  ctx.store.create(StoreUser{who.user_id, who.has_email ? &who.email : nullptr}, in, reply);
  render_task(ctx, reply, 201);
  if (reply.status != StoreStatus::ok) return;
  std::string location = "/api/tasks/";
  append_uuid(location, reply.task.id);
  ctx.res.add_header("Location", std::move(location));
}

void delete_completed(RequestContext& ctx) {
  if (!accepted(ctx, parse_bulk_delete_query(ctx.req.query))) return;
  CountReply reply;
  ctx.store.remove_completed(ctx.identity.user_id, reply);
  if (reply.status != StoreStatus::ok) return set_db_error(ctx, reply.db);
  std::string& json = scratch().json;
  json = "{\"deleted\":";
  append_number(json, reply.count);
  json += '}';
  set_data(ctx.res, 200, json, ctx.route.bare);
}

void get_task(RequestContext& ctx) {
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  TaskReply& reply = scratch().reply;
  ctx.store.get(ctx.identity.user_id, ctx.route.task_id, reply);
  if (reply.status == StoreStatus::ok) {
    char version[16];
    auto [end, ec] = std::to_chars(version, version + sizeof version, reply.task.version);
    if (if_none_match_hits(ctx.req.if_none_match, std::string_view(version, end - version))) {
      ctx.res.status = 304;
      ctx.res.body.clear();
      add_etag(ctx, reply.task.version);
      return;
    }
  }
  render_task(ctx, reply, 200);
}

void write_task(RequestContext& ctx, BodyMode mode) {
  TaskInput& in = scratch().input;
  in = TaskInput{};
  if (!accepted(ctx, parse_task_body(ctx.req.body, mode, in, dialect(ctx)))) return;
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  TaskReply& reply = scratch().reply;
  if (mode == BodyMode::replace) {
    ctx.store.replace(ctx.identity.user_id, ctx.route.task_id, condition(ctx), in, reply);
  } else {
    ctx.store.patch(ctx.identity.user_id, ctx.route.task_id, condition(ctx), in, reply);
  }
  render_task(ctx, reply, 200);
}

void delete_task(RequestContext& ctx) {
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  DeleteReply reply;
  ctx.store.remove(ctx.identity.user_id, ctx.route.task_id, condition(ctx), reply);
  switch (reply.status) {
    case StoreStatus::ok:
      ctx.res.status = 204;
      ctx.res.body.clear();
      return;
    case StoreStatus::version_mismatch:
      return write_status(version_mismatch(), ctx.res);
    case StoreStatus::db_error:
      return set_db_error(ctx, reply.db);
    default:
      return task_not_found(ctx);
  }
}

}  // namespace

void handle_task_collection(RequestContext& ctx) {
  switch (ctx.req.method) {
    case Method::post:
      return create_task(ctx);
    case Method::del:
      return delete_completed(ctx);
    default:
      return list_tasks(ctx);  // GET, HEAD
  }
}

void handle_task_item(RequestContext& ctx) {
  switch (ctx.req.method) {
    case Method::put:
      return write_task(ctx, put_mode(dialect(ctx)));
    case Method::patch:
      return write_task(ctx, BodyMode::patch);
    case Method::del:
      return delete_task(ctx);
    default:
      return get_task(ctx);  // GET, HEAD
  }
}

void handle_task_complete(RequestContext& ctx) {
  std::optional<bool> set;
  if (!accepted(ctx, parse_complete_body(ctx.req.body, set, dialect(ctx)))) return;
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  TaskReply& reply = scratch().reply;
  ctx.store.complete(ctx.identity.user_id, ctx.route.task_id, condition(ctx), set, reply);
  render_task(ctx, reply, 200);
}
