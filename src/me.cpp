// GET /api/me (API.md §4): who the token says the caller is, plus task stats.
// `id` and `email` come from the token, not the users row (reads never need it);
// the stats object is rendered by PostgreSQL from the per-user counters.
#include <string>

#include "handlers.h"
#include "render.h"
#include "statements.h"

void handle_me(RequestContext& ctx) {
  const Identity& who = ctx.identity;
  const char* params[1] = {who.user_id.c_str()};
  DbResult result = ctx.db.exec(StatementId::me_stats, params, 1);
  if (result.status != DbStatus::ok) return set_db_error(ctx, result);
  const PGresult* r = result.result.get();
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
  json += ",\"stats\":";
  json.append(PQgetvalue(r, 0, 0), static_cast<std::size_t>(PQgetlength(r, 0, 0)));
  json += '}';
  set_data(ctx.res, 200, json, false);
}
