// GET /api/me (API.md §4): who the token says the caller is, plus task stats.
// `id` and `email` come from the token, not the users row (reads never need it);
// the stats come from the store (the per-user counters and an overdue count).
#include <string>

#include "http/render.h"
#include "tasks/handlers.h"

void handle_me(RequestContext& ctx) {
  const Identity& who = ctx.identity;
  UserStats stats;
  ctx.store.stats(who.user_id, stats);
  if (stats.status != StoreStatus::ok) return set_db_error(ctx, stats.db);
  std::string json;
  json.reserve(160 + who.user_id.size() + who.email.size());
  json += "{\"id\":";
  append_json_string(json, who.user_id);
  json += ",\"email\":";
  if (who.has_email) {
    append_json_string(json, who.email);
  } else {
    json += "null";
  }
  json += ",\"stats\":{\"total\":" + std::to_string(stats.total);
  json += ",\"completed\":" + std::to_string(stats.completed);
  json += ",\"pending\":" + std::to_string(stats.total - stats.completed);
  json += ",\"overdue\":" + std::to_string(stats.overdue);
  json += "}}";
  set_data(ctx.res, 200, json, false);
}
