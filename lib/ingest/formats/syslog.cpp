// --format syslog: RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG") and RFC 3164
// ("<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG"), with or without the <PRI> (files written by
// syslog daemons leave it out), and with an RFC 3339 time instead of the 3164 one (rsyslog's
// high-precision file format). Fields: facility, severity (numbers, when there is a PRI), the
// time (named by --time-field, default "ts"), host, app, pid, msgid, structured_data
// ({"id":{"param":"value"}}; a repeated name gets a suffix: ip, ip_2), message. "-" (nil)
// fields are left out.
#include <vector>

#include "ingest/formats/formats.h"
#include "ingest/formats/timestamp.h"
#include "json/writer.h"

namespace sp::ingest {
namespace {

class SyslogFormat : public Format {
 public:
  explicit SyslogFormat(const FormatOptions& o)
      : time_key_(o.time_field.empty() ? "ts" : o.time_field), builder_(time_key_) {
    check_time_field("syslog", time_key_,
                     {"facility", "severity", "host", "app", "pid", "msgid", "structured_data", "message"});
    builder_.set_valid_utf8(o.valid_utf8);
  }

  bool parse(const RecordText& text, FormatState*, std::string& out, std::string_view& json,
             std::string& error) override {
    s_ = text.view();
    pos_ = 0;
    int pri = -1;
    if (!s_.empty() && s_[0] == '<') {
      size_t i = 1;
      int v = 0;
      while (i < s_.size() && i < 5 && s_[i] >= '0' && s_[i] <= '9') v = v * 10 + (s_[i++] - '0');
      if (i == 1 || i >= s_.size() || s_[i] != '>' || v > 191) return fail(error, "bad priority '<…>'");
      pri = v;
      pos_ = i + 1;
    }
    builder_.begin(out);
    if (pri >= 0) {
      builder_.raw("facility", std::to_string(pri / 8));
      builder_.raw("severity", std::to_string(pri % 8));
    }
    if (pos_ + 1 < s_.size() && s_[pos_] >= '1' && s_[pos_] <= '9' && s_[pos_ + 1] == ' ') return rfc5424(out, json, error);
    return rfc3164(out, json, error);
  }

 private:
  bool fail(std::string& error, std::string msg) {
    error = std::move(msg) + " (byte " + std::to_string(pos_ + 1) + ")";
    return false;
  }
  bool token(std::string_view& t) {
    if (pos_ >= s_.size()) return false;
    size_t sp = s_.find(' ', pos_);
    if (sp == std::string_view::npos) sp = s_.size();
    if (sp == pos_) return false;
    t = s_.substr(pos_, sp - pos_);
    pos_ = sp < s_.size() ? sp + 1 : sp;
    return true;
  }
  void optional(std::string_view key, std::string_view v, bool infer = false) {
    if (v == "-") return;
    if (infer) builder_.inferred(key, v);
    else builder_.string(key, v);
  }
  void message(std::string_view m) {
    if (m.size() >= 3 && m.substr(0, 3) == "\xEF\xBB\xBF") m.remove_prefix(3);  // BOM
    builder_.string("message", m);
  }

  bool rfc5424(std::string& out, std::string_view& json, std::string& error) {
    pos_ += 2;
    std::string_view ts, host, app, procid, msgid;
    if (!token(ts) || !token(host) || !token(app) || !token(procid) || !token(msgid))
      return fail(error, "RFC 5424: expected TIMESTAMP HOST APP PROCID MSGID");
    if (ts != "-") {
      int64_t ms;
      if (!parse_timestamp(ts, ms)) return fail(error, "RFC 5424: cannot read the time '" + std::string(ts.substr(0, 40)) + "'");
      builder_.time(time_key_, ms);
    }
    optional("host", host);
    optional("app", app);
    optional("pid", procid, true);
    optional("msgid", msgid);
    if (pos_ < s_.size() && s_[pos_] == '[') {
      if (!structured_data(error)) return false;
      builder_.raw("structured_data", sd_);
      if (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    } else if (pos_ < s_.size() && s_[pos_] == '-') {
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    } else if (pos_ < s_.size()) {
      return fail(error, "RFC 5424: expected structured data '[…]' or '-'");
    }
    if (pos_ < s_.size()) message(s_.substr(pos_));
    if (!builder_.end(error)) return false;
    json = out;
    return true;
  }

  // Member names of one object of structured data. RFC 5424 lets a param repeat in an element
  // ([origin ip="…" ip="…"]) and some senders repeat an SD-ID: as in logfmt, the later ones get
  // a suffix (ip_2, ip_3, …), so that no value is lost to a repeated JSON key.
  class Names {
   public:
    void clear() { count_ = 0; }
    std::string_view add(std::string_view raw) {
      std::string_view name = name_as_written(raw, written_);
      if (!taken(name)) return keep(name);
      for (size_t n = 2;; ++n) {
        candidate_.assign(name);
        candidate_ += '_';
        candidate_ += std::to_string(n);
        if (!taken(candidate_)) return keep(candidate_);
      }
    }

   private:
    bool taken(std::string_view name) const {
      for (size_t i = 0; i < count_; ++i)
        if (names_[i] == name) return true;
      return false;
    }
    std::string_view keep(std::string_view name) {
      if (count_ == names_.size()) names_.emplace_back();
      names_[count_].assign(name);
      return names_[count_++];
    }
    std::vector<std::string> names_;  // reused: their buffers stay between records
    size_t count_ = 0;
    std::string candidate_, written_;
  };

  // [id param="value" …][id2 …] -> {"id":{"param":"value"},"id2":{}}
  bool structured_data(std::string& error) {
    sd_.assign(1, '{');
    ids_.clear();
    bool first_elem = true;
    while (pos_ < s_.size() && s_[pos_] == '[') {
      ++pos_;
      size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != ']') ++pos_;
      if (pos_ >= s_.size() || pos_ == start) return fail(error, "RFC 5424: bad structured data element");
      if (!first_elem) sd_ += ',';
      first_elem = false;
      append(sd_, ids_.add(s_.substr(start, pos_ - start)));
      sd_ += ":{";
      params_.clear();
      bool first_param = true;
      while (pos_ < s_.size() && s_[pos_] == ' ') {
        ++pos_;
        size_t ks = pos_;
        while (pos_ < s_.size() && s_[pos_] != '=' && s_[pos_] != ']' && s_[pos_] != ' ') ++pos_;
        if (pos_ + 1 >= s_.size() || s_[pos_] != '=' || s_[pos_ + 1] != '"' || pos_ == ks)
          return fail(error, "RFC 5424: expected param=\"value\" in structured data");
        std::string_view key = s_.substr(ks, pos_ - ks);
        pos_ += 2;
        value_.clear();
        bool closed = false;
        while (pos_ < s_.size()) {
          char c = s_[pos_];
          if (c == '\\' && pos_ + 1 < s_.size() &&
              (s_[pos_ + 1] == '"' || s_[pos_ + 1] == '\\' || s_[pos_ + 1] == ']')) {
            value_ += s_[pos_ + 1];
            pos_ += 2;
            continue;
          }
          if (c == '"') {
            closed = true;
            ++pos_;
            break;
          }
          value_ += c;
          ++pos_;
        }
        if (!closed) return fail(error, "RFC 5424: unterminated structured data value");
        if (!first_param) sd_ += ',';
        first_param = false;
        append(sd_, params_.add(key));
        sd_ += ':';
        append(sd_, value_);
      }
      if (pos_ >= s_.size() || s_[pos_] != ']') return fail(error, "RFC 5424: expected ']' after structured data");
      ++pos_;
      sd_ += '}';
    }
    sd_ += '}';
    return true;
  }

  void append(std::string& out, std::string_view v) { json::append_string(out, v); }

  bool rfc3164(std::string& out, std::string_view& json, std::string& error) {
    int64_t ms;
    std::string_view rest = s_.substr(pos_);
    if (rest.size() >= 16 && rest[3] == ' ' && rest[15] == ' ' && parse_timestamp(rest.substr(0, 15), ms)) {
      pos_ += 16;
    } else {
      std::string_view ts;
      size_t save = pos_;
      if (!token(ts) || !parse_timestamp(ts, ms)) {
        pos_ = save;
        return fail(error, "expected a syslog time ('Nov 24 10:00:00' or RFC 3339)");
      }
    }
    builder_.time(time_key_, ms);
    std::string_view host;
    if (!token(host)) return fail(error, "expected the host name after the time");
    builder_.string("host", host);
    // TAG[PID]: MSG — the tag ends at '[', ':' or a space.
    size_t ts = pos_;
    while (pos_ < s_.size() && s_[pos_] != '[' && s_[pos_] != ':' && s_[pos_] != ' ') ++pos_;
    std::string_view tag = s_.substr(ts, pos_ - ts);
    std::string_view pid;
    if (pos_ < s_.size() && s_[pos_] == '[') {
      size_t close = s_.find(']', pos_);
      if (close != std::string_view::npos) {
        pid = s_.substr(pos_ + 1, close - pos_ - 1);
        pos_ = close + 1;
      }
    }
    if (pos_ < s_.size() && s_[pos_] == ':') {
      if (!tag.empty()) builder_.string("app", tag);
      if (!pid.empty()) builder_.inferred("pid", pid);
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    } else {
      pos_ = ts;  // no tag: the rest is the message
    }
    if (pos_ < s_.size()) message(s_.substr(pos_));
    if (!builder_.end(error)) return false;
    json = out;
    return true;
  }

  std::string time_key_;
  RecordBuilder builder_;
  std::string_view s_;
  size_t pos_ = 0;
  std::string sd_, value_;
  Names ids_, params_;
};

}  // namespace

std::unique_ptr<Format> make_syslog_format(const FormatOptions& o) { return std::make_unique<SyslogFormat>(o); }

}  // namespace sp::ingest
