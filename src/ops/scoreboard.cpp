// The label tables of the scoreboard's dimensions (worker states, stages, status
// codes). Route and method labels come from the route rows: api/metrics_labels.cpp.
#include "ops/scoreboard.h"

#include <iterator>

namespace metrics {

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
