#include "validate/validate.h"

#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"

namespace sp::validate {

int run(cli::Program& prog, const Options& /*opts*/) {
  auto& opts = prog.options();
  auto& st = prog.stats();
  auto& malformed = st.counter("malformed", "Lines that are not well-formed JSON.");
  auto& too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto out = prog.open_output();
  json::WellFormedChecker checker;
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
      if (line.too_long) {
        too_long.add();
        std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                          std::to_string(opts.max_line_bytes) + ")";
        prog.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
        continue;
      }
      if (checker.check(line.data, line.size)) {
        out->write_line(line.view());
        st.records_out.add();
      } else {
        malformed.add();
        prog.reject({source, line.number, line.offset, checker.error(), line.view(), false, line.size, {}});
      }
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
