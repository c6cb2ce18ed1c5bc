// Counters every program keeps, and the three ways users see them:
//   --stats               a JSON summary on stderr at exit
//   --progress            a live rate on stderr while it is a terminal
//   --metrics-file PATH   a Prometheus text file, rewritten atomically every few seconds
// Counters have one writer (the processing thread); a reporter thread only reads them, so
// increments are plain loads and stores of relaxed atomics: no locked instructions per record.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace sp::cli {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Stats {
 public:
  explicit Stats(std::string program);
  ~Stats();

  Counter records_in, records_out, rejected, empty_lines, bytes_in, bytes_out;
  // A program-specific counter (e.g. "malformed"), shown after the standard ones. The
  // reference stays valid for the life of Stats. Register before start().
  Counter& counter(const std::string& name, const std::string& help = "");

  // Starts the reporter thread when --progress (and stderr is a terminal) or --metrics-file.
  void start(bool progress, const std::string& metrics_file, double metrics_interval_s);
  // Stops the thread, writes the metrics file one last time, ends the progress line.
  void stop();
  double seconds() const;
  std::string summary_json() const;
  std::string prometheus_text() const;
  void write_metrics_file() const;

 private:
  void loop();
  struct Named {
    std::string name, help;
    Counter counter;
  };
  std::string program_;
  std::deque<Named> extra_;
  std::chrono::steady_clock::time_point t0_;
  bool progress_ = false;
  std::string metrics_file_;
  double metrics_interval_ = 5;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace sp::cli
