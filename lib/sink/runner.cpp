#include "sink/runner.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/path.h"
#include "json/splice.h"
#include "sink/event_time.h"

namespace sp::sink {
namespace {

using Clock = std::chrono::steady_clock;

// SIGUSR1 interrupts a blocking read of the input when the writer gives up, so that the
// program can exit 1 at once instead of waiting for the next line.
void on_wake(int) {}
void install_wake_handler() {
  struct sigaction sa = {};
  sa.sa_handler = on_wake;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART
  sigaction(SIGUSR1, &sa, nullptr);
}

struct Shared {
  std::mutex mu;
  std::condition_variable to_writer, to_reader;
  Batch filling;
  Clock::time_point first_at;
  bool input_done = false;
  bool failed = false;
  bool reader_done = false;
  std::exception_ptr failure;
};

}  // namespace

int run(cli::Program& prog, const Options& opts, Sink& sink, DurableCallback on_durable) {
  auto& copts = prog.options();
  auto& st = prog.stats();
  auto& malformed = st.counter("malformed", "Lines that are not well-formed JSON.");
  auto& too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto& no_time = st.counter("no_time", "Records without a usable --time-field value.");
  auto& refused = st.counter("refused", "Records the destination refused (dead-lettered).");
  auto& batches = st.counter("batches", "Batches written.");
  auto& retries = st.counter("retries", "Batch writes retried after a transient failure.");
  auto& durable_records = st.counter("durable", "Records confirmed durable at the destination.");

  std::vector<std::string> inputs = copts.inputs.empty() ? std::vector<std::string>{"-"} : copts.inputs;
  std::vector<std::string> source_names;  // "" for stdin; fixed before the writer starts
  for (const auto& path : inputs) source_names.push_back(path == "-" ? std::string() : path);
  std::mutex reject_mu;
  auto reject = [&](const cli::Rejection& r) {
    std::lock_guard<std::mutex> lk(reject_mu);
    prog.reject(r);
  };

  json::FieldPath time_path;
  if (!opts.time_field.empty()) time_path = json::FieldPath::parse(opts.time_field);

  install_wake_handler();
  pthread_t main_thread = pthread_self();
  Shared sh;
  const size_t max_records = std::max<size_t>(1, opts.batch_size);
  const size_t max_bytes = std::max<size_t>(1, opts.batch_bytes);
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.flush_interval));

  // ---- writer thread: takes batches, writes them with retries, reports durability.
  std::thread writer([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::deque<DurableBatch> pending;
    std::mt19937_64 rng(std::random_device{}());
    // Runs `op` (a write, a tick, the close), retrying transient failures with backoff.
    auto with_retries = [&](const std::function<void()>& op) {
      for (int attempt = 0;; ++attempt) {
        try {
          op();
          return;
        } catch (const Transient& e) {
          // Messages name the destination once (connectors may have named it already).
          std::string what = e.what();
          std::string where = sink.describe();
          if (what.rfind(where, 0) != 0) what = where + ": " + what;
          if (attempt >= opts.retries)
            throw Error(what + "; gave up after " + std::to_string(opts.retries) +
                        (opts.retries == 1 ? " retry" : " retries"));
          retries.add();
          double wait = std::min(opts.retry_max_backoff, opts.retry_backoff * std::pow(2.0, attempt));
          // Equal jitter: half the wait, plus a random share of the other half, so that many
          // sinks restarted together do not retry in step.
          wait = wait / 2 + std::uniform_real_distribution<double>(0, wait / 2)(rng);
          if (e.retry_after >= 0) wait = std::min(e.retry_after, 3600.0);
          char buf[64];
          snprintf(buf, sizeof buf, "%.2fs", wait);
          prog.report().warn(what + "; retry " + std::to_string(attempt + 1) + "/" + std::to_string(opts.retries) +
                             " in " + buf);
          std::this_thread::sleep_for(std::chrono::duration<double>(wait));
        }
      }
    };
    try {
      sink.on_durable([&](uint64_t through) {
        while (!pending.empty() && pending.front().seq <= through) {
          durable_records.add(pending.front().records);
          if (on_durable) on_durable(pending.front());
          pending.pop_front();
        }
      });
      Batch writing;
      uint64_t seq = 0;
      auto next_tick = Clock::now() + std::chrono::seconds(1);
      while (true) {
        bool done = false;
        {
          std::unique_lock<std::mutex> lk(sh.mu);
          while (true) {
            if (sh.input_done) break;
            if (sh.filling.size() >= max_records || sh.filling.bytes() >= max_bytes) break;
            auto now = Clock::now();
            if (!sh.filling.empty() && now >= sh.first_at + interval) break;
            if (now >= next_tick) break;
            auto deadline = next_tick;
            if (!sh.filling.empty()) deadline = std::min(deadline, sh.first_at + interval);
            sh.to_writer.wait_until(lk, deadline);
          }
          auto now = Clock::now();
          bool take = sh.input_done || sh.filling.size() >= max_records || sh.filling.bytes() >= max_bytes ||
                      (!sh.filling.empty() && now >= sh.first_at + interval);
          if (take) {
            writing.swap(sh.filling);
            sh.filling.clear();
            done = sh.input_done;
            sh.to_reader.notify_all();
          }
        }
        if (!writing.empty()) {
          writing.seq = ++seq;
          DurableBatch d;
          d.seq = seq;
          d.records = writing.size();
          bool any_meta = false;
          for (size_t i = 0; i < writing.size(); ++i) any_meta |= !writing.meta(i).empty();
          if (any_meta)
            for (size_t i = 0; i < writing.size(); ++i) (d.metas += writing.meta(i)) += '\n';
          pending.push_back(std::move(d));
          with_retries([&] {
            // Refusals of an attempt that failed are forgotten with it.
            std::erase_if(writing.refused, [&](const Refusal& r) { return r.index >= writing.confirmed; });
            sink.write(writing);
          });
          std::sort(writing.refused.begin(), writing.refused.end(),
                    [](const Refusal& a, const Refusal& b) { return a.index < b.index; });
          for (const auto& r : writing.refused) {
            const auto& info = writing.info(r.index);
            refused.add();
            reject({source_names[info.source], info.line, info.offset, r.reason, writing.record(r.index), false,
                    info.size, {}});
          }
          batches.add();
          st.records_out.add(writing.size() - writing.refused.size());
          st.bytes_out.add(writing.bytes());
          if (sink.durable_on_write()) sink.mark_durable(writing.seq);
          writing.clear();
        }
        auto now = Clock::now();
        if (now >= next_tick || done) {
          with_retries([&] { sink.tick(std::chrono::system_clock::now()); });
          next_tick = now + std::chrono::seconds(1);
        }
        if (done) break;
      }
      with_retries([&] { sink.close(); });
      if (sink.durable_on_write()) sink.mark_durable(seq);
    } catch (...) {
      std::unique_lock<std::mutex> lk(sh.mu);
      sh.failure = std::current_exception();
      sh.failed = true;
      sh.to_reader.notify_all();
      lk.unlock();
      // Wake the reader if it is blocked reading input.
      io::request_stop();
      while (true) {
        lk.lock();
        bool reader_done = sh.reader_done;
        lk.unlock();
        if (reader_done) break;
        pthread_kill(main_thread, SIGUSR1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });

  // ---- reader (this thread): lines -> checked records -> the filling batch.
  json::WellFormedChecker checker;
  std::vector<json::MemberSpan> members;
  std::string stripped;
  uint64_t bytes_before = 0;
  bool stop = false;
  for (uint32_t source_index = 0; source_index < inputs.size(); ++source_index) {
    const std::string& path = inputs[source_index];
    if (stop) break;
    std::unique_ptr<io::LineReader> reader;
    try {
      reader = prog.open_input(path);
    } catch (const Error& e) {
      prog.input_failed(e.what());
      continue;
    }
    std::string_view source = source_names[source_index];
    io::Line line;
    try {
      while (reader->next(line)) {
        st.records_in.add();
        st.bytes_in.set(bytes_before + reader->bytes_read());
        if (line.too_long) {
          too_long.add();
          std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                            std::to_string(copts.max_line_bytes) + ")";
          reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
          continue;
        }
        if (!checker.check(line.data, line.size)) {
          malformed.add();
          reject({source, line.number, line.offset, checker.error(), line.view(), false, line.size, {}});
          continue;
        }
        std::string_view record = line.view();
        std::string_view meta;
        if ((!opts.keep_meta || !opts.ack.empty()) && memmem(line.data, line.size, "\"_sp\"", 5) != nullptr &&
            json::strip_member(record, "\"_sp\"", members, stripped, meta) && !opts.keep_meta)
          record = stripped;
        int64_t time_ms = kNoTime;
        if (!time_path.empty()) {
          bool ok = false;
          if (checker.has_document()) {
            simdjson::dom::element v;
            if (time_path.find(checker.document()).get(v) == simdjson::SUCCESS) {
              std::string_view s;
              double d;
              if (v.get_string().get(s) == simdjson::SUCCESS) ok = parse_rfc3339_ms(s, time_ms);
              else if (v.get_double().get(d) == simdjson::SUCCESS) ok = true, time_ms = epoch_number_to_ms(d);
            }
          }
          if (!ok) {
            no_time.add();
            reject({source, line.number, line.offset, "no usable event time in field '" + opts.time_field + "'",
                    line.view(), false, line.size, {}});
            continue;
          }
        }
        std::unique_lock<std::mutex> lk(sh.mu);
        while (!sh.failed && (sh.filling.size() >= max_records || sh.filling.bytes() >= max_bytes))
          sh.to_reader.wait(lk);
        if (sh.failed) {
          stop = true;
          break;
        }
        bool was_empty = sh.filling.empty();
        if (was_empty) sh.first_at = Clock::now();
        auto& r = sh.filling.add(record, meta);
        r.source = source_index;
        r.line = line.number;
        r.offset = line.offset;
        r.time_ms = time_ms;
        if (was_empty || sh.filling.size() >= max_records || sh.filling.bytes() >= max_bytes)
          sh.to_writer.notify_one();
      }
    } catch (const Error& e) {
      // A read error on this input (corrupt zstd...): report it, keep what was read.
      prog.input_failed(e.what());
    }
    bytes_before += reader->bytes_read();
    st.bytes_in.set(bytes_before);
    st.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  {
    std::lock_guard<std::mutex> lk(sh.mu);
    sh.input_done = true;
    sh.reader_done = true;
    sh.to_writer.notify_one();
  }
  writer.join();
  if (sh.failure) {
    try {
      std::rethrow_exception(sh.failure);
    } catch (const BrokenPipe&) {
      prog.finish();
      return cli::kExitOk;
    } catch (const UsageError& e) {
      prog.report().error(e.what());
      prog.finish();
      return cli::kExitUsage;
    } catch (const std::exception& e) {
      prog.report().error(e.what());
      prog.finish();
      return cli::kExitFailure;
    }
  }
  int status = prog.finish();
  if (sink.undelivered() > 0) {
    prog.report().error(std::to_string(sink.undelivered()) + " records could not be delivered to " + sink.describe() +
                        (prog.options().dead_letter.empty() ? "" : " (in the dead-letter output)"));
    if (status == cli::kExitOk) status = cli::kExitFailure;
  }
  return status;
}

}  // namespace sp::sink
