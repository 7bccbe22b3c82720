// Path matching for every route of API.md §4 and every alias of §5, in one place.
// Aliases are folded here into one Endpoint plus a rendering switch (`bare`), so
// there is exactly one handler per endpoint. What each endpoint allows, needs and
// calls is its row in endpoints.h.
#pragma once

#include <string>
#include <string_view>

#include "http/http.h"

enum class Endpoint {
  none,           // no route: 404
  health,         // /api/health
  health_live,    // /api/health/live
  health_ready,   // /api/health/ready
  openapi,        // /api/openapi.json
  me,             // /api/me
  tasks,          // /api/tasks            (list, create, bulk delete)
  task,           // /api/tasks/{id}       (get, put, patch, delete)
  task_complete,  // /api/tasks/{id}/complete (or /toggle)
  status,         // /status  (pool status, JSON; nginx: loopback only)
  metrics,        // /metrics (Prometheus text; nginx: loopback only)
};

struct RouteMatch {
  Endpoint endpoint = Endpoint::none;
  std::string task_id;    // raw segment; validity (UUID) is decided last, as a 404
  std::string path_user;  // percent-decoded {user_id} of /api/{user_id}/tasks...
  // A compatibility route: request bodies are read in the FastAPI dialect
  // (BodyDialect in task_input.h).
  bool has_path_user = false;
  bool bare = false;  // compatibility dialect: unwrapped bodies, X-Total-Count
};

// Fills `out` (reusing its buffers). Accepts /api and /api/v1 prefixes, tasks|todos,
// and an optional {user_id} segment before them. A trailing slash is tolerated.
void match_route(std::string_view path, RouteMatch& out);
