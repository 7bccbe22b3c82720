#include "http/http.h"

#include <array>
#include <cctype>

#include "util/text_util.h"
#include "util/utf8.h"

Method parse_method(std::string_view text) {
  switch (text.size()) {
    case 3:
      if (text == "GET") return Method::get;
      if (text == "PUT") return Method::put;
      break;
    case 4:
      if (text == "POST") return Method::post;
      if (text == "HEAD") return Method::head;
      break;
    case 5:
      if (text == "PATCH") return Method::patch;
      break;
    case 6:
      if (text == "DELETE") return Method::del;
      break;
    case 7:
      if (text == "OPTIONS") return Method::options;
      break;
    default:
      break;
  }
  return Method::other;
}

std::string_view method_name(Method m) {
  switch (m) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::patch:
      return "PATCH";
    case Method::del:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::other:
      break;
  }
  return "OTHER";
}

void Request::clear() {
  method = Method::other;
  path.clear();
  query.clear();
  request_id.clear();
  authorization.clear();
  content_type.clear();
  if_match.clear();
  if_none_match.clear();
  origin.clear();
  content_length = 0;
  body_too_large = false;
  body.clear();
}

void Response::clear() {
  status = 200;
  body.clear();
  headers.clear();
  content_type = {};
}

std::string_view error_code_for(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 412:
      return "precondition_failed";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 422:
      return "validation_failed";
    case 429:
      return "too_many_requests";
    case 503:
      return "service_unavailable";
    default:
      return status >= 500 ? "internal_error" : "bad_request";
  }
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Unknown";
  }
}

// Bytes that are not UTF-8 (a JWT claim can carry anything) become U+FFFD, so the
// output is always valid JSON text.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto u = static_cast<unsigned char>(text[pos]);
    if (u >= 0x80) {
      std::size_t start = pos;
      char32_t cp = 0;
      if (utf8_next(text, pos, cp)) {
        out.append(text.substr(start, pos - start));
      } else {
        out += "\xEF\xBF\xBD";
        pos = start + 1;
      }
      continue;
    }
    ++pos;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out.push_back(kHexLower[u >> 4]);
          out.push_back(kHexLower[u & 0xf]);
        } else {
          out.push_back(static_cast<char>(u));
        }
    }
  }
  out.push_back('"');
}

void set_error(Response& res, int status, std::string_view detail,
               const std::vector<FieldError>& errors) {
  write_error_body(res, status, error_code_for(status), detail, errors);
}

void set_coded_error(Response& res, int status, std::string_view code, std::string_view detail) {
  write_error_body(res, status, code, detail, {});
}

void write_error_body(Response& res, int status, std::string_view code, std::string_view detail,
                      const std::vector<FieldError>& errors) {
  res.status = status;
  res.body.clear();
  res.body += "{\"detail\":";
  append_json_string(res.body, detail);
  res.body += ",\"code\":\"";
  res.body += code;
  res.body += '"';
  if (!errors.empty()) {
    res.body += ",\"errors\":[";
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (i > 0) res.body += ',';
      res.body += "{\"field\":";
      append_json_string(res.body, errors[i].field);
      res.body += ",\"message\":";
      append_json_string(res.body, errors[i].message);
      res.body += '}';
    }
    res.body += ']';
  }
  res.body += '}';
}

bool is_json_content_type(std::string_view content_type, bool allow_merge_patch) {
  std::size_t semicolon = content_type.find(';');
  std::string_view type = trim_ows(content_type.substr(0, semicolon));
  if (!iequals_ascii(type, "application/json") &&
      !(allow_merge_patch && iequals_ascii(type, "application/merge-patch+json"))) {
    return false;
  }
  while (semicolon != std::string_view::npos) {
    content_type.remove_prefix(semicolon + 1);
    semicolon = content_type.find(';');
    std::string_view param = trim_ows(content_type.substr(0, semicolon));
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos || !iequals_ascii(trim_ows(param.substr(0, eq)), "charset")) {
      continue;
    }
    std::string_view value = trim_ows(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!iequals_ascii(value, "utf-8")) return false;
  }
  return true;
}
