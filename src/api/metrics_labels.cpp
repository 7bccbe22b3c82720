#include "api/metrics_labels.h"

#include "api/endpoints.h"
#include "http/http.h"
#include "ops/scoreboard.h"

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

}  // namespace metrics
