#include "http/fcgi_params.h"

#include <cstdint>
#include <string_view>

namespace {

// A request id from nginx is echoed only if it is short and plain.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A CONTENT_LENGTH that is not a plain number (nginx never sends one) or does not
// fit counts as "too large": the body is then never read.
std::int64_t parse_content_length(std::string_view value) {
  std::int64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9' || n > (INT64_MAX - 9) / 10) return INT64_MAX;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

// One pass over the FastCGI params instead of a linear FCGX_GetParam per name.

void parse_fcgi_params(char** envp, Request& req) {
  std::string_view uri;
  std::string_view document_uri;
  std::string_view query;
  for (; *envp != nullptr; ++envp) {
    std::string_view kv(*envp);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = kv.substr(0, eq);
    std::string_view value = kv.substr(eq + 1);
    if (name == "REQUEST_METHOD") {
      req.method = parse_method(value);
      if (req.method == Method::head) req.method = Method::get;  // nginx drops the body
    } else if (name == "REQUEST_URI") {
      uri = value;
    } else if (name == "DOCUMENT_URI") {
      document_uri = value;
    } else if (name == "QUERY_STRING") {
      query = value;
    } else if (name == "REQUEST_ID") {
      if (acceptable_request_id(value)) req.request_id.assign(value);
    } else if (name == "HTTP_AUTHORIZATION") {
      req.authorization.assign(value);
    } else if (name == "CONTENT_TYPE") {
      req.content_type.assign(value);
    } else if (name == "CONTENT_LENGTH") {
      req.content_length = parse_content_length(value);
    } else if (name == "HTTP_IF_MATCH") {
      req.if_match.assign(value);
    } else if (name == "HTTP_IF_NONE_MATCH") {
      req.if_none_match.assign(value);
    } else if (name == "HTTP_ORIGIN") {
      req.origin.assign(value);
    }
  }
  // REQUEST_URI is the raw, still percent-encoded URI: path segments such as a
  // {user_id} are decoded by the router, after splitting.
  if (!uri.empty()) {
    auto q = uri.find('?');
    req.path.assign(uri.substr(0, q));
    if (q != std::string_view::npos) req.query.assign(uri.substr(q + 1));
  } else {
    req.path.assign(document_uri);
    req.query.assign(query);
  }
}
