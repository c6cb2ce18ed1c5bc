#include "learn/features.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "io/error.h"
#include "learn/hash.h"

namespace sp::learn {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Splits `text` on `sep` outside (), [], `...` and quotes; each part with its offset, trimmed.
std::vector<std::pair<std::string_view, size_t>> split_top(std::string_view text, char sep) {
  std::vector<std::pair<std::string_view, size_t>> parts;
  int depth = 0;
  char quote = 0;
  size_t start = 0;
  auto push = [&](size_t end) {
    size_t a = start, b = end;
    while (a < b && is_space(text[a])) ++a;
    while (b > a && is_space(text[b - 1])) --b;
    parts.emplace_back(text.substr(a, b - a), a);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == '\\' && quote != '`') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '`' || c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[') ++depth;
    else if ((c == ')' || c == ']') && depth > 0) --depth;
    else if (c == sep && depth == 0) {
      push(i);
      start = i + 1;
    }
  }
  push(text.size());
  return parts;
}

[[noreturn]] void fail_at(std::string_view source, size_t column, const std::string& what) {
  throw UsageError(what, std::string(source), column);
}

json::FieldPath parse_path_at(std::string_view source, std::string_view path, size_t offset) {
  try {
    return json::FieldPath::parse(path);
  } catch (const UsageError& e) {
    fail_at(source, offset + (e.has_position ? e.column : 0), e.what());
  }
}

// A numeric string's value ("12.5"); false when it is not one.
bool parse_number(std::string_view s, double& out) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

double signed_log1p(double x) { return x < 0 ? -std::log1p(-x) : std::log1p(x); }

}  // namespace

const char* transform_name(Transform t) {
  switch (t) {
    case Transform::kAuto: return "auto";
    case Transform::kNum: return "num";
    case Transform::kLog: return "log";
    case Transform::kCat: return "cat";
  }
  return "?";
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kUnknown: return "unknown";
    case Kind::kNumeric: return "numeric";
    case Kind::kCategorical: return "categorical";
  }
  return "?";
}

uint32_t bias_hash() {
  static const uint32_t h = hash_text("^bias", 0);
  return h;
}

std::string FeatureSpec::features_text() const {
  std::string out;
  for (const auto& f : features) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::string FeatureSpec::interaction_name(size_t i) const {
  return features[interactions[i].first].name + ":" + features[interactions[i].second].name;
}

FeatureSpec parse_features(std::string_view list) {
  FeatureSpec spec;
  for (auto [item, off] : split_top(list, ',')) {
    if (item.empty()) {
      if (split_top(list, ',').size() == 1) throw UsageError("--features: no features given");
      fail_at(list, off, "--features: empty item in the feature list");
    }
    FeatureDef f;
    std::string_view path = item;
    size_t path_off = off;
    size_t open = item.find('(');
    if (open != std::string_view::npos && item.back() == ')') {
      std::string_view fn = item.substr(0, open);
      if (fn == "num") f.transform = Transform::kNum;
      else if (fn == "log") f.transform = Transform::kLog;
      else if (fn == "cat") f.transform = Transform::kCat;
      else fail_at(list, off, "--features: unknown transform '" + std::string(fn) + "' (use num, log or cat)");
      path = item.substr(open + 1, item.size() - open - 2);
      path_off = off + open + 1;
      while (!path.empty() && is_space(path.front())) { path.remove_prefix(1); ++path_off; }
      while (!path.empty() && is_space(path.back())) path.remove_suffix(1);
    }
    f.path = parse_path_at(list, path, path_off);
    f.name = f.transform == Transform::kAuto ? std::string(path)
                                              : std::string(transform_name(f.transform)) + "(" + std::string(path) + ")";
    if (f.transform == Transform::kNum || f.transform == Transform::kLog) f.kind = Kind::kNumeric;
    if (f.transform == Transform::kCat) f.kind = Kind::kCategorical;
    for (const auto& g : spec.features)
      if (g.name == f.name) fail_at(list, off, "--features: '" + f.name + "' is listed twice");
    f.hash = hash_text(f.name, 0);
    spec.features.push_back(std::move(f));
  }
  return spec;
}

void add_interactions(FeatureSpec& spec, std::string_view list) {
  auto resolve = [&](std::string_view name, size_t off) -> size_t {
    for (size_t i = 0; i < spec.features.size(); ++i)
      if (spec.features[i].name == name) return i;
    size_t found = spec.features.size(), n = 0;
    for (size_t i = 0; i < spec.features.size(); ++i)
      if (spec.features[i].path.text() == name) found = i, ++n;
    if (n == 1) return found;
    fail_at(list, off,
            "--interact: '" + std::string(name) + "' is not one of the features (" + spec.features_text() + ")");
  };
  for (auto [item, off] : split_top(list, ',')) {
    if (item.empty()) continue;
    auto parts = split_top(item, ':');
    if (parts.size() != 2 || parts[0].first.empty() || parts[1].first.empty())
      fail_at(list, off, "--interact: expected two feature names as a:b");
    size_t a = resolve(parts[0].first, off + parts[0].second);
    size_t b = resolve(parts[1].first, off + parts[1].second);
    for (auto [x, y] : spec.interactions)
      if (x == a && y == b) fail_at(list, off, "--interact: '" + std::string(item) + "' is given twice");
    spec.interactions.emplace_back(a, b);
  }
}

FeatureEncoder::FeatureEncoder(FeatureSpec& spec, RecordScanner& scanner) : spec_(spec), scanner_(scanner) {
  for (const auto& f : spec_.features) slots_.push_back(scanner_.add(f.path));
  prepared_.resize(spec_.features.size());
  ranges_.resize(spec_.features.size());
}

bool FeatureEncoder::check(std::string& error) {
  missing_ = 0;
  for (size_t i = 0; i < spec_.features.size(); ++i) {
    const FeatureDef& f = spec_.features[i];
    const SlotValue& v = scanner_.slot(slots_[i]);
    Prepared& p = prepared_[i];
    p = Prepared{};
    auto wrong = [&](const char* why) {
      error = "feature '" + f.name + "' is " + type_name(v.type) + why;
      return false;
    };
    switch (v.type) {
      case ValueType::kMissing:
      case ValueType::kNull:
        if (missing_++ == 0) first_missing_ = i;
        continue;
      case ValueType::kObject: return wrong(", expected a number, a string, a boolean or an array of them");
      default: break;
    }
    if (v.type == ValueType::kArray && v.nested) return wrong(" of arrays or objects, expected an array of scalars");
    Kind want = f.kind;
    if (f.transform == Transform::kAuto && want == Kind::kUnknown)
      want = v.type == ValueType::kNumber ? Kind::kNumeric : Kind::kCategorical;
    if (want == Kind::kCategorical) {
      if (f.transform == Transform::kAuto && v.type == ValueType::kNumber)
        return wrong(", but it was categorical before (use cat(...) or num(...) to say which)");
      p.kind = Kind::kCategorical;
      continue;
    }
    // numeric
    switch (v.type) {
      case ValueType::kNumber: p.x = v.number; break;
      case ValueType::kBool:
        if (f.transform == Transform::kAuto) return wrong(", but it was numeric before (use num(...) to count it 0/1)");
        p.x = v.boolean ? 1 : 0;
        break;
      case ValueType::kString:
        if (f.transform == Transform::kAuto) return wrong(", but it was numeric before (use cat(...) or num(...) to say which)");
        if (!parse_number(v.str, p.x)) return wrong(" that is not a number");
        break;
      default: return wrong(", expected a number");
    }
    if (f.transform == Transform::kLog) p.x = signed_log1p(p.x);
    p.kind = Kind::kNumeric;
  }
  return true;
}

uint32_t FeatureEncoder::token_hash(const FeatureDef& f, const ScalarValue& v) {
  char buf[32];
  return hash_text(v.text(buf), f.hash);
}

void FeatureEncoder::add_tokens(const FeatureDef& f, const SlotValue& v, std::vector<Feature>& out) {
  if (v.type == ValueType::kArray) {
    for (const ScalarValue& e : scanner_.elements(v))
      if (e.type != ValueType::kNull) out.push_back({token_hash(f, e), 1.0f});
  } else {
    out.push_back({token_hash(f, v), 1.0f});
  }
}

void FeatureEncoder::encode(std::vector<Feature>& out, bool learn) {
  out.clear();
  out.push_back({bias_hash(), 1.0f});
  for (size_t i = 0; i < spec_.features.size(); ++i) {
    FeatureDef& f = spec_.features[i];
    const Prepared& p = prepared_[i];
    uint32_t begin = static_cast<uint32_t>(out.size());
    if (p.kind == Kind::kNumeric) {
      double sd = std::sqrt(f.stats.variance());
      double z = sd > 0 ? (p.x - f.stats.mean) / sd : 0;  // no spread yet: no information
      z = std::clamp(z, -kClip, kClip);
      if (z != 0) out.push_back({f.hash, static_cast<float>(z)});
      if (learn) f.stats.add(p.x);
    } else if (p.kind == Kind::kCategorical) {
      add_tokens(f, scanner_.slot(slots_[i]), out);
    }
    if (learn && f.kind == Kind::kUnknown && p.kind != Kind::kUnknown) f.kind = p.kind;
    ranges_[i] = {begin, static_cast<uint32_t>(out.size())};
  }
  for (auto [a, b] : spec_.interactions) {
    auto [a0, a1] = ranges_[a];
    auto [b0, b1] = ranges_[b];
    for (uint32_t i = a0; i < a1; ++i)
      for (uint32_t j = b0; j < b1; ++j)
        out.push_back({hash_pair(out[i].hash, out[j].hash), out[i].value * out[j].value});
  }
}

}  // namespace sp::learn
