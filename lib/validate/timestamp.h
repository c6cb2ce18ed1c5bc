// Timestamp normalization for sp-validate --timestamp: many common spellings in, RFC 3339 UTC
// with milliseconds out ("2005-12-04T04:47:44.000Z").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sp::validate {

class TimestampParser {
 public:
  // `zone` applies to text without an offset: "UTC" (default), "+02:00"/"-0530", or a tz
  // database name such as "Europe/Berlin". Throws sp::UsageError for an unknown zone.
  explicit TimestampParser(const std::string& zone = "UTC");

  // Milliseconds since the epoch, or nothing when the text is not a timestamp we know:
  //   RFC 3339 / ISO 8601 "2005-12-04T04:47:44Z", "...44.123+01:00", "2005-12-04 04:47:44"
  //   Common Log Format "[04/Dec/2005:04:47:44 +0000]" (brackets optional)
  std::optional<int64_t> parse_text(std::string_view text) const;
  // Epoch seconds, milliseconds or microseconds, told apart by magnitude.
  static int64_t from_epoch(double value);
  // Appends the JSON string "2005-12-04T04:47:44.000Z" (with its quotes).
  static void format_rfc3339_ms(int64_t epoch_ms, std::string& out);

 private:
  int64_t local_to_utc_ms(int64_t local_ms) const;
  bool fixed_ = true;
  int64_t offset_ms_ = 0;
  std::string zone_;
};

}  // namespace sp::validate
