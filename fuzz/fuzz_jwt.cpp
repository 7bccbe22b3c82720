// libFuzzer target: arbitrary bytes as a bearer token (verified against an HS256
// secret and the test JWKS) and as a JWKS document. Neither may crash, leak or hit UB.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jws_crypto.h"
#include "auth/jwt.h"

namespace {

const KeySet& test_keys() {
  static KeySet keys = [] {
    KeySet k;
    std::ifstream in(FUZZ_DATA_DIR "/jwt/jwks.json");
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    parse_jwks(text.str(), k, error);
    return k;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const HmacKey hmac("fuzzing-secret-fuzzing-secret-fuzzing-secret");
  std::string_view input(reinterpret_cast<const char*>(data), size);
  JwtKeys keys{&hmac, &test_keys()};
  JwtOptions options;
  options.issuer = "https://issuer.example";
  options.audience = "https://issuer.example";
  verify_jwt(input, keys, 1'700'000'000, options);

  KeySet parsed;
  std::string error;
  parse_jwks(input, parsed, error);
  return 0;
}
