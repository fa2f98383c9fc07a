// SPDX-License-Identifier: BSL-1.0
// (being written)
#include <trap/smtp.hpp>

namespace trap::smtp::detail {
bool register_smtp_server_layer() { return true; }
}  // namespace trap::smtp::detail
