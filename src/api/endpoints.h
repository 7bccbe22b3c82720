// The endpoint table: one row per route (API.md §4, the ops routes of
// docs/OPERATIONS.md) with its path templates, methods, authentication, body
// policy and handler — Redis's command table, cgimap's handler per endpoint. The
// dispatcher reads every check from here, and the `Allow` header, the 405, the
// CORS preflight and the OpenAPI test derive from the rows, so a route is
// declared once. The matcher (http/router.h) reads the rows' path templates too,
// and applies the /api/v1, /todos and `toggle` spellings to every row alike.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/http.h"
#include "http/router.h"

struct RequestContext;
using Handler = void (*)(RequestContext&);

// A set of methods. GET implies HEAD (fcgi_params.cpp serves HEAD as GET), and
// OPTIONS (the CORS preflight) is allowed on every route.
using MethodMask = std::uint8_t;
constexpr MethodMask bit(Method m) {
  return static_cast<MethodMask>(1u << static_cast<unsigned>(m));
}

enum class Auth : std::uint8_t { none, bearer };

// What a request with a body (POST, PUT, PATCH) must send.
enum class BodyPolicy : std::uint8_t {
  json,           // Content-Type application/json (PATCH: or merge-patch+json), 415 else
  json_optional,  // no body at all is fine (PATCH .../complete toggles); a body must be JSON
};

struct EndpointSpec {
  const char* path;         // canonical template, e.g. "/api/tasks/{id}"
  const char* compat_path;  // the /api/{user_id}/... form (API.md §5), or nullptr
  Handler handler;
  Endpoint endpoint;
  MethodMask methods;
  Auth auth;
  BodyPolicy body;
  bool documented;  // in docs/openapi.json (the ops routes are not)
};

// Matches `path` against every row's templates (http/router.h's RouteTable), into
// `out` (its buffers reused).
void match_route(std::string_view path, RouteMatch& out);

// The row of `e`; nullptr for Endpoint::none.
const EndpointSpec* endpoint_spec(Endpoint e);

// Is `m` allowed on `e`? (OPTIONS always is on a known route; HEAD wherever GET is.)
bool method_allowed(Endpoint e, Method m);
// The `Allow` header value for `e`, e.g. "GET, HEAD, POST, DELETE, OPTIONS".
std::string_view allow_header(Endpoint e);
// Does `m` on `e` need a token? (Never for OPTIONS.)
bool requires_auth(Endpoint e, Method m);

// Every documented path template with its endpoint (canonical and compatibility
// forms), for the OpenAPI completeness test.
struct RouteTemplate {
  const char* path;
  Endpoint endpoint;
};
const RouteTemplate* route_templates(int& count);
