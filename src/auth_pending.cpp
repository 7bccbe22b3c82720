// TEMPORARY until the jwt branch lands: no keys, so every protected route is 503.
#include "auth.h"

struct Authenticator::Impl {};
Authenticator::Authenticator(const Config&) : impl_(std::make_unique<Impl>()) {}
Authenticator::~Authenticator() = default;
AuthResult Authenticator::authenticate(std::string_view header, std::int64_t) {
  AuthResult r;
  r.status = header.empty() ? AuthStatus::missing : AuthStatus::unavailable;
  r.reason = "authentication not built yet";
  return r;
}
std::string mint_hs256_token(std::string_view, std::string_view, std::string_view, std::int64_t,
                             std::int64_t, std::string_view, std::string_view) {
  return {};
}
