// The embedded OpenAPI document (docs/openapi.json, generated into the binary at
// build time) against the router's own table: every canonical route, and every
// method the router accepts on it, must be documented; and the document must not
// claim a method the route's `Allow` header does not advertise.
#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "api/endpoints.h"
#include "http/http.h"
#include "http/router.h"

std::string_view openapi_document();  // generated from docs/openapi.json at build time

namespace {

struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

JsonPtr parse_document() {
  std::string_view text = openapi_document();
  return JsonPtr(cJSON_ParseWithLength(text.data(), text.size()));
}

constexpr Method kMethods[] = {Method::get,   Method::head, Method::post,   Method::put,
                               Method::patch, Method::del,  Method::options};

// OpenAPI path-item keys are the lowercase method names.
std::string operation_key(Method m) {
  std::string key(method_name(m));
  for (char& c : key) c = static_cast<char>(c - 'A' + 'a');
  return key;
}

// "GET, HEAD, POST" -> {"get", "head", "post"}
std::set<std::string> allow_set(std::string_view allow) {
  std::set<std::string> out;
  while (!allow.empty()) {
    auto comma = allow.find(',');
    std::string_view item = allow.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::string key(item);
    for (char& c : key) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (!key.empty()) out.insert(key);
    if (comma == std::string_view::npos) break;
    allow.remove_prefix(comma + 1);
  }
  return out;
}

bool is_operation_key(const char* key) {
  static const std::set<std::string> kKeys = {"get",   "head",   "post",    "put",
                                              "patch", "delete", "options", "trace"};
  return kKeys.count(key) != 0;
}

}  // namespace

TEST(OpenApi, ParsesAsJson) {
  std::string_view text = openapi_document();
  ASSERT_FALSE(text.empty());
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr) << "docs/openapi.json is not valid JSON near: "
                          << (cJSON_GetErrorPtr() ? std::string(cJSON_GetErrorPtr()).substr(0, 80)
                                                  : std::string());
  EXPECT_TRUE(cJSON_IsObject(doc.get()));
}

TEST(OpenApi, IsVersion310) {
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr);
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(doc.get(), "openapi");
  ASSERT_TRUE(cJSON_IsString(version));
  EXPECT_STREQ(version->valuestring, "3.1.0");
  const cJSON* info = cJSON_GetObjectItemCaseSensitive(doc.get(), "info");
  ASSERT_TRUE(cJSON_IsObject(info));
  const cJSON* title = cJSON_GetObjectItemCaseSensitive(info, "title");
  ASSERT_TRUE(cJSON_IsString(title));
  EXPECT_STREQ(title->valuestring, "todo-api");
}

TEST(OpenApi, EveryRouteAndMethodIsDocumented) {
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr);
  const cJSON* paths = cJSON_GetObjectItemCaseSensitive(doc.get(), "paths");
  ASSERT_TRUE(cJSON_IsObject(paths));

  int count = 0;
  const RouteTemplate* routes = route_templates(count);
  ASSERT_NE(routes, nullptr);
  ASSERT_GT(count, 0);
  for (int i = 0; i < count; ++i) {
    const char* path = routes[i].path;
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(paths, path);
    if (!cJSON_IsObject(item)) {
      ADD_FAILURE() << "route " << path << " is missing from docs/openapi.json";
      continue;
    }
    for (Method m : kMethods) {
      if (!method_allowed(routes[i].endpoint, m)) continue;
      std::string key = operation_key(m);
      const cJSON* op = cJSON_GetObjectItemCaseSensitive(item, key.c_str());
      EXPECT_TRUE(cJSON_IsObject(op)) << method_name(m) << " " << path << " is not documented";
    }
  }
}

TEST(OpenApi, DocumentsNoMethodTheRouteDoesNotAdvertise) {
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr);
  const cJSON* paths = cJSON_GetObjectItemCaseSensitive(doc.get(), "paths");
  ASSERT_TRUE(cJSON_IsObject(paths));

  int count = 0;
  const RouteTemplate* routes = route_templates(count);
  std::set<std::string> templates;
  for (int i = 0; i < count; ++i) {
    templates.insert(routes[i].path);
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(paths, routes[i].path);
    if (!cJSON_IsObject(item)) continue;  // reported by EveryRouteAndMethodIsDocumented
    std::set<std::string> allowed = allow_set(allow_header(routes[i].endpoint));
    const cJSON* entry = nullptr;
    cJSON_ArrayForEach(entry, item) {
      if (!is_operation_key(entry->string)) continue;
      EXPECT_TRUE(allowed.count(entry->string) != 0)
          << routes[i].path << " documents " << entry->string << " but Allow is \""
          << allow_header(routes[i].endpoint) << "\"";
    }
  }
  // And no documented path that the router does not know.
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, paths) {
    EXPECT_TRUE(templates.count(item->string) != 0)
        << "docs/openapi.json documents " << item->string << ", which is not a route template";
  }
}

TEST(OpenApi, EveryOperationHasAnIdAndResponses) {
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr);
  const cJSON* paths = cJSON_GetObjectItemCaseSensitive(doc.get(), "paths");
  ASSERT_TRUE(cJSON_IsObject(paths));
  std::set<std::string> ids;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, paths) {
    const cJSON* op = nullptr;
    cJSON_ArrayForEach(op, item) {
      if (!is_operation_key(op->string)) continue;
      const cJSON* id = cJSON_GetObjectItemCaseSensitive(op, "operationId");
      ASSERT_TRUE(cJSON_IsString(id)) << op->string << " " << item->string;
      EXPECT_TRUE(ids.insert(id->valuestring).second)
          << "duplicate operationId " << id->valuestring;
      const cJSON* responses = cJSON_GetObjectItemCaseSensitive(op, "responses");
      EXPECT_TRUE(cJSON_IsObject(responses) && responses->child != nullptr)
          << op->string << " " << item->string << " has no responses";
    }
  }
}

namespace {

const cJSON* at(const cJSON* node, std::initializer_list<const char*> keys) {
  for (const char* key : keys) node = cJSON_GetObjectItemCaseSensitive(node, key);
  return node;
}

// "#/components/requestBodies/X" -> the schema object its application/json names.
const cJSON* body_schema(const cJSON* doc, const cJSON* op) {
  const cJSON* ref = at(op, {"requestBody", "$ref"});
  if (!cJSON_IsString(ref)) return nullptr;
  std::string name = std::string(ref->valuestring).substr(sizeof "#/components/requestBodies/" - 1);
  const cJSON* schema_ref = at(doc, {"components", "requestBodies", name.c_str(), "content",
                                     "application/json", "schema", "$ref"});
  if (!cJSON_IsString(schema_ref)) return nullptr;
  name = std::string(schema_ref->valuestring).substr(sizeof "#/components/schemas/" - 1);
  return at(doc, {"components", "schemas", name.c_str()});
}

}  // namespace

// API.md §1 and §5: every body-taking operation of a route template documents the
// dialect the router gives that route form — strict schemas (additionalProperties
// false) on /api/tasks, lenient ones on /api/{user_id}/tasks, where PUT requires
// nothing — and every body schema declares the input aliases of its fields.
TEST(OpenApi, EachRouteFormDocumentsItsBodyDialect) {
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr);
  int count = 0;
  const RouteTemplate* routes = route_templates(count);
  int checked = 0;
  RouteMatch m;
  for (int i = 0; i < count; ++i) {
    std::string sample = routes[i].path;
    for (auto [from, to] : {std::pair{"{id}", "x"}, std::pair{"{user_id}", "u"}}) {
      auto pos = sample.find(from);
      if (pos != std::string::npos) sample.replace(pos, std::string(from).size(), to);
    }
    match_route(sample, m);
    const bool lenient = m.has_path_user;  // what the handlers read bodies with
    const cJSON* item = at(doc.get(), {"paths", routes[i].path});
    for (const char* method : {"post", "put", "patch"}) {
      const cJSON* op = cJSON_GetObjectItemCaseSensitive(item, method);
      if (!cJSON_IsObject(op)) continue;
      const cJSON* schema = body_schema(doc.get(), op);
      ASSERT_NE(schema, nullptr) << method << " " << routes[i].path;
      const cJSON* extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
      EXPECT_TRUE(lenient ? cJSON_IsTrue(extra) : cJSON_IsFalse(extra))
          << method << " " << routes[i].path << ": unknown fields must be "
          << (lenient ? "ignored" : "rejected");
      const cJSON* props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
      for (auto [field, alias] :
           {std::pair{"completed", "is_completed"}, std::pair{"due_at", "due_date"}}) {
        if (cJSON_GetObjectItemCaseSensitive(props, field) == nullptr) continue;
        EXPECT_NE(cJSON_GetObjectItemCaseSensitive(props, alias), nullptr)
            << method << " " << routes[i].path << " lacks the alias " << alias;
      }
      if (std::string_view(method) == "put") {
        const cJSON* required = cJSON_GetObjectItemCaseSensitive(schema, "required");
        EXPECT_EQ(required != nullptr, !lenient)
            << routes[i].path << ": PUT is a full replace only on the canonical routes";
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8);  // POST, PUT, PATCH, PATCH complete on both route forms
}

TEST(OpenApi, ToggleIsDocumentedAsAnAliasOfComplete) {
  JsonPtr doc = parse_document();
  ASSERT_NE(doc, nullptr);
  bool found = false;
  const cJSON* alias = nullptr;
  cJSON_ArrayForEach(alias, at(doc.get(), {"x-route-aliases"})) {
    const cJSON* a = cJSON_GetObjectItemCaseSensitive(alias, "alias");
    const cJSON* c = cJSON_GetObjectItemCaseSensitive(alias, "canonical");
    if (cJSON_IsString(a) && std::string_view(a->valuestring).ends_with("/{id}/toggle")) {
      found = cJSON_IsString(c) && std::string_view(c->valuestring).ends_with("/{id}/complete");
    }
  }
  EXPECT_TRUE(found);
  RouteMatch m;
  match_route("/api/v1/u/todos/x/toggle", m);
  EXPECT_EQ(m.endpoint, Endpoint::task_complete);
}
