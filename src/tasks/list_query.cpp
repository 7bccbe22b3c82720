// Query strings of the list and bulk-delete routes (API.md §4, §5). Decisions the
// contract leaves open:
//  - Segments are separated by '&'; empty segments ("a=1&&b=2", a trailing '&')
//    are ignored; a name without '=' has the empty value.
//  - An empty value ("?q=", "?priority=") means the parameter was not sent, for
//    every parameter (forms and frontends send empty fields). It still counts for
//    the repetition rule below.
//  - A parameter given twice, or together with its alias (q + search, sort +
//    sort_by), is a 400: which one wins would be a guess.
//  - `status` takes the spellings of common frontends: `active` = pending, `done` =
//    completed. `status=all` never conflicts; `status=pending&completed=true` (or the reverse)
//    is a 400 naming `status`.
//  - `order`, when given, sets the direction and overrides a '-' prefix on `sort`
//    (`sort=-title&order=asc` sorts by title ascending). Without `order`, a key
//    with no '-' is ascending; with neither, the default is -created_at.
//  - `overdue=false` means no overdue filter (it does not select non-overdue tasks).
//  - `q` and `tag` are trimmed (Unicode White_Space); a blank `q` is no filter,
//    a blank `tag` is a 400. Lengths are counted after trimming.
//  - In due_before/due_after a '+' stays a '+' (a space is never valid in RFC 3339,
//    and clients often forget to encode the offset's sign).
//  - Values are case-sensitive (`true`, `asc`, `high`), like the body's enums.
#include "tasks/list_query.h"

#include <cstddef>
#include <utility>

#include "core/contract.h"
#include "util/percent_decode.h"
#include "util/rfc3339.h"
#include "util/text_util.h"
#include "util/utf8.h"

namespace {

// A bad parameter inside the parser: the name as sent (made printable) and why.
struct QueryError {
  std::string parameter;
  std::string message;
};

enum class Param {
  completed,
  status,
  priority,
  tag,
  q,
  due_before,
  due_after,
  overdue,
  sort,
  order,
  limit,
  offset,
  count
};

struct ParamName {
  const char* name;
  Param param;
};

constexpr ParamName kParams[] = {
    {"completed", Param::completed},
    {"status", Param::status},
    {"priority", Param::priority},
    {"tag", Param::tag},
    {"q", Param::q},
    {"search", Param::q},
    {"due_before", Param::due_before},
    {"due_after", Param::due_after},
    {"overdue", Param::overdue},
    {"sort", Param::sort},
    {"sort_by", Param::sort},
    {"order", Param::order},
    {"limit", Param::limit},
    {"offset", Param::offset},
};

struct SortName {
  const char* name;
  SortKey key;
};

constexpr SortName kSortKeys[] = {
    {"created_at", SortKey::created_at}, {"created", SortKey::created_at},
    {"updated_at", SortKey::updated_at}, {"due_at", SortKey::due_at},
    {"due_date", SortKey::due_at},       {"priority", SortKey::priority},
    {"title", SortKey::title},
};

// A parameter name fit for an error message: the decoded name when it is clean
// text, else the raw bytes with anything unprintable percent-encoded; at most 64 bytes.
std::string display_name(std::string_view raw, const std::string& decoded, bool decoded_ok) {
  std::string name;
  if (decoded_ok && utf8_valid(decoded) && !utf8_has_control(decoded)) {
    name = decoded;
  } else {
    for (char ch : raw) {
      auto b = static_cast<unsigned char>(ch);
      if (b > 0x20 && b < 0x7F) {
        name += ch;
      } else {
        name += '%';
        name += kHexUpper[b >> 4];
        name += kHexUpper[b & 0xF];
      }
    }
  }
  if (name.size() > 64) {
    std::size_t cut = 64;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name.resize(cut);
    name += "...";
  }
  return name;
}

QueryError error(std::string parameter, std::string message) {
  return {std::move(parameter), std::move(message)};
}

// Decodes a value and checks it is clean text (valid UTF-8, no control characters).
std::optional<QueryError> decode_value(std::string_view raw, bool plus_is_space,
                                       const std::string& name, std::string& value) {
  if (!percent_decode(raw, value, plus_is_space)) {
    return error(name, "has a malformed percent-encoding (expected %XX with two hex digits)");
  }
  if (!utf8_valid(value)) return error(name, "must be valid UTF-8 once percent-decoded");
  if (utf8_has_control(value)) return error(name, "must not contain control characters");
  return std::nullopt;
}

// Calls `f(name, raw_value)` for every non-empty segment of the query string, with
// the decoded, validated name. Stops at the first error, from here or from `f`.
template <class F>
std::optional<QueryError> for_each_param(std::string_view query, F&& f) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view segment = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (segment.empty()) continue;
    std::size_t eq = segment.find('=');
    std::string_view raw_name = segment.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1);
    std::string name;
    bool decoded = percent_decode(raw_name, name, true);
    std::string shown = display_name(raw_name, name, decoded);
    if (!decoded) return error(shown, "parameter name has a malformed percent-encoding");
    if (shown != name) return error(shown, "unknown parameter");
    if (auto e = f(name, raw_value)) return e;
  }
  return std::nullopt;
}

// Digits only (no sign, no spaces), within [min, max].
std::string at_most_chars(std::size_t n) {
  return "must be at most " + std::to_string(n) + " characters";
}

std::string integer_range(int min, int max) {
  return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

bool parse_int(std::string_view s, int min, int max, int& out) {
  if (s.empty()) return false;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
    if (v > max) return false;
  }
  if (v < min) return false;
  out = static_cast<int>(v);
  return true;
}

// Accumulates parameters in query order; `finish` applies the cross-parameter rules.
class ListParser {
 public:
  std::optional<QueryError> add(const std::string& name, std::string_view raw);
  std::optional<QueryError> finish(ListQuery& out);

 private:
  std::optional<QueryError> apply(Param p, const std::string& name, const std::string& v);

  ListQuery q_;
  bool given_[static_cast<int>(Param::count)] = {};
  std::optional<bool> status_;  // `status`: nullopt for all
  std::string status_name_;
  std::optional<bool> sort_descending_;  // from a '-' prefix
  std::optional<bool> order_descending_;
};

std::optional<QueryError> ListParser::add(const std::string& name, std::string_view raw) {
  const ParamName* known = nullptr;
  for (const ParamName& p : kParams) {
    if (name == p.name) known = &p;
  }
  if (known == nullptr) return error(name, "unknown parameter");
  bool& given = given_[static_cast<int>(known->param)];
  if (given) return error(name, "is given more than once (or together with its alias)");
  given = true;
  bool is_date = known->param == Param::due_before || known->param == Param::due_after;
  std::string value;
  if (auto e = decode_value(raw, !is_date, name, value)) return e;
  if (value.empty()) return std::nullopt;  // empty = not sent
  return apply(known->param, name, value);
}

std::optional<QueryError> ListParser::apply(Param p, const std::string& name,
                                            const std::string& v) {
  switch (p) {
    case Param::completed:
      if (v != "true" && v != "false") return error(name, "must be true or false");
      q_.completed = v == "true";
      return std::nullopt;
    case Param::status:
      if (v == "pending" || v == "active") {
        status_ = false;
      } else if (v == "completed" || v == "done") {
        status_ = true;
      } else if (v != "all") {
        return error(name, "must be all, pending (or active) or completed (or done)");
      }
      status_name_ = name;
      return std::nullopt;
    case Param::priority:
      if (!contract::is_priority(v)) {
        return error(name, "must be low, medium or high");
      }
      q_.priority = v;
      return std::nullopt;
    case Param::tag: {
      std::string_view t = utf8_trim(v);
      if (t.empty()) return error(name, "must not be blank");
      if (utf8_length(t) > contract::kTagFilterMaxChars) {
        return error(name, at_most_chars(contract::kTagFilterMaxChars));
      }
      q_.tag = std::string(t);
      return std::nullopt;
    }
    case Param::q: {
      std::string_view t = utf8_trim(v);
      if (utf8_length(t) > contract::kQueryTextMaxChars) {
        return error(name, at_most_chars(contract::kQueryTextMaxChars));
      }
      if (!t.empty()) q_.q = std::string(t);
      return std::nullopt;
    }
    case Param::due_before:
    case Param::due_after: {
      std::string utc;
      const char* reason = "";
      if (!parse_rfc3339(v, utc, &reason)) {
        return error(name, std::string("must be an RFC 3339 date-time such as "
                                       "2026-12-01T09:00:00Z (") +
                               reason + ")");
      }
      (p == Param::due_before ? q_.due_before : q_.due_after) = std::move(utc);
      return std::nullopt;
    }
    case Param::overdue:
      if (v != "true" && v != "false") return error(name, "must be true or false");
      q_.overdue = v == "true";
      return std::nullopt;
    case Param::sort: {
      bool desc = v[0] == '-';
      std::string_view key = std::string_view(v).substr(desc ? 1 : 0);
      for (const SortName& s : kSortKeys) {
        if (key == s.name) {
          q_.sort = s.key;
          sort_descending_ = desc;
          return std::nullopt;
        }
      }
      return error(name,
                   "must be one of created_at, updated_at, due_at, priority, title (aliases "
                   "created, due_date), optionally prefixed with '-' for descending");
    }
    case Param::order:
      if (v != "asc" && v != "desc") return error(name, "must be asc or desc");
      order_descending_ = v == "desc";
      return std::nullopt;
    case Param::limit:
      if (!parse_int(v, contract::kPageLimitMin, contract::kPageLimitMax, q_.limit)) {
        return error(name, integer_range(contract::kPageLimitMin, contract::kPageLimitMax));
      }
      return std::nullopt;
    case Param::offset:
      if (!parse_int(v, 0, contract::kMaxOffset, q_.offset)) {
        return error(name, integer_range(0, contract::kMaxOffset));
      }
      return std::nullopt;
    case Param::count:
      break;
  }
  return error(name, "unknown parameter");
}

std::optional<QueryError> ListParser::finish(ListQuery& out) {
  if (status_.has_value()) {
    if (q_.completed.has_value() && *q_.completed != *status_) {
      return error(status_name_, "conflicts with the completed parameter");
    }
    q_.completed = status_;
  }
  q_.descending = order_descending_.value_or(sort_descending_.value_or(true));
  out = std::move(q_);
  return std::nullopt;
}

// A bad parameter as the request's Status: `status` with the parameter as its one field.
Status query_status(StatusCode code, std::string detail, QueryError e) {
  return Status::error(code, std::move(detail), {{std::move(e.parameter), std::move(e.message)}});
}

Status bad_parameter(QueryError e) {
  std::string detail = "Invalid query parameter '" + e.parameter + "': " + e.message;
  return query_status(StatusCode::bad_request, std::move(detail), std::move(e));
}

}  // namespace

Status parse_list_query(std::string_view query_string, ListQuery& out) {
  ListParser parser;
  auto e = for_each_param(query_string, [&](const std::string& name, std::string_view raw) {
    return parser.add(name, raw);
  });
  if (!e) e = parser.finish(out);
  return e ? bad_parameter(std::move(*e)) : Status{};
}

Status parse_bulk_delete_query(std::string_view query_string) {
  bool given = false;
  bool confirmed = false;
  auto e = for_each_param(
      query_string,
      [&](const std::string& name, std::string_view raw) -> std::optional<QueryError> {
        if (name != "completed") return error(name, "unknown parameter");
        if (given) return error(name, "is given more than once");
        given = true;
        std::string value;
        if (auto bad = decode_value(raw, true, name, value)) return bad;
        if (value != "true" && value != "false" && !value.empty()) {
          return error(name, "must be true");
        }
        confirmed = value == "true";
        return std::nullopt;
      });
  if (e) return bad_parameter(std::move(*e));
  if (!confirmed) {
    return query_status(
        StatusCode::invalid, "Bulk delete needs completed=true",
        error("completed",
              "must be true: this deletes all your completed tasks, and nothing else"));
  }
  return {};
}
