// One deleter per C type, so call sites never name one (BoringSSL's UniquePtr idea).
#pragma once

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include <memory>

template <auto Fn>
struct CFree {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using PgConnPtr = std::unique_ptr<PGconn, CFree<PQfinish>>;
using PgResultPtr = std::unique_ptr<PGresult, CFree<PQclear>>;
using JsonPtr = std::unique_ptr<cJSON, CFree<cJSON_Delete>>;
