// SPDX-License-Identifier: BSL-1.0
// The registration of the fork and timeout layers, for exit.cpp's
// register_isolation_layers().
#pragma once

namespace trap {
class Trapper;
}  // namespace trap

namespace trap::detail {

/// Registers the fork layer and the signal accessor on @p t.
void register_fork_layer(Trapper& t);
/// Registers the timeout layer and its accessor on @p t (timeout.cpp, which
/// uses nothing but the public Builder API and its detail headers).
void register_timeout_layer(Trapper& t);

}  // namespace trap::detail
