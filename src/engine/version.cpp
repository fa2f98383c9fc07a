// SPDX-License-Identifier: BSL-1.0
// The library's own version, compiled in: the headers a program includes may
// come from another trap than the library it links (trap::version()).
#include <trap/version.hpp>

namespace trap {

std::string_view version() noexcept { return TRAP_VERSION_STRING; }

}  // namespace trap
