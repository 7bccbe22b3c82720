#include "http/etag.h"

#include "util/text_util.h"

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
