// Throughput of sp::schema validation including simdjson DOM parsing of each line, on one core.
// Not built by CMake; after building the project:
//   g++ -std=c++20 -O2 -Ilib tests/bench/schema_bench.cpp build/libsp.a -lsimdjson -lpcre2-8 -o /tmp/schema_bench
//   ../shared/bench/gen-events --lines 200000 > /tmp/events.ndjson
//   /tmp/schema_bench ../shared/bench/events.schema.json /tmp/events.ndjson      # parse + validate
//   /tmp/schema_bench ../shared/bench/events.schema.json /tmp/events.ndjson 1    # parse only
// Reports the best of 7 passes in CPU time (steadier than wall time on a shared machine).
#include <simdjson.h>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include "schema/validator.h"
int main(int argc, char** argv) {
  auto v = sp::schema::Validator::from_file(argv[1]);
  simdjson::padded_string buf = simdjson::padded_string::load(argv[2]).value();
  int mode = argc > 3 ? atoi(argv[3]) : 0;
  simdjson::dom::parser parser;
  size_t valid = 0, lines = 0;
  double best = 1e9;
  for (int rep = 0; rep < 7; rep++) {
  timespec a, b; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a); lines = 0; valid = 0;
  const char* p = buf.data(); const char* end = p + buf.size();
  while (p < end) {
    const char* nl = (const char*)memchr(p, '\n', end - p); if (!nl) nl = end;
    simdjson::dom::element e;
    if (!parser.parse(p, nl - p, false).get(e)) {
      if (mode == 1) valid++;
      else valid += v.is_valid(e);
    }
    lines++;
    p = nl + 1;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
  if (s < best) best = s;
  }
  printf("%zu/%zu valid, best of 7: %.1f MB/s, %.0f ns/line (CPU time)\n", valid, lines, buf.size() / best / 1e6, best * 1e9 / lines);
}
