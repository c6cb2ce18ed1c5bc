#include <simdjson.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/line_reader.h"
#include "io/source.h"
#include "test_support.h"

using sp::io::Line;
using sp::io::LineReader;
using sp::io::LineReaderOptions;

namespace {

// Hands out `text` at most `chunk` bytes per read, so that lines straddle refills exactly
// where a test wants them to.
class ChunkedSource : public sp::io::ByteSource {
 public:
  ChunkedSource(std::string text, size_t chunk) : text_(std::move(text)), chunk_(chunk) {}
  long read(char* buf, size_t n) override {
    size_t k = std::min({n, chunk_, text_.size() - pos_});
    memcpy(buf, text_.data() + pos_, k);
    pos_ += k;
    ++reads_;
    return static_cast<long>(k);
  }
  const std::string& name() const override { return name_; }
  size_t reads_ = 0;

 private:
  std::string text_;
  size_t chunk_;
  size_t pos_ = 0;
  std::string name_ = "chunked";
};

struct Got {
  std::string text;
  uint64_t number, offset;
  bool too_long;
  uint64_t total_size;
};

std::vector<Got> read_all(LineReader& r) {
  std::vector<Got> out;
  Line line;
  while (r.next(line)) {
    // The padding promise: SIMDJSON_PADDING bytes after the line are ours to read.
    REQUIRE(line.capacity >= line.size + simdjson::SIMDJSON_PADDING);
    out.push_back({std::string(line.data, line.size), line.number, line.offset, line.too_long, line.total_size});
  }
  return out;
}

std::vector<Got> read_chunked(const std::string& text, size_t chunk, LineReaderOptions o = {}) {
  LineReader r(std::make_unique<ChunkedSource>(text, chunk), o);
  return read_all(r);
}

// What a correct reader returns for `text` with no length limit: the reference the
// buffer-juggling reader is compared with.
std::vector<Got> reference_lines(const std::string& text) {
  std::vector<Got> out;
  uint64_t number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    ++number;
    std::string s = text.substr(pos, end - pos);
    if (!s.empty() && s.back() == '\r') s.pop_back();
    if (s.find_first_not_of(" \t") != std::string::npos) out.push_back({s, number, pos, false, s.size()});
    pos = end + 1;
  }
  return out;
}

void require_same(const std::vector<Got>& got, const std::vector<Got>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("line index " << i);
    CHECK(got[i].text == want[i].text);
    CHECK(got[i].number == want[i].number);
    CHECK(got[i].offset == want[i].offset);
    CHECK(got[i].too_long == want[i].too_long);
    CHECK(got[i].total_size == want[i].total_size);
  }
}

}  // namespace

TEST_CASE("line reader splits lines with exact numbers and offsets", "[io][line_reader]") {
  std::string text = "{\"a\":1}\n[2]\n\n\"three\"\n";
  LineReader r(std::make_unique<ChunkedSource>(text, 1 << 20));
  auto lines = read_all(r);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].text == "{\"a\":1}");
  CHECK(lines[0].number == 1);
  CHECK(lines[0].offset == 0);
  CHECK(lines[1].text == "[2]");
  CHECK(lines[1].number == 2);
  CHECK(lines[1].offset == 8);
  CHECK(lines[2].text == "\"three\"");
  CHECK(lines[2].number == 4);
  CHECK(lines[2].offset == 13);
  CHECK_FALSE(lines[2].too_long);
  CHECK(r.empty_lines() == 1);
  CHECK(r.lines() == 4);
  CHECK(r.bytes_read() == text.size());
  CHECK(r.name() == "chunked");
}

TEST_CASE("line reader returns nothing for empty input", "[io][line_reader]") {
  LineReader r(std::make_unique<ChunkedSource>("", 100));
  Line line;
  CHECK_FALSE(r.next(line));
  CHECK_FALSE(r.next(line));  // stays at the end
  CHECK(r.lines() == 0);
  CHECK(r.empty_lines() == 0);
  CHECK(r.bytes_read() == 0);
}

TEST_CASE("line reader skips and counts empty and blank lines", "[io][line_reader]") {
  std::string text = "\n\n  \n\t\n \t \r\n\r\nx\n\n";
  LineReader r(std::make_unique<ChunkedSource>(text, 3));
  auto lines = read_all(r);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "x");
  CHECK(lines[0].number == 7);
  CHECK(lines[0].offset == 14);
  CHECK(r.empty_lines() == 7);
  CHECK(r.lines() == 8);

  LineReader only_blank(std::make_unique<ChunkedSource>("\n \n\t", 100));
  CHECK(read_all(only_blank).empty());
  CHECK(only_blank.empty_lines() == 3);
}

TEST_CASE("line reader strips CR of CRLF endings only", "[io][line_reader]") {
  std::string text = "{\"a\":1}\r\n\r\n{\"b\":\"x\r\"}\r\nmid\rdle\r\nlast\r";
  auto lines = read_chunked(text, 5);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text == "{\"a\":1}");
  CHECK(lines[0].total_size == 7);
  CHECK(lines[1].text == "{\"b\":\"x\r\"}");  // a CR inside a line is data
  CHECK(lines[1].number == 3);
  CHECK(lines[1].offset == 11);
  CHECK(lines[2].text == "mid\rdle");
  CHECK(lines[3].text == "last");  // a last line "…\r" without "\n"
  CHECK(lines[3].offset == 32);
}

TEST_CASE("line reader accepts a last line without newline", "[io][line_reader]") {
  auto lines = read_chunked("a\nbc", 1);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text == "bc");
  CHECK(lines[1].number == 2);
  CHECK(lines[1].offset == 2);

  auto single = read_chunked("{\"only\":true}", 4096);
  REQUIRE(single.size() == 1);
  CHECK(single[0].text == "{\"only\":true}");
  CHECK(single[0].number == 1);
}

TEST_CASE("line reader keeps NUL bytes inside lines", "[io][line_reader]") {
  const char raw[] = "a\0b\n\0\n{\"k\":\"\0\"}\n";
  std::string text(raw, sizeof raw - 1);
  auto lines = read_chunked(text, 2);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].text == std::string("a\0b", 3));
  CHECK(lines[1].text == std::string("\0", 1));
  CHECK(lines[1].number == 2);
  CHECK(lines[2].text == std::string("{\"k\":\"\0\"}", 9));
  CHECK(lines[2].offset == 6);
}

TEST_CASE("line reader splits lines across buffer refills", "[io][line_reader]") {
  // Lines from 1 byte to well over the 4096-byte buffer, delivered in reads that end
  // inside lines, inside "\r\n", and exactly on newlines.
  std::string text;
  for (size_t i = 0; i < 300; ++i) {
    size_t len = (i * 7919) % 9000 + 1;
    std::string body(len, static_cast<char>('a' + i % 26));
    text += body;
    text += i % 5 == 0 ? "\r\n" : "\n";
    if (i % 37 == 0) text += "\n";
    if (i % 41 == 0) text += "  \r\n";
  }
  text += "tail-without-newline";
  auto want = reference_lines(text);
  REQUIRE(want.size() == 301);

  LineReaderOptions o;
  o.buffer_bytes = 4096;
  for (size_t chunk : {size_t(1), size_t(7), size_t(4095), size_t(4096), size_t(4097), size_t(10000), size_t(1) << 20}) {
    if (chunk == 1 && text.size() > 2000000) continue;
    INFO("chunk " << chunk);
    LineReader r(std::make_unique<ChunkedSource>(text, chunk), o);
    require_same(read_all(r), want);
    CHECK(r.bytes_read() == text.size());
    CHECK(r.empty_lines() == 9 + 8);  // i % 37 == 0 and i % 41 == 0 for i in [0, 300)
  }
}

TEST_CASE("line reader reports an overlong line held in the buffer and reads on", "[io][line_reader]") {
  LineReaderOptions o;
  o.max_line_bytes = 100;
  o.buffer_bytes = 4096;
  o.too_long_prefix = 16;
  std::string long_line = "{\"x\":\"" + std::string(144, 'y') + "\"}";  // 152 bytes
  std::string text = "{\"a\":1}\n" + long_line + "\n{\"b\":2}\n" + std::string(100, 'z') + "\n";
  LineReader r(std::make_unique<ChunkedSource>(text, 1 << 20), o);
  auto lines = read_all(r);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text == "{\"a\":1}");
  CHECK(lines[1].too_long);
  CHECK(lines[1].number == 2);
  CHECK(lines[1].offset == 8);
  CHECK(lines[1].total_size == 152);
  CHECK(lines[1].text == long_line.substr(0, 16));
  CHECK(lines[2].text == "{\"b\":2}");
  CHECK(lines[2].number == 3);
  CHECK(lines[2].offset == 161);
  CHECK_FALSE(lines[2].too_long);
  // Exactly max_line_bytes is still accepted.
  CHECK_FALSE(lines[3].too_long);
  CHECK(lines[3].text.size() == 100);
  CHECK(lines[3].number == 4);
}

TEST_CASE("line reader reports an overlong blank line however it arrives", "[io][line_reader]") {
  // Found by fuzzing (tests/fuzz/regressions/ndjson/blank-overlong-line): a blank line over
  // the limit was skipped as empty when it fitted in the buffer, but reported as too long when
  // it came in pieces; now it is too long both ways (the limit is checked first).
  LineReaderOptions o;
  o.max_line_bytes = 16;
  o.too_long_prefix = 4;
  std::string text = "{\"a\":1}\n" + std::string(50, '\t') + "\r\n   \n{\"b\":2}\n";
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{53}, size_t{1} << 20}) {
    INFO("chunk " << chunk);
    auto lines = read_chunked(text, chunk, o);
    REQUIRE(lines.size() == 3);
    CHECK(lines[1].too_long);
    CHECK(lines[1].number == 2);
    CHECK(lines[1].total_size == 50);
    CHECK(lines[1].text == "\t\t\t\t");
    CHECK(lines[2].text == "{\"b\":2}");
    CHECK(lines[2].number == 4);
  }
}

TEST_CASE("line reader skips an overlong line that spans many refills", "[io][line_reader]") {
  LineReaderOptions o;
  o.max_line_bytes = 5000;
  o.buffer_bytes = 4096;
  o.too_long_prefix = 32;
  std::string huge(200000, 'h');
  huge[0] = '{';
  std::string exact(5000, 'e');  // at the limit: accepted
  std::string text = "first\n" + huge + "\nafter\n" + exact + "\n" + std::string(5001, 'o') + "\nend";
  for (size_t chunk : {size_t(1000), size_t(4096), size_t(65536)}) {
    INFO("chunk " << chunk);
    LineReader r(std::make_unique<ChunkedSource>(text, chunk), o);
    auto lines = read_all(r);
    REQUIRE(lines.size() == 6);
    CHECK(lines[0].text == "first");
    CHECK(lines[1].too_long);
    CHECK(lines[1].number == 2);
    CHECK(lines[1].offset == 6);
    CHECK(lines[1].total_size == 200000);
    CHECK(lines[1].text == huge.substr(0, 32));
    CHECK(lines[2].text == "after");
    CHECK(lines[2].number == 3);
    CHECK(lines[2].offset == 6 + 200001);
    CHECK_FALSE(lines[3].too_long);
    CHECK(lines[3].text == exact);
    CHECK(lines[3].offset == 6 + 200001 + 6);
    CHECK(lines[4].too_long);
    CHECK(lines[4].total_size == 5001);
    CHECK(lines[4].number == 5);
    CHECK(lines[5].text == "end");
    CHECK(lines[5].number == 6);
    CHECK(lines[5].offset == text.size() - 3);
    CHECK(r.bytes_read() == text.size());
  }
}

TEST_CASE("line reader reports an overlong last line without newline", "[io][line_reader]") {
  LineReaderOptions o;
  o.max_line_bytes = 4096;
  o.buffer_bytes = 4096;
  std::string text = "ok\n" + std::string(50000, 'q');
  LineReader r(std::make_unique<ChunkedSource>(text, 3000), o);
  auto lines = read_all(r);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].too_long);
  CHECK(lines[1].number == 2);
  CHECK(lines[1].offset == 3);
  CHECK(lines[1].total_size == 50000);
  CHECK(lines[1].text == std::string(256, 'q'));  // the default prefix
}

TEST_CASE("line reader lines can be parsed in place by simdjson", "[io][line_reader]") {
  std::string text = sp::test::ndjson_lines(2000);
  LineReaderOptions o;
  o.buffer_bytes = 4096;
  LineReader r(std::make_unique<ChunkedSource>(text, 999), o);
  simdjson::ondemand::parser parser;
  Line line;
  uint64_t n = 0;
  while (r.next(line)) {
    REQUIRE(line.capacity >= line.size + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    REQUIRE(parser.iterate(simdjson::padded_string_view(line.data, line.size, line.capacity)).get(doc) ==
            simdjson::SUCCESS);
    uint64_t id = 0;
    REQUIRE(doc["id"].get_uint64().get(id) == simdjson::SUCCESS);
    CHECK(id == n);
    ++n;
  }
  CHECK(n == 2000);
}

TEST_CASE("line reader reads a 10 MB line whole under the default 64 MiB limit", "[io][line_reader]") {
  std::string big = "{\"blob\":\"" + std::string(10u << 20, 'b') + "\"}";
  std::string text = "{\"a\":1}\n" + big + "\n{\"z\":26}\n";
  sp::test::TempFile f;
  sp::test::write_file(f.path(), text);
  LineReader r(sp::io::open_source(f.path()));
  Line line;
  REQUIRE(r.next(line));
  CHECK(line.view() == "{\"a\":1}");
  REQUIRE(r.next(line));
  CHECK_FALSE(line.too_long);
  CHECK(line.number == 2);
  CHECK(line.offset == 8);
  CHECK(line.size == big.size());
  CHECK(line.view() == big);
  CHECK(line.capacity >= line.size + simdjson::SIMDJSON_PADDING);
  REQUIRE(r.next(line));
  CHECK(line.view() == "{\"z\":26}");
  CHECK(line.offset == 8 + big.size() + 1);
  CHECK_FALSE(r.next(line));
  CHECK(r.bytes_read() == text.size());
}

TEST_CASE("line reader reads a pipe written in pieces", "[io][line_reader]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::string text = sp::test::ndjson_lines(5000);
  std::thread writer([&] {
    // Uneven pieces so that reads end mid-line.
    size_t pos = 0, step = 1;
    while (pos < text.size()) {
      size_t k = std::min(step, text.size() - pos);
      ssize_t w = ::write(fds[1], text.data() + pos, k);
      if (w <= 0) break;
      pos += static_cast<size_t>(w);
      step = step * 3 % 9973 + 1;
    }
    ::close(fds[1]);
  });
  LineReaderOptions o;
  o.buffer_bytes = 4096;
  LineReader r(sp::io::fd_source(fds[0], "pipe", true), o);
  int refills = 0;
  r.on_refill([&] { ++refills; });
  auto got = read_all(r);
  writer.join();
  require_same(got, reference_lines(text));
  CHECK(r.name() == "pipe");
  CHECK(refills > 1);
}

TEST_CASE("line reader applies the length limit to CRLF lines the same way however they arrive",
          "[io][line_reader]") {
  // The '\r' of "\r\n" is not part of the line, so a line of exactly max_line_bytes ending in
  // "\r\n" is accepted, and an overlong one reports its length without the '\r'.
  LineReaderOptions o;
  o.max_line_bytes = 5000;
  o.buffer_bytes = 4096;
  std::string at_limit(5000, 'c');
  std::string over(7000, 'd');
  std::string text = at_limit + "\r\n" + over + "\r\nnext\r\n";
  for (size_t chunk : {size_t(1), size_t(999), size_t(4096), size_t(5001), size_t(1) << 20}) {
    INFO("chunk " << chunk);
    LineReader r(std::make_unique<ChunkedSource>(text, chunk), o);
    auto lines = read_all(r);
    REQUIRE(lines.size() == 3);
    CHECK_FALSE(lines[0].too_long);
    CHECK(lines[0].text == at_limit);
    CHECK(lines[1].too_long);
    CHECK(lines[1].number == 2);
    CHECK(lines[1].offset == 5002);
    CHECK(lines[1].total_size == 7000);
    CHECK(lines[2].text == "next");
    CHECK(lines[2].offset == 5002 + 7002);
  }
}
