// Label values of the metrics: route templates, methods, status codes. Kept apart
// from the counters so the tables are one place, derived from router.h and http.h.
#pragma once

namespace metrics {

// The route template of an Endpoint value ("/api/tasks/{id}"), "unmatched" for none.
const char* route_label(int endpoint);
const char* method_label(int method);

}  // namespace metrics
