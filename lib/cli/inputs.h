// The loop every stage runs over its inputs, and the rejection of a line it cannot take, in one
// place: inputs in order (stdin when none is given), an input that cannot be opened reported and
// skipped, an overlong line rejected with the standard message.
#pragma once
#include <functional>
#include <string_view>

#include "cli/program.h"

namespace sp::cli {

// Opens each input in turn and calls `read` with its reader and its name for rejections (""
// for stdin); `read` returns false to stop before the next input. Afterwards the reader's
// bytes and empty lines are added to the stats.
void each_input(Program& prog, const std::function<bool(io::LineReader&, std::string_view source)>& read);

// Rejects a line: an overlong one (Line::too_long) as such, any other with `why`.
void reject_line(Program& prog, std::string_view source, const io::Line& line, std::string_view why);

}  // namespace sp::cli
