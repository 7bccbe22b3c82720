#include "api/endpoints.h"

#include <array>
#include <string>
#include <vector>

#include "tasks/handlers.h"

namespace {

constexpr MethodMask kGet = bit(Method::get);

// In Endpoint's order (checked below), so a lookup is an index.
constexpr EndpointSpec kEndpoints[] = {
    {.path = "/api/health",
     .compat_path = nullptr,
     .handler = handle_health,
     .endpoint = Endpoint::health,
     .methods = kGet,
     .auth = Auth::none,
     .body = BodyPolicy::json,
     .documented = true},
    {.path = "/api/health/live",
     .compat_path = nullptr,
     .handler = handle_health_live,
     .endpoint = Endpoint::health_live,
     .methods = kGet,
     .auth = Auth::none,
     .body = BodyPolicy::json,
     .documented = true},
    // Ready and plain health answer the same: the database is reachable.
    {.path = "/api/health/ready",
     .compat_path = nullptr,
     .handler = handle_health,
     .endpoint = Endpoint::health_ready,
     .methods = kGet,
     .auth = Auth::none,
     .body = BodyPolicy::json,
     .documented = true},
    {.path = "/api/openapi.json",
     .compat_path = nullptr,
     .handler = handle_openapi,
     .endpoint = Endpoint::openapi,
     .methods = kGet,
     .auth = Auth::none,
     .body = BodyPolicy::json,
     .documented = true},
    {.path = "/api/me",
     .compat_path = nullptr,
     .handler = handle_me,
     .endpoint = Endpoint::me,
     .methods = kGet,
     .auth = Auth::bearer,
     .body = BodyPolicy::json,
     .documented = true},
    {.path = "/api/tasks",
     .compat_path = "/api/{user_id}/tasks",
     .handler = handle_task_collection,
     .endpoint = Endpoint::tasks,
     .methods = kGet | bit(Method::post) | bit(Method::del),
     .auth = Auth::bearer,
     .body = BodyPolicy::json,
     .documented = true},
    {.path = "/api/tasks/{id}",
     .compat_path = "/api/{user_id}/tasks/{id}",
     .handler = handle_task_item,
     .endpoint = Endpoint::task,
     .methods = kGet | bit(Method::put) | bit(Method::patch) | bit(Method::del),
     .auth = Auth::bearer,
     .body = BodyPolicy::json,
     .documented = true},
    // `toggle` is a second spelling of `complete` (router.cpp).
    {.path = "/api/tasks/{id}/complete",
     .compat_path = "/api/{user_id}/tasks/{id}/complete",
     .handler = handle_task_complete,
     .endpoint = Endpoint::task_complete,
     .methods = bit(Method::patch),
     .auth = Auth::bearer,
     .body = BodyPolicy::json_optional,
     .documented = true},
    // Loopback only (the nginx site): no token, not part of the public API document.
    {.path = "/status",
     .compat_path = nullptr,
     .handler = handle_status,
     .endpoint = Endpoint::status,
     .methods = kGet,
     .auth = Auth::none,
     .body = BodyPolicy::json,
     .documented = false},
    {.path = "/metrics",
     .compat_path = nullptr,
     .handler = handle_metrics,
     .endpoint = Endpoint::metrics,
     .methods = kGet,
     .auth = Auth::none,
     .body = BodyPolicy::json,
     .documented = false},
};

constexpr bool rows_in_enum_order() {
  int i = 1;  // Endpoint::none has no row
  for (const EndpointSpec& row : kEndpoints) {
    if (static_cast<int>(row.endpoint) != i++) return false;
  }
  return true;
}
static_assert(rows_in_enum_order(), "kEndpoints must list every Endpoint in declaration order");

constexpr std::size_t kRows = std::size(kEndpoints);

// Allow lists methods in Method's order: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.
std::string make_allow(MethodMask methods) {
  constexpr Method kOrder[] = {Method::get,   Method::head, Method::post,   Method::put,
                               Method::patch, Method::del,  Method::options};
  std::string out;
  for (Method m : kOrder) {
    bool on = (methods & bit(m)) != 0 || m == Method::options ||
              (m == Method::head && (methods & kGet) != 0);
    if (!on) continue;
    if (!out.empty()) out += ", ";
    out += method_name(m);
  }
  return out;
}

// Built once per process, before the first request needs it.
const std::array<std::string, kRows>& allow_values() {
  static const std::array<std::string, kRows> values = [] {
    std::array<std::string, kRows> out;
    for (std::size_t i = 0; i < kRows; ++i) out[i] = make_allow(kEndpoints[i].methods);
    return out;
  }();
  return values;
}

}  // namespace

const EndpointSpec* endpoint_spec(Endpoint e) {
  auto i = static_cast<std::size_t>(e);
  return i >= 1 && i <= kRows ? &kEndpoints[i - 1] : nullptr;
}

bool method_allowed(Endpoint e, Method m) {
  const EndpointSpec* spec = endpoint_spec(e);
  if (spec == nullptr || m == Method::other) return false;
  if (m == Method::options) return true;
  if (m == Method::head) m = Method::get;
  return (spec->methods & bit(m)) != 0;
}

std::string_view allow_header(Endpoint e) {
  auto i = static_cast<std::size_t>(e);
  return i >= 1 && i <= kRows ? std::string_view(allow_values()[i - 1]) : std::string_view{};
}

bool requires_auth(Endpoint e, Method m) {
  const EndpointSpec* spec = endpoint_spec(e);
  return spec != nullptr && m != Method::options && spec->auth == Auth::bearer;
}

const RouteTemplate* route_templates(int& count) {
  static const std::vector<RouteTemplate> templates = [] {
    std::vector<RouteTemplate> out;
    for (const EndpointSpec& row : kEndpoints) {
      if (!row.documented) continue;
      out.push_back({row.path, row.endpoint});
      if (row.compat_path != nullptr) out.push_back({row.compat_path, row.endpoint});
    }
    return out;
  }();
  count = static_cast<int>(templates.size());
  return templates.data();
}

// Every canonical form before any compatibility one: "/api/tasks/tasks" is the
// task called "tasks", not the list of a user called "tasks".
void match_route(std::string_view path, RouteMatch& out) {
  static const RouteTable table = [] {
    std::vector<RouteForm> forms;
    for (const EndpointSpec& row : kEndpoints) forms.push_back({row.path, row.endpoint});
    for (const EndpointSpec& row : kEndpoints) {
      if (row.compat_path != nullptr) forms.push_back({row.compat_path, row.endpoint});
    }
    return RouteTable(forms.data(), forms.size());
  }();
  table.match(path, out);
}
