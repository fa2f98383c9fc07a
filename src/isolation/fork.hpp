// The fork layer's hooks for the rest of the core.
#pragma once

#include <sys/types.h>

#include <string_view>

namespace trap {
class Trap;
class Trapper;
}  // namespace trap

namespace trap::detail {

/// In a fork layer's child: records that the capture @p accessor of trap
/// @p owner keeps its bytes in file @p fd from @p offset on, so that they
/// reach the parent even if the child dies by a signal. Returns a slot for
/// salvage_unregister(), or -1 (not in a child, or no room).
int salvage_register(const Trap& owner, std::string_view accessor, int fd, off_t offset) noexcept;
/// The capture in @p slot has ended.
void salvage_unregister(int slot) noexcept;

/// Registers the fork layer and the signal accessor on @p t.
void register_fork_layer(Trapper& t);
/// Registers the timeout layer and its accessor on @p t (timeout.cpp, which
/// uses nothing but the public Builder API).
void register_timeout_layer(Trapper& t);

}  // namespace trap::detail
