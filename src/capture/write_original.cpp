// SPDX-License-Identifier: BSL-1.0
// Writing a report past the captures: where a descriptor pointed before the
// outermost diversion.
#include <cerrno>
#include <string_view>
#include <system_error>

#include "capture/capture.hpp"
#include "posix/fd.hpp"

namespace trap::detail {

int write_original(int fd, std::string_view text) {
  int target = original_fd(fd);
  if (target == fd) flush_streams(fd);
  try {
    posix::write_all(target, text.data(), text.size());
  } catch (const std::system_error& e) {
    return e.code().value() != 0 ? e.code().value() : EIO;
  } catch (...) {
    return EIO;
  }
  return 0;
}

}  // namespace trap::detail
