// sp-expr-bench: parse + evaluate a WHERE over NDJSON on stdin (per-line On-Demand iterate
// in one reused 4 MiB buffer, as the tools read), to measure the expression layer alone.
//   sp-expr-bench 'status >= 500' < /tmp/ev.ndjson
//   sp-expr-bench x baseline < /tmp/ev.ndjson     # doc["status"] >= 500 by hand, for comparison
#include <simdjson.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>
#include "expr/evaluator.h"
int main(int argc, char** argv) {
  const char* expr = argv[1];
  bool baseline = argc > 2 && std::strcmp(argv[2], "baseline") == 0;
  sp::expr::Program prog = sp::expr::Program::compile(expr);
  sp::expr::Evaluator ev(prog);
  size_t cap = 4 << 20;
  std::vector<char> buf(cap + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::parser parser;
  size_t have = 0, bytes = 0;
  bool eof = false;
  uint64_t lines = 0, kept = 0, bad = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (!eof) {
    ssize_t r = read(0, buf.data() + have, cap - have);
    if (r < 0) return 1;
    if (r == 0) eof = true;
    have += r;
    bytes += r;
    size_t len = have;
    if (!eof) {
      char* nl = (char*)memrchr(buf.data(), '\n', have);
      if (!nl) continue;
      len = nl - buf.data() + 1;
    }
    const char *p = buf.data(), *e = buf.data() + len;
    while (p < e) {
      const char* nl = (const char*)memchr(p, '\n', e - p);
      size_t ll = (nl ? nl : e) - p;
      if (ll) {
        ++lines;
        simdjson::ondemand::document doc;
        if (parser.iterate(simdjson::padded_string_view(p, ll, (buf.data() + cap + simdjson::SIMDJSON_PADDING) - p)).get(doc)) {
          ++bad;
        } else if (baseline) {
          int64_t st;
          if (doc["status"].get_int64().get(st)) ++bad; else kept += st >= 500;
        } else if (ev.load(doc)) {
          ++bad;
        } else {
          kept += ev.test(0);
        }
      }
      p += ll + 1;
    }
    memmove(buf.data(), buf.data() + len, have - len);
    have -= len;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fprintf(stderr, "%-45s lines=%lu kept=%lu bad=%lu errors=%lu  %.3f s  %.0f MB/s\n", baseline ? "baseline doc[\"status\"] >= 500" : expr,
          lines, kept, bad, ev.error_count(), s, bytes / s / 1e6);
}
