// The aggregate functions of sp-agg: what each keeps per window and group (a Cell), how a
// record's value updates it, how two cells merge (session windows), what it outputs, and how
// it is saved for --state.
//
// Aggregates ignore nulls (SQL). Numbers feed sum/avg/stddev/variance/percentiles/histogram/
// rate; min/max take numbers or times; count(x), first/last, distinct_count, approx_distinct
// and top_k take any value (compared by its JSON text).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "expr/program.h"
#include "expr/value.h"

namespace sp::agg {

enum class Kind : uint8_t {
  CountStar, Count, Sum, Avg, Min, Max, Stddev, Variance, First, Last,
  Distinct, ApproxDistinct, Quantile, TopK, Histogram, RateStar, Rate
};

struct AggSpec {
  Kind kind = Kind::CountStar;
  size_t arg = 0;       // root of the argument expression (not for CountStar/RateStar)
  double q = 0;         // Quantile: 0..1
  size_t k = 10;        // TopK
  double width = 0;     // Histogram: bucket width, or
  std::vector<double> bounds;  // Histogram: upper bounds
};

// Per-pane state of one aggregate. Extra state (sets, sketches, kept values) lives in `ext`.
struct Extra {
  virtual ~Extra() = default;
};
struct Cell {
  uint64_t n = 0;
  double x = 0, y = 0;
  int64_t t = 0;
  std::unique_ptr<Extra> ext;
};

// Checks each aggregate call of the program and describes it; throws sp::UsageError (with the
// column in `text`) for a bad argument. `pattern_variables`: sp-match's count(F), avg(F.x).
std::vector<AggSpec> make_specs(const expr::Program& program, bool pattern_variables = false);

// `v` is the value of the argument for this record (ignored for count(*)), `t` its event time.
// `scratch` is a reusable buffer.
void update(const AggSpec& s, Cell& c, const expr::Value& v, int64_t t, std::string& scratch);
// Folds `o` into `c` (both of spec `s`).
void merge(const AggSpec& s, Cell& c, Cell& o);
// The output value; text it needs is kept in `buf` (valid until the next call with it).
// `seconds` is the window's length (for rate).
expr::Value result(const AggSpec& s, Cell& c, double seconds, std::string& buf);

void save(const AggSpec& s, Cell& c, std::string& out);
bool load(const AggSpec& s, Cell& c, std::string_view in, size_t& pos);

// The JSON text used to compare values (distinct, top_k): numbers in their shortest form.
void append_key_json(std::string& out, const expr::Value& v);

// Reads JSON text back as a value (for group keys and kept values); text the value needs is
// copied into `storage`. Malformed text gives null.
expr::Value value_from_json(std::string_view json, std::string& storage);

}  // namespace sp::agg
