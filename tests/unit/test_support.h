// Small helpers shared by the unit tests: temporary files, whole-file reads, compression.
#pragma once
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace sp::test {

// A file in a fresh temporary directory, removed (with the directory) at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& name = "data") {
    char tmpl[] = "/tmp/sp-unit-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    path_ = dir_ + "/" + name;
  }
  ~TempFile() {
    std::string cmd = "rm -rf '" + dir_ + "'";
    if (system(cmd.c_str()) != 0) {
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w <= 0) throw std::runtime_error("cannot write " + path);
    done += static_cast<size_t>(w);
  }
  ::close(fd);
}

inline std::string read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  std::string out;
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(r));
  ::close(fd);
  return out;
}

// One zstd frame holding `bytes`.
inline std::string zstd_compress(const std::string& bytes, int level = 3) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), level);
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

inline std::string zstd_decompress(const std::string& frames) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  std::string out;
  std::vector<char> buf(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in{frames.data(), frames.size(), 0};
  size_t ret = 0;
  while (in.pos < in.size || ret != 0) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    ret = ZSTD_decompressStream(ds, &o, &in);
    if (ZSTD_isError(ret)) {
      ZSTD_freeDStream(ds);
      throw std::runtime_error(ZSTD_getErrorName(ret));
    }
    out.append(buf.data(), o.pos);
    if (in.pos == in.size && o.pos < o.size && ret != 0) {
      ZSTD_freeDStream(ds);
      throw std::runtime_error("truncated zstd data");
    }
  }
  ZSTD_freeDStream(ds);
  return out;
}

// One gzip member holding `bytes`.
inline std::string gzip_compress(const std::string& bytes, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, bytes.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int ret = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (ret != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  return out;
}

// "" when `got` equals `want`, else where they part (a short message instead of megabytes).
inline std::string difference(const std::string& got, const std::string& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "sizes " + std::to_string(got.size()) + " and " + std::to_string(want.size()) + ", first difference at byte " +
         std::to_string(i);
}

// Deterministic bytes that compress well but not trivially.
inline std::string ndjson_lines(size_t count, size_t pad = 40) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    out += "{\"id\":" + std::to_string(i) + ",\"pad\":\"" + std::string(pad + i % 17, static_cast<char>('a' + i % 26)) +
           "\"}\n";
  }
  return out;
}

}  // namespace sp::test
