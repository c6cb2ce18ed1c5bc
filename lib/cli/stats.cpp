#include "cli/stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "io/error.h"
#include "json/writer.h"

namespace sp::cli {

Stats::Stats(std::string program) : program_(std::move(program)), t0_(std::chrono::steady_clock::now()) {}

Stats::~Stats() {
  try {
    stop();
  } catch (...) {
  }
}

Counter& Stats::counter(const std::string& name, const std::string& help) {
  for (auto& n : extra_)
    if (n.name == name) return n.counter;
  extra_.emplace_back();
  extra_.back().name = name;
  extra_.back().help = help;
  return extra_.back().counter;
}

double Stats::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::string Stats::summary_json() const {
  std::string out;
  json::ObjectWriter w(out);
  double s = seconds();
  w.str("program", program_)
      .uinteger("records_in", records_in.get())
      .uinteger("records_out", records_out.get())
      .uinteger("rejected", rejected.get())
      .uinteger("empty_lines", empty_lines.get());
  for (const auto& n : extra_) w.uinteger(n.name, n.counter.get());
  w.uinteger("bytes_in", bytes_in.get())
      .uinteger("bytes_out", bytes_out.get())
      .num("seconds", static_cast<double>(static_cast<int64_t>(s * 1000)) / 1000)
      .num("records_per_second", s > 0 ? static_cast<double>(static_cast<int64_t>(records_in.get() / s)) : 0)
      .num("mb_per_second", s > 0 ? static_cast<double>(static_cast<int64_t>(bytes_in.get() / s / 1e4)) / 100 : 0);
  w.close();
  return out;
}

std::string Stats::prometheus_text() const {
  std::string out;
  std::string label = "{program=\"" + program_ + "\"}";
  auto metric = [&](const std::string& name, const std::string& help, const char* type, double v) {
    out += "# HELP sp_" + name + " " + help + "\n# TYPE sp_" + name + " " + type + "\nsp_" + name + label + " ";
    json::append_number(out, v);
    out += '\n';
  };
  metric("records_in_total", "Records read.", "counter", static_cast<double>(records_in.get()));
  metric("records_out_total", "Records written.", "counter", static_cast<double>(records_out.get()));
  metric("records_rejected_total", "Records rejected (dead-lettered or counted).", "counter",
         static_cast<double>(rejected.get()));
  metric("empty_lines_total", "Empty lines skipped.", "counter", static_cast<double>(empty_lines.get()));
  metric("bytes_in_total", "Bytes read.", "counter", static_cast<double>(bytes_in.get()));
  metric("bytes_out_total", "Bytes written.", "counter", static_cast<double>(bytes_out.get()));
  for (const auto& n : extra_)
    metric(n.name + "_total", n.help.empty() ? n.name : n.help, "counter", static_cast<double>(n.counter.get()));
  metric("uptime_seconds", "Seconds since the program started.", "gauge", seconds());
  return out;
}

void Stats::write_metrics_file() const {
  if (metrics_file_.empty()) return;
  std::string text = prometheus_text();
  std::string tmp = metrics_file_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = (::close(fd) == 0) && ok;
  if (ok) ::rename(tmp.c_str(), metrics_file_.c_str());
  else ::unlink(tmp.c_str());
}

void Stats::start(bool progress, const std::string& metrics_file, double metrics_interval_s) {
  progress_ = progress && isatty(2);
  metrics_file_ = metrics_file;
  metrics_interval_ = metrics_interval_s > 0.1 ? metrics_interval_s : 0.1;
  if (!metrics_file_.empty()) {
    // Fail early and clearly if the file cannot be written.
    int fd = ::open((metrics_file_ + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(metrics_file_ + ".tmp: cannot write metrics file: " + errno_text(errno));
    ::close(fd);
    write_metrics_file();
  }
  if (progress_ || !metrics_file_.empty()) thread_ = std::thread([this] { loop(); });
}

void Stats::loop() {
  auto next_metrics = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(progress_ ? 500 : 200));
    if (stopping_) break;
    auto now = std::chrono::steady_clock::now();
    if (progress_) {
      double s = seconds();
      char line[160];
      snprintf(line, sizeof line, "\r%s: %llu records in, %llu out, %llu rejected, %.1f MB/s   ", program_.c_str(),
               static_cast<unsigned long long>(records_in.get()), static_cast<unsigned long long>(records_out.get()),
               static_cast<unsigned long long>(rejected.get()), s > 0 ? bytes_in.get() / s / 1e6 : 0.0);
      if (::write(2, line, strlen(line)) < 0) progress_ = false;
    }
    if (!metrics_file_.empty() && now >= next_metrics) {
      write_metrics_file();
      next_metrics = now + std::chrono::milliseconds(static_cast<int64_t>(metrics_interval_ * 1000));
    }
  }
}

void Stats::stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (progress_ && ::write(2, "\n", 1) < 0) {
    }
  }
  write_metrics_file();
}

}  // namespace sp::cli
