#include "cli/inputs.h"

#include "io/error.h"
#include "io/stop.h"

namespace sp::cli {

void each_input(Program& prog, const std::function<bool(io::LineReader&, std::string_view source)>& read) {
  const auto& given = prog.options().inputs;
  std::vector<std::string> inputs = given.empty() ? std::vector<std::string>{"-"} : given;
  auto& st = prog.stats();
  uint64_t bytes_before = st.bytes_in.get();
  for (const auto& path : inputs) {
    std::unique_ptr<io::LineReader> reader;
    try {
      reader = prog.open_input(path);
    } catch (const Error& e) {
      prog.input_failed(e.what());
      continue;
    }
    bool more = read(*reader, path == "-" ? std::string_view() : std::string_view(reader->name()));
    bytes_before += reader->bytes_read();
    st.bytes_in.set(bytes_before);
    st.empty_lines.add(reader->empty_lines());
    if (!more || io::stop_requested()) break;
  }
}

void reject_line(Program& prog, std::string_view source, const io::Line& line, std::string_view why) {
  if (!line.too_long) {
    prog.reject({source, line.number, line.offset, why, line.view(), false, line.size, {}});
    return;
  }
  std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                    std::to_string(prog.options().max_line_bytes) + ")";
  prog.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
}

}  // namespace sp::cli
