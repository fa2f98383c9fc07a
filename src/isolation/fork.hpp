// The fork layer's hooks for the rest of the core.
#pragma once

namespace trap {
class Trapper;
}  // namespace trap

namespace trap::detail {

/// Registers the fork layer and the signal accessor on @p t.
void register_fork_layer(Trapper& t);
/// Registers the timeout layer and its accessor on @p t (timeout.cpp, which
/// uses nothing but the public Builder API).
void register_timeout_layer(Trapper& t);

}  // namespace trap::detail
