// The lexical rules of RFC 8259 that cJSON 1.7 does not enforce, checked before
// cJSON parses a request body. Pure code.
#pragma once

#include <string>

// Scans JSON `text` (already known to be valid UTF-8) and returns false when it
// breaks a lexical rule cJSON lets through:
//  - a raw control byte (< 0x20) inside a string, or a NUL byte anywhere;
//  - whitespace other than space, tab, LF, CR between tokens (cJSON skips any
//    byte <= 0x20);
//  - a number outside the RFC 8259 grammar (cJSON takes "01", "1.", "+1");
//  - an escape other than \" \\ \/ \b \f \n \r \t \uXXXX.
// Structure (brackets, commas, literals, nesting depth) is left to cJSON.
//
// It also rewrites every `\u0000` escape to `\u0001` in place (same length).
// cJSON would decode U+0000 into a NUL that silently truncates the C string
// ("title\u0000" as a key would become "title"); U+0001 survives decoding and,
// like U+0000, is a control character that every string rule of the API rejects,
// so the field is reported instead of being silently shortened.
bool json_strict_prepare(std::string& text);
