// Errors shared by the connectors in connect/: a Transient failure may pass on a retry
// (connection refused or lost, server busy or restarting); any other sp::Error will not.
#pragma once
#include <string>

#include "io/error.h"

namespace sp::connect {

class Transient : public Error {
 public:
  // `retry_after`: seconds the server asked us to wait (HTTP Retry-After), or < 0.
  explicit Transient(const std::string& what, double retry_after = -1) : Error(what), retry_after(retry_after) {}
  double retry_after;
};

}  // namespace sp::connect
