// The dashboard's files, embedded into the program at build time (cmake/embed.cmake writes
// web_assets.cpp from web/ and uPlot from web/node_modules).
#pragma once
#include <string_view>

namespace sp::serve::assets {

// The bytes of an embedded file by its name ("index.html", "uPlot.iife.min.js"); empty when
// there is no such file.
std::string_view get(std::string_view name);

}  // namespace sp::serve::assets
