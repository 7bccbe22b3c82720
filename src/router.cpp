#include "router.h"

#include <array>

#include "percent_decode.h"

namespace {

constexpr std::string_view kApi = "/api";

bool is_tasks_word(std::string_view s) {
  return s == "tasks" || s == "todos";
}

// Splits "/a/b/c" into up to 5 segments; false on an empty segment or too many.
bool split(std::string_view path, std::array<std::string_view, 5>& seg, int& n) {
  n = 0;
  if (path.empty()) return true;
  if (path.front() != '/') return false;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.empty() || n == static_cast<int>(seg.size())) return false;
    seg[n++] = part;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

// Matches [tasks|todos] [{id}] [complete|toggle] starting at seg[first].
Endpoint match_tasks(const std::array<std::string_view, 5>& seg, int first, int n,
                     RouteMatch& out) {
  int rest = n - first;
  if (rest < 1 || !is_tasks_word(seg[first])) return Endpoint::none;
  if (rest == 1) return Endpoint::tasks;
  out.task_id.assign(seg[first + 1]);
  if (rest == 2) return Endpoint::task;
  // `toggle` is the spelling of common frontends (API.md §4): the same endpoint.
  if (rest == 3 && (seg[first + 2] == "complete" || seg[first + 2] == "toggle")) {
    return Endpoint::task_complete;
  }
  return Endpoint::none;
}

}  // namespace

void match_route(std::string_view path, RouteMatch& out) {
  out.endpoint = Endpoint::none;
  out.task_id.clear();
  out.path_user.clear();
  out.has_path_user = false;
  out.bare = false;

  // Operations endpoints, outside /api/: the nginx site exposes them to loopback only.
  if (path == "/status" || path == "/metrics") {
    out.endpoint = path == "/status" ? Endpoint::status : Endpoint::metrics;
    return;
  }
  if (!path.starts_with(kApi)) return;
  path.remove_prefix(kApi.size());
  if (path == "/v1" || path.starts_with("/v1/")) path.remove_prefix(3);
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  std::array<std::string_view, 5> seg;
  int n = 0;
  if (!split(path, seg, n) || n == 0) return;

  if (n == 1 && seg[0] == "health") {
    out.endpoint = Endpoint::health;
  } else if (n == 2 && seg[0] == "health" && seg[1] == "live") {
    out.endpoint = Endpoint::health_live;
  } else if (n == 2 && seg[0] == "health" && seg[1] == "ready") {
    out.endpoint = Endpoint::health_ready;
  } else if (n == 1 && seg[0] == "openapi.json") {
    out.endpoint = Endpoint::openapi;
  } else if (n == 1 && seg[0] == "me") {
    out.endpoint = Endpoint::me;
  } else if (is_tasks_word(seg[0])) {
    out.endpoint = match_tasks(seg, 0, n, out);
  } else if (n >= 2 && is_tasks_word(seg[1])) {
    // /api/{user_id}/tasks...: the compatibility dialect (API.md §5).
    out.endpoint = match_tasks(seg, 1, n, out);
    if (out.endpoint != Endpoint::none) {
      if (!percent_decode(seg[0], out.path_user, /*plus_is_space=*/false)) {
        out.endpoint = Endpoint::none;
        return;
      }
      out.has_path_user = true;
      out.bare = true;
    }
  }
}

namespace {

struct MethodSet {
  Endpoint endpoint;
  std::array<Method, 4> methods;
  int count;
  std::string_view allow;
};

constexpr MethodSet kMethods[] = {
    {Endpoint::health, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
    {Endpoint::health_live, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
    {Endpoint::health_ready, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
    {Endpoint::openapi, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
    {Endpoint::me, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
    {Endpoint::tasks,
     {Method::get, Method::head, Method::post, Method::del},
     4,
     "GET, HEAD, POST, DELETE, OPTIONS"},
    {Endpoint::task,
     {Method::get, Method::put, Method::patch, Method::del},
     4,
     "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
    {Endpoint::task_complete, {Method::patch}, 1, "PATCH, OPTIONS"},
    {Endpoint::status, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
    {Endpoint::metrics, {Method::get, Method::head}, 2, "GET, HEAD, OPTIONS"},
};

const MethodSet* methods_of(Endpoint e) {
  for (const auto& m : kMethods) {
    if (m.endpoint == e) return &m;
  }
  return nullptr;
}

constexpr RouteTemplate kTemplates[] = {
    {"/api/health", Endpoint::health},
    {"/api/health/live", Endpoint::health_live},
    {"/api/health/ready", Endpoint::health_ready},
    {"/api/openapi.json", Endpoint::openapi},
    {"/api/me", Endpoint::me},
    {"/api/tasks", Endpoint::tasks},
    {"/api/tasks/{id}", Endpoint::task},
    {"/api/tasks/{id}/complete", Endpoint::task_complete},
    {"/api/{user_id}/tasks", Endpoint::tasks},
    {"/api/{user_id}/tasks/{id}", Endpoint::task},
    {"/api/{user_id}/tasks/{id}/complete", Endpoint::task_complete},
};

}  // namespace

bool method_allowed(Endpoint e, Method m) {
  const MethodSet* set = methods_of(e);
  if (set == nullptr) return false;
  if (m == Method::options) return true;
  for (int i = 0; i < set->count; ++i) {
    if (set->methods[i] == m) return true;
  }
  return false;
}

std::string_view allow_header(Endpoint e) {
  const MethodSet* set = methods_of(e);
  return set ? set->allow : std::string_view{};
}

bool requires_auth(Endpoint e, Method m) {
  if (m == Method::options) return false;
  return e != Endpoint::health && e != Endpoint::health_live && e != Endpoint::health_ready &&
         e != Endpoint::openapi && e != Endpoint::status && e != Endpoint::metrics;
}

const RouteTemplate* route_templates(int& count) {
  count = static_cast<int>(std::size(kTemplates));
  return kTemplates;
}
