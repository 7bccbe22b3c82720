// libFuzzer target for the query-string parsers (list_query.h). Not part of the
// CMake build; see fuzz/build.sh. Checks the parser's promises on every input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tasks/list_query.h"
#include "util/percent_decode.h"
#include "util/utf8.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_clean(const std::string& s, std::size_t max_length) {
  check(utf8_valid(s) && !utf8_has_control(s) && utf8_length(s) <= max_length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view qs(reinterpret_cast<const char*>(data), size);

  ListQuery q;
  q.limit = -1;
  if (Status e = parse_list_query(qs, q); !e.ok()) {
    check(e.kind() == StatusCode::bad_request && e.errors().size() == 1);
    const FieldError& f = e.errors()[0];
    check(!f.field.empty() || qs.find("=") != std::string_view::npos);
    check(utf8_valid(f.field) && f.field.size() <= 67 && !f.message.empty());
    check(q.limit == -1);  // untouched on error
  } else {
    check(q.limit >= 1 && q.limit <= 100 && q.offset >= 0 && q.offset <= 100000);
    if (q.q) check_clean(*q.q, 200);
    if (q.tag) check(!q.tag->empty()), check_clean(*q.tag, 50);
    if (q.priority) check(*q.priority == "low" || *q.priority == "medium" || *q.priority == "high");
    if (q.due_before) check(q.due_before->size() >= 20 && q.due_before->back() == 'Z');
    if (q.due_after) check(q.due_after->size() >= 20 && q.due_after->back() == 'Z');
  }

  if (Status e = parse_bulk_delete_query(qs); !e.ok()) {
    check(e.errors().size() == 1 && utf8_valid(e.errors()[0].field) &&
          !e.errors()[0].message.empty());
  }

  std::string out;
  bool ok = percent_decode(qs, out, true);
  check(!ok || out.size() <= qs.size());
  return 0;
}
