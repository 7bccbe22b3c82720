// µs per JWT verification, per algorithm:
//   BM_Verify/<alg>        the pure verifier (parse, signature, claims): a cache miss
//   BM_AuthCached/<alg>    Authenticator::authenticate on a cached token: SHA-256 of
//                          the token, one hash lookup, the exp/nbf check
// Tokens and keys are the unit-test vectors of tests/data/jwt/.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "auth/auth.h"
#include "auth/jwt.h"
#include "util/c_handles.h"

namespace {

constexpr std::int64_t kNow = 1700000100;
constexpr const char* kIssuer = "https://auth.example.com";
const std::string kSecret = "0123456789abcdef0123456789abcdef";

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(JWT_DATA_DIR) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + name);
  return text.str();
}

std::string vector_token(const std::string& name) {
  if (name == "HS256")
    return mint_hs256_token(kSecret, "user-HS256", "", kNow - 100, 900, kIssuer, kIssuer);
  JsonPtr doc{cJSON_Parse(read_file("tokens.json").c_str())};
  const cJSON* tokens = cJSON_GetObjectItemCaseSensitive(doc.get(), "tokens");
  for (const cJSON* t = tokens->child; t != nullptr; t = t->next) {
    if (name == cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring) {
      return cJSON_GetObjectItemCaseSensitive(t, "token")->valuestring;
    }
  }
  throw std::runtime_error("no vector " + name);
}

struct Fixture {
  Fixture() : hmac(kSecret) {
    std::string error;
    if (!parse_jwks(read_file("jwks.json"), keys, error)) throw std::runtime_error(error);
    options.issuer = options.audience = kIssuer;
    config.jwt_secret = kSecret;
    config.jwks_file = std::string(JWT_DATA_DIR) + "/jwks.json";
    config.jwt_issuer = config.jwt_audience = kIssuer;
  }
  HmacKey hmac;
  KeySet keys;
  JwtOptions options;
  Config config;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Verify(benchmark::State& state, const std::string& name) {
  Fixture& f = fixture();
  const std::string token = vector_token(name);
  const JwtKeys keys{&f.hmac, &f.keys};
  if (!verify_jwt(token, keys, kNow, f.options).ok()) state.SkipWithError("token does not verify");
  for (auto _ : state) {
    benchmark::DoNotOptimize(verify_jwt(token, keys, kNow, f.options));
  }
}

void BM_AuthCached(benchmark::State& state, const std::string& name) {
  Authenticator auth(fixture().config);
  const std::string header = "Bearer " + vector_token(name);
  if (auth.authenticate(header, kNow).status != AuthStatus::ok) {
    state.SkipWithError("token does not verify");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(auth.authenticate(header, kNow));
  }
}

const char* const kAlgorithms[] = {"HS256", "RS256", "PS256",         "ES256",
                                   "ES384", "ES512", "EdDSA-Ed25519", "EdDSA-Ed448"};

[[maybe_unused]] const bool kRegistered = [] {
  for (const char* name : kAlgorithms) {
    benchmark::RegisterBenchmark((std::string("BM_Verify/") + name).c_str(), BM_Verify, name)
        ->Unit(benchmark::kMicrosecond);
  }
  for (const char* name : kAlgorithms) {
    benchmark::RegisterBenchmark((std::string("BM_AuthCached/") + name).c_str(), BM_AuthCached,
                                 name)
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
