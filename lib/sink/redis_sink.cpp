#include "sink/redis_sink.h"

#include "connect/redis/client.h"
#include "connect/redis/password.h"
#include "sink/field_template.h"

namespace sp::sink {
namespace {

using connect::redis::Client;
using connect::redis::Reply;

enum class Cmd { kXadd, kSet, kHset, kPublish, kLpush };

class RedisSink : public Sink {
 public:
  RedisSink(const Endpoint& endpoint, const Options& opts) : where_(endpoint.redacted()) {
    std::string cmd = endpoint.param("cmd", "xadd");
    for (char& c : cmd) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (cmd == "xadd") cmd_ = Cmd::kXadd;
    else if (cmd == "set") cmd_ = Cmd::kSet;
    else if (cmd == "hset") cmd_ = Cmd::kHset;
    else if (cmd == "publish") cmd_ = Cmd::kPublish;
    else if (cmd == "lpush") cmd_ = Cmd::kLpush;
    else throw UsageError(where_ + ": cmd must be xadd, set, hset, publish or lpush, not '" + cmd + "'");
    if (!endpoint.has_param("key")) throw UsageError(where_ + ": key= is required (e.g. key=events or key=user:{user_id})");
    key_ = FieldTemplate(endpoint.param("key"));
    if (key_.empty()) throw UsageError(where_ + ": key= is empty");
    std::string field = endpoint.param("field", cmd_ == Cmd::kXadd ? "data" : "");
    if (!field.empty()) field_ = FieldTemplate(field);
    ttl_ = endpoint.param("ttl");
    maxlen_ = endpoint.param("maxlen");
    for (const auto* n : {&ttl_, &maxlen_})
      if (!n->empty() && n->find_first_not_of("0123456789") != std::string::npos)
        throw UsageError(where_ + ": ttl= and maxlen= take a whole number, not '" + *n + "'");
    if (!maxlen_.empty() && cmd_ != Cmd::kXadd && cmd_ != Cmd::kLpush)
      throw UsageError(where_ + ": maxlen= is for cmd=xadd and cmd=lpush");
    if (!ttl_.empty() && cmd_ == Cmd::kPublish) throw UsageError(where_ + ": ttl= does not apply to cmd=publish");
    int db = 0;
    std::string path = endpoint.path();
    if (path.size() > 1) {
      path.erase(0, 1);
      if (path.find_first_not_of("0123456789") != std::string::npos)
        throw UsageError(where_ + ": the path is the database number (redis://host:port/0)");
      db = std::stoi(path);
    }
    std::string host = endpoint.host().empty() ? "127.0.0.1" : endpoint.host();
    client_ = std::make_unique<Client>(host, endpoint.port() ? endpoint.port() : 6379, endpoint.user(),
                                       connect::redis::password_or_env(endpoint.password()), db, opts.timeout, where_);
  }

  std::string describe() const override { return where_; }

  void write(Batch& batch) override {
    client_->ensure();
    // Queue every command of the batch (one round trip), remembering how many each record has.
    commands_.assign(batch.size(), 0);
    std::string missing;
    for (size_t i = batch.confirmed; i < batch.size(); ++i) {
      std::string_view rec = batch.record(i);
      simdjson::dom::element doc;
      if (parser_.parse(rec.data(), rec.size()).get(doc) != simdjson::SUCCESS) {
        batch.refuse(i, "not valid JSON");
        continue;
      }
      key_buf_.clear();
      if (!key_.render(doc, key_buf_, missing)) {
        batch.refuse(i, "key template '" + key_.text() + "': no field '" + missing + "'");
        continue;
      }
      field_buf_.clear();
      if (!field_.empty() && !field_.render(doc, field_buf_, missing)) {
        batch.refuse(i, "field template '" + field_.text() + "': no field '" + missing + "'");
        continue;
      }
      commands_[i] = queue(doc, rec, batch, i);
    }
    // Replies, in order: a record is confirmed once all of its commands are answered.
    for (size_t i = batch.confirmed; i < batch.size(); ++i) {
      std::string error;
      for (int k = 0; k < commands_[i]; ++k) {
        Reply r = client_->reply();
        if (r.error && error.empty()) error = r.text;
      }
      if (!error.empty()) batch.refuse(i, error);
      batch.confirmed = i + 1;
    }
  }

  void close() override { client_->disconnect(); }

 private:
  int queue(simdjson::dom::element doc, std::string_view rec, Batch& batch, size_t i) {
    int n = 1;
    switch (cmd_) {
      case Cmd::kXadd:
        if (maxlen_.empty()) client_->append({"XADD", key_buf_, "*", field_buf_, rec});
        else client_->append({"XADD", key_buf_, "MAXLEN", "~", maxlen_, "*", field_buf_, rec});
        break;
      case Cmd::kSet:
        if (ttl_.empty()) client_->append({"SET", key_buf_, rec});
        else client_->append({"SET", key_buf_, rec, "EX", ttl_});
        return 1;
      case Cmd::kHset:
        if (!field_.empty()) {
          client_->append({"HSET", key_buf_, field_buf_, rec});
        } else {
          simdjson::dom::object obj;
          if (doc.get_object().get(obj) != simdjson::SUCCESS || obj.size() == 0) {
            batch.refuse(i, "cmd=hset without field= needs a non-empty JSON object");
            return 0;
          }
          args_.assign({"HSET", key_buf_});
          values_.clear();
          values_.reserve(obj.size());
          for (auto [k, v] : obj) {
            std::string_view s;
            if (v.get_string().get(s) == simdjson::SUCCESS) values_.emplace_back(s);
            else values_.push_back(simdjson::minify(v));
          }
          size_t j = 0;
          for (auto [k, v] : obj) {
            args_.push_back(k);
            args_.push_back(values_[j++]);
          }
          client_->append(args_);
        }
        break;
      case Cmd::kPublish: client_->append({"PUBLISH", key_buf_, rec}); return 1;
      case Cmd::kLpush:
        client_->append({"LPUSH", key_buf_, rec});
        if (!maxlen_.empty()) {
          std::string last = std::to_string(std::stoll(maxlen_) - 1);
          client_->append({"LTRIM", key_buf_, "0", last});
          ++n;
        }
        break;
    }
    if (!ttl_.empty()) {
      client_->append({"EXPIRE", key_buf_, ttl_});
      ++n;
    }
    return n;
  }

  std::string where_;
  Cmd cmd_ = Cmd::kXadd;
  FieldTemplate key_, field_;
  std::string ttl_, maxlen_;
  std::unique_ptr<Client> client_;
  simdjson::dom::parser parser_;
  std::string key_buf_, field_buf_;
  std::vector<int> commands_;
  std::vector<std::string_view> args_;
  std::vector<std::string> values_;
};

}  // namespace

std::unique_ptr<Sink> open_redis_sink(const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<RedisSink>(endpoint, opts);
}

}  // namespace sp::sink
