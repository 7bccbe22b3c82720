#include "tasks/task_json.h"

#include <charconv>

#include "util/calendar.h"
#include "util/text_util.h"

namespace {

void append_digits(std::string& out, std::int64_t v, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  for (int pad = width - static_cast<int>(end - buf); pad > 0; --pad) out += '0';
  out.append(buf, end);
}

void append_optional_timestamp(std::string& out, const std::optional<std::int64_t>& ts) {
  if (ts) {
    append_timestamp(out, *ts);
  } else {
    out += "null";
  }
}

}  // namespace

void append_pg_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t run = 0;  // start of the pending verbatim run
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
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
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += "\\u00";
        out += kHexLower[c >> 4];
        out += kHexLower[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

void append_timestamp(std::string& out, std::int64_t pg_us) {
  constexpr std::int64_t kDays1970To2000 = 10957;
  const std::int64_t ms = floor_div(pg_us, 1000);
  const std::int64_t days = floor_div(ms, 86400000);
  std::int64_t rest = ms - days * 86400000;
  std::int64_t year;
  int month, day;
  civil_from_days(days + kDays1970To2000, year, month, day);
  out += '"';
  append_digits(out, year <= 0 ? 1 - year : year, 4);  // to_char's YYYY for BC years
  out += '-';
  append_digits(out, month, 2);
  out += '-';
  append_digits(out, day, 2);
  out += 'T';
  append_digits(out, rest / 3600000, 2);
  rest %= 3600000;
  out += ':';
  append_digits(out, rest / 60000, 2);
  rest %= 60000;
  out += ':';
  append_digits(out, rest / 1000, 2);
  out += '.';
  append_digits(out, rest % 1000, 3);
  out += "Z\"";
}

void append_uuid(std::string& out, const std::array<unsigned char, 16>& id) {
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHexLower[id[i] >> 4];
    out += kHexLower[id[i] & 15];
  }
}

void append_task_json(std::string& out, const Task& t) {
  out += "{\"id\":\"";
  append_uuid(out, t.id);
  out += "\",\"title\":";
  append_pg_json_string(out, t.title);
  out += ",\"description\":";
  if (t.description) {
    append_pg_json_string(out, *t.description);
  } else {
    out += "null";
  }
  out += t.completed ? ",\"completed\":true" : ",\"completed\":false";
  out += ",\"priority\":\"";
  out += t.priority;  // an enum label: no escaping needed
  out += "\",\"due_at\":";
  append_optional_timestamp(out, t.due_at);
  out += ",\"tags\":[";
  for (std::size_t i = 0; i < t.tag_count; ++i) {
    if (i > 0) out += ',';
    append_pg_json_string(out, t.tags[i]);
  }
  out += "],\"created_at\":";
  append_timestamp(out, t.created_at);
  out += ",\"updated_at\":";
  append_timestamp(out, t.updated_at);
  out += ",\"completed_at\":";
  append_optional_timestamp(out, t.completed_at);
  out += ",\"version\":";
  append_digits(out, t.version, 1);
  out += '}';
}
