// The request/response model the handlers see. One Request and one Response
// object live for a worker's whole life and are clear()ed between requests, so
// their buffers are reused instead of reallocated per request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

enum class Method : std::uint8_t { get, head, post, put, patch, del, options, other };

Method parse_method(std::string_view text);
std::string_view method_name(Method m);

struct Request {
  Method method = Method::other;
  std::string path;   // decoded nothing: the raw path of the URI, without the query
  std::string query;  // raw QUERY_STRING
  std::string request_id;
  std::string authorization;
  std::string content_type;
  std::string if_match;
  std::string if_none_match;
  std::string origin;
  std::int64_t content_length = 0;
  bool body_too_large = false;  // over MAX_BODY_BYTES: the body was not read (413)
  std::string body;

  void clear();
};

struct Response {
  int status = 200;
  std::string body;                                          // JSON text (empty for 204/304)
  std::vector<std::pair<std::string, std::string>> headers;  // besides the fixed ones
  std::string_view content_type;  // empty: JSON (a static string otherwise, e.g. /metrics)

  void clear();
  void add_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// API.md §1 error body: {"detail": ..., "code": ...[, "errors": [...]]}.
// `code` is derived from the status.
void set_error(Response& res, int status, std::string_view detail,
               const std::vector<FieldError>& errors = {});
// The same with a specific `code` (e.g. 422 "quota_exceeded").
void set_coded_error(Response& res, int status, std::string_view code, std::string_view detail);
std::string_view error_code_for(int status);
// The body and status of an error with its machine code (http/status_http.h's
// write_status is the one caller that starts from a Status).
void write_error_body(Response& res, int status, std::string_view code, std::string_view detail,
                      const std::vector<FieldError>& errors);
std::string_view reason_phrase(int status);

// Appends `text` as a JSON string literal (quotes included) to `out`.
void append_json_string(std::string& out, std::string_view text);

// API.md §1: is this Content-Type `application/json` (or, when `allow_merge_patch`,
// `application/merge-patch+json`), in any case, with no charset other than UTF-8?
// Parses the parameters properly and allocates nothing.
bool is_json_content_type(std::string_view content_type, bool allow_merge_patch);
