#include "render.h"

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
