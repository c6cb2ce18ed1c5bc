// Window specifications: `tumbling:1m`, `hopping:5m/1m` (size/slide), `session:30s` (gap),
// `global`. Windows are aligned to the Unix epoch; times are nanoseconds since the epoch.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::agg {

enum class WindowKind : uint8_t { Tumbling, Hopping, Session, Global };

struct WindowSpec {
  WindowKind kind = WindowKind::Global;
  int64_t size = 0;   // tumbling/hopping: length; session: the gap
  int64_t slide = 0;  // hopping: step (tumbling: = size)

  // Throws sp::UsageError naming `option` on a malformed spec.
  static WindowSpec parse(std::string_view text, const std::string& option = "--window");
  // The start of the latest window (tumbling/hopping) that contains t.
  int64_t last_start(int64_t t) const;
};

// Floor division for negative times too.
inline int64_t floor_to(int64_t t, int64_t step) {
  int64_t q = t / step;
  if ((t % step != 0) && ((t < 0) != (step < 0))) --q;
  return q * step;
}

// Parses a duration such as "1m", "250ms", "1h30m" or a plain number of seconds; nanoseconds.
// Throws sp::UsageError naming `option`.
int64_t parse_duration_ns(std::string_view text, const std::string& option, bool allow_zero = true);

}  // namespace sp::agg
