// TEMPORARY until the tasks branch lands: the task endpoints answer 503.
#include "handlers.h"

namespace {
void pending(RequestContext& ctx) {
  set_error(ctx.res, 503, "Not available yet");
}
}  // namespace

void handle_me(RequestContext& ctx) {
  pending(ctx);
}
void handle_tasks(RequestContext& ctx) {
  pending(ctx);
}
void handle_task(RequestContext& ctx) {
  pending(ctx);
}
void handle_task_complete(RequestContext& ctx) {
  pending(ctx);
}
