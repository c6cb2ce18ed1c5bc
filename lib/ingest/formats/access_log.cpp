// --format combined / common: Apache and nginx access logs.
//   common:   %h %l %u [%t] "%r" %>s %b
//   combined: common + "%{Referer}i" "%{User-agent}i"
// Fields: remote_addr, ident (only when not "-"), remote_user, the time (RFC 3339 UTC, named
// by --time-field, default "ts"), method, path, protocol (or request when the request line is
// not "METHOD PATH PROTOCOL"), status and bytes as numbers (leading zeros dropped), referer,
// user_agent; "-" is null.
// Anything after the last field (nginx configs often append more) is kept in "extra".
// This parser is hand-written for speed: it is the hot path of log shipping.
#include <cstring>

#include "ingest/formats/formats.h"
#include "ingest/formats/timestamp.h"

namespace sp::ingest {
namespace {

class AccessLogFormat : public Format {
 public:
  AccessLogFormat(const FormatOptions& o, bool combined)
      : combined_(combined), time_key_(o.time_field.empty() ? "ts" : o.time_field), builder_(time_key_) {
    check_time_field(combined ? "combined" : "common", time_key_,
                     {"remote_addr", "ident", "remote_user", "method", "path", "protocol", "request", "status",
                      "bytes", "referer", "user_agent", "extra"});
    builder_.set_valid_utf8(o.valid_utf8);
  }

  bool parse(const RecordText& text, FormatState*, std::string& out, std::string_view& json,
             std::string& error) override {
    s_ = text.view();
    pos_ = 0;
    std::string_view addr, ident, user, time, request, status, bytes, referer, agent;
    if (!token(addr) || !token(ident) || !token(user)) return fail(error, "expected 'HOST IDENT USER [TIME]'");
    if (pos_ >= s_.size() || s_[pos_] != '[') return fail(error, "expected '[' before the time");
    size_t close = s_.find(']', pos_);
    if (close == std::string_view::npos) return fail(error, "expected ']' after the time");
    time = s_.substr(pos_ + 1, close - pos_ - 1);
    pos_ = close + 1;
    int64_t ms;
    if (time == last_time_) {
      ms = last_ms_;
    } else if (parse_timestamp(time, ms)) {
      last_time_.assign(time);
      last_ms_ = ms;
    } else {
      return fail(error, "cannot read the time '" + std::string(time.substr(0, 40)) + "'");
    }
    if (!space() || !quoted(request, request_buf_)) return fail(error, "expected the quoted request line");
    if (!space() || !token(status) || !is_digits(status)) return fail(error, "expected the status code");
    if (!token(bytes) || (bytes != "-" && !is_digits(bytes))) return fail(error, "expected the response size");
    if (combined_) {
      if (!quoted(referer, referer_buf_)) return fail(error, "expected the quoted referer");
      if (!space() || !quoted(agent, agent_buf_)) return fail(error, "expected the quoted user agent");
    }
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;

    builder_.begin(out);
    builder_.string("remote_addr", addr);
    if (ident != "-") builder_.string("ident", ident);
    nullable("remote_user", user);
    builder_.time(time_key_, ms);
    std::string_view method, path, protocol;
    if (split_request(request, method, path, protocol)) {
      builder_.string("method", method);
      builder_.string("path", path);
      builder_.string("protocol", protocol);
    } else {
      builder_.string("request", request);
    }
    builder_.raw("status", strip_zeros(status));  // "000" (no response) is 0: JSON has no leading zeros
    if (bytes == "-") builder_.null("bytes");
    else builder_.raw("bytes", strip_zeros(bytes));
    if (combined_) {
      nullable("referer", referer);
      nullable("user_agent", agent);
    }
    if (pos_ < s_.size()) builder_.string("extra", s_.substr(pos_));
    builder_.end(error);
    json = out;
    return true;
  }

 private:
  bool fail(std::string& error, std::string msg) {
    error = std::move(msg) + " (byte " + std::to_string(pos_ + 1) + ")";
    return false;
  }
  // A space-terminated token; consumes the space.
  bool token(std::string_view& t) {
    size_t sp = s_.find(' ', pos_);
    if (sp == std::string_view::npos || sp == pos_) {
      if (pos_ < s_.size() && sp == std::string_view::npos) {  // last token of the line
        t = s_.substr(pos_);
        pos_ = s_.size();
        return true;
      }
      return false;
    }
    t = s_.substr(pos_, sp - pos_);
    pos_ = sp + 1;
    return true;
  }
  bool space() {
    if (pos_ < s_.size() && s_[pos_] == ' ') {
      ++pos_;
      return true;
    }
    return pos_ > 0 && s_[pos_ - 1] == ' ';  // token() already took it
  }
  // "…" with \" and \\ escapes (Apache); nginx's \xHH escapes are kept as they are.
  bool quoted(std::string_view& v, std::string& buf) {
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    size_t start = pos_ + 1, i = start;
    bool escaped = false;
    while (true) {
      size_t q = s_.find('"', i);
      if (q == std::string_view::npos) return false;
      size_t bs = 0;
      for (size_t k = q; k > start && s_[k - 1] == '\\'; --k) ++bs;
      if (bs % 2 == 0) {
        i = q;
        break;
      }
      escaped = true;
      i = q + 1;
    }
    v = s_.substr(start, i - start);
    pos_ = i + 1;
    if (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    if (escaped || v.find('\\') != std::string_view::npos) {
      buf.clear();
      for (size_t k = 0; k < v.size(); ++k) {
        if (v[k] == '\\' && k + 1 < v.size() && (v[k + 1] == '"' || v[k + 1] == '\\')) ++k;
        buf += v[k];
      }
      v = buf;
    }
    return true;
  }
  static bool is_digits(std::string_view t) {
    if (t.empty() || t.size() > 18) return false;
    for (char c : t)
      if (c < '0' || c > '9') return false;
    return true;
  }
  static std::string_view strip_zeros(std::string_view t) {
    while (t.size() > 1 && t[0] == '0') t.remove_prefix(1);
    return t;
  }
  static bool split_request(std::string_view r, std::string_view& m, std::string_view& p, std::string_view& proto) {
    size_t a = r.find(' ');
    if (a == std::string_view::npos || a == 0) return false;
    size_t b = r.rfind(' ');
    if (b == a || b + 1 >= r.size()) return false;
    m = r.substr(0, a);
    p = r.substr(a + 1, b - a - 1);
    proto = r.substr(b + 1);
    return !p.empty() && proto.rfind("HTTP/", 0) == 0;
  }
  void nullable(std::string_view key, std::string_view v) {
    if (v == "-") builder_.null(key);
    else builder_.string(key, v);
  }

  bool combined_;
  std::string time_key_;
  RecordBuilder builder_;
  std::string_view s_;
  size_t pos_ = 0;
  std::string last_time_;
  int64_t last_ms_ = 0;
  std::string request_buf_, referer_buf_, agent_buf_;
};

}  // namespace

std::unique_ptr<Format> make_access_log_format(const FormatOptions& o, bool combined) {
  return std::make_unique<AccessLogFormat>(o, combined);
}

}  // namespace sp::ingest
