#include "sink/http_sink.h"

#include "connect/http/client.h"
#include "connect/http/headers.h"

namespace sp::sink {
namespace {

using connect::http::Client;
using connect::http::Response;

class HttpSink : public Sink {
 public:
  HttpSink(const std::string& url, const Endpoint& endpoint, const Options& opts)
      : url_(url), where_(endpoint.redacted()), array_(opts.http_array), client_(where_, opts.timeout) {
    client_.set_tls(opts.mqtt.cafile, opts.mqtt.cert, opts.mqtt.key);
    // The query string belongs to the server: every parameter is its, none ours.
    for (const auto& [k, v] : endpoint.params()) endpoint.param(k);
    headers_.push_back(array_ ? "Content-Type: application/json" : "Content-Type: application/x-ndjson");
    for (const auto& arg : opts.headers)
      for (const auto& [name, value] : connect::http::parse_header_arg(arg, "--header"))
        headers_.push_back(name + ": " + value);
  }

  std::string describe() const override { return where_; }

  void write(Batch& batch) override {
    std::string_view body;
    if (array_) {
      body_.clear();
      body_ += '[';
      for (size_t i = batch.confirmed; i < batch.size(); ++i) {
        if (i > batch.confirmed) body_ += ',';
        body_.append(batch.record(i));
      }
      body_ += "]\n";
      body = body_;
    } else {
      body = batch.text_from(batch.confirmed);
    }
    Response r = client_.request("POST", url_, headers_, body);
    if (r.status >= 200 && r.status < 300) {
      batch.confirmed = batch.size();
      return;
    }
    std::string what = "HTTP " + std::to_string(r.status);
    std::string text = r.body.substr(0, 500);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (r.status == 429 || r.status == 408 || r.status >= 500)
      throw Transient(what + (text.empty() ? "" : ": " + text), r.retry_after);
    if (r.status >= 400) {
      // The server will not take this batch as it is: every record goes to the dead letters
      // with the response, and the stream goes on.
      std::string reason = what + " from " + where_ + (text.empty() ? "" : ": " + text);
      for (size_t i = batch.confirmed; i < batch.size(); ++i) batch.refuse(i, reason);
      batch.confirmed = batch.size();
      return;
    }
    throw Error(where_ + ": unexpected " + what + (text.empty() ? "" : ": " + text));
  }

  void close() override {}

 private:
  std::string url_, where_;
  bool array_;
  Client client_;
  std::vector<std::string> headers_;
  std::string body_;
};

}  // namespace

std::unique_ptr<Sink> open_http_sink(const std::string& url, const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<HttpSink>(url, endpoint, opts);
}

}  // namespace sp::sink
