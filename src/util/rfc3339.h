// Strict RFC 3339 date-time parsing (§5.6 `date-time`), normalized to UTC.
// Pure code.
//
// Accepted: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), with `t` and `z`
// also accepted in lowercase (RFC 3339 §5.6 NOTE). Rejected:
//  - a space (or anything else) instead of `T`, date-only or time-only text,
//    missing offset, offsets without a colon, any leading/trailing byte;
//  - impossible dates (month 13, Feb 30, Feb 29 outside leap years), hour > 23,
//    minute > 59, offset beyond ±23:59;
//  - leap seconds: second 60 is rejected rather than clamped, because PostgreSQL
//    would silently roll it over into the next minute;
//  - instants whose UTC year falls outside 0001..9999 (PostgreSQL has no year 0
//    in ISO form, and the output format has four year digits).
// `-00:00` ("offset unknown") is treated as UTC.
//
// The normalized text is `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` in UTC: the fraction is
// truncated (not rounded) to 6 digits, which is PostgreSQL's precision, trailing
// zeros are dropped and a zero fraction is omitted, so equal instants give equal
// text. PostgreSQL parses it exactly as a timestamptz.
#pragma once

#include <string>
#include <string_view>

// On success stores the normalized UTC text in `utc` and returns true. On failure
// returns false, leaves `utc` unchanged and, when `reason` is non-null, points it
// at a static human-readable reason (e.g. "month must be 01-12").
bool parse_rfc3339(std::string_view text, std::string& utc, const char** reason = nullptr);

// A task's due time as API.md §3 takes it: an RFC 3339 date-time as above, or a
// date alone `YYYY-MM-DD` (what `<input type="date">` sends), which means 00:00 UTC
// of that day and is normalized to `YYYY-MM-DDT00:00:00Z`. The date is validated
// like the date part of a date-time (2026-02-30 and year 0000 are rejected).
// Same contract as parse_rfc3339.
bool parse_rfc3339_or_date(std::string_view text, std::string& utc, const char** reason = nullptr);
