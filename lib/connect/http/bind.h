// Binding a cpp-httplib server, shared by the POST listener and the GET server (connect/http only).
#pragma once
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "io/error.h"

namespace sp::connect::http {

// Binds `server` to host:port (port 0: any free port); returns the port. Throws sp::Error that
// names the address as scheme://host:port. A port another server holds is an error.
inline int bind_server(httplib::Server& server, const std::string& host, int port, const char* scheme) {
  // SO_REUSEADDR only: cpp-httplib's default SO_REUSEPORT would let a second server bind the
  // same port and silently take part of the connections.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    throw Error(std::string(scheme) + "://" + host + ":" + std::to_string(port) + ": cannot listen (address in use?)");
  return bound;
}

// Stops a server whose listening thread may not have entered listen_after_bind() yet:
// cpp-httplib's stop() does nothing until the server runs, and the late listen would then wait
// in accept() for ever (seen with sp-serve --exit-at-eof on a short input under load). Waits
// until it runs or `returned` (set when listen_after_bind() came back), at most 10 s.
inline void stop_server(httplib::Server& server, const std::atomic<bool>& returned) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && !returned.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.stop();
}

}  // namespace sp::connect::http
