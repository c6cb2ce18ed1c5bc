// Event time of a record: RFC 3339 text ("2026-11-24T00:00:00.005Z", offsets allowed) or epoch
// seconds / milliseconds (numbers above 1e11 are taken as milliseconds).
#pragma once
#include <cstdint>
#include <string_view>

namespace sp::sink {

// Milliseconds since the epoch, or false when `text` is not an RFC 3339 timestamp.
bool parse_rfc3339_ms(std::string_view text, int64_t& ms);
// Seconds or milliseconds since the epoch as a number.
int64_t epoch_number_to_ms(double v);

}  // namespace sp::sink
