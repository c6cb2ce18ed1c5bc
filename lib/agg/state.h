// The --state file of sp-agg: open windows saved at SIGTERM or every --checkpoint-interval and
// restored at the next start. Written to FILE.tmp, fsynced and renamed, so that a crash leaves
// the previous state. Layout: "sp-agg state 1\n", the query signature, watermark, largest
// event time, then one length-prefixed record per open pane.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::agg {

class StateWriter {
 public:
  explicit StateWriter(std::string path) : path_(std::move(path)) {}
  void header(const std::string& signature, int64_t watermark, int64_t max_time);
  void pane(std::string_view bytes);
  // Writes FILE.tmp, fsyncs, renames over FILE (throws sp::Error).
  void commit();
  static void remove(const std::string& path);

 private:
  std::string path_;
  std::string data_;
};

class StateReader {
 public:
  explicit StateReader(const std::string& path);
  bool exists() const { return exists_; }
  // Throws sp::UsageError when the state belongs to another query.
  void header(const std::string& signature, int64_t& watermark, int64_t& max_time);
  bool pane(std::string_view& bytes);
  [[noreturn]] void corrupt() const;

 private:
  std::string path_;
  std::string data_;
  size_t pos_ = 0;
  bool exists_ = false;
};

}  // namespace sp::agg
