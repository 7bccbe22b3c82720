// Escaping for log lines. A logged value may hold text a client chose (a token's
// header member, a request id); whatever it holds, it must stay inside its own
// field and its own line, and must not drive a terminal. Pure code.
#pragma once

#include <string>
#include <string_view>

// True for the code points a log viewer must never see raw: the controls (C0,
// DEL, C1: a C1 CSI drives a terminal), the line and paragraph separators, and the
// bidirectional formatting characters that reorder what a reader sees.
bool log_must_escape(char32_t cp);

// Appends `text` as a JSON string (quotes included): `"` `\` and every code point
// of log_must_escape as \uXXXX (\n \r \t as such); malformed UTF-8 bytes as \ufffd.
void append_log_json(std::string& out, std::string_view text);

// Appends `text` as a logfmt value (LOG_FORMAT=text): bare when it is non-empty
// printable ASCII without space, `"`, `\` or `=`; otherwise in double quotes with
// `"` and `\` escaped, \n \r \t, malformed bytes as \xNN and the other code points
// of log_must_escape as \u{X}. Either way the value cannot end its field early or
// start a line, so `k=v` pairs after it are the program's, never the client's.
void append_logfmt_value(std::string& out, std::string_view text);

// Appends `text` with the same escapes as a quoted logfmt value but without the
// quotes: for the free-text message of a text line.
void append_log_text(std::string& out, std::string_view text);
