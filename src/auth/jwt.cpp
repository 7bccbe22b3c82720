#include "auth/jwt.h"

#include <cmath>
#include <cstring>
#include <unordered_set>

#include "core/contract.h"
#include "util/base64url.h"
#include "util/c_handles.h"

namespace {

constexpr double kMaxTime = 9007199254740992.0;  // 2^53: beyond it, not a real time

// A header value for the log: quoted, at most 64 bytes, printable ASCII only (the
// token is attacker-chosen text).
std::string quoted(const char* value) {
  std::string out = "\"";
  for (const char* p = value; *p != '\0' && out.size() <= 64; ++p) {
    out.push_back(*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? *p : '?');
  }
  if (out.size() > 64) out += "...";
  return out + "\"";
}

JwtResult reject(JwtError error, std::string reason) {
  JwtResult r;
  r.error = error;
  r.reason = std::move(reason);
  return r;
}

// Decodes one base64url part into a JSON object. Rejects NUL bytes (raw or \u0000,
// which cJSON would silently truncate at), trailing garbage, and duplicate member
// names (`{"alg":"RS256","alg":"none"}` must not mean different things to different readers).
JsonPtr parse_part(std::string_view part, const char* what, std::string& reason) {
  std::string json;
  if (!base64url_decode(part, json)) {
    reason = std::string(what) + " is not valid base64url";
    return nullptr;
  }
  if (json.find('\0') != std::string::npos || json.find("\\u0000") != std::string::npos) {
    reason = std::string(what) + " contains NUL";
    return nullptr;
  }
  const char* end = nullptr;
  JsonPtr doc{cJSON_ParseWithLengthOpts(json.data(), json.size(), &end, false)};
  if (doc) {
    while (end < json.data() + json.size() && std::strchr(" \t\r\n", *end) != nullptr) ++end;
  }
  if (!doc || end != json.data() + json.size()) {
    reason = std::string(what) + " is not valid JSON";
    return nullptr;
  }
  if (!cJSON_IsObject(doc.get())) {
    reason = std::string(what) + " is not a JSON object";
    return nullptr;
  }
  std::unordered_set<std::string_view> names;
  for (const cJSON* item = doc->child; item != nullptr; item = item->next) {
    if (!names.insert(item->string).second) {
      reason = std::string(what) + " repeats member " + quoted(item->string);
      return nullptr;
    }
  }
  return doc;
}

// A NumericDate (RFC 7519 §2) if `name` is present; `present` says whether it was.
bool numeric_date(const cJSON* payload, const char* name, double& out, bool& present,
                  std::string& reason) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(payload, name);
  present = item != nullptr;
  if (!present) return true;
  if (!cJSON_IsNumber(item) || !std::isfinite(item->valuedouble) ||
      std::fabs(item->valuedouble) > kMaxTime) {
    reason = std::string(name) + " is not a NumericDate";
    return false;
  }
  out = item->valuedouble;
  return true;
}

bool audience_matches(const cJSON* aud, const std::string& expected) {
  if (cJSON_IsString(aud)) return expected == aud->valuestring;
  if (!cJSON_IsArray(aud)) return false;
  for (const cJSON* item = aud->child; item != nullptr; item = item->next) {
    if (cJSON_IsString(item) && expected == item->valuestring) return true;
  }
  return false;
}

JwtResult check_claims(const cJSON* payload, std::int64_t now, const JwtOptions& options) {
  JwtResult r;
  JwtClaims& c = r.claims;
  bool has_exp = false, has_iat = false;
  double iat = 0;
  if (!numeric_date(payload, "exp", c.exp, has_exp, r.reason) ||
      !numeric_date(payload, "nbf", c.nbf, c.has_nbf, r.reason) ||
      !numeric_date(payload, "iat", iat, has_iat, r.reason)) {
    return reject(JwtError::bad_claims, r.reason);
  }
  if (!has_exp) return reject(JwtError::bad_claims, "exp missing");
  if (JwtError e = check_time_window(c, now, options.leeway_seconds, r.reason); e != JwtError::ok) {
    return reject(e, r.reason);
  }
  if (has_iat && iat > static_cast<double>(now + options.leeway_seconds)) {
    return reject(JwtError::not_yet_valid, "iat in the future");
  }
  if (!options.issuer.empty()) {
    const cJSON* iss = cJSON_GetObjectItemCaseSensitive(payload, "iss");
    if (!cJSON_IsString(iss) || options.issuer != iss->valuestring) {
      return reject(JwtError::bad_claims, "iss missing or not the expected issuer");
    }
  }
  if (!options.audience.empty() &&
      !audience_matches(cJSON_GetObjectItemCaseSensitive(payload, "aud"), options.audience)) {
    return reject(JwtError::bad_claims, "aud missing or not the expected audience");
  }
  const cJSON* sub = cJSON_GetObjectItemCaseSensitive(payload, "sub");
  if (!cJSON_IsString(sub)) return reject(JwtError::bad_claims, "sub missing or not a string");
  c.sub = sub->valuestring;
  if (c.sub.empty() || c.sub.size() > contract::kUserIdMaxBytes) {
    return reject(JwtError::bad_claims, "sub must be 1..255 bytes");
  }
  if (const cJSON* email = cJSON_GetObjectItemCaseSensitive(payload, "email");
      cJSON_IsString(email)) {
    c.email = email->valuestring;
    c.has_email = true;
  }
  r.error = JwtError::ok;
  return r;
}

// Signature check with the keys `alg` may use. Type-vs-alg is settled before any crypto.
JwtResult check_signature(JwsAlg alg, const cJSON* header, std::string_view signing_input,
                          std::string_view signature, const JwtKeys& keys) {
  const std::string name = jws_alg_name(alg);
  if (is_hmac(alg)) {
    if (keys.hmac == nullptr || !keys.hmac->usable()) {
      return reject(JwtError::no_key, name + " token but no shared secret is configured");
    }
    if (!keys.hmac->verify(alg, signing_input, signature)) {
      return reject(JwtError::bad_signature, name + " signature does not verify");
    }
    return reject(JwtError::ok, {});
  }
  if (keys.jwks == nullptr || keys.jwks->keys.empty()) {
    return reject(JwtError::no_jwks, name + " token but no JWKS keys are loaded");
  }
  const cJSON* kid = cJSON_GetObjectItemCaseSensitive(header, "kid");
  bool kid_found = false, tried = false;
  for (const Jwk& key : keys.jwks->keys) {
    if (kid != nullptr && key.kid != kid->valuestring) continue;
    kid_found = true;
    if (!key.accepts(alg)) continue;
    tried = true;
    if (verify_asymmetric(key, alg, signing_input, signature)) return reject(JwtError::ok, {});
  }
  if (kid != nullptr && !kid_found) {
    return reject(JwtError::unknown_kid, "unknown kid " + quoted(kid->valuestring));
  }
  if (!tried) {
    return reject(kid ? JwtError::bad_alg : JwtError::no_key,
                  name + (kid ? " is not allowed for the key of kid " + quoted(kid->valuestring)
                              : " fits no key of the JWKS"));
  }
  return reject(JwtError::bad_signature, name + " signature does not verify");
}

}  // namespace

JwtError check_time_window(const JwtClaims& claims, std::int64_t now, std::int64_t leeway,
                           std::string& reason) {
  if (static_cast<double>(now - leeway) >= claims.exp) {
    reason = "token expired";
    return JwtError::expired;
  }
  if (claims.has_nbf && static_cast<double>(now + leeway) < claims.nbf) {
    reason = "token not valid yet (nbf)";
    return JwtError::not_yet_valid;
  }
  return JwtError::ok;
}

JwtResult verify_jwt(std::string_view token, const JwtKeys& keys, std::int64_t now,
                     const JwtOptions& options) {
  if (token.size() > kMaxTokenBytes) return reject(JwtError::malformed, "token over 8 KiB");
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
  if (dot2 == token.npos || token.find('.', dot2 + 1) != token.npos) {
    return reject(JwtError::malformed, "not three dot-separated parts");
  }
  std::string reason;
  JsonPtr header = parse_part(token.substr(0, dot1), "header", reason);
  if (!header) return reject(JwtError::malformed, reason);
  const cJSON* alg_item = cJSON_GetObjectItemCaseSensitive(header.get(), "alg");
  if (!cJSON_IsString(alg_item)) return reject(JwtError::malformed, "alg missing or not a string");
  const std::optional<JwsAlg> alg = parse_jws_alg(alg_item->valuestring);
  if (!alg)
    return reject(JwtError::bad_alg, "alg " + quoted(alg_item->valuestring) + " not accepted");
  if (cJSON_GetObjectItemCaseSensitive(header.get(), "crit") != nullptr) {
    return reject(JwtError::malformed, "crit header not supported");
  }
  const cJSON* kid = cJSON_GetObjectItemCaseSensitive(header.get(), "kid");
  if (kid != nullptr && !cJSON_IsString(kid))
    return reject(JwtError::malformed, "kid not a string");

  std::string signature;
  if (!base64url_decode(token.substr(dot2 + 1), signature)) {
    return reject(JwtError::malformed, "signature is not valid base64url");
  }
  if (signature.empty()) return reject(JwtError::malformed, "no signature");
  JwtResult sig = check_signature(*alg, header.get(), token.substr(0, dot2), signature, keys);
  if (!sig.ok()) return sig;

  JsonPtr payload = parse_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload", reason);
  if (!payload) return reject(JwtError::malformed, reason);
  return check_claims(payload.get(), now, options);
}

std::string sign_hmac_jwt(const HmacKey& key, JwsAlg alg, std::string_view header_json,
                          std::string_view payload_json) {
  std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  const std::string mac = key.sign(alg, input);
  if (mac.empty()) return {};
  return input + "." + base64url_encode(mac);
}
