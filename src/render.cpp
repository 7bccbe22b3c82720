#include "render.h"

#include "text_util.h"
namespace {

// Walks a comma-separated list of entity tags (RFC 9110 §8.8.3), calling
// `on_tag(opaque)` with the text between the quotes of each well-formed one,
// W/ or not. Malformed members are skipped up to the next comma.
template <class F>
void for_each_etag(std::string_view header, F on_tag) {
  std::size_t i = 0;
  const std::size_t n = header.size();
  while (i < n) {
    while (i < n && (is_ows(header[i]) || header[i] == ',')) ++i;
    if (i >= n) break;
    std::size_t start = i;
    if (header.substr(i, 2) == "W/") i += 2;
    if (i < n && header[i] == '"') {
      std::size_t close = header.find('"', i + 1);
      if (close != std::string_view::npos) {
        std::size_t after = close + 1;
        while (after < n && is_ows(header[after])) ++after;
        if (after == n || header[after] == ',') {
          on_tag(header.substr(i + 1, close - i - 1));
          i = after;
          continue;
        }
      }
    }
    i = header.find(',', start);
    if (i == std::string_view::npos) break;
  }
}

// A version is 1..9 decimal digits without a leading zero (fits `integer`).
bool is_version(std::string_view tag) {
  if (tag.empty() || tag.size() > 9 || tag[0] == '0') return false;
  for (char c : tag) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex_digit(text[i])) return false;
  }
  return true;
}

IfMatch parse_if_match(std::string_view header, std::string& pg_array) {
  pg_array.clear();
  header = trim_ows(header);
  if (header.empty()) return IfMatch::absent;
  if (header == "*") return IfMatch::any;
  pg_array += '{';
  for_each_etag(header, [&](std::string_view tag) {
    if (!is_version(tag)) return;
    if (pg_array.size() > 1) pg_array += ',';
    pg_array += tag;
  });
  pg_array += '}';
  return IfMatch::list;
}

IfMatch parse_if_match(std::string_view header, std::vector<std::int32_t>& versions) {
  versions.clear();
  header = trim_ows(header);
  if (header.empty()) return IfMatch::absent;
  if (header == "*") return IfMatch::any;
  for_each_etag(header, [&](std::string_view tag) {
    if (!is_version(tag)) return;
    std::int32_t v = 0;
    for (char c : tag) v = v * 10 + (c - '0');  // at most 9 digits: fits
    versions.push_back(v);
  });
  return IfMatch::list;
}

bool if_none_match_hits(std::string_view header, std::string_view version) {
  header = trim_ows(header);
  if (header.empty()) return false;
  if (header == "*") return true;
  bool hit = false;
  for_each_etag(header, [&](std::string_view tag) { hit = hit || tag == version; });
  return hit;
}

void append_etag(std::string& out, std::string_view version) {
  out += '"';
  out += version;
  out += '"';
}

void append_pg_text_array(std::string& out, const std::vector<std::string>& items) {
  out += '{';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
}

void set_data(Response& res, int status, std::string_view json, bool bare) {
  res.status = status;
  res.body.clear();
  if (bare) {
    res.body += json;
    return;
  }
  res.body.reserve(json.size() + 9);
  res.body += "{\"data\":";
  res.body += json;
  res.body += '}';
}
