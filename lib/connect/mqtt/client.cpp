#include "connect/mqtt/client.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <mqtt/async_client.h>

#include "io/error.h"

namespace sp::connect::mqtt {
namespace {

namespace paho = ::mqtt;
using Clock = std::chrono::steady_clock;
constexpr int kMaxBuffered = 1 << 16;

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(std::max(0.0, seconds) * 1000));
}

// Paho's words for a failed connect, plus what a user can do about it.
std::string connect_failure(const paho::exception& e, const std::string& tls_error) {
  int rc = e.get_return_code();
  switch (rc) {
    case 1: return "the broker refused the connection: unacceptable protocol version";
    case 2: return "the broker refused the client id";
    case 3: return "the broker is unavailable";
    case 4: return "the broker refused the user name or password";
    case 5: return "the broker refused the connection: not authorized (check the user name and password)";
    default: break;
  }
  std::string what = e.get_message();
  if (what.empty()) what = e.what();
  if (!tls_error.empty()) {
    std::string tls = tls_error;
    while (!tls.empty() && isspace(static_cast<unsigned char>(tls.back()))) tls.pop_back();
    what += " (TLS: " + tls + ")";
  }
  return what;
}

bool refused_by_broker(const paho::exception& e) {
  int rc = e.get_return_code();
  return rc == 1 || rc == 2 || rc == 4 || rc == 5;
}

std::string generated_id() {
  std::mt19937_64 rng(std::random_device{}());
  char buf[64];
  snprintf(buf, sizeof buf, "sp-%d-%08llx", static_cast<int>(getpid()),
           static_cast<unsigned long long>(rng() & 0xffffffffull));
  return buf;
}

}  // namespace

std::string read_password(const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw UsageError("--password-file: cannot read " + file);
    std::string pw;
    std::getline(in, pw);
    while (!pw.empty() && (pw.back() == '\r' || pw.back() == '\n')) pw.pop_back();
    return pw;
  }
  const char* env = std::getenv("SP_MQTT_PASSWORD");
  return env ? env : "";
}

void apply_access(Settings& s, const Access& a, const std::string& uri_user, const std::string* uri_password) {
  s.user = a.user.empty() ? uri_user : a.user;
  s.password = uri_password ? *uri_password : read_password(a.password_file);
  if (!s.password.empty() && s.user.empty()) throw UsageError(s.where + ": a password needs a user name (--user)");
  s.cafile = a.cafile;
  s.cert = a.cert;
  s.key = a.key;
  if (!s.tls && (!s.cafile.empty() || !s.cert.empty() || !s.key.empty()))
    throw UsageError(s.where + ": --cafile, --cert and --key need mqtts://");
}

std::string server_uri(const Settings& s) {
  int port = s.port ? s.port : (s.tls ? 8883 : 1883);
  std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  return std::string(s.tls ? "ssl://" : "tcp://") + host + ":" + std::to_string(port);
}

struct Client::Impl {
  std::unique_ptr<paho::async_client> cli;
  paho::connect_options opts;
  std::deque<paho::delivery_token_ptr> tokens;
  size_t acked = 0;  // tokens[0, acked) are acknowledged
  bool failed = false;
  std::string error;
  std::atomic<bool> lost{false};
  std::mutex tls_mu;
  std::string tls_error;

  // subscribing
  std::vector<std::string> filters;
  int qos = 0;
  size_t capacity = 0;
  std::function<void(const std::string&)> on_event;
  std::mutex mu;
  std::condition_variable not_empty, not_full;
  std::deque<Message> queue;
  bool stopped = false;
  bool subscribed_once = false;
  std::string sub_error;

  void resubscribe() {
    try {
      auto tok = cli->subscribe(paho::string_collection::create(filters), paho::iasync_client::qos_collection(filters.size(), qos));
      (void)tok;
    } catch (const paho::exception& e) {
      std::lock_guard<std::mutex> lk(mu);
      if (sub_error.empty()) sub_error = e.what();
    }
  }
};

Client::Client(Settings s) : s_(std::move(s)), impl_(std::make_unique<Impl>()) {
  if (s_.client_id.empty()) s_.client_id = generated_id();
  try {
    // Paho refuses more than maxBufferedMessages queued publishes (100 by default); a whole
    // batch is queued before its acknowledgements are awaited.
    paho::create_options co;
    co.set_max_buffered_messages(kMaxBuffered);
    impl_->cli = std::make_unique<paho::async_client>(server_uri(s_), s_.client_id, co,
                                                      static_cast<paho::iclient_persistence*>(nullptr));
  } catch (const paho::exception& e) {
    throw UsageError(s_.where + ": " + e.what());
  }
  auto& o = impl_->opts;
  o.set_clean_session(s_.clean);
  o.set_keep_alive_interval(s_.keepalive);
  o.set_connect_timeout(static_cast<int>(std::ceil(std::max(1.0, s_.connect_timeout))));
  o.set_max_inflight(s_.max_inflight);
  if (!s_.user.empty()) o.set_user_name(s_.user);
  if (!s_.password.empty()) o.set_password(s_.password);
  if (s_.reconnect) o.set_automatic_reconnect(1, 30);
  if (s_.tls) {
    paho::ssl_options ssl;
    if (!s_.cafile.empty()) ssl.set_trust_store(s_.cafile);
    if (!s_.cert.empty()) ssl.set_key_store(s_.cert);
    if (!s_.key.empty()) ssl.set_private_key(s_.key);
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(true);
    Impl* impl = impl_.get();
    ssl.set_error_handler([impl](const std::string& msg) {
      std::lock_guard<std::mutex> lk(impl->tls_mu);
      if (impl->tls_error.empty()) impl->tls_error = msg;
    });
    o.set_ssl(std::move(ssl));
  }
  Impl* impl = impl_.get();
  impl_->cli->set_connection_lost_handler([impl](const std::string& cause) {
    impl->lost = true;
    if (impl->on_event) impl->on_event("connection lost" + (cause.empty() ? std::string() : ": " + cause));
  });
}

Client::~Client() {
  stop_taking();
  try {
    if (impl_->cli->is_connected()) impl_->cli->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (...) {
  }
}

bool Client::connect() {
  impl_->lost = false;
  {
    std::lock_guard<std::mutex> lk(impl_->tls_mu);
    impl_->tls_error.clear();
  }
  try {
    auto tok = impl_->cli->connect(impl_->opts);
    if (!tok->wait_for(ms(s_.connect_timeout + 0.5))) {
      throw Transient(s_.where + ": no answer from the broker within " +
                      std::to_string(static_cast<int>(std::ceil(s_.connect_timeout))) + "s (--connect-timeout)");
    }
    return tok->get_connect_response().is_session_present();
  } catch (const paho::exception& e) {
    std::string tls;
    {
      std::lock_guard<std::mutex> lk(impl_->tls_mu);
      tls = impl_->tls_error;
    }
    std::string msg = s_.where + ": cannot connect: " + connect_failure(e, tls);
    if (refused_by_broker(e)) throw Error(msg);
    throw Transient(msg);
  }
}

bool Client::connected() const { return impl_->cli->is_connected() && !impl_->lost; }

void Client::disconnect() {
  try {
    if (impl_->cli->is_connected()) impl_->cli->disconnect()->wait_for(std::chrono::seconds(5));
  } catch (const paho::exception&) {
  }
  impl_->tokens.clear();
}

// Waits for the oldest message not yet known to be acknowledged; false (and impl->error) when
// it failed, the connection went, or the broker stayed silent for `timeout` seconds.
bool Client::wait_one() {
  auto& im = *impl_;
  auto deadline = Clock::now() + ms(s_.ack_timeout);
  while (true) {
    try {
      if (im.tokens[im.acked]->wait_for(std::chrono::milliseconds(100))) {
        ++im.acked;
        return true;
      }
    } catch (const paho::exception& e) {
      im.error = e.get_message().empty() ? e.what() : e.get_message();
      break;
    }
    if (im.lost || !im.cli->is_connected()) {
      im.error = "connection to the broker lost";
      break;
    }
    if (Clock::now() >= deadline) {
      im.error = "no acknowledgement from the broker within " + std::to_string(static_cast<int>(s_.ack_timeout)) + "s";
      break;
    }
  }
  im.failed = true;
  return false;
}

bool Client::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  auto& im = *impl_;
  // At most max_inflight messages handed to Paho at a time: its command queue is scanned per
  // message, so a deep queue costs more than waiting here.
  while (!im.failed && im.tokens.size() - im.acked >= static_cast<size_t>(s_.max_inflight)) wait_one();
  if (im.failed) return false;
  try {
    im.tokens.push_back(im.cli->publish(topic, payload.data(), payload.size(), qos, retain));
  } catch (const paho::exception& e) {
    im.error = "publish failed: " + (e.get_message().empty() ? std::string(e.what()) : e.get_message());
    im.failed = true;
    return false;
  }
  return true;
}

size_t Client::wait_all(std::string& error) {
  auto& im = *impl_;
  while (!im.failed && im.acked < im.tokens.size()) wait_one();
  size_t done = im.acked;
  if (im.failed) error = im.error;
  im.tokens.clear();
  im.acked = 0;
  im.failed = false;
  im.error.clear();
  return done;
}

void Client::subscribe(const std::vector<std::string>& filters, int qos, size_t capacity,
                       std::function<void(const std::string&)> on_event) {
  Impl* impl = impl_.get();
  impl->filters = filters;
  impl->qos = qos;
  impl->capacity = std::max<size_t>(1, capacity);
  impl->on_event = std::move(on_event);
  impl->cli->set_message_callback([impl](paho::const_message_ptr m) {
    Message msg;
    msg.topic = m->get_topic();
    msg.payload = m->to_string();
    msg.qos = m->get_qos();
    msg.retained = m->is_retained();
    std::unique_lock<std::mutex> lk(impl->mu);
    // Waiting here holds up Paho's receiving thread, and so the broker: backpressure.
    impl->not_full.wait(lk, [impl] { return impl->stopped || impl->queue.size() < impl->capacity; });
    if (impl->stopped) return;
    impl->queue.push_back(std::move(msg));
    impl->not_empty.notify_one();
  });
  impl->cli->set_connected_handler([impl](const std::string&) {
    impl->lost = false;
    bool again;
    {
      std::lock_guard<std::mutex> lk(impl->mu);
      again = impl->subscribed_once;
    }
    if (!again) return;
    if (impl->on_event) impl->on_event("reconnected");
    // A broker that lost the session (no persistence) has forgotten the subscription too.
    impl->resubscribe();
  });
  if (!impl->cli->is_connected()) connect();
  try {
    auto tok = impl->cli->subscribe(paho::string_collection::create(filters),
                                    paho::iasync_client::qos_collection(filters.size(), qos));
    if (!tok->wait_for(ms(s_.connect_timeout + 0.5)))
      throw Transient(s_.where + ": no answer to the subscription within --connect-timeout");
    auto codes = tok->get_subscribe_response().get_reason_codes();
    for (size_t i = 0; i < codes.size() && i < filters.size(); ++i)
      if (static_cast<int>(codes[i]) >= 0x80) throw Error(s_.where + ": the broker refused the subscription to '" + filters[i] + "'");
  } catch (const paho::exception& e) {
    throw Error(s_.where + ": subscribe failed: " + (e.get_message().empty() ? std::string(e.what()) : e.get_message()));
  }
  std::lock_guard<std::mutex> lk(impl->mu);
  impl->subscribed_once = true;
}

size_t Client::take(std::vector<Message>& out, size_t max, double wait_s) {
  out.clear();
  Impl* impl = impl_.get();
  std::unique_lock<std::mutex> lk(impl->mu);
  if (impl->queue.empty()) impl->not_empty.wait_for(lk, ms(wait_s), [impl] { return !impl->queue.empty(); });
  while (!impl->queue.empty() && out.size() < max) {
    out.push_back(std::move(impl->queue.front()));
    impl->queue.pop_front();
  }
  if (!out.empty()) impl->not_full.notify_all();
  return out.size();
}

void Client::stop_taking() {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->stopped = true;
  impl_->not_full.notify_all();
}

std::string Client::subscribe_error() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->sub_error;
}

}  // namespace sp::connect::mqtt
