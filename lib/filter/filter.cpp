#include "filter/filter.h"

#include <simdjson.h>

#include <cstring>

#include "expr/evaluator.h"
#include "expr/functions.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/splice.h"
#include "json/writer.h"

namespace sp::filter {
namespace {

// Splits "a,b" into paths; a name with a comma needs its own --exclude with quotes: a["x,y"].
std::vector<json::FieldPath> exclude_paths(const std::vector<std::string>& args) {
  std::vector<json::FieldPath> out;
  for (const auto& arg : args) {
    bool quoted = arg.find_first_of("\"'`") != std::string::npos;
    size_t start = 0;
    while (start <= arg.size()) {
      size_t comma = quoted ? std::string::npos : arg.find(',', start);
      std::string part = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t a = part.find_first_not_of(' '), b = part.find_last_not_of(' ');
      if (a == std::string::npos) throw UsageError("--exclude: empty field name in '" + arg + "'");
      try {
        out.push_back(json::FieldPath::parse(part.substr(a, b - a + 1)));
      } catch (const UsageError& e) {
        throw UsageError(std::string("--exclude: ") + e.what(), arg, start + a + e.column);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace

int run(cli::Program& prog, const Options& o) {
  auto& opts = prog.options();
  auto& st = prog.stats();
  auto& malformed = st.counter("malformed", "Lines that could not be read as JSON where the expressions look.");
  auto& too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto& filtered = st.counter("filtered_out", "Records the condition did not keep.");
  auto& sampled = st.counter("sampled_out", "Records left out by --sample.");
  auto& eval_errors =
      st.counter("eval_errors", "Evaluation errors (type errors and the like); each made a value null.");

  if (o.sample < 0 || o.sample > 1) throw UsageError("--sample: expected a fraction between 0 and 1");
  expr::Program program;
  constexpr size_t kNone = SIZE_MAX;
  size_t where = kNone, sample_by = kNone;
  if (!o.where.empty()) {
    where = program.add(o.where);
    auto t = program.result_type(where);
    if (t && *t != expr::Type::Bool && *t != expr::Type::Null)
      throw UsageError("the filter must be a condition (true or false), but this gives a " +
                           std::string(expr::type_name(*t)),
                       o.where, 0);
  }
  std::vector<expr::SelectItem> items;
  if (!o.select.empty()) items = program.add_select(o.select);
  if (!o.sample_by.empty()) sample_by = program.add(o.sample_by);
  json::Splicer splicer;
  for (const auto& path : exclude_paths(o.exclude)) splicer.remove(path);

  // With nothing to read from the records (no condition, or a constant one, and no --select),
  // lines are not even parsed.
  const bool parse = !program.fields().empty();
  bool constant_pass = false, constant_known = false;
  if (where == kNone) {
    constant_known = constant_pass = true;
  } else if (program.is_constant(where)) {
    constant_known = true;
    constant_pass = program.root(where).value.is_true();
  }
  if (constant_known && o.invert) constant_pass = !constant_pass;

  expr::Evaluator ev(program);
  simdjson::ondemand::parser parser;
  auto out = prog.open_output();
  std::string record, spliced;
  std::vector<json::MemberSpan> members;
  std::vector<std::string> inputs = opts.inputs.empty() ? std::vector<std::string>{"-"} : opts.inputs;
  uint64_t bytes_before = 0;
  bool done = false;

  for (const auto& path : inputs) {
    if (done) break;
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
      if (line.too_long) {
        too_long.add();
        std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                          std::to_string(opts.max_line_bytes) + ")";
        prog.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
        continue;
      }
      if (parse) {
        if (std::string deep = json::too_deep(line.view()); !deep.empty()) {
          malformed.add();
          prog.reject({source, line.number, line.offset, deep, line.view(), false, line.size, {}});
          continue;
        }
        simdjson::ondemand::document doc;
        simdjson::error_code err =
            parser.iterate(simdjson::padded_string_view(line.data, line.size, line.capacity)).get(doc);
        if (!err) err = ev.load(doc);
        if (err) {
          malformed.add();
          prog.reject({source, line.number, line.offset, std::string("not JSON: ") + simdjson::error_message(err),
                       line.view(), false, line.size, {}});
          continue;
        }
      } else {
        ev.begin_record();
      }
      bool pass = constant_known ? constant_pass : ev.test(where) != o.invert;
      if (!pass) {
        filtered.add();
        eval_errors.set(ev.error_count());
        continue;
      }
      if (o.sample < 1) {
        bool keep;
        if (sample_by == kNone) {
          keep = expr::sample_bytes(line.view(), o.sample);
        } else {
          expr::Value key = ev.eval(sample_by);
          spliced.clear();
          if (key.type == expr::Type::String)
            keep = expr::sample_bytes(key.text, o.sample);
          else if (key.is_null())
            keep = false;
          else
            append_text(spliced, key), keep = expr::sample_bytes(spliced, o.sample);
        }
        if (!keep) {
          sampled.add();
          continue;
        }
      }
      std::string_view text = line.view();
      if (!items.empty()) {
        record.clear();
        record += '{';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) record += ',';
          json::append_string(record, items[i].name);
          record += ':';
          expr::append_json(record, ev.eval(items[i].root));
        }
        record += '}';
        // End-to-end positions ("_sp") go on with the projected record.
        if (memmem(line.data, line.size, "\"_sp\"", 5) != nullptr) {
          std::string_view positions = json::member_value(line.view(), "\"_sp\"", members);
          if (!positions.empty()) {
            record.pop_back();
            if (record.size() > 1) record += ',';
            (record += "\"_sp\":").append(positions) += '}';
          }
        }
        text = record;
      }
      if (!splicer.empty()) {
        spliced.clear();
        if (splicer.apply(text, spliced)) text = spliced;  // not an object: written unchanged
      }
      out->write_line(text);
      st.records_out.add();
      eval_errors.set(ev.error_count());
      if (o.limit && st.records_out.get() >= o.limit) {
        done = true;
        break;
      }
    }
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

}  // namespace sp::filter
