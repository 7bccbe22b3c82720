// URI percent-decoding, shared by the router (path segments) and the query parsers.
#pragma once

#include <string>
#include <string_view>

// Percent-decodes a URI component into `out` ('+' is a space only when
// `plus_is_space`, as in query strings). Returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);
