#include "agg/aggregates.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include <simdjson.h>
#include <xxhash.h>

#include "agg/sketch.h"
#include "io/error.h"
#include "json/writer.h"

namespace sp::agg {
namespace {

using expr::Type;
using expr::Value;

struct KeptValue : Extra {
  expr::OwnedValue v;
};
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};
struct DistinctSet : Extra {
  std::unordered_set<std::string, TextHash, std::equal_to<>> set;
};
struct Hll : Extra {
  HyperLogLog hll;
};
struct Digest : Extra {
  TDigest digest;
};
struct TopKState : Extra {
  explicit TopKState(size_t cap) : ss(cap) {}
  SpaceSaving ss;
};
struct Buckets : Extra {
  std::map<int64_t, uint64_t> counts;  // bucket number (width) or bound index -> count
};

template <class T>
T& ext(Cell& c) {
  return static_cast<T&>(*c.ext);
}

[[noreturn]] void fail(const expr::AggregateCall& a, const std::string& msg) {
  throw UsageError(msg, a.source, a.column);
}

double constant_number(const expr::Program& p, const expr::AggregateCall& a, size_t i, const char* what) {
  if (a.args.size() <= i || !p.is_constant(a.args[i]) || p.root(a.args[i]).value.type != Type::Number)
    fail(a, a.name + "(): " + what + " must be a constant number");
  return p.root(a.args[i]).value.number;
}

}  // namespace

std::vector<AggSpec> make_specs(const expr::Program& p, bool pattern_variables) {
  std::vector<AggSpec> out;
  for (const auto& a : p.aggregates()) {
    if (!a.variable.empty() && !pattern_variables) fail(a, "pattern variables have no meaning in sp-agg");
    AggSpec s;
    const std::string& n = a.name;
    size_t nargs = a.args.size() + (a.star ? 1 : 0);
    auto want = [&](size_t lo, size_t hi) {
      if (nargs < lo || nargs > hi)
        fail(a, n + "() takes " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi)) +
                       " argument" + (hi == 1 ? "" : "s"));
    };
    if (!a.args.empty()) s.arg = a.args[0];
    if (n == "count") {
      want(0, 1);
      s.kind = (a.star || a.args.empty()) ? Kind::CountStar : Kind::Count;
    } else if (n == "rate") {
      want(0, 1);
      s.kind = a.args.empty() ? Kind::RateStar : Kind::Rate;
    } else if (n == "sum" || n == "avg" || n == "min" || n == "max" || n == "stddev" || n == "variance" ||
               n == "first" || n == "last" || n == "distinct_count" || n == "approx_distinct") {
      want(1, 1);
      static const std::pair<const char*, Kind> kinds[] = {
          {"sum", Kind::Sum},       {"avg", Kind::Avg},         {"min", Kind::Min},
          {"max", Kind::Max},       {"stddev", Kind::Stddev},   {"variance", Kind::Variance},
          {"first", Kind::First},   {"last", Kind::Last},       {"distinct_count", Kind::Distinct},
          {"approx_distinct", Kind::ApproxDistinct}};
      for (const auto& [name, kind] : kinds)
        if (n == name) s.kind = kind;
    } else if (n == "p50" || n == "p90" || n == "p95" || n == "p99") {
      want(1, 1);
      s.kind = Kind::Quantile;
      s.q = std::stod(n.substr(1)) / 100;
    } else if (n == "pct") {
      want(2, 2);
      s.kind = Kind::Quantile;
      s.q = constant_number(p, a, 1, "the quantile");
      if (s.q > 1 && s.q <= 100) s.q /= 100;  // pct(x, 99.9) as a percentage
      if (!(s.q >= 0 && s.q <= 1)) fail(a, "pct(): the quantile must be between 0 and 1 (or a percentage up to 100)");
    } else if (n == "top_k") {
      want(1, 2);
      s.kind = Kind::TopK;
      if (a.args.size() > 1) {
        double k = constant_number(p, a, 1, "k");
        if (!(k >= 1 && k <= 10000) || k != std::floor(k)) fail(a, "top_k(): k must be a whole number from 1 to 10000");
        s.k = static_cast<size_t>(k);
      }
    } else if (n == "histogram") {
      want(2, 2);
      s.kind = Kind::Histogram;
      const auto& arg = p.root(a.args[1]);
      if (p.is_constant(a.args[1]) && arg.value.type == Type::String) {
        std::string_view t = arg.value.text;
        size_t start = 0;
        while (start <= t.size()) {
          size_t comma = t.find(',', start);
          std::string part(t.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
          char* end = nullptr;
          double b = std::strtod(part.c_str(), &end);
          if (part.empty() || end == part.c_str() || (!s.bounds.empty() && b <= s.bounds.back()))
            fail(a, "histogram(): bounds must be increasing numbers, as in \"10,50,100\"");
          s.bounds.push_back(b);
          if (comma == std::string_view::npos) break;
          start = comma + 1;
        }
      } else {
        s.width = constant_number(p, a, 1, "the bucket width (or a string of bounds \"10,50,100\")");
        if (!(s.width > 0)) fail(a, "histogram(): the bucket width must be positive");
      }
    } else {
      fail(a, n + "() is not an aggregate " + (pattern_variables ? "sp-match" : "sp-agg") + " knows");
    }
    out.push_back(std::move(s));
  }
  return out;
}

Value value_from_json(std::string_view json, std::string& storage) {
  static thread_local simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e)) return Value::null();
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view sv;
      if (e.get_string().get(sv)) return Value::null();
      storage.assign(sv);
      return Value::of_string(storage);
    }
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d)) return Value::null();
      storage.assign(json);
      return Value::of_number(d, storage);
    }
    case simdjson::dom::element_type::BOOL: return Value::of_bool(e.get_bool().value_unsafe());
    case simdjson::dom::element_type::ARRAY: storage.assign(json); return Value::of_array(storage);
    case simdjson::dom::element_type::OBJECT: storage.assign(json); return Value::of_object(storage);
    default: return Value::null();
  }
}

void append_key_json(std::string& out, const Value& v) {
  if (v.type == Type::Number)
    json::append_number(out, v.number);
  else
    expr::append_json(out, v);
}

void update(const AggSpec& s, Cell& c, const Value& v, int64_t t, std::string& scratch) {
  switch (s.kind) {
    case Kind::CountStar: ++c.n; return;
    case Kind::RateStar: ++c.n; return;
    default: break;
  }
  if (v.is_null()) return;
  const bool num = v.type == Type::Number;
  switch (s.kind) {
    case Kind::Count: ++c.n; return;
    case Kind::Sum:
    case Kind::Avg:
    case Kind::Rate:
      if (num) c.x += v.number, ++c.n;
      return;
    case Kind::Min:
    case Kind::Max: {
      // Numbers in x; times exactly in t, with y = 1 marking a min/max of times.
      const bool is_min = s.kind == Kind::Min;
      if (num) {
        if (c.n && c.y != 0) return;  // a number among times: ignored
        if (!c.n || (is_min ? v.number < c.x : v.number > c.x)) c.x = v.number;
      } else if (v.type == Type::Time) {
        if (c.n && c.y == 0) return;
        if (!c.n || (is_min ? v.nanos < c.t : v.nanos > c.t)) c.t = v.nanos;
        c.y = 1;
      } else {
        return;
      }
      ++c.n;
      return;
    }
    case Kind::Stddev:
    case Kind::Variance: {
      if (!num) return;
      ++c.n;
      double d = v.number - c.x;
      c.x += d / static_cast<double>(c.n);
      c.y += d * (v.number - c.x);
      return;
    }
    case Kind::First:
    case Kind::Last: {
      bool take = !c.n || (s.kind == Kind::First ? t < c.t : t >= c.t);
      ++c.n;
      if (!take) return;
      c.t = t;
      if (!c.ext) c.ext = std::make_unique<KeptValue>();
      ext<KeptValue>(c).v = v;
      return;
    }
    case Kind::Distinct: {
      if (!c.ext) c.ext = std::make_unique<DistinctSet>();
      scratch.clear();
      append_key_json(scratch, v);
      auto& set = ext<DistinctSet>(c).set;
      if (set.find(scratch) == set.end()) set.insert(scratch);
      return;
    }
    case Kind::ApproxDistinct: {
      if (!c.ext) c.ext = std::make_unique<Hll>();
      scratch.clear();
      append_key_json(scratch, v);
      ext<Hll>(c).hll.add(scratch);
      return;
    }
    case Kind::Quantile:
      if (!num) return;
      if (!c.ext) c.ext = std::make_unique<Digest>();
      ext<Digest>(c).digest.add(v.number);
      return;
    case Kind::TopK: {
      if (!c.ext) c.ext = std::make_unique<TopKState>(std::max<size_t>(s.k * 10, 100));
      scratch.clear();
      append_key_json(scratch, v);
      ext<TopKState>(c).ss.add(scratch);
      return;
    }
    case Kind::Histogram: {
      if (!num || std::isnan(v.number)) return;
      if (!c.ext) c.ext = std::make_unique<Buckets>();
      int64_t b;
      if (s.bounds.empty()) {
        b = static_cast<int64_t>(std::floor(v.number / s.width));
      } else {
        b = std::lower_bound(s.bounds.begin(), s.bounds.end(), v.number) - s.bounds.begin();
      }
      ++ext<Buckets>(c).counts[b];
      return;
    }
    default: return;
  }
}

void merge(const AggSpec& s, Cell& c, Cell& o) {
  if (!o.n && !o.ext) return;
  switch (s.kind) {
    case Kind::CountStar: case Kind::Count: case Kind::RateStar: c.n += o.n; return;
    case Kind::Sum: case Kind::Avg: case Kind::Rate: c.x += o.x, c.n += o.n; return;
    case Kind::Min: case Kind::Max:
      if (!o.n) return;
      if (!c.n) {
        c.x = o.x, c.y = o.y, c.t = o.t, c.n = o.n;
        return;
      }
      if (c.y != o.y) return;
      if (c.y != 0) {
        if (s.kind == Kind::Min ? o.t < c.t : o.t > c.t) c.t = o.t;
      } else if (s.kind == Kind::Min ? o.x < c.x : o.x > c.x) {
        c.x = o.x;
      }
      c.n += o.n;
      return;
    case Kind::Stddev: case Kind::Variance: {
      if (!o.n) return;
      double n = static_cast<double>(c.n + o.n);
      double d = o.x - c.x;
      c.y += o.y + d * d * static_cast<double>(c.n) * static_cast<double>(o.n) / n;
      c.x += d * static_cast<double>(o.n) / n;
      c.n += o.n;
      return;
    }
    case Kind::First: case Kind::Last:
      if (!o.n) return;
      if (!c.n || (s.kind == Kind::First ? o.t < c.t : o.t >= c.t)) c.t = o.t, c.ext = std::move(o.ext);
      c.n += o.n;
      return;
    case Kind::Distinct:
      if (!o.ext) return;
      if (!c.ext) c.ext = std::make_unique<DistinctSet>();
      for (const auto& v : ext<DistinctSet>(o).set) ext<DistinctSet>(c).set.insert(v);
      return;
    case Kind::ApproxDistinct:
      if (!o.ext) return;
      if (!c.ext) c.ext = std::make_unique<Hll>();
      ext<Hll>(c).hll.merge(ext<Hll>(o).hll);
      return;
    case Kind::Quantile:
      if (!o.ext) return;
      if (!c.ext) c.ext = std::make_unique<Digest>();
      ext<Digest>(c).digest.merge(ext<Digest>(o).digest);
      return;
    case Kind::TopK:
      if (!o.ext) return;
      if (!c.ext) c.ext = std::make_unique<TopKState>(std::max<size_t>(s.k * 10, 100));
      ext<TopKState>(c).ss.merge(ext<TopKState>(o).ss);
      return;
    case Kind::Histogram:
      if (!o.ext) return;
      if (!c.ext) c.ext = std::make_unique<Buckets>();
      for (const auto& [b, n] : ext<Buckets>(o).counts) ext<Buckets>(c).counts[b] += n;
      return;
  }
}

Value result(const AggSpec& s, Cell& c, double seconds, std::string& buf) {
  switch (s.kind) {
    case Kind::CountStar: case Kind::Count: return Value::of_number(static_cast<double>(c.n));
    case Kind::Sum: return c.n ? Value::of_number(c.x) : Value::null();
    case Kind::Avg: return c.n ? Value::of_number(c.x / static_cast<double>(c.n)) : Value::null();
    case Kind::Min: case Kind::Max:
      if (!c.n) return Value::null();
      return c.y != 0 ? Value::of_time(c.t) : Value::of_number(c.x);
    case Kind::Stddev: case Kind::Variance: {
      if (c.n < 2) return Value::null();
      double var = c.y / static_cast<double>(c.n - 1);
      return Value::of_number(s.kind == Kind::Variance ? var : std::sqrt(var));
    }
    case Kind::First: case Kind::Last:
      if (!c.ext) return Value::null();
      return ext<KeptValue>(c).v.get();
    case Kind::Distinct:
      return Value::of_number(c.ext ? static_cast<double>(ext<DistinctSet>(c).set.size()) : 0.0);
    case Kind::ApproxDistinct: return Value::of_number(c.ext ? ext<Hll>(c).hll.estimate() : 0.0);
    case Kind::Quantile:
      if (!c.ext) return Value::null();
      return Value::of_number(ext<Digest>(c).digest.quantile(s.q));
    case Kind::TopK: {
      buf = "[";
      if (c.ext) {
        auto top = ext<TopKState>(c).ss.top(s.k);
        for (size_t i = 0; i < top.size(); ++i) {
          if (i) buf += ',';
          buf += "{\"value\":";
          buf += top[i].key;
          buf += ",\"count\":";
          json::append_uint(buf, top[i].count);
          buf += '}';
        }
      }
      buf += ']';
      return Value::of_array(buf);
    }
    case Kind::Histogram: {
      buf = "[";
      if (c.ext) {
        bool first = true;
        for (const auto& [b, n] : ext<Buckets>(c).counts) {
          if (!first) buf += ',';
          first = false;
          buf += "{\"lo\":";
          if (s.bounds.empty()) {
            json::append_number(buf, static_cast<double>(b) * s.width);
            buf += ",\"hi\":";
            json::append_number(buf, static_cast<double>(b + 1) * s.width);
          } else {
            if (b == 0)
              buf += "null";
            else
              json::append_number(buf, s.bounds[static_cast<size_t>(b - 1)]);
            buf += ",\"hi\":";
            if (static_cast<size_t>(b) < s.bounds.size())
              json::append_number(buf, s.bounds[static_cast<size_t>(b)]);
            else
              buf += "null";
          }
          buf += ",\"count\":";
          json::append_uint(buf, n);
          buf += '}';
        }
      }
      buf += ']';
      return Value::of_array(buf);
    }
    case Kind::RateStar:
      return seconds > 0 ? Value::of_number(static_cast<double>(c.n) / seconds) : Value::null();
    case Kind::Rate:
      return seconds > 0 && c.n ? Value::of_number(c.x / seconds) : Value::null();
  }
  return Value::null();
}

void save(const AggSpec& s, Cell& c, std::string& out) {
  put_u64(out, c.n);
  put_f64(out, c.x);
  put_f64(out, c.y);
  put_u64(out, static_cast<uint64_t>(c.t));
  put_u64(out, c.ext ? 1 : 0);
  if (!c.ext) return;
  switch (s.kind) {
    case Kind::First: case Kind::Last: {
      std::string json;
      expr::append_json(json, ext<KeptValue>(c).v.get());
      put_bytes(out, json);
      return;
    }
    case Kind::Distinct: {
      auto& set = ext<DistinctSet>(c).set;
      put_u64(out, set.size());
      for (const auto& v : set) put_bytes(out, v);
      return;
    }
    case Kind::ApproxDistinct: ext<Hll>(c).hll.save(out); return;
    case Kind::Quantile: ext<Digest>(c).digest.save(out); return;
    case Kind::TopK: ext<TopKState>(c).ss.save(out); return;
    case Kind::Histogram: {
      auto& m = ext<Buckets>(c).counts;
      put_u64(out, m.size());
      for (const auto& [b, n] : m) put_u64(out, static_cast<uint64_t>(b)), put_u64(out, n);
      return;
    }
    default: return;
  }
}

bool load(const AggSpec& s, Cell& c, std::string_view in, size_t& pos) {
  uint64_t t, has_ext;
  if (!get_u64(in, pos, c.n) || !get_f64(in, pos, c.x) || !get_f64(in, pos, c.y) || !get_u64(in, pos, t) ||
      !get_u64(in, pos, has_ext))
    return false;
  c.t = static_cast<int64_t>(t);
  if (!has_ext) return true;
  switch (s.kind) {
    case Kind::First: case Kind::Last: {
      std::string json, storage;
      if (!get_bytes(in, pos, json)) return false;
      auto kept = std::make_unique<KeptValue>();
      kept->v = value_from_json(json, storage);
      c.ext = std::move(kept);
      return true;
    }
    case Kind::Distinct: {
      uint64_t n;
      if (!get_u64(in, pos, n)) return false;
      auto set = std::make_unique<DistinctSet>();
      for (uint64_t i = 0; i < n; ++i) {
        std::string v;
        if (!get_bytes(in, pos, v)) return false;
        set->set.insert(std::move(v));
      }
      c.ext = std::move(set);
      return true;
    }
    case Kind::ApproxDistinct: {
      auto h = std::make_unique<Hll>();
      if (!h->hll.load(in, pos)) return false;
      c.ext = std::move(h);
      return true;
    }
    case Kind::Quantile: {
      auto d = std::make_unique<Digest>();
      if (!d->digest.load(in, pos)) return false;
      c.ext = std::move(d);
      return true;
    }
    case Kind::TopK: {
      auto k = std::make_unique<TopKState>(100);
      if (!k->ss.load(in, pos)) return false;
      c.ext = std::move(k);
      return true;
    }
    case Kind::Histogram: {
      uint64_t n;
      if (!get_u64(in, pos, n)) return false;
      auto b = std::make_unique<Buckets>();
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t k, v;
        if (!get_u64(in, pos, k) || !get_u64(in, pos, v)) return false;
        b->counts[static_cast<int64_t>(k)] = v;
      }
      c.ext = std::move(b);
      return true;
    }
    default: return false;
  }
}

}  // namespace sp::agg
