#include "agg/window.h"

#include <charconv>
#include <cmath>

#include "expr/time.h"
#include "io/error.h"

namespace sp::agg {

int64_t parse_duration_ns(std::string_view text, const std::string& option, bool allow_zero) {
  std::string t(text);
  if (t.empty()) throw UsageError(option + ": expected a duration such as 30s, 1m or 250ms");
  std::optional<int64_t> ns = expr::parse_duration(t);
  if (!ns) {
    // A plain number is seconds.
    char* end = nullptr;
    double s = std::strtod(t.c_str(), &end);
    if (end && *end == '\0' && std::isfinite(s) && s >= 0 && s < 1e9) ns = static_cast<int64_t>(std::llround(s * 1e9));
  }
  if (!ns || *ns < 0) throw UsageError(option + ": '" + t + "' is not a duration (examples: 30s, 1m, 250ms, 1h30m)");
  if (!allow_zero && *ns == 0) throw UsageError(option + ": the duration must be longer than 0");
  return *ns;
}

WindowSpec WindowSpec::parse(std::string_view text, const std::string& option) {
  WindowSpec w;
  size_t colon = text.find(':');
  std::string_view kind = text.substr(0, colon);
  std::string_view arg = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  auto need_arg = [&](const char* example) {
    if (arg.empty())
      throw UsageError(option + ": '" + std::string(kind) + "' needs a length, as in " + example);
  };
  if (kind == "global") {
    if (!arg.empty()) throw UsageError(option + ": 'global' takes no length (use --every for periodic output)");
    w.kind = WindowKind::Global;
  } else if (kind == "tumbling") {
    need_arg("tumbling:1m");
    w.kind = WindowKind::Tumbling;
    w.size = w.slide = parse_duration_ns(arg, option, false);
  } else if (kind == "hopping" || kind == "sliding") {
    need_arg("hopping:5m/1m (size/slide)");
    size_t slash = arg.find('/');
    if (slash == std::string_view::npos)
      throw UsageError(option + ": hopping windows need a size and a slide, as in hopping:5m/1m");
    w.kind = WindowKind::Hopping;
    w.size = parse_duration_ns(arg.substr(0, slash), option, false);
    w.slide = parse_duration_ns(arg.substr(slash + 1), option, false);
    if (w.slide > w.size) throw UsageError(option + ": the slide of a hopping window must not exceed its size");
    if (w.size / w.slide > 10000) throw UsageError(option + ": more than 10000 windows would overlap");
    if (w.slide == w.size) w.kind = WindowKind::Tumbling;
  } else if (kind == "session") {
    need_arg("session:30s (the gap)");
    w.kind = WindowKind::Session;
    w.size = parse_duration_ns(arg, option, false);
  } else {
    throw UsageError(option + ": unknown window '" + std::string(text) +
                     "' (expected tumbling:SIZE, hopping:SIZE/SLIDE, session:GAP or global)");
  }
  return w;
}

int64_t WindowSpec::last_start(int64_t t) const { return floor_to(t, slide); }

}  // namespace sp::agg
