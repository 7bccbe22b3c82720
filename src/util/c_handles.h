// One deleter per C type, so call sites never name one (BoringSSL's UniquePtr idea).
// libpq's handles are the store's: store/pg_handles.h.
#pragma once

#include <cjson/cJSON.h>

#include <memory>

template <auto Fn>
struct CFree {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using JsonPtr = std::unique_ptr<cJSON, CFree<cJSON_Delete>>;
