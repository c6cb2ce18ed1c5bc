#include "json/writer.h"
#include "serve/assets.h"
#include "serve/service.h"

namespace sp::serve {
namespace {

void replace_marker(std::string& page, std::string_view marker, std::string_view with) {
  size_t at = page.find(marker);
  if (at != std::string::npos) page.replace(at, marker.size(), with);
}

void append_list(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    json::append_string(out, items[i]);
  }
  out += ']';
}

}  // namespace

std::string dashboard_page(const Config& c) {
  std::string config = "{\"key\":";
  json::append_string(config, c.key);
  config += ",\"time\":";
  json::append_string(config, c.time);
  config += ",\"title\":";
  json::append_string(config, c.title);
  config += ",\"charts\":";
  append_list(config, c.charts);
  config += ",\"gauges\":";
  append_list(config, c.gauges);
  config += '}';
  // Inside <script>, "</" could end the element early.
  for (size_t at = 0; (at = config.find("</", at)) != std::string::npos; at += 3) config.replace(at, 2, "<\\/");

  std::string page(assets::get("index.html"));
  replace_marker(page, "/*SP_UPLOT_CSS*/", assets::get("uPlot.min.css"));
  replace_marker(page, "/*SP_DASHBOARD_CSS*/", assets::get("dashboard.css"));
  replace_marker(page, "/*SP_CONFIG*/", config);
  replace_marker(page, "/*SP_UPLOT_JS*/", assets::get("uPlot.iife.min.js"));
  replace_marker(page, "/*SP_DASHBOARD_JS*/", assets::get("dashboard.js"));
  return page;
}

}  // namespace sp::serve
