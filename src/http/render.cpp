#include "http/render.h"

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
