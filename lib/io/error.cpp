#include "io/error.h"

#include <cstring>

namespace sp {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace sp
