// A thin C++ face on Paho MQTT (the only files that include its headers are in this folder):
// connect options from our settings (TLS, credentials, persistent sessions, reconnection),
// publishing with many messages in flight, subscribing into a bounded queue, and Paho's
// errors translated into ours. A broker that cannot be reached or a connection lost throws
// connect::Transient; a broker that refuses us (credentials, client id) sp::Error.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connect/error.h"

namespace sp::connect::mqtt {

struct Settings {
  bool tls = false;              // mqtts://
  std::string host = "127.0.0.1";
  int port = 0;                  // 0: 1883, or 8883 with TLS
  std::string user, password;    // the password never appears in a message
  std::string client_id;         // empty: a generated one
  bool clean = true;             // false: a persistent session (needs client_id)
  std::string cafile, cert, key; // TLS: trusted CAs (else the system's), client certificate and key
  double connect_timeout = 10;   // seconds
  int keepalive = 30;            // seconds
  int max_inflight = 1000;       // messages published and not yet acknowledged
  double ack_timeout = 30;       // seconds without an acknowledgement before giving up
  bool reconnect = false;        // reconnect by itself with backoff (sources)
  std::string where;             // mqtt://host:port/..., without a password, for messages
};

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
};

// Reads the password for --user from FILE (first line), or else from the environment
// variable SP_MQTT_PASSWORD. Empty when neither is given. Throws sp::UsageError.
std::string read_password(const std::string& file);

// The credentials and TLS files of sp-ingest and sp-sink: --user, --password-file, --cafile,
// --cert, --key.
struct Access {
  std::string user, password_file;
  std::string cafile, cert, key;
};

// Puts `a` into `s`: the user from --user, else the URI's; the password from the URI, else
// --password-file or SP_MQTT_PASSWORD. Throws sp::UsageError (naming s.where) for a password
// without a user, or TLS files without mqtts://.
void apply_access(Settings& s, const Access& a, const std::string& uri_user, const std::string* uri_password);

class Client {
 public:
  explicit Client(Settings s);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Settings& settings() const { return s_; }
  // Connects within settings.connect_timeout. Throws Transient (unreachable, timed out) or
  // sp::Error (refused: credentials, client id, TLS verification is reported as Transient).
  // Returns whether the broker still had a session for this client id.
  bool connect();
  bool connected() const;
  void disconnect();

  // ---- publishing: publish() hands a message to Paho, first waiting while max_inflight are
  // unacknowledged; false once one has failed. wait_all() waits for every one, in order, and
  // returns how many were acknowledged before the first that failed (then `error` says why);
  // it starts the count again from zero. A broker silent for ack_timeout is a failure.
  bool publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  size_t wait_all(std::string& error);

  // ---- subscribing: messages go to a queue of at most `capacity` (Paho's thread waits when
  // it is full, so a slow output slows the broker down). Subscribes again after every
  // reconnection; `on_event` hears about lost and regained connections.
  void subscribe(const std::vector<std::string>& filters, int qos, size_t capacity,
                 std::function<void(const std::string&)> on_event);
  // Moves up to `max` messages into `out` (cleared first), waiting up to `wait_s` for the first.
  size_t take(std::vector<Message>& out, size_t max, double wait_s);
  // Lets Paho's thread go on after a stop (drops what is queued).
  void stop_taking();
  // The subscription's first failure (e.g. a filter the broker refused), or empty.
  std::string subscribe_error() const;

 private:
  struct Impl;
  bool wait_one();
  Settings s_;
  std::unique_ptr<Impl> impl_;
};

// "1883" or "8883" etc. and the URI that Paho takes: tcp://host:port or ssl://host:port.
std::string server_uri(const Settings& s);

}  // namespace sp::connect::mqtt
