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

// Serves until stop_server(); `finished` is set when serving has ended (also on failure).
inline void run_server(httplib::Server& server, std::atomic<bool>& finished) {
  server.listen_after_bind();
  finished = true;
}

// Ends run_server() on another thread. cpp-httplib's stop() does nothing until the server
// runs, so a stop that comes before the serving thread got there (a short input on a busy
// machine) would be lost and the serving thread never end: wait for it to run first.
inline void stop_server(httplib::Server& server, const std::atomic<bool>& finished) {
  while (!server.is_running() && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.stop();
}

}  // namespace sp::connect::http
