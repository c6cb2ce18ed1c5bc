// Time and duration text for the expression language.
//
// Times are int64 nanoseconds since 1970-01-01T00:00:00Z (range years 1678..2261); durations
// are int64 nanoseconds. Every time is UTC: offsets in input text are applied, output is UTC.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sp::expr {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// RFC 3339 text: "2026-11-24T10:00:00Z", "...T10:00:00.123+02:00", a space or 't' instead of
// 'T', 'z' for 'Z', no offset (read as UTC), or a date alone ("2026-11-24", midnight UTC).
std::optional<int64_t> parse_rfc3339(std::string_view text);

// A number of epoch seconds or milliseconds: magnitudes below 1e11 are seconds (up to the year
// 5138), larger ones milliseconds. NaN and out-of-range give nullopt.
std::optional<int64_t> time_from_epoch_number(double n);

// strptime-like parsing with a fixed, locale-free set of directives:
//   %Y year  %m month  %d day  %e day (space padded)  %H hour  %I hour (12h) %p AM/PM
//   %M minute  %S second  %f fraction (1-9 digits)  %z offset (Z, +hh:mm, +hhmm)  %Z zone name
//   (UTC/GMT/Z only)  %b %h month name (Jan)  %B full month name  %a %A day name (ignored)
//   %y two-digit year (69-99 -> 19xx)  %j day of year  %s epoch seconds (may have a fraction)
//   %T = %H:%M:%S  %F = %Y-%m-%d  %D = %m/%d/%y  %%  a space matches any run of blanks.
// The whole text must be consumed.
std::optional<int64_t> parse_time_format(std::string_view text, std::string_view fmt);

// Checks a parse_time/format_time format; returns an error message or empty.
std::string check_time_format(std::string_view fmt, bool for_parsing);

// strftime-like formatting (UTC) with the directives above plus %L milliseconds, %f
// microseconds (6 digits), %N nanoseconds (9 digits), %z "+0000", %Z "UTC", %s epoch seconds.
void format_time(std::string& out, int64_t ns, std::string_view fmt);

// "2026-11-24T00:00:00.000Z".
void format_rfc3339_ms(std::string& out, int64_t ns);

// Durations as text: "1h30m", "250ms", "1.5s", "2d", "-5m", "0s".
void format_duration(std::string& out, int64_t ns);

// Parses duration text as written in expressions ("1h30m", "250ms", "1.5s"): a sequence of
// number+unit with units ns, us, ms, s, m, h, d. Returns nullopt on malformed text or
// overflow; `bad_at` gets the offset of the problem.
std::optional<int64_t> parse_duration(std::string_view text, size_t* bad_at = nullptr);

// Days since the epoch for a proleptic Gregorian date, and back.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t& y, unsigned& m, unsigned& d);

}  // namespace sp::expr
