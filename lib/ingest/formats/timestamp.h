// Timestamps in the forms log lines use, normalized to RFC 3339 UTC with milliseconds
// ("2026-11-24T00:00:00.000Z"), the form every streampipe stage reads.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::ingest {

// Milliseconds since the epoch of a civil UTC time (proleptic Gregorian).
int64_t civil_to_ms(int year, int month, int day, int hour, int minute, int second, int millis);
// Month number 1..12 of "Jan".."Dec" (case-sensitive as logs write them), or 0.
int month_from_abbrev(const char* p);

// Parses one of:
//   RFC 3339 / ISO 8601: 2026-11-24T10:00:00Z, 2026-11-24 10:00:00.123+01:00, …+0100, no zone = UTC
//   Common Log Format:   24/Nov/2026:10:00:00 +0100
//   RFC 3164 syslog:     Nov 24 10:00:00 (no year: the current year, or the previous one when
//                        that would put it more than a day in the future; UTC)
//   epoch numbers:       1764000000 (seconds), 1764000000123 (milliseconds, >= 1e11), fractions allowed
// A day the month does not have, or a time outside 0000-01-01 .. 9999-12-31 UTC (what RFC 3339
// can write), is rejected.
bool parse_timestamp(std::string_view text, int64_t& ms);
// An epoch number (seconds, or milliseconds when >= 1e11) as milliseconds; false when negative,
// NaN, or out of range.
bool epoch_to_ms(double v, int64_t& ms);
// True when `ms` is within 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z.
bool in_rfc3339_range(int64_t ms);
// Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" (no quotes).
void append_rfc3339_ms(std::string& out, int64_t ms);

// The current time in milliseconds since the epoch.
int64_t now_ms();

}  // namespace sp::ingest
