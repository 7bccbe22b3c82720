#include "endpoints.h"

#include <array>
#include <string>
#include <vector>

#include "handlers.h"

namespace {

constexpr MethodMask kGet = bit(Method::get);

// In Endpoint's order (checked below), so a lookup is an index.
constexpr EndpointSpec kEndpoints[] = {
    {Endpoint::health, "/api/health", nullptr, kGet, Auth::none, BodyPolicy::json, true,
     handle_health},
    {Endpoint::health_live, "/api/health/live", nullptr, kGet, Auth::none, BodyPolicy::json, true,
     handle_health_live},
    // Ready and plain health answer the same: the database is reachable.
    {Endpoint::health_ready, "/api/health/ready", nullptr, kGet, Auth::none, BodyPolicy::json, true,
     handle_health},
    {Endpoint::openapi, "/api/openapi.json", nullptr, kGet, Auth::none, BodyPolicy::json, true,
     handle_openapi},
    {Endpoint::me, "/api/me", nullptr, kGet, Auth::bearer, BodyPolicy::json, true, handle_me},
    {Endpoint::tasks, "/api/tasks", "/api/{user_id}/tasks",
     kGet | bit(Method::post) | bit(Method::del), Auth::bearer, BodyPolicy::json, true,
     handle_task_collection},
    {Endpoint::task, "/api/tasks/{id}", "/api/{user_id}/tasks/{id}",
     kGet | bit(Method::put) | bit(Method::patch) | bit(Method::del), Auth::bearer,
     BodyPolicy::json, true, handle_task_item},
    {Endpoint::task_complete, "/api/tasks/{id}/complete", "/api/{user_id}/tasks/{id}/complete",
     bit(Method::patch), Auth::bearer, BodyPolicy::json_optional, true, handle_task_complete},
    // Loopback only (the nginx site): no token, not part of the public API document.
    {Endpoint::status, "/status", nullptr, kGet, Auth::none, BodyPolicy::json, false,
     handle_status},
    {Endpoint::metrics, "/metrics", nullptr, kGet, Auth::none, BodyPolicy::json, false,
     handle_metrics},
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
