// src/contract.h against the two other places that state the contract's limits:
// the CHECK constraints of sql/001_init.sql (read as text) and the schemas and
// parameters of docs/openapi.json. A limit changed in one place only fails here.
#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/contract.h"
#include "util/text_util.h"

namespace {

const std::string kRoot = std::string(TEST_DATA_DIR) + "/../..";

std::string sql_text() {
  std::string text;
  EXPECT_TRUE(read_file(kRoot + "/sql/001_init.sql", text));
  return text;
}

// The single integer captured by `pattern` in `text`, or -1 when it does not match.
long long capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return -1;
  return std::stoll(m[1].str());
}

struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

JsonPtr openapi() {
  std::string text;
  EXPECT_TRUE(read_file(kRoot + "/docs/openapi.json", text));
  return JsonPtr(cJSON_ParseWithLength(text.data(), text.size()));
}

// Follows a path of object keys; nullptr when one is missing.
const cJSON* at(const cJSON* node, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (node == nullptr) return nullptr;
    node = cJSON_GetObjectItemCaseSensitive(node, key);
  }
  return node;
}

double number_at(const cJSON* node, std::initializer_list<const char*> keys) {
  const cJSON* n = at(node, keys);
  return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

}  // namespace

TEST(Contract, TaskLimitsMatchSqlChecks) {
  std::string sql = sql_text();
  ASSERT_FALSE(sql.empty());
  EXPECT_EQ(capture(sql, R"(char_length\(title\) between 1 and (\d+))"),
            static_cast<long long>(contract::kTitleMaxChars));
  EXPECT_EQ(capture(sql, R"(char_length\(description\) <= (\d+))"),
            static_cast<long long>(contract::kDescriptionMaxChars));
  EXPECT_EQ(capture(sql, R"(cardinality\(tags\) <= (\d+))"),
            static_cast<long long>(contract::kMaxTags));
  EXPECT_EQ(capture(sql, R"(char_length\(t\) between 1 and (\d+))"),
            static_cast<long long>(contract::kTagMaxChars));
  EXPECT_EQ(capture(sql, R"(octet_length\(id\) between 1 and (\d+))"),
            static_cast<long long>(contract::kUserIdMaxBytes));
}

TEST(Contract, PrioritiesMatchSqlEnumAndDefault) {
  std::string sql = sql_text();
  std::string values;
  for (std::string_view p : contract::kPriorities) {
    values += (values.empty() ? "'" : ", '") + std::string(p) + "'";
  }
  EXPECT_NE(sql.find("create type todo.task_priority as enum (" + values + ")"), std::string::npos)
      << "expected enum (" << values << ")";
  EXPECT_NE(sql.find("priority todo.task_priority not null default '" +
                     std::string(contract::kDefaultPriority) + "'"),
            std::string::npos);
  EXPECT_TRUE(contract::is_priority(contract::kDefaultPriority));
  EXPECT_FALSE(contract::is_priority("urgent"));
  EXPECT_FALSE(contract::is_priority("Medium"));
}

TEST(Contract, TaskSchemasMatchOpenApi) {
  JsonPtr doc = openapi();
  ASSERT_NE(doc, nullptr);
  const cJSON* schemas = at(doc.get(), {"components", "schemas"});
  ASSERT_NE(schemas, nullptr);
  int checked = 0;
  for (const cJSON* schema = schemas->child; schema != nullptr; schema = schema->next) {
    const cJSON* props = at(schema, {"properties"});
    if (at(props, {"title"}) == nullptr || at(props, {"tags"}) == nullptr) continue;
    SCOPED_TRACE(schema->string);
    ++checked;
    EXPECT_EQ(number_at(props, {"title", "maxLength"}),
              static_cast<double>(contract::kTitleMaxChars));
    EXPECT_EQ(number_at(props, {"description", "maxLength"}),
              static_cast<double>(contract::kDescriptionMaxChars));
    EXPECT_EQ(number_at(props, {"tags", "maxItems"}), static_cast<double>(contract::kMaxTags));
    EXPECT_EQ(number_at(props, {"tags", "items", "maxLength"}),
              static_cast<double>(contract::kTagMaxChars));
    const cJSON* priorities = at(props, {"priority", "enum"});
    ASSERT_TRUE(cJSON_IsArray(priorities));
    std::vector<std::string> listed;
    for (const cJSON* p = priorities->child; p != nullptr; p = p->next) {
      listed.emplace_back(cJSON_IsString(p) ? p->valuestring : "?");
    }
    std::vector<std::string> expected(contract::kPriorities.begin(), contract::kPriorities.end());
    EXPECT_EQ(listed, expected);
    const cJSON* def = at(props, {"priority", "default"});
    if (def != nullptr) {
      EXPECT_EQ(std::string(cJSON_IsString(def) ? def->valuestring : ""),
                contract::kDefaultPriority);
    }
  }
  EXPECT_GE(checked, 3) << "no task schema found in docs/openapi.json";
}

TEST(Contract, ListParametersMatchOpenApi) {
  JsonPtr doc = openapi();
  ASSERT_NE(doc, nullptr);
  const cJSON* params = at(doc.get(), {"components", "parameters"});
  EXPECT_EQ(number_at(params, {"Limit", "schema", "minimum"}), contract::kPageLimitMin);
  EXPECT_EQ(number_at(params, {"Limit", "schema", "maximum"}), contract::kPageLimitMax);
  EXPECT_EQ(number_at(params, {"Limit", "schema", "default"}), contract::kPageLimitDefault);
  EXPECT_EQ(number_at(params, {"Offset", "schema", "maximum"}), contract::kMaxOffset);
  EXPECT_EQ(number_at(params, {"Q", "schema", "maxLength"}),
            static_cast<double>(contract::kQueryTextMaxChars));
  EXPECT_EQ(number_at(params, {"Search", "schema", "maxLength"}),
            static_cast<double>(contract::kQueryTextMaxChars));
}
