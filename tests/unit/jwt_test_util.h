// Shared helpers of the JWT unit tests: the committed vectors in tests/data/jwt/.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "auth/jwk.h"
#include "util/c_handles.h"

namespace jwt_test {

inline std::string data_path(const std::string& name) {
  return std::string(TEST_DATA_DIR) + "/jwt/" + name;
}

inline std::string read_data(const std::string& name) {
  std::ifstream in(data_path(name), std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(in.good()) << "cannot read " << name;
  return text.str();
}

inline JsonPtr read_json(const std::string& name) {
  JsonPtr doc{cJSON_Parse(read_data(name).c_str())};
  EXPECT_TRUE(doc) << name << " is not JSON";
  return doc;
}

inline std::string json_text(const cJSON* item) {
  char* text = cJSON_PrintUnformatted(item);
  std::string out = text ? text : "";
  cJSON_free(text);
  return out;
}

inline std::string member(const cJSON* obj, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(item) ? item->valuestring : "";
}

inline KeySet load_keys(const std::string& file) {
  KeySet keys;
  std::string error;
  EXPECT_TRUE(parse_jwks(read_data(file), keys, error)) << error;
  return keys;
}

// The token of tokens.json named `name`.
inline std::string vector_token(const std::string& name) {
  JsonPtr doc = read_json("tokens.json");
  const cJSON* tokens = cJSON_GetObjectItemCaseSensitive(doc.get(), "tokens");
  for (const cJSON* t = tokens ? tokens->child : nullptr; t != nullptr; t = t->next) {
    if (member(t, "name") == name) return member(t, "token");
  }
  ADD_FAILURE() << "no vector " << name;
  return "";
}

constexpr std::int64_t kVectorNow = 1700000100;  // tokens.json: iat 1700000000, exp +900
constexpr const char* kIssuer = "https://auth.example.com";

}  // namespace jwt_test
