#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "io/error.h"
#include "io/output.h"
#include "io/source.h"
#include "test_support.h"

using sp::io::Compression;
using sp::io::Output;
using sp::io::OutputOptions;
using sp::test::TempFile;

namespace {

std::string lines(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "{\"n\":" + std::to_string(i) + ",\"s\":\"" + std::string(i % 97, 'x') + "\"}\n";
  return out;
}

// Decompresses what a still-open zstd writer has flushed so far (the frame is not finished).
std::string zstd_prefix(const std::string& bytes) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  std::string out;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  while (true) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    size_t ret = ZSTD_decompressStream(ds, &o, &in);
    if (ZSTD_isError(ret)) {
      out = std::string("<error> ") + ZSTD_getErrorName(ret);
      break;
    }
    out.append(buf.data(), o.pos);
    if (o.pos < o.size && in.pos == in.size) break;
  }
  ZSTD_freeDStream(ds);
  return out;
}

size_t open_fds() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const sp::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("output buffers writes until flush and close", "[io][output]") {
  TempFile f("out.ndjson");
  auto out = Output::open(f.path());
  CHECK(out->name() == f.path());
  out->write_line("{\"a\":1}");
  out->write("{\"b\":");
  out->write(std::string_view("2}\n"));
  out->write("xyz", 0);
  CHECK(sp::test::read_file(f.path()).empty());  // still in the buffer
  out->flush();
  CHECK(sp::test::read_file(f.path()) == "{\"a\":1}\n{\"b\":2}\n");
  CHECK(out->bytes_written() == 16);
  out->write_line("{\"c\":3}");
  out->close();
  CHECK(sp::test::read_file(f.path()) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
  CHECK(out->bytes_written() == 24);
  out->close();  // twice is fine
  out->flush();  // and a flush after close does nothing
  CHECK(sp::test::read_file(f.path()) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
}

TEST_CASE("output passes writes larger than its buffer and many small ones", "[io][output]") {
  TempFile f("big.ndjson");
  std::string many = lines(20000);  // ~1.2 MB in small lines
  std::string huge(3u << 20, 'h');  // one 3 MB write
  {
    auto out = Output::open(f.path());
    size_t pos = 0;
    while (pos < many.size()) {
      size_t nl = many.find('\n', pos);
      out->write_line(std::string_view(many).substr(pos, nl - pos));
      pos = nl + 1;
    }
    out->write(huge);
    out->write_line(huge);
    out->close();
    CHECK(out->bytes_written() == many.size() + 2 * huge.size() + 1);
  }
  CHECK(sp::test::difference(sp::test::read_file(f.path()), many + huge + huge + "\n") == "");
}

TEST_CASE("output appends to files by default and truncates when asked", "[io][output]") {
  TempFile f("log.ndjson");
  sp::test::write_file(f.path(), "old\n");
  {
    auto out = Output::open(f.path());
    out->write_line("new");
  }  // the destructor closes and flushes
  CHECK(sp::test::read_file(f.path()) == "old\nnew\n");

  OutputOptions trunc;
  trunc.append = false;
  trunc.sync_on_close = true;
  {
    auto out = Output::open("file://" + f.path(), trunc);
    CHECK(out->name() == f.path());
    out->write_line("only");
    out->close();
  }
  CHECK(sp::test::read_file(f.path()) == "only\n");

  TempFile g("private.ndjson");
  OutputOptions priv;
  priv.mode = 0600;
  Output::open(g.path(), priv)->close();
  struct stat st;
  REQUIRE(stat(g.path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("output that cannot be opened throws an error naming the path", "[io][output]") {
  std::string msg = error_of([] { Output::open("/nonexistent/dir/out.ndjson"); });
  CHECK_THAT(msg, Catch::Contains("/nonexistent/dir/out.ndjson"));
  CHECK_THAT(msg, Catch::Contains("No such file or directory"));
  CHECK(Output::open("-")->name() == "stdout");
}

TEST_CASE("zstd output decompresses to the bytes written", "[io][output]") {
  std::string text = lines(30000);
  SECTION("chosen by a .zst path") {
    TempFile f("out.ndjson.zst");
    {
      auto out = Output::open(f.path());
      out->write(text);
      out->close();
      CHECK(out->bytes_written() == text.size());
    }
    std::string z = sp::test::read_file(f.path());
    CHECK(z.size() < text.size() / 4);
    CHECK(sp::test::difference(sp::test::zstd_decompress(z), text) == "");
    // Our own reader detects and reads it too.
    auto src = sp::io::open_source(f.path());
    std::string back, buf(65536, '\0');
    long r;
    while ((r = src->read(buf.data(), buf.size())) != 0)
      if (r > 0) back.append(buf.data(), static_cast<size_t>(r));
    CHECK(sp::test::difference(back, text) == "");
  }
  SECTION("chosen by Compression::kZstd, in small writes with flushes") {
    TempFile f("out.bin");
    OutputOptions o;
    o.compression = Compression::kZstd;
    o.zstd_level = 19;
    auto out = Output::open(f.path(), o);
    out->write_line("{\"first\":1}");
    out->flush();
    // A flush ends a block: what is in the file so far decompresses to what was written.
    CHECK(zstd_prefix(sp::test::read_file(f.path())) == "{\"first\":1}\n");
    out->flush();  // nothing new: no change
    for (size_t pos = 0; pos < text.size(); pos += 1000) out->write(std::string_view(text).substr(pos, 1000));
    out->close();
    CHECK(sp::test::difference(sp::test::zstd_decompress(sp::test::read_file(f.path())), "{\"first\":1}\n" + text) ==
          "");
  }
  SECTION("with nothing written") {
    TempFile f("empty.zst");
    Output::open(f.path())->close();
    std::string z = sp::test::read_file(f.path());
    CHECK_FALSE(z.empty());  // a valid, empty frame
    CHECK(sp::test::zstd_decompress(z).empty());
  }
}

TEST_CASE("writing to a pipe whose reader went away throws BrokenPipe", "[io][output]") {
  signal(SIGPIPE, SIG_IGN);
  TempFile fifo("fifo");
  REQUIRE(mkfifo(fifo.path().c_str(), 0600) == 0);
  for (Compression c : {Compression::kNone, Compression::kZstd}) {
    INFO("zstd " << (c == Compression::kZstd));
    int reader = ::open(fifo.path().c_str(), O_RDONLY | O_NONBLOCK);
    REQUIRE(reader >= 0);
    OutputOptions o;
    o.compression = c;
    auto out = Output::open(fifo.path(), o);
    out->write_line("{\"a\":1}");
    out->flush();
    char buf[64];
    CHECK(::read(reader, buf, sizeof buf) > 0);
    ::close(reader);
    out->write_line("{\"a\":2}");
    CHECK_THROWS_AS(out->flush(), sp::BrokenPipe);
    // A big write that does not fit the buffer fails the same way, from write() (zstd may
    // keep a compressible megabyte in its own buffers).
    std::string big(1u << 20, 'b');
    if (c == Compression::kNone) CHECK_THROWS_AS(out->write(big), sp::BrokenPipe);
    CHECK_THROWS_AS(out->close(), sp::BrokenPipe);
    CHECK_NOTHROW(out.reset());  // the destructor swallows it
  }
}

TEST_CASE("writing to a full device throws an error naming it", "[io][output]") {
  for (Compression c : {Compression::kNone, Compression::kZstd}) {
    INFO("zstd " << (c == Compression::kZstd));
    OutputOptions o;
    o.compression = c;
    auto out = Output::open("/dev/full", o);
    out->write_line("{\"a\":1}");
    std::string msg = error_of([&] { out->flush(); });
    CHECK_THAT(msg, Catch::Contains("/dev/full"));
    CHECK_THAT(msg, Catch::Contains("No space left"));
    CHECK_THAT(error_of([&] { out->close(); }), Catch::Contains("No space left"));
  }
}

TEST_CASE("an output whose close failed still releases its descriptor", "[io][output]") {
  size_t before = open_fds();
  {
    auto out = Output::open("/dev/full");
    out->write_line("{\"a\":1}");
    CHECK_THROWS_AS(out->close(), sp::Error);
  }
  CHECK(open_fds() == before);
  {
    OutputOptions o;
    o.compression = Compression::kZstd;
    auto out = Output::open("/dev/full", o);
    out->write_line("{\"a\":1}");
  }  // only the destructor: it may not throw, and may not leak
  CHECK(open_fds() == before);
}
