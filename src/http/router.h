// The request's route: which endpoint, and what its path carried. The route rows
// (api/endpoints.cpp) are the data; RouteTable below is the one matcher that
// reads their path templates. Aliases fold onto one Endpoint plus a rendering
// switch (`bare`), so there is exactly one handler per endpoint.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

// One path form of a route row (api/endpoints.cpp): a template such as
// "/api/tasks/{id}/complete". `{id}` takes any one segment (its validity is the
// handler's: a malformed id is decided last, as a 404); `{user_id}` takes one
// segment, percent-decoded, and makes the match a compatibility one (API.md §5).
struct RouteForm {
  const char* path;
  Endpoint endpoint;
};

// The generic matcher over a table of forms, split into segments once (a worker
// builds its table at start): the first form `path` fits fills `out` (reusing its
// buffers); none leaves Endpoint::none. API.md §5's spellings are applied here, for
// every form alike: an /api/v1 prefix is /api, `todos` is `tasks`, `toggle` is
// `complete`, and a trailing slash is tolerated.
class RouteTable {
 public:
  static constexpr std::size_t kMaxSegments = 6;
  RouteTable(const RouteForm* forms, std::size_t count);
  void match(std::string_view path, RouteMatch& out) const;

 private:
  struct Compiled {
    std::array<std::string_view, kMaxSegments> segments;
    std::size_t count = 0;
    Endpoint endpoint = Endpoint::none;
  };
  std::vector<Compiled> forms_;
};
