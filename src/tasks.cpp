// The task endpoints (API.md §4): parse -> validate -> one statement -> render.
// PostgreSQL renders each task's JSON (statements.cpp); this file only checks
// inputs, passes parameters and wraps what comes back.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "handlers.h"
#include "list_query.h"
#include "render.h"
#include "statements.h"
#include "task_input.h"

namespace {

constexpr const char* kTrue = "true";
constexpr const char* kFalse = "false";

// Buffers reused across requests (a worker serves one request at a time), so a
// request allocates only when one outgrows them.
struct Scratch {
  TaskInput input;
  ListQuery query;
  std::string tags;
  std::string if_match;
  std::string text;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

const char* text_or_null(const Field<std::string>& f) {
  return f.present && f.value ? f.value->c_str() : nullptr;
}
const char* bool_or_null(const Field<bool>& f) {
  if (!f.present || !f.value) return nullptr;
  return *f.value ? kTrue : kFalse;
}
// tags as a text[] literal in `out`; nullptr when absent (PATCH leaves them alone).
const char* tags_or_null(const Field<std::vector<std::string>>& f, std::string& out) {
  if (!f.present || !f.value) return nullptr;
  out.clear();
  append_pg_text_array(out, *f.value);
  return out.c_str();
}

struct Number {
  char buf[24];
  const char* c_str(long long v) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, v);
    *end = '\0';
    return buf;
  }
};

std::string_view value(const PGresult* r, int col) {
  return {PQgetvalue(r, 0, col), static_cast<std::size_t>(PQgetlength(r, 0, col))};
}

// The compatibility routes /api/{user_id}/tasks... read bodies in the FastAPI
// dialect (API.md §5); /api/tasks and its /api/todos, /api/v1 aliases are strict.
BodyDialect dialect(const RequestContext& ctx) {
  return ctx.route.has_path_user ? BodyDialect::fastapi : BodyDialect::strict;
}

bool body_ok(RequestContext& ctx, const BodyResult& parsed) {
  if (parsed.status == BodyStatus::ok) return true;
  int status = parsed.status == BodyStatus::bad_request ? 400 : 422;
  set_error(ctx.res, status, parsed.detail, parsed.errors);
  return false;
}

void task_not_found(RequestContext& ctx) {
  set_error(ctx.res, 404, "Task not found");
}

void add_etag(RequestContext& ctx, std::string_view version) {
  std::string etag;
  etag.reserve(version.size() + 2);
  append_etag(etag, version);
  ctx.res.add_header("ETag", std::move(etag));
}

// If-Match as statement parameter $3: NULL (no condition, or `*`) or "{2,3}".
const char* if_match_param(RequestContext& ctx) {
  std::string& buf = scratch().if_match;
  return parse_if_match(ctx.req.if_match, buf) == IfMatch::list ? buf.c_str() : nullptr;
}

// Renders the one row of a conditional write (version, body, found): 200 with
// the task, 412 when the task exists but If-Match did not match, else 404.
void render_write(RequestContext& ctx, const DbResult& result) {
  const PGresult* r = result.result.get();
  if (PQntuples(r) != 1) return task_not_found(ctx);
  if (!PQgetisnull(r, 0, 1)) {
    set_data(ctx.res, 200, value(r, 1), ctx.route.bare);
    add_etag(ctx, value(r, 0));
    return;
  }
  if (value(r, 2) == "t") {
    set_error(ctx.res, 412, "The task has changed: If-Match does not match its ETag");
    return;
  }
  task_not_found(ctx);
}

void list_tasks(RequestContext& ctx) {
  ListQuery& q = scratch().query;
  q = ListQuery{};
  if (auto err = parse_list_query(ctx.req.query, q)) {
    set_error(ctx.res, 400, "Invalid query parameter '" + err->parameter + "': " + err->message,
              {{err->parameter, err->message}});
    return;
  }
  bool filtered =
      q.completed || q.priority || q.tag || q.q || q.due_before || q.due_after || q.overdue;
  Number limit, offset;
  const char* params[10] = {ctx.identity.user_id.c_str(), limit.c_str(q.limit),
                            offset.c_str(q.offset)};
  if (filtered) {
    params[3] = q.completed ? (*q.completed ? kTrue : kFalse) : nullptr;
    params[4] = q.priority ? q.priority->c_str() : nullptr;
    params[5] = q.tag ? q.tag->c_str() : nullptr;
    params[6] = q.q ? q.q->c_str() : nullptr;
    params[7] = q.due_before ? q.due_before->c_str() : nullptr;
    params[8] = q.due_after ? q.due_after->c_str() : nullptr;
    params[9] = q.overdue ? kTrue : nullptr;
  }
  DbResult result =
      ctx.db.exec(list_statement(q.sort, q.descending, filtered), params, filtered ? 10 : 3);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  const PGresult* r = result.result.get();
  std::string_view total = value(r, 0), items = value(r, 1);
  Response& res = ctx.res;
  res.status = 200;
  res.body.clear();
  if (ctx.route.bare) {
    res.body += items;
    res.add_header("X-Total-Count", std::string(total));
    return;
  }
  res.body.reserve(items.size() + 96);
  res.body += "{\"data\":";
  res.body += items;
  res.body += ",\"meta\":{\"total\":";
  res.body += total;
  res.body += ",\"limit\":";
  res.body += params[1];
  res.body += ",\"offset\":";
  res.body += params[2];
  res.body += "}}";
}

void create_task(RequestContext& ctx) {
  TaskInput& in = scratch().input;
  in = TaskInput{};
  if (!body_ok(ctx, parse_task_body(ctx.req.body, BodyMode::create, in, dialect(ctx)))) return;
  const Identity& who = ctx.identity;
  const char* params[8] = {who.user_id.c_str(),        who.has_email ? who.email.c_str() : nullptr,
                           text_or_null(in.title),     text_or_null(in.description),
                           bool_or_null(in.completed), text_or_null(in.priority),
                           text_or_null(in.due_at),    tags_or_null(in.tags, scratch().tags)};
  if (!params[4]) params[4] = kFalse;
  if (!params[5]) params[5] = "medium";
  if (!params[7]) params[7] = "{}";
  DbResult result = ctx.db.exec(StatementId::task_create, params, 8);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  const PGresult* r = result.result.get();
  set_data(ctx.res, 201, value(r, 2), ctx.route.bare);
  std::string location = "/api/tasks/";
  location += value(r, 0);
  ctx.res.add_header("Location", std::move(location));
  add_etag(ctx, value(r, 1));
}

void delete_completed(RequestContext& ctx) {
  if (auto err = parse_bulk_delete_query(ctx.req.query)) {
    const QueryError& e = err->error;
    set_error(ctx.res, err->validation ? 422 : 400,
              err->validation ? "Bulk delete needs completed=true"
                              : "Invalid query parameter '" + e.parameter + "': " + e.message,
              {{e.parameter, e.message}});
    return;
  }
  const char* params[1] = {ctx.identity.user_id.c_str()};
  DbResult result = ctx.db.exec(StatementId::tasks_delete_completed, params, 1);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  std::string& json = scratch().text;
  json = "{\"deleted\":";
  json += value(result.result.get(), 0);
  json += '}';
  set_data(ctx.res, 200, json, ctx.route.bare);
}

void get_task(RequestContext& ctx) {
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  const char* params[2] = {ctx.identity.user_id.c_str(), ctx.route.task_id.c_str()};
  DbResult result = ctx.db.exec(StatementId::task_get, params, 2);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  const PGresult* r = result.result.get();
  if (PQntuples(r) != 1) return task_not_found(ctx);
  if (if_none_match_hits(ctx.req.if_none_match, value(r, 0))) {
    ctx.res.status = 304;
    ctx.res.body.clear();
  } else {
    set_data(ctx.res, 200, value(r, 1), ctx.route.bare);
  }
  add_etag(ctx, value(r, 0));
}

void write_task(RequestContext& ctx, BodyMode mode) {
  TaskInput& in = scratch().input;
  in = TaskInput{};
  if (!body_ok(ctx, parse_task_body(ctx.req.body, mode, in, dialect(ctx)))) return;
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  const char* user = ctx.identity.user_id.c_str();
  const char* id = ctx.route.task_id.c_str();
  const char* tags = tags_or_null(in.tags, scratch().tags);
  DbResult result;
  if (mode == BodyMode::replace) {
    const char* params[9] = {user,
                             id,
                             if_match_param(ctx),
                             text_or_null(in.title),
                             text_or_null(in.description),
                             bool_or_null(in.completed) ? bool_or_null(in.completed) : kFalse,
                             in.priority.value ? in.priority.value->c_str() : "medium",
                             text_or_null(in.due_at),
                             tags ? tags : "{}"};
    result = ctx.db.exec(StatementId::task_replace, params, 9);
  } else {
    const char* params[11] = {user,
                              id,
                              if_match_param(ctx),
                              text_or_null(in.title),
                              in.description.present ? kTrue : kFalse,
                              text_or_null(in.description),
                              bool_or_null(in.completed),
                              text_or_null(in.priority),
                              in.due_at.present ? kTrue : kFalse,
                              text_or_null(in.due_at),
                              tags};
    result = ctx.db.exec(StatementId::task_patch, params, 11);
  }
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  render_write(ctx, result);
}

void delete_task(RequestContext& ctx) {
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  const char* params[3] = {ctx.identity.user_id.c_str(), ctx.route.task_id.c_str(),
                           if_match_param(ctx)};
  DbResult result = ctx.db.exec(StatementId::task_delete, params, 3);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  const PGresult* r = result.result.get();
  if (value(r, 0) == "t") {
    ctx.res.status = 204;
    ctx.res.body.clear();
  } else if (value(r, 1) == "t") {
    set_error(ctx.res, 412, "The task has changed: If-Match does not match its ETag");
  } else {
    task_not_found(ctx);
  }
}

}  // namespace

void handle_tasks(RequestContext& ctx) {
  switch (ctx.req.method) {
    case Method::post:
      return create_task(ctx);
    case Method::del:
      return delete_completed(ctx);
    default:
      return list_tasks(ctx);  // GET, HEAD
  }
}

void handle_task(RequestContext& ctx) {
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
  if (!body_ok(ctx, parse_complete_body(ctx.req.body, set, dialect(ctx)))) return;
  if (!is_uuid(ctx.route.task_id)) return task_not_found(ctx);
  const char* params[4] = {ctx.identity.user_id.c_str(), ctx.route.task_id.c_str(),
                           if_match_param(ctx), set ? (*set ? kTrue : kFalse) : nullptr};
  DbResult result = ctx.db.exec(StatementId::task_complete, params, 4);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  render_write(ctx, result);
}
