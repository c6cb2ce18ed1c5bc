// `sp`, the front door: `sp validate ...` runs `sp-validate ...`; `sp` alone lists the
// programs; `sp help validate` opens the man page.
#pragma once

namespace sp::cli {

struct ToolInfo {
  const char* name;     // "validate"
  const char* summary;  // one line
};

// Every program of the toolkit, in pipeline order. `sp` lists the ones that are installed.
extern const ToolInfo kTools[];
extern const int kToolCount;

int front_door_main(int argc, char** argv);

}  // namespace sp::cli
