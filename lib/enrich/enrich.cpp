#include "enrich/enrich.h"

#include <simdjson.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cstring>
#include <ctime>
#include <random>

#include "cli/signals.h"
#include "enrich/table.h"
#include "expr/evaluator.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/flatten.h"
#include "json/splice.h"
#include "json/writer.h"

namespace sp::enrich {
namespace {

// A field path as expression text: `a`.`b`[0], so that any member name reads as a name.
std::string path_expression(const std::string& text, const std::string& option) {
  json::FieldPath path;
  try {
    path = json::FieldPath::parse(text);
  } catch (const UsageError& e) {
    throw UsageError(option + ": " + e.what(), text, e.column);
  }
  if (path.empty()) throw UsageError(option + ": empty field name");
  std::string out;
  for (const auto& seg : path.segments()) {
    if (seg.index_only) {
      out += "[" + std::to_string(seg.index) + "]";
      continue;
    }
    if (seg.key.find('`') != std::string::npos)
      throw UsageError(option + ": a field name with a backtick (`) cannot be used here: " + text);
    if (!out.empty()) out += '.';
    out += "`" + seg.key + "`";
  }
  return out;
}

// The text a key is matched by: a string's content, a number's JSON text, true/false.
bool key_text(const expr::Value& v, std::string& buf, std::string_view& out) {
  switch (v.type) {
    case expr::Type::String:
      out = v.text;
      return true;
    case expr::Type::Number:
      if (v.text.empty()) {
        buf.clear();
        expr::append_number(buf, v.number);
        out = buf;
      } else {
        out = v.text;
      }
      return true;
    case expr::Type::Bool:
      out = v.boolean ? "true" : "false";
      return true;
    default:
      return false;
  }
}

// A key made of literal text and field values: user:{user_id} (a plain --on is "{FIELD}").
struct KeyTemplate {
  std::vector<std::string> literals;  // one more than roots
  std::vector<size_t> roots;
  std::vector<std::string> fields;    // for messages
  bool plain() const { return roots.size() == 1 && literals[0].empty() && literals[1].empty(); }
};

KeyTemplate compile_template(const std::string& text, expr::Program& program, const std::string& option) {
  KeyTemplate t;
  std::string lit;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string::npos) throw UsageError(option + ": '{' without '}' in the key '" + text + "'");
      std::string field = text.substr(i + 1, close - i - 1);
      t.literals.push_back(lit);
      lit.clear();
      t.roots.push_back(program.add(path_expression(field, option)));
      t.fields.push_back(field);
      i = close + 1;
    } else {
      lit += text[i++];
    }
  }
  t.literals.push_back(lit);
  if (t.roots.empty()) throw UsageError(option + ": the key '" + text + "' names no field ({field})");
  return t;
}

struct Computed {
  enum class Kind { kSet, kTime, kHost, kUuid };
  Kind kind;
  json::FieldPath path;
  bool top = false;
  std::string quoted;  // the top-level name as a JSON string
  size_t root = 0;
  std::string value;   // this record's JSON text
};

std::pair<std::string, std::string> split_assignment(const std::string& arg, const std::string& option,
                                                     const char* form) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
    throw UsageError(option + ": expected " + form + ", got '" + arg + "'");
  auto trim = [](std::string s) {
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  return {trim(arg.substr(0, eq)), trim(arg.substr(eq + 1))};
}

json::FieldPath parse_path(const std::string& text, const std::string& option) {
  try {
    json::FieldPath p = json::FieldPath::parse(text);
    if (p.empty()) throw UsageError(option + ": empty field name");
    return p;
  } catch (const UsageError& e) {
    if (e.has_position) throw UsageError(option + ": " + e.what(), text, e.column);
    throw;
  }
}

// Processing time as RFC 3339 UTC with milliseconds; the formatted second is cached.
class Clock {
 public:
  void append(std::string& out) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != second_) {
      second_ = ts.tv_sec;
      tm t;
      gmtime_r(&ts.tv_sec, &t);
      char buf[32];
      strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
      prefix_ = buf;
    }
    char ms[8];
    snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(ts.tv_nsec / 1000000));
    out += '"';
    out += prefix_;
    out += ms;
    out += '"';
  }

 private:
  time_t second_ = -1;
  std::string prefix_;
};

// Random (version 4) UUIDs from a generator seeded by the system.
class UuidMaker {
 public:
  UuidMaker() : rng_(seed()) {}
  void append(std::string& out) {
    uint64_t hi = rng_(), lo = rng_();
    hi = (hi & ~0xF000ull) | 0x4000ull;                      // version 4
    lo = (lo & ~(3ull << 62)) | (2ull << 62);                // variant 10
    static const char* hex = "0123456789abcdef";
    char buf[38];
    size_t k = 0;
    buf[k++] = '"';
    for (int i = 0; i < 32; ++i) {
      uint64_t word = i < 16 ? hi : lo;
      int shift = 60 - 4 * (i % 16);
      if (i == 8 || i == 12 || i == 16 || i == 20) buf[k++] = '-';
      buf[k++] = hex[(word >> shift) & 0xF];
    }
    buf[k++] = '"';
    out.append(buf, k);
  }

 private:
  static uint64_t seed() {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }
  std::mt19937_64 rng_;
};

// Where to insert members into an object's text: the offset of its closing '}', and whether
// it has members already. False when the text does not look like an object.
bool object_end(std::string_view s, size_t& close, bool& empty) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  if (b - a < 2 || s[a] != '{' || s[b - 1] != '}') return false;
  close = b - 1;
  size_t i = a + 1;
  while (i < close && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  empty = i == close;
  return true;
}

// True when `needle`, a quoted member name, occurs in `hay`, which may be read up to
// `readable` bytes (a line from the LineReader has SIMDJSON_PADDING bytes after it). Sixteen
// positions at a time are filtered by the name's first and last letters (quotes are everywhere).
bool contains(std::string_view hay, size_t readable, std::string_view needle) {
#ifdef __SSE2__
  const size_t n = needle.size();
  if (n >= 3 && n <= 48 && readable >= hay.size() + 64) {
    const __m128i first = _mm_set1_epi8(needle[1]), last = _mm_set1_epi8(needle[n - 2]);
    for (size_t i = 0; i + n <= hay.size(); i += 16) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hay.data() + i + 1));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hay.data() + i + n - 2));
      unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
      size_t room = hay.size() - n - i + 1;  // candidate starts left in the text
      if (room < 16) mask &= (1u << room) - 1;
      while (mask) {
        if (memcmp(hay.data() + i + __builtin_ctz(mask), needle.data(), n) == 0) return true;
        mask &= mask - 1;
      }
    }
    return false;
  }
#endif
  (void)readable;
  return memmem(hay.data(), hay.size(), needle.data(), needle.size()) != nullptr;
}

std::string json_quoted(std::string_view name) {
  std::string q;
  json::append_string(q, name);
  return q;
}

// The row --on-miss default:JSON adds for a lookup.
Row default_row(const LookupSpec& spec, const Lookup& lookup, const std::string& json_text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json_text);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc))
    throw UsageError("--on-miss default:JSON: not JSON: " + json_text + " (quote strings: default:'\"none\"')");
  std::vector<std::string> names, values;
  if (doc.is_object()) {
    std::vector<json::MemberSpan> members;
    json::scan_object(json_text, members);
    std::string name;
    for (const auto& m : members) {
      json::unescape_string(m.key_raw, name);
      names.push_back(name);
      values.emplace_back(m.value);
    }
  } else {
    names = spec.format.fields.empty() ? lookup.value_names() : spec.format.fields;
    std::string trimmed(json_text);
    size_t a = trimmed.find_first_not_of(" \t"), b = trimmed.find_last_not_of(" \t");
    values.assign(names.size(), trimmed.substr(a, b - a + 1));
  }
  RowBuilder builder(spec.format);
  return builder.build(names, std::move(values));
}

}  // namespace

void parse_on_miss(const std::string& text, Options& o) {
  if (text == "keep") o.on_miss = OnMiss::kKeep;
  else if (text == "drop") o.on_miss = OnMiss::kDrop;
  else if (text == "dead-letter") o.on_miss = OnMiss::kDeadLetter;
  else if (text.rfind("default:", 0) == 0 && text.size() > 8) o.on_miss = OnMiss::kDefault, o.miss_default = text.substr(8);
  else throw UsageError("--on-miss: expected keep, drop, dead-letter or default:JSON, got '" + text + "'");
}

int run(cli::Program& prog, const Options& o) {
  constexpr size_t kBatch = 512;  // records per round trip to a server
  auto& opts = prog.options();
  auto& st = prog.stats();
  auto& malformed = st.counter("malformed", "Lines that could not be read as JSON where they were read.");
  auto& too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto& hits = st.counter("hits", "Lookups that found a row.");
  auto& misses = st.counter("misses", "Lookups that found no row (or had no key).");
  auto& dropped = st.counter("dropped", "Records left out by --on-miss drop.");
  auto& changed = st.counter("changed", "Records written with edits.");
  auto& reloads = st.counter("reloads", "Lookup files loaded again after a change or SIGHUP.");
  auto& reload_failures = st.counter("reload_failures", "Reloads that failed (the previous table was kept).");
  auto& eval_errors = st.counter("eval_errors", "Evaluation errors in --set (each made a value null).");

  // ---- Lookups and their keys.
  expr::Program program;
  std::vector<std::unique_ptr<Lookup>> lookups;
  std::vector<KeyTemplate> keys;
  std::vector<Row> defaults;  // one per lookup, for --on-miss default:JSON
  for (const auto& spec : o.lookups) {
    std::string option = spec.kind == LookupSpec::Kind::kIpRanges ? "--ip-ranges " + spec.source
                                                                   : "--lookup " + spec.source;
    bool templated = spec.source.rfind("redis://", 0) == 0 && spec.source.find("key=") != std::string::npos;
    if (spec.on.empty() && !templated)
      throw UsageError(option + ": which field holds the key? add --on FIELD after it");
    lookups.push_back(open_lookup(spec));
    const std::string& tmpl = lookups.back()->key_template();
    keys.push_back(compile_template(tmpl.empty() ? "{" + spec.on + "}" : tmpl, program, option));
    if (o.on_miss == OnMiss::kDefault) defaults.push_back(default_row(spec, *lookups.back(), o.miss_default));
  }

  // ---- Edits.
  std::vector<Computed> computed;
  for (const auto& s : o.sets) {
    auto [field, text] = split_assignment(s, "--set", "FIELD=EXPR");
    Computed c{Computed::Kind::kSet, parse_path(field, "--set"), false, "", 0, ""};
    c.root = program.add(text);
    computed.push_back(std::move(c));
  }
  auto add_simple = [&](const std::vector<std::string>& fields, Computed::Kind kind, const char* option) {
    for (const auto& f : fields) computed.push_back({kind, parse_path(f, option), false, "", 0, ""});
  };
  add_simple(o.add_time, Computed::Kind::kTime, "--add-time");
  add_simple(o.add_host, Computed::Kind::kHost, "--add-host");
  add_simple(o.uuid, Computed::Kind::kUuid, "--uuid");
  bool all_top = true;
  for (auto& c : computed) {
    c.top = c.path.is_top_level_key();
    if (c.top) c.quoted = json_quoted(c.path.segments()[0].key);
    all_top = all_top && c.top;
  }
  std::vector<std::pair<json::FieldPath, std::string>> renames;
  for (const auto& r : o.renames) {
    auto [from, to] = split_assignment(r, "--rename", "OLD=NEW");
    renames.emplace_back(parse_path(from, "--rename"), to);
  }
  std::vector<json::FieldPath> deletes;
  for (const auto& d : o.deletes) {
    size_t start = 0;
    while (start <= d.size()) {
      size_t comma = d.find_first_of("\"'`") != std::string::npos ? std::string::npos : d.find(',', start);
      std::string part = d.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      deletes.push_back(parse_path(part, "--delete"));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  const bool static_edits = !renames.empty() || !deletes.empty();
  const bool has_edits = !computed.empty() || static_edits || o.flatten;
  if (lookups.empty() && !has_edits)
    throw UsageError("nothing to do: give --lookup SOURCE --on FIELD, --ip-ranges FILE --on FIELD, or an edit "
                     "(--set, --rename, --delete, --flatten, --add-time, --add-host, --uuid)");
  std::string hostname;
  if (!o.add_host.empty()) {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    json::append_string(hostname, buf);
  }
  Clock clock;
  UuidMaker uuids;

  cli::install_reload_signal();
  auto refresh = [&](bool force) {
    uint64_t failures = 0;
    for (auto& l : lookups) {
      if (l->refresh(force, prog.report())) reloads.add();
      failures += l->reload_failures();
    }
    reload_failures.set(failures);
  };

  expr::Evaluator ev(program);
  simdjson::ondemand::parser parser;
  auto out = prog.open_output();
  json::Splicer splicer;
  std::vector<Match> rows;
  std::string members_object;
  std::vector<json::MemberSpan> member_spans;
  std::string member_name;
  std::string key_buf, record, flat, message;
  std::vector<std::string> number_bufs(lookups.size());
  std::vector<std::string> inputs = opts.inputs.empty() ? std::vector<std::string>{"-"} : opts.inputs;
  uint64_t bytes_before = 0, tick = 0;
  bool after_refill = false;

  // The key of lookup i for the loaded record; false when a field of it is missing or null.
  auto make_key = [&](size_t i, std::string_view& key) {
    const KeyTemplate& kt = keys[i];
    if (kt.plain()) return key_text(ev.eval(kt.roots[0]), number_bufs[i], key);
    key_buf.clear();
    for (size_t k = 0; k < kt.roots.size(); ++k) {
      key_buf += kt.literals[k];
      std::string_view part;
      if (!key_text(ev.eval(kt.roots[k]), number_bufs[i], part)) return false;
      key_buf += part;
    }
    key_buf += kt.literals.back();
    key = key_buf;
    return true;
  };

  // One record: parse, look up, edit, write (or reject).
  auto process = [&](const io::Line& line, std::string_view source) {
    if (line.too_long) {
      too_long.add();
      std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                        std::to_string(opts.max_line_bytes) + ")";
      prog.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
      return;
    }
    if (std::string deep = json::too_deep(line.view()); !deep.empty()) {
      malformed.add();
      prog.reject({source, line.number, line.offset, deep, line.view(), false, line.size, {}});
      return;
    }
    simdjson::ondemand::document doc;
    simdjson::error_code err =
        parser.iterate(simdjson::padded_string_view(line.data, line.size, line.capacity)).get(doc);
    if (!err) err = ev.load(doc);
    if (!err && program.fields().empty()) {
      simdjson::ondemand::json_type t;
      err = doc.type().get(t);
    }
    if (err) {
      malformed.add();
      prog.reject({source, line.number, line.offset, std::string("not JSON: ") + simdjson::error_message(err),
                   line.view(), false, line.size, {}});
      return;
    }

    // ---- Lookups.
    rows.clear();
    bool skip = false;
    for (size_t i = 0; i < lookups.size() && !skip; ++i) {
      const KeyTemplate& kt = keys[i];
      std::string_view key;
      bool have_key = make_key(i, key);
      Match row = have_key ? lookups[i]->find(key) : Match();
      if (row) {
        hits.add();
        rows.push_back(row);
        continue;
      }
      misses.add();
      switch (o.on_miss) {
        case OnMiss::kKeep: break;
        case OnMiss::kDrop:
          dropped.add();
          skip = true;
          break;
        case OnMiss::kDeadLetter:
          message = "no match in " + lookups[i]->name() + " for " + kt.fields[0];
          if (have_key) message += " " + json_quoted(key);
          else message += " (missing, null, or not a string or number)";
          prog.reject({source, line.number, line.offset, message, line.view(), false, line.size, {}});
          skip = true;
          break;
        case OnMiss::kDefault: rows.push_back(Match(defaults[i])); break;
      }
    }
    if (skip) return;

    // ---- Computed values.
    for (auto& c : computed) {
      c.value.clear();
      switch (c.kind) {
        case Computed::Kind::kSet: expr::append_json(c.value, ev.eval(c.root)); break;
        case Computed::Kind::kTime: clock.append(c.value); break;
        case Computed::Kind::kHost: c.value = hostname; break;
        case Computed::Kind::kUuid: uuids.append(c.value); break;
      }
    }

    // ---- Write: unchanged, appended to (the common case), or spliced.
    std::string_view text = line.view();
    bool adds = !rows.empty() || !computed.empty();
    if (adds || static_edits) {
      bool fast = !static_edits && all_top;
      size_t close = 0;
      bool empty = false;
      if (fast) fast = object_end(text, close, empty);
      if (fast) {
        for (const Match& r : rows)
          for (const auto& q : r.shape->quoted) fast = fast && !contains(text, line.capacity, q);
        for (const auto& c : computed) fast = fast && !contains(text, line.capacity, c.quoted);
      }
      record.clear();
      if (fast && !o.flatten) {
        // The common case, written straight out: the record up to its '}', the members, the rest.
        out->write(text.data(), close);
        bool first = empty;
        for (const Match& r : rows) {
          if (r.members.empty()) continue;
          if (!first) out->write(",", 1);
          first = false;
          out->write(r.members);
        }
        for (const auto& c : computed) {
          if (!first) out->write(",", 1);
          first = false;
          out->write(c.quoted);
          out->write(":", 1);
          out->write(c.value);
        }
        out->write_line(text.substr(close));
        changed.add();
        st.records_out.add();
        return;
      }
      if (fast) {
        record.append(text.data(), close);
        bool first = empty;
        for (const Match& r : rows) {
          if (r.members.empty()) continue;
          if (!first) record += ',';
          first = false;
          record += r.members;
        }
        for (const auto& c : computed) {
          if (!first) record += ',';
          first = false;
          record += c.quoted;
          record += ':';
          record += c.value;
        }
        record.append(text.data() + close, text.size() - close);
        text = record;
      } else {
        splicer.clear();
        for (const Match& r : rows) {
          members_object.assign("{");
          members_object += r.members;
          members_object += '}';
          json::scan_object(members_object, member_spans);
          for (const auto& m : member_spans) {
            json::unescape_string(m.key_raw, member_name);
            splicer.set(member_name, m.value);
          }
        }
        for (const auto& c : computed) splicer.set(c.path, c.value);
        for (const auto& [from, to] : renames) splicer.rename(from, to);
        for (const auto& d : deletes) splicer.remove(d);
        if (splicer.apply(text, record)) text = record;
        // else: not an object; written as it is
      }
    }
    if (o.flatten) {
      flat.clear();
      if (json::flatten(text, o.flatten_separator, flat)) text = flat;
    }
    if (text.data() != line.data) changed.add();
    out->write_line(text);
    st.records_out.add();
  };

  // Lookups that ask a server get the keys of a batch of records at once (one round trip),
  // before the records are processed one by one from the cache. Lines are copied into the batch.
  bool batching = false;
  for (auto& l : lookups) batching = batching || l->batches();
  struct Pending {
    size_t at;
    io::Line line;
  };
  std::string batch_text;
  std::vector<Pending> batch;
  std::vector<std::vector<std::string>> batch_keys(lookups.size());
  std::string_view batch_source;
  auto flush_batch = [&] {
    if (batch.empty()) return;
    batch_text.append(simdjson::SIMDJSON_PADDING, ' ');
    for (auto& p : batch) {
      p.line.data = batch_text.data() + p.at;
      p.line.capacity = batch_text.size() - p.at;
    }
    for (auto& k : batch_keys) k.clear();
    for (const auto& p : batch) {
      if (p.line.too_long) continue;
      simdjson::ondemand::document doc;
      if (parser.iterate(simdjson::padded_string_view(p.line.data, p.line.size, p.line.capacity)).get(doc)) continue;
      if (ev.load(doc)) continue;
      for (size_t i = 0; i < lookups.size(); ++i) {
        std::string_view key;
        if (lookups[i]->batches() && make_key(i, key)) batch_keys[i].emplace_back(key);
      }
    }
    for (size_t i = 0; i < lookups.size(); ++i)
      if (!batch_keys[i].empty()) lookups[i]->prefetch(batch_keys[i]);
    for (const auto& p : batch) process(p.line, batch_source);
    batch.clear();
    batch_text.clear();
  };

  for (const auto& path : inputs) {
    std::unique_ptr<io::LineReader> reader;
    try {
      reader = prog.open_input(path);
    } catch (const Error& e) {
      prog.input_failed(e.what());
      continue;
    }
    reader->on_refill([&] {
      flush_batch();  // the input may block: what is read so far goes out now
      out->flush();
      after_refill = true;  // the input may have waited: look at the files before the next record
    });
    std::string_view source = path == "-" ? std::string_view() : std::string_view(reader->name());
    io::Line line;
    while (reader->next(line)) {
      st.records_in.add();
      st.bytes_in.set(bytes_before + reader->bytes_read());
      if (cli::take_reload_request()) refresh(true);
      else if ((++tick & 1023) == 0 || after_refill) refresh(false);
      after_refill = false;
      if (batching) {
        batch_source = source;
        batch.push_back({batch_text.size(), line});
        batch_text.append(line.data, line.size);
        if (batch.size() >= kBatch) flush_batch();
        continue;
      }
      process(line, source);
    }
    flush_batch();
    bytes_before += reader->bytes_read();
    st.bytes_in.set(bytes_before);
    st.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  out->close();
  st.bytes_out.set(out->bytes_written());
  eval_errors.set(ev.error_count());
  if (ev.error_count())
    prog.report().warn(std::to_string(ev.error_count()) + " evaluation errors made values null (the first: " +
                       ev.first_error() + ")");
  return prog.finish();
}

}  // namespace sp::enrich
