// FastCGI params (nginx's fastcgi_param list) -> Request. Pure code: fuzzed and
// unit-tested without a socket.
#pragma once

#include "http/http.h"

// `envp` is libfcgi's NULL-terminated "NAME=value" array. Fills the fields of `req`
// it knows; unknown params are ignored. HEAD is served as GET (nginx drops the body).
void parse_fcgi_params(char** envp, Request& req);
