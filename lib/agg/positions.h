// sp-agg and end-to-end acknowledgements (sp-ingest --ack): which input positions the results
// emitted so far cover. A record's position ("_sp") is safe once every window it went into
// has been emitted; the result that ends an emission round carries, as "_sp", the positions
// safe at that point (see ack/ack.h): per input partition, the start of the oldest record
// still held by an open window, or the end of the last record when none is held.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace sp::agg {

class Positions {
 public:
  // Whether any record carried a position (then results carry them too).
  bool active() const { return !parts_.empty(); }
  // A record placed in windows that have all been emitted once the watermark reaches `close`
  // (INT64_MAX: not before the end, or an emission of every group).
  void held(std::string_view sp_value, int64_t close);
  // A record that needs no result (rejected, filtered out, late): safe once those before it are.
  void passed(std::string_view sp_value);
  // Every window closing at or before `covered` has been emitted: appends the "_sp" array of
  // the positions safe now to `out`. False (nothing appended) when none is known.
  bool safe(int64_t covered, std::string& out);

 private:
  static constexpr uint64_t kUnknown = UINT64_MAX;
  struct Held {
    int64_t close;
    uint64_t start;  // the end of the record before it in its partition, or kUnknown
  };
  struct Partition {
    std::string name;
    uint64_t end = kUnknown;  // after the last record seen
    std::deque<Held> held;
  };
  Partition& find(std::string_view name);
  std::vector<Partition> parts_;
  size_t last_ = 0;
};

}  // namespace sp::agg
