#include <gtest/gtest.h>

#include "api/endpoints.h"
#include "http/router.h"

namespace {

struct Case {
  const char* path;
  Endpoint endpoint;
  const char* task_id;
  const char* path_user;  // nullptr: no user segment
};

// Every alias of API.md §5 folds onto one endpoint; the user-prefixed ones are bare.
const Case kCases[] = {
    {"/api/health", Endpoint::health, "", nullptr},
    {"/api/health/live", Endpoint::health_live, "", nullptr},
    {"/api/health/ready", Endpoint::health_ready, "", nullptr},
    {"/api/v1/health", Endpoint::health, "", nullptr},
    {"/api/openapi.json", Endpoint::openapi, "", nullptr},
    {"/api/me", Endpoint::me, "", nullptr},
    {"/api/tasks", Endpoint::tasks, "", nullptr},
    {"/api/tasks/", Endpoint::tasks, "", nullptr},
    {"/api/todos", Endpoint::tasks, "", nullptr},
    {"/api/v1/tasks", Endpoint::tasks, "", nullptr},
    {"/api/tasks/abc", Endpoint::task, "abc", nullptr},
    {"/api/todos/abc/complete", Endpoint::task_complete, "abc", nullptr},
    {"/api/u1/tasks", Endpoint::tasks, "", "u1"},
    {"/api/u1/todos/x", Endpoint::task, "x", "u1"},
    {"/api/v1/u1/todos/x", Endpoint::task, "x", "u1"},
    {"/api/v1/u1/tasks/x/complete", Endpoint::task_complete, "x", "u1"},
    {"/api/user%40example.com/tasks", Endpoint::tasks, "", "user@example.com"},
    {"/api/a%2Fb/tasks", Endpoint::tasks, "", "a/b"},
    {"/api/tasks/tasks", Endpoint::task, "tasks", nullptr},
    // `toggle` is another spelling of `complete`, on every prefix form.
    {"/api/tasks/abc/toggle", Endpoint::task_complete, "abc", nullptr},
    {"/api/todos/abc/toggle", Endpoint::task_complete, "abc", nullptr},
    {"/api/v1/tasks/abc/toggle/", Endpoint::task_complete, "abc", nullptr},
    {"/api/u1/tasks/x/toggle", Endpoint::task_complete, "x", "u1"},
    {"/api/v1/u1/todos/x/toggle", Endpoint::task_complete, "x", "u1"},
};

TEST(Router, MatchesEveryRouteAndAlias) {
  RouteMatch m;
  for (const auto& c : kCases) {
    match_route(c.path, m);
    EXPECT_EQ(m.endpoint, c.endpoint) << c.path;
    EXPECT_EQ(m.task_id, c.task_id) << c.path;
    EXPECT_EQ(m.has_path_user, c.path_user != nullptr) << c.path;
    EXPECT_EQ(m.bare, c.path_user != nullptr) << c.path;
    if (c.path_user) {
      EXPECT_EQ(m.path_user, c.path_user) << c.path;
    }
  }
}

TEST(Router, UnknownPathsAreNone) {
  RouteMatch m;
  for (const char* path : {"", "/", "/api", "/api/", "/apix/tasks", "/api//tasks", "/api/tasks/a/b",
                           "/api/tasks/a/undo", "/health", "/api/u/me", "/api/u/x/tasks",
                           "/api/%zz/tasks", "/api/tasks/a/complete/x", "/api/tasks/a/toggle/x",
                           "/api/tasks/a/Toggle", "/api/a/b/c/d/e/f"}) {
    match_route(path, m);
    EXPECT_EQ(m.endpoint, Endpoint::none) << path;
  }
}

TEST(Router, MethodsAndAllowHeader) {
  EXPECT_TRUE(method_allowed(Endpoint::tasks, Method::post));
  EXPECT_TRUE(method_allowed(Endpoint::tasks, Method::del));
  EXPECT_FALSE(method_allowed(Endpoint::tasks, Method::put));
  EXPECT_TRUE(method_allowed(Endpoint::task, Method::patch));
  EXPECT_FALSE(method_allowed(Endpoint::task, Method::post));
  EXPECT_FALSE(method_allowed(Endpoint::task_complete, Method::get));
  EXPECT_FALSE(method_allowed(Endpoint::health, Method::del));
  EXPECT_FALSE(method_allowed(Endpoint::health, Method::other));
  EXPECT_TRUE(method_allowed(Endpoint::health, Method::options));
  EXPECT_EQ(allow_header(Endpoint::task_complete), "PATCH, OPTIONS");
  EXPECT_EQ(allow_header(Endpoint::tasks), "GET, HEAD, POST, DELETE, OPTIONS");
}

TEST(Router, OnlyHealthOpenApiAndPreflightSkipAuth) {
  EXPECT_FALSE(requires_auth(Endpoint::health, Method::get));
  EXPECT_FALSE(requires_auth(Endpoint::health_ready, Method::get));
  EXPECT_FALSE(requires_auth(Endpoint::openapi, Method::get));
  EXPECT_FALSE(requires_auth(Endpoint::tasks, Method::options));
  EXPECT_TRUE(requires_auth(Endpoint::tasks, Method::get));
  EXPECT_TRUE(requires_auth(Endpoint::me, Method::get));
  EXPECT_TRUE(requires_auth(Endpoint::task_complete, Method::patch));
}

TEST(Router, TemplatesMatchTheirOwnEndpoint) {
  int count = 0;
  const RouteTemplate* t = route_templates(count);
  ASSERT_GT(count, 8);
  RouteMatch m;
  for (int i = 0; i < count; ++i) {
    std::string path = t[i].path;
    for (auto [from, to] : {std::pair{"{id}", "x"}, std::pair{"{user_id}", "u"}}) {
      auto at = path.find(from);
      if (at != std::string::npos) path.replace(at, std::string(from).size(), to);
    }
    match_route(path, m);
    EXPECT_EQ(m.endpoint, t[i].endpoint) << t[i].path;
  }
}

}  // namespace

namespace {

// The endpoint table (endpoints.h): every Endpoint has a row with a handler, and
// Allow is derived from the row's methods (HEAD wherever GET, OPTIONS always).
TEST(EndpointTable, EveryEndpointHasAHandlerAndDerivedAllow) {
  EXPECT_EQ(endpoint_spec(Endpoint::none), nullptr);
  for (Endpoint e : {Endpoint::health, Endpoint::health_live, Endpoint::health_ready,
                     Endpoint::openapi, Endpoint::me, Endpoint::tasks, Endpoint::task,
                     Endpoint::task_complete, Endpoint::status, Endpoint::metrics}) {
    const EndpointSpec* spec = endpoint_spec(e);
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->endpoint, e);
    EXPECT_NE(spec->handler, nullptr) << spec->path;
    std::string_view allow = allow_header(e);
    EXPECT_TRUE(allow.ends_with("OPTIONS")) << allow;
    EXPECT_EQ(allow.find("HEAD") != std::string_view::npos, method_allowed(e, Method::get))
        << spec->path;
  }
  EXPECT_EQ(allow_header(Endpoint::task), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(allow_header(Endpoint::me), "GET, HEAD, OPTIONS");
  EXPECT_TRUE(method_allowed(Endpoint::task, Method::head));
  EXPECT_FALSE(method_allowed(Endpoint::task_complete, Method::head));
  EXPECT_EQ(endpoint_spec(Endpoint::task_complete)->body, BodyPolicy::json_optional);
  EXPECT_FALSE(requires_auth(Endpoint::status, Method::get));
  EXPECT_FALSE(requires_auth(Endpoint::metrics, Method::get));
}

}  // namespace
