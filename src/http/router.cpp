#include "http/router.h"

#include <array>

#include "util/percent_decode.h"

namespace {

using Segments = std::array<std::string_view, RouteTable::kMaxSegments>;

// Splits "/a/b/c" into segments; false on an empty segment or too many.
bool split(std::string_view path, Segments& seg, std::size_t& n) {
  n = 0;
  if (path.empty()) return true;
  if (path.front() != '/') return false;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.empty() || n == seg.size()) return false;
    seg[n++] = part;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

// API.md §4–§5: the other spellings of a template's literal segments.
bool literal_matches(std::string_view literal, std::string_view segment) {
  if (segment == literal) return true;
  if (literal == "tasks") return segment == "todos";
  if (literal == "complete") return segment == "toggle";
  return false;
}

bool fits(const Segments& tmpl, std::size_t tn, const Segments& seg, std::size_t n,
          RouteMatch& out) {
  if (tn != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (tmpl[i] == "{id}") {
      out.task_id.assign(seg[i]);
    } else if (tmpl[i] == "{user_id}") {
      if (!percent_decode(seg[i], out.path_user, /*plus_is_space=*/false)) return false;
      out.has_path_user = true;
      out.bare = true;
    } else if (!literal_matches(tmpl[i], seg[i])) {
      return false;
    }
  }
  return true;
}

void reset(RouteMatch& out) {
  out.endpoint = Endpoint::none;
  out.task_id.clear();
  out.path_user.clear();
  out.has_path_user = false;
  out.bare = false;
}

}  // namespace

RouteTable::RouteTable(const RouteForm* forms, std::size_t count) {
  forms_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Compiled f;
    f.endpoint = forms[i].endpoint;
    if (split(forms[i].path, f.segments, f.count)) forms_.push_back(f);
  }
}

void RouteTable::match(std::string_view path, RouteMatch& out) const {
  reset(out);
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  Segments seg;
  std::size_t n = 0;
  if (!split(path, seg, n) || n == 0) return;
  // /api/v1/... is /api/... (so a user called "v1" has no compatibility routes).
  if (n >= 2 && seg[0] == "api" && seg[1] == "v1") {
    for (std::size_t i = 1; i + 1 < n; ++i) seg[i] = seg[i + 1];
    --n;
  }
  for (const Compiled& f : forms_) {
    if (fits(f.segments, f.count, seg, n, out)) {
      out.endpoint = f.endpoint;
      return;
    }
    reset(out);
  }
}
