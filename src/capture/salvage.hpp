// SPDX-License-Identifier: BSL-1.0
// How the bytes of a file-backed capture outlive a process that dies while
// capturing. The capture side declares what it announces; the fork layer's
// child (src/isolation/fork.cpp) implements it and installs itself, so that
// a child killed by a signal still hands its captures to the parent.
#pragma once

#include <sys/types.h>

#include <string_view>

namespace trap {
class Trap;
}  // namespace trap

namespace trap::detail {

/// Told of each capture as it begins and ends.
class CaptureSalvage {
 public:
  /// The capture @p accessor of trap @p owner keeps its bytes in file @p fd
  /// (-1: not in a file) from @p offset on. Returns a slot for forget(), or
  /// -1 if it will not salvage them. Async-signal-safe readers use the slot.
  virtual int keep(const Trap& owner, std::string_view accessor, int fd, off_t offset) noexcept = 0;
  /// The capture in @p slot (-1: none) has ended.
  virtual void forget(int slot) noexcept = 0;

 protected:
  ~CaptureSalvage() = default;
};

/// Makes @p salvage (nullptr: none, the default) the one captures announce
/// themselves to, from now on, in this process.
void set_capture_salvage(CaptureSalvage* salvage) noexcept;
/// The installed salvage, or nullptr.
CaptureSalvage* capture_salvage() noexcept;

}  // namespace trap::detail
