#include "metrics_labels.h"

#include <cstring>

#include "endpoints.h"
#include "http.h"
#include "scoreboard.h"

namespace metrics {

// The route's canonical path template, from the endpoint table.
const char* route_label(int endpoint) {
  const EndpointSpec* spec = endpoint_spec(static_cast<Endpoint>(endpoint));
  return spec != nullptr ? spec->path : "unmatched";
}

const char* method_label(int method) {
  auto m = static_cast<Method>(method);
  return m == Method::other ? "other" : method_name(m).data();
}

const char* state_name(WorkerState s) {
  constexpr const char* kNames[] = {"free", "starting", "idle",   "reading",
                                    "auth", "db",       "render", "writing"};
  auto i = static_cast<unsigned>(s);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

const char* stage_name(Stage s) {
  constexpr const char* kNames[] = {"read", "auth", "db", "render", "write"};
  auto i = static_cast<unsigned>(s);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

const char* db_error_class_name(DbErrorClass c) {
  constexpr const char* kNames[] = {"connection", "timeout",  "unavailable",
                                    "invalid",    "conflict", "other"};
  auto i = static_cast<unsigned>(c);
  return i < std::size(kNames) ? kNames[i] : "other";
}

// Classes by SQLSTATE, finer than db.cpp's classify() (which decides the HTTP answer):
// 08 connection; 57014 statement timeout (also what a worker-side deadline reports);
// 57/53/40001/40P01 server unavailable or busy; 22/23502/23514 invalid data (422);
// other 23 integrity errors, counted as `conflict` (answered 500: none is expected).
DbErrorClass db_error_class(const char* sqlstate) {
  if (sqlstate == nullptr || std::strlen(sqlstate) != 5) return DbErrorClass::other;
  auto starts = [&](const char* p) { return std::strncmp(sqlstate, p, 2) == 0; };
  if (starts("08")) return DbErrorClass::connection;
  if (std::strcmp(sqlstate, "57014") == 0) return DbErrorClass::timeout;
  if (starts("57") || starts("53") || std::strcmp(sqlstate, "40001") == 0 ||
      std::strcmp(sqlstate, "40P01") == 0) {
    return DbErrorClass::unavailable;
  }
  if (starts("22") || std::strcmp(sqlstate, "23502") == 0 || std::strcmp(sqlstate, "23514") == 0) {
    return DbErrorClass::invalid;
  }
  if (starts("23")) return DbErrorClass::conflict;
  return DbErrorClass::other;
}

namespace {
constexpr int kCodes[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
                          412, 413, 415, 422, 429, 500, 502, 503, 504};
constexpr int kFirstClassSlot = static_cast<int>(std::size(kCodes));  // then 1xx..5xx
static_assert(kFirstClassSlot + 5 <= kCodeSlots);
constexpr const char* kCodeLabels[] = {"200", "201", "204", "304", "400", "401", "403", "404",
                                       "405", "409", "412", "413", "415", "422", "429", "500",
                                       "502", "503", "504", "1xx", "2xx", "3xx", "4xx", "5xx"};
}  // namespace

int code_index(int status) {
  for (int i = 0; i < kFirstClassSlot; ++i) {
    if (kCodes[i] == status) return i;
  }
  int cls = status / 100;
  if (cls < 1 || cls > 5) cls = 5;
  return kFirstClassSlot + cls - 1;
}

const char* code_label(int index) {
  return index >= 0 && index < static_cast<int>(std::size(kCodeLabels)) ? kCodeLabels[index]
                                                                        : "other";
}

}  // namespace metrics
