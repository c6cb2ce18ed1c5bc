// sp: the front door. `sp validate ...` runs sp-validate; `sp` alone lists the tools.
#include "cli/front_door.h"

int main(int argc, char** argv) { return sp::cli::front_door_main(argc, argv); }
