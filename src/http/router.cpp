#include "http/router.h"

#include <array>

#include "util/percent_decode.h"

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
