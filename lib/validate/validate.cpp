#include "validate/validate.h"

#include <cstring>

#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/path.h"
#include "json/splice.h"
#include "json/writer.h"
#include "schema/normalize.h"
#include "schema/validator.h"
#include "validate/timestamp.h"

namespace sp::validate {

void add_options(cli::Program& prog, Options& o) {
  auto& app = prog.app();
  const char* g = "Schema";
  app.add_option("--schema", o.schema, "Validate each record against this JSON Schema (2020-12, or draft-07 by $schema)")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--draft", o.draft, "Force the schema draft instead of reading $schema")
      ->check(CLI::IsMember({7, 2020}).description(""))
      ->type_name("{7,2020}")
      ->default_str("from $schema")
      ->group(g);
  app.add_option("--schema-dir", o.schema_dirs, "Register the *.json schemas in DIR by their $id (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("--schema-map", o.schema_map,
                 "Resolve $ref URIs starting with PREFIX from files in DIR, as PREFIX=DIR (repeatable)")
      ->type_name("PREFIX=DIR")
      ->allow_extra_args(false)
      ->group(g);
  app.add_flag("--formats", o.formats, "Make \"format\" an assertion (date-time, email, ipv4, uuid, ...)")->group(g);
  app.add_option("--max-errors", o.max_errors, "Report at most N errors per invalid record")
      ->type_name("N")
      ->check(CLI::Range(1, 1000000).description(""))
      ->group(g);
  const char* n = "Normalization (before validation)";
  app.add_flag("--coerce", o.coerce, "Convert values to the schema's type where lossless (\"42\" -> 42)")->group(n);
  app.add_flag("--defaults", o.defaults, "Fill in the schema's default for absent properties")->group(n);
  app.add_flag("--drop-additional", o.drop_additional,
               "Remove properties the schema does not allow instead of rejecting the record")
      ->group(n);
  app.add_option("--rename", o.renames, "Rename a field before validation, as OLD=NEW (repeatable)")
      ->type_name("OLD=NEW")
      ->allow_extra_args(false)
      ->group(n);
  app.add_option("--timestamp", o.timestamps,
                 "Rewrite FIELD as RFC 3339 UTC with milliseconds (accepts RFC 3339, epoch s/ms/us, "
                 "[04/Dec/2005:04:47:44 +0000], YYYY-MM-DD HH:MM:SS) (repeatable)")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->group(n);
  app.add_option("--tz", o.tz, "Time zone of timestamps without an offset (UTC, +02:00, Europe/Berlin)")
      ->type_name("ZONE")
      ->group(n);
}

namespace {

struct Rename {
  json::FieldPath from;
  std::string to;
};

class Stage {
 public:
  Stage(cli::Program& prog, const Options& o) : prog_(prog), o_(o), ts_(o.tz) {
    auto& st = prog.stats();
    malformed_ = &st.counter("malformed", "Lines that are not well-formed JSON.");
    too_long_ = &st.counter("too_long", "Lines longer than --max-line-bytes.");
    if (!o.schema.empty()) {
      invalid_ = &st.counter("invalid", "Records that do not satisfy the schema.");
      schema::CompileOptions co;
      co.draft = o.draft;
      co.assert_formats = o.formats;
      co.schema_dirs = o.schema_dirs;
      for (const auto& m : o.schema_map) {
        size_t eq = m.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
          throw UsageError("--schema-map: expected PREFIX=DIR, got '" + m + "'");
        co.schema_map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
      }
      validator_ = schema::Validator::from_file(o.schema, co);
    } else if (o.coerce || o.defaults || o.drop_additional || o.formats) {
      throw UsageError("--coerce, --defaults, --drop-additional and --formats need --schema");
    }
    for (const auto& r : o.renames) {
      size_t eq = r.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
        throw UsageError("--rename: expected OLD=NEW, got '" + r + "'");
      renames_.push_back({json::FieldPath::parse(r.substr(0, eq)), r.substr(eq + 1)});
    }
    for (const auto& t : o.timestamps) timestamps_.push_back(json::FieldPath::parse(t));
    norm_.coerce = o.coerce;
    norm_.defaults = o.defaults;
    norm_.drop_additional = o.drop_additional;
    normalizing_ = !renames_.empty() || !timestamps_.empty() || o.coerce || o.defaults || o.drop_additional;
    if (normalizing_) normalized_ = &st.counter("normalized", "Records changed by normalization.");
  }

  void process(std::string_view source, const io::Line& line, io::Output& out) {
    auto& st = prog_.stats();
    if (line.too_long) {
      too_long_->add();
      std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                        std::to_string(prog_.options().max_line_bytes) + ")";
      prog_.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
      return;
    }
    if (!checker_.check(line.data, line.size)) {
      malformed_->add();
      prog_.reject({source, line.number, line.offset, checker_.error(), line.view(), false, line.size, {}});
      return;
    }
    std::string_view record = line.view();
    // End-to-end positions ("_sp") are not part of the record: they are set aside while it is
    // checked (a schema with additionalProperties: false must not see them) and put back.
    std::string_view positions;
    if ((normalizing_ || !validator_.empty()) && memmem(line.data, line.size, "\"_sp\"", 5) != nullptr &&
        json::strip_member(record, "\"_sp\"", members_, unmarked_, positions)) {
      record = unmarked_;
      reparse(unmarked_);
    }
    if (normalizing_) {
      if (!normalize(source, line, record)) return;
      if (!edited_.empty()) {
        record = edited_;
        normalized_->add();
        // Validate what will be written: parse the spliced text again.
        if (!reparse(edited_)) {
          reject_invalid(source, line, "normalization produced invalid JSON: " + checker_.error());
          return;
        }
      }
    }
    if (!validator_.empty()) {
      if (!checker_.has_document()) {
        reject_invalid(source, line, "a number is too large to check against the schema");
        return;
      }
      if (!validator_.is_valid(checker_.document())) {
        errors_.clear();
        validator_.validate(checker_.document(), errors_, o_.max_errors);
        reject_schema(source, line);
        return;
      }
    }
    if (!positions.empty()) {
      if (record.data() == unmarked_.data()) {
        record = line.view();  // unchanged: the original bytes
      } else {
        marked_.assign(record.substr(0, record.rfind('}')));
        if (marked_[marked_.find_last_not_of(" \t\r\n")] != '{') marked_ += ',';
        (marked_ += "\"_sp\":").append(positions) += '}';
        record = marked_;
      }
    }
    out.write_line(record);
    st.records_out.add();
  }

 private:
  // Fills edited_ with the normalized record (empty when nothing changed); false if rejected.
  // Renames apply first, so that --timestamp and the schema see the new names.
  bool normalize(std::string_view source, const io::Line& line, std::string_view text) {
    edited_.clear();
    if (!checker_.has_document()) return true;
    splicer_.clear();
    for (const auto& r : renames_)
      if (r.from.find(checker_.document()).error() == simdjson::SUCCESS) splicer_.rename(r.from, r.to);
    if (!splicer_.empty()) {
      renamed_.clear();
      if (splicer_.apply(text, renamed_)) {
        reparse(renamed_);
        text = renamed_;
      }
    }
    simdjson::dom::element doc = checker_.document();
    splicer_.clear();
    for (const auto& path : timestamps_) {
      simdjson::dom::element v;
      if (path.find(doc).get(v) != simdjson::SUCCESS) continue;  // absent: the schema decides
      std::optional<int64_t> ms;
      if (v.is_string()) ms = ts_.parse_text(std::string_view(v.get_string().value()));
      else if (v.is_number()) {
        double d = v.get_double().value();
        // Beyond about year 300,000 (in microseconds) no conversion is meaningful.
        if (d > -1e16 && d < 1e16) ms = TimestampParser::from_epoch(d);
      }
      if (!ms) {
        std::string shown;
        if (v.is_string()) json::append_string(shown, std::string_view(v.get_string().value()));
        else shown = "a " + std::string(v.is_object() ? "object" : v.is_array() ? "array" : "non-string value");
        reject_invalid(source, line, path.text() + ": cannot read " + shown + " as a timestamp");
        return false;
      }
      value_.clear();
      TimestampParser::format_rfc3339_ms(*ms, value_);
      splicer_.set(path, value_);
    }
    if (!validator_.empty() && (norm_.coerce || norm_.defaults || norm_.drop_additional)) {
      edits_.clear();
      schema::normalize(validator_, doc, norm_, edits_);
      for (const auto& e : edits_) {
        json::FieldPath p = json::FieldPath::parse(e.pointer);
        if (e.remove) splicer_.remove(p);
        else splicer_.set(p, e.value);
      }
    }
    if (splicer_.empty() || !splicer_.apply(text, edited_)) {
      edited_.clear();
      if (text.data() == renamed_.data()) edited_ = renamed_;
    }
    return true;
  }

  // Parses `text` into the checker (so its document reflects the edited record).
  bool reparse(const std::string& text) {
    padded_.assign(text.data(), text.size());
    padded_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    return checker_.check(padded_.data(), text.size());
  }

  void reject_invalid(std::string_view source, const io::Line& line, const std::string& msg) {
    if (invalid_) invalid_->add();
    prog_.reject({source, line.number, line.offset, msg, line.view(), false, line.size, {}});
  }

  void reject_schema(std::string_view source, const io::Line& line) {
    invalid_->add();
    extra_.clear();
    extra_ += ",\"errors\":[";
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (i) extra_ += ',';
      json::ObjectWriter w(extra_);
      w.str("instance_path", errors_[i].instance_path)
          .str("schema_path", errors_[i].schema_path)
          .str("keyword", errors_[i].keyword)
          .str("message", errors_[i].message);
      w.close();
    }
    extra_ += ']';
    message_ = errors_.empty() ? std::string("invalid") : schema::format_error(errors_[0]);
    if (errors_.size() > 1) message_ += " (and " + std::to_string(errors_.size() - 1) + " more)";
    prog_.reject({source, line.number, line.offset, message_, line.view(), false, line.size, extra_});
  }

  cli::Program& prog_;
  const Options& o_;
  TimestampParser ts_;
  json::WellFormedChecker checker_;
  schema::Validator validator_;
  schema::NormalizeOptions norm_;
  std::vector<Rename> renames_;
  std::vector<json::FieldPath> timestamps_;
  bool normalizing_ = false;
  json::Splicer splicer_;
  std::vector<schema::Edit> edits_;
  std::vector<schema::ValidationError> errors_;
  std::string edited_, renamed_, padded_, value_, extra_, message_, unmarked_, marked_;
  std::vector<json::MemberSpan> members_;
  cli::Counter* malformed_ = nullptr;
  cli::Counter* too_long_ = nullptr;
  cli::Counter* invalid_ = nullptr;
  cli::Counter* normalized_ = nullptr;
};

}  // namespace

int run(cli::Program& prog, const Options& o) {
  auto& opts = prog.options();
  auto& st = prog.stats();
  Stage stage(prog, o);
  auto out = prog.open_output();
  std::vector<std::string> inputs = opts.inputs.empty() ? std::vector<std::string>{"-"} : opts.inputs;
  uint64_t bytes_before = 0;

  for (const auto& path : inputs) {
    std::unique_ptr<io::LineReader> reader;
    try {
      reader = prog.open_input(path);
    } catch (const Error& e) {
      prog.input_failed(e.what());
      continue;
    }
    reader->on_refill([&] { out->flush(); });
    std::string_view source = path == "-" ? std::string_view() : std::string_view(reader->name());
    io::Line line;
    while (reader->next(line)) {
      st.records_in.add();
      st.bytes_in.set(bytes_before + reader->bytes_read());
      stage.process(source, line, *out);
    }
    bytes_before += reader->bytes_read();
    st.bytes_in.set(bytes_before);
    st.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  out->close();
  st.bytes_out.set(out->bytes_written());
  return prog.finish();
}

}  // namespace sp::validate
