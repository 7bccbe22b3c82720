// Which URLs the service may fetch keys from (API.md §2, issue 10): whoever can answer a
// plain-http JWKS request can mint tokens for any user, so keys travel over https.
// Plain http is allowed only to the machine itself (a local Better Auth in
// development, the test suite), where no network path can be intercepted.
#pragma once

#include <string>
#include <string_view>

// 127.0.0.0/8 in dotted-quad form, ::1 (bracketed or not), and `localhost`
// (which libcurl resolves to loopback without asking DNS). Case-insensitive.
bool is_loopback_host(std::string_view host);

// The host of an http(s) URL: after the scheme, without userinfo, port or brackets.
// "" when there is none.
std::string_view url_host(std::string_view url);

// "" when `url` may be fetched: https to any host, or http to a loopback host.
// Otherwise why not, in words that name neither the URL's path nor any userinfo
// (a URL may carry credentials: only the host is quoted).
std::string insecure_url_problem(std::string_view url);
