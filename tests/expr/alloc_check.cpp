// sp-expr-alloc-check: evaluating numeric and boolean expressions allocates nothing per record
// once warm (string functions reuse the evaluator's scratch memory too).
//   sp-expr-alloc-check GEN_EVENTS
#include <simdjson.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "expr/evaluator.h"

static std::atomic<uint64_t> g_allocations{0};

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sp-expr-alloc-check GEN_EVENTS\n");
    return 2;
  }
  std::string cmd = std::string("python3 '") + argv[1] + "' --lines 3000 --seed 9";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return 1;
  std::vector<simdjson::padded_string> events;
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) events.emplace_back(line, static_cast<size_t>(n - 1));
  std::free(line);
  pclose(f);
  if (events.size() != 3000) return 1;

  const char* exprs[] = {
      "status >= 500 and path like '/api/%'",
      "latency_ms * 2 + bytes / 3 > 10 or status % 7 = 1",
      "ua.browser in ('Chrome', 'Edge', 'Firefox') and not (status between 300 and 399)",
      "path =~ '^/api/v\\d+/' and method != 'GET'",
      "cidr_match(ip, '10.0.0.0/8') or cidr_match(ip, '2001:db8::/32') or sample(user_id, 0.1)",
      "case when status < 300 then 1 when status < 500 then 2 else 3 end = 2",
      "coalesce(tags[0], 'none') = 'h2' and if(latency_ms > 5, true, false)",
      "time_floor(ts, 1m) < to_time('2026-11-24T00:05:00Z') and epoch_ms(ts) % 1000 < 500",
      "to_time(ts) - 5m > to_time('2026-11-23T00:00:00Z') and ts is not null",
      "abs(latency_ms - 10) < 5 and round(latency_ms, 1) > 1 and max(status, bytes) > 100",
      // Strings: produced into the reused scratch arena.
      "lower(ua.browser) = 'chrome' or concat(method, ' ', path) like 'GET /api%' or length(user_id) = 7",
      "substr(user_id, 2) > '04' and starts_with(upper(country), 'D') or to_string(status) = '200'",
  };
  int failures = 0;
  for (const char* text : exprs) {
    sp::expr::Program prog = sp::expr::Program::compile(text);
    sp::expr::Evaluator ev(prog);
    simdjson::ondemand::parser parser;
    uint64_t kept = 0, before = 0;
    for (int pass = 0; pass < 2; ++pass) {  // pass 0 warms up buffers
      if (pass == 1) before = g_allocations.load();
      for (auto& e : events) {
        simdjson::ondemand::document doc;
        if (parser.iterate(e).get(doc) || ev.load(doc)) return 1;
        kept += ev.test(0);
      }
    }
    uint64_t allocs = g_allocations.load() - before;
    std::printf("%-100s kept %5lu  allocations %lu\n", text, static_cast<unsigned long>(kept / 2),
                static_cast<unsigned long>(allocs));
    if (allocs != 0 || ev.error_count() != 0) ++failures;
  }
  return failures ? 1 : 0;
}
