// base64url without padding (RFC 7515 §2, RFC 4648 §5), as JWS uses it.
#pragma once

#include <string>
#include <string_view>

// Strict: only the URL-safe alphabet, no '=' padding, no whitespace, a length that
// is not 1 mod 4, and zero unused trailing bits (so each byte string has exactly one
// accepted encoding). Returns false and leaves `out` unspecified on any violation.
bool base64url_decode(std::string_view text, std::string& out);

std::string base64url_encode(std::string_view bytes);
