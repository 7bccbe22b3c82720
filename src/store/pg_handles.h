// Owners of libpq's handles (util/c_handles.h's CFree): only the store sees libpq.
#pragma once

#include <libpq-fe.h>

#include <memory>

#include "util/c_handles.h"

using PgConnPtr = std::unique_ptr<PGconn, CFree<PQfinish>>;
using PgResultPtr = std::unique_ptr<PGresult, CFree<PQclear>>;
