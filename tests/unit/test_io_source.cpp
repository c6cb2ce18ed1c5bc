#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "io/error.h"
#include "io/line_reader.h"
#include "io/source.h"
#include "test_support.h"

using sp::io::ByteSource;
using sp::test::TempFile;

namespace {

// Reads everything with reads of at most `n` bytes.
std::string drain(ByteSource& src, size_t n = 1 << 16) {
  std::string out;
  std::string buf(n, '\0');
  bool within = true;
  while (true) {
    long r = src.read(buf.data(), n);
    if (r == 0) break;
    if (r < 0) continue;
    within = within && static_cast<size_t>(r) <= n;
    out.append(buf.data(), static_cast<size_t>(r));
  }
  CHECK(within);
  return out;
}

std::string read_path(const std::string& path, size_t n = 1 << 16) {
  auto src = sp::io::open_source(path);
  return drain(*src, n);
}

// The message of the sp::Error that `f` throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const sp::Error& e) {
    return e.what();
  }
  return "";
}

// Deterministic bytes that do not compress to nothing.
std::string noisy(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>('a' + (x >> 16) % 26);
  }
  for (size_t i = 80; i < n; i += 81) s[i] = '\n';
  return s;
}

}  // namespace

TEST_CASE("plain files are read back unchanged", "[io][source]") {
  TempFile f("plain.ndjson");
  std::string text = sp::test::ndjson_lines(1000);
  sp::test::write_file(f.path(), text);
  CHECK(sp::test::difference(read_path(f.path()), text) == "");
  CHECK(sp::test::difference(read_path("file://" + f.path()), text) == "");
  CHECK(sp::io::open_source(f.path())->name() == f.path());

  TempFile empty("empty");
  sp::test::write_file(empty.path(), "");
  CHECK(read_path(empty.path()).empty());

  // Short files that begin like a magic number but are not one.
  TempFile shortf("short");
  for (std::string s : {std::string("\x1f"), std::string("\x28\xb5"), std::string("\x28\xb5\x2f"), std::string("{}\n"),
                        std::string("\x28\xb5\x2f\x00x", 5)}) {
    sp::test::write_file(shortf.path(), s);
    CHECK(sp::test::difference(read_path(shortf.path()), s) == "");
  }
}

TEST_CASE("zstd input is detected by its magic, not its name", "[io][source]") {
  std::string text = sp::test::ndjson_lines(20000);
  TempFile f("events.ndjson");  // no .zst suffix
  sp::test::write_file(f.path(), sp::test::zstd_compress(text));
  CHECK(sp::test::difference(read_path(f.path()), text) == "");

  // And a .zst name on plain text is read as plain text.
  TempFile g("plain.zst");
  sp::test::write_file(g.path(), text);
  CHECK(sp::test::difference(read_path(g.path()), text) == "");
}

TEST_CASE("zstd input with several frames is read whole", "[io][source]") {
  std::string a = sp::test::ndjson_lines(3000), b = noisy(300000), c = "{\"last\":true}\n";
  TempFile f("multi.zst");
  sp::test::write_file(f.path(), sp::test::zstd_compress(a) + sp::test::zstd_compress(b, 1) +
                                     sp::test::zstd_compress("") + sp::test::zstd_compress(c, 19));
  CHECK(sp::test::difference(read_path(f.path()), a + b + c) == "");
}

TEST_CASE("zstd input starting with a skippable frame (pzstd) is detected", "[io][source]") {
  std::string text = sp::test::ndjson_lines(500);
  // A skippable frame: magic 0x184D2A50..5F (little endian), 4-byte length, payload.
  std::string skippable("\x50\x2a\x4d\x18\x04\x00\x00\x00\xde\xad\xbe\xef", 12);
  TempFile f("pzstd.zst");
  sp::test::write_file(f.path(), skippable + sp::test::zstd_compress(text));
  CHECK(sp::test::difference(read_path(f.path()), text) == "");
}

TEST_CASE("gzip input is detected by its magic and concatenated members are read", "[io][source]") {
  std::string a = sp::test::ndjson_lines(5000), b = noisy(200000), c = "tail without newline";
  TempFile f("data.log");
  sp::test::write_file(f.path(), sp::test::gzip_compress(a));
  CHECK(sp::test::difference(read_path(f.path()), a) == "");

  // `cat a.gz b.gz c.gz > all.gz`
  sp::test::write_file(f.path(), sp::test::gzip_compress(a) + sp::test::gzip_compress(b, 1) +
                                     sp::test::gzip_compress("") + sp::test::gzip_compress(c, 9));
  CHECK(sp::test::difference(read_path(f.path()), a + b + c) == "");
}

TEST_CASE("compressed input is read whole with small reads", "[io][source]") {
  // A caller whose buffer is nearly full asks for a few bytes at a time; the decompressor may
  // then hold output it has not handed out yet after the last input byte was consumed.
  std::string text = noisy(100000) + sp::test::ndjson_lines(2000);
  TempFile z("small.zst"), g("small.gz");
  sp::test::write_file(z.path(), sp::test::zstd_compress(text, 19));
  sp::test::write_file(g.path(), sp::test::gzip_compress(text, 9));
  for (size_t n : {size_t(1), size_t(7), size_t(100), size_t(4096), size_t(131072)}) {
    INFO("read size " << n);
    CHECK(sp::test::difference(read_path(z.path(), n), text) == "");
    CHECK(sp::test::difference(read_path(g.path(), n), text) == "");
  }
}

TEST_CASE("compressed input feeds the line reader", "[io][source]") {
  std::string text = sp::test::ndjson_lines(30000);
  TempFile z("lines.zst"), g("lines.gz");
  sp::test::write_file(z.path(), sp::test::zstd_compress(text));
  sp::test::write_file(g.path(), sp::test::gzip_compress(text));
  for (const auto* path : {&z.path(), &g.path()}) {
    INFO(*path);
    sp::io::LineReaderOptions o;
    o.buffer_bytes = 4096;
    sp::io::LineReader r(sp::io::open_source(*path), o);
    sp::io::Line line;
    uint64_t n = 0, offset = 0;
    bool all_match = true;
    while (r.next(line)) {
      size_t nl = text.find('\n', offset);
      all_match = all_match && line.offset == offset && line.view() == std::string_view(text).substr(offset, nl - offset);
      offset = nl + 1;
      ++n;
    }
    CHECK(all_match);
    CHECK(n == 30000);
    CHECK(r.bytes_read() == text.size());  // bytes_read counts decompressed bytes
  }
}

TEST_CASE("truncated or corrupt compressed input throws an error naming the file", "[io][source]") {
  std::string text = noisy(200000);
  std::string zst = sp::test::zstd_compress(text), gz = sp::test::gzip_compress(text);
  TempFile f("broken.bin");
  auto check_fails = [&](const std::string& bytes, const char* what) {
    INFO(what);
    sp::test::write_file(f.path(), bytes);
    std::string msg = error_of([&] { read_path(f.path()); });
    CHECK_THAT(msg, Catch::Contains(f.path()));
    return msg;
  };
  CHECK_THAT(check_fails(zst.substr(0, zst.size() / 2), "zstd cut in half"), Catch::Contains("zstd"));
  CHECK_THAT(check_fails(zst.substr(0, zst.size() - 1), "zstd without its last byte"), Catch::Contains("zstd"));
  CHECK_THAT(check_fails(zst.substr(0, 6), "zstd header only"), Catch::Contains("zstd"));
  std::string bad_zst = zst;
  for (size_t i = 20; i < 60; ++i) bad_zst[i] = static_cast<char>(bad_zst[i] ^ 0x5a);
  CHECK_THAT(check_fails(bad_zst, "zstd corrupt"), Catch::Contains("zstd"));

  CHECK_THAT(check_fails(gz.substr(0, gz.size() / 2), "gzip cut in half"), Catch::Contains("gzip"));
  CHECK_THAT(check_fails(gz.substr(0, gz.size() - 4), "gzip without its trailer"), Catch::Contains("gzip"));
  CHECK_THAT(check_fails(gz.substr(0, 2), "gzip magic only"), Catch::Contains("gzip"));
  std::string bad_gz = gz;
  for (size_t i = 30; i < 80; ++i) bad_gz[i] = static_cast<char>(bad_gz[i] ^ 0x5a);
  CHECK_THAT(check_fails(bad_gz, "gzip corrupt"), Catch::Contains("gzip"));
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  CHECK_THAT(check_fails(bad_crc, "gzip wrong CRC"), Catch::Contains("gzip"));
}

TEST_CASE("a missing or unreadable file throws an error naming it", "[io][source]") {
  std::string msg = error_of([] { sp::io::open_source("/nonexistent/dir/events.ndjson"); });
  CHECK_THAT(msg, Catch::Contains("/nonexistent/dir/events.ndjson"));
  CHECK_THAT(msg, Catch::Contains("No such file or directory"));

  std::string url = error_of([] { sp::io::open_source("file:///nonexistent/x.ndjson"); });
  CHECK_THAT(url, Catch::Contains("/nonexistent/x.ndjson"));

  // A directory opens, but reading it fails with EISDIR, also naming it.
  TempFile d;
  std::string dir = error_of([&] {
    auto src = sp::io::open_source(d.dir());
    drain(*src);
  });
  CHECK_THAT(dir, Catch::Contains(d.dir()));
  CHECK_THAT(dir, Catch::Contains("Is a directory"));
}

TEST_CASE("a pipe with one short record that stays open does not block detection", "[io][source]") {
  // "[]" starts like a zstd skippable frame ('[' is 0x5B), "{}" like nothing compressed.
  std::string record = GENERATE(as<std::string>{}, "{}", "[]", "1");
  INFO(record);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::string sent = record + "\n";
  REQUIRE(::write(fds[1], sent.data(), sent.size()) == static_cast<ssize_t>(sent.size()));
  // The reader runs in a thread; if it blocks, closing the write end after the deadline
  // unblocks it so that the test fails instead of hanging.
  std::promise<std::string> got;
  auto fut = got.get_future();
  std::thread reader([&] {
    try {
      sp::io::LineReader r(sp::io::fd_source(fds[0], "pipe", true));
      sp::io::Line line;
      got.set_value(r.next(line) ? std::string(line.view()) : std::string("<eof>"));
    } catch (const std::exception& e) {
      got.set_value(std::string("<error> ") + e.what());
    }
  });
  auto status = fut.wait_for(std::chrono::seconds(5));
  bool in_time = status == std::future_status::ready;
  ::close(fds[1]);
  reader.join();
  CHECK(in_time);
  CHECK(fut.get() == record);
}

TEST_CASE("a zstd stream on a pipe is detected from bytes that arrive one at a time", "[io][source]") {
  std::string text = sp::test::ndjson_lines(100);
  std::string zst = sp::test::zstd_compress(text);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::thread writer([&] {
    for (char c : zst.substr(0, 8)) {
      if (::write(fds[1], &c, 1) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    size_t pos = 8;
    while (pos < zst.size()) {
      ssize_t w = ::write(fds[1], zst.data() + pos, zst.size() - pos);
      if (w <= 0) break;
      pos += static_cast<size_t>(w);
    }
    ::close(fds[1]);
  });
  auto src = sp::io::fd_source(fds[0], "pipe", true);
  std::string out = drain(*src);
  writer.join();
  CHECK(sp::test::difference(out, text) == "");
}
