// SPDX-License-Identifier: BSL-1.0
// Reporting one test result: the event, Perl's wrong-leaveby failure, and
// errno kept as the caller had it.
#pragma once

#include <cerrno>
#include <string>
#include <vector>

#include <trap/source_location.hpp>
#include <trap/trap_object.hpp>

#include "engine/state.hpp"

namespace trap::detail {

/// Keeps errno as the caller had it: test methods must not disturb it.
struct ErrnoGuard {
  int saved = errno;
  ~ErrnoGuard() { errno = saved; }
};

/// Sends one test result to the current hub.
void send_result(bool pass, const Value& name, std::vector<std::string> diagnostics,
                 trap::source_location where);

/// Sends the result of a test method on @p trap. A failure carries the
/// trap's failure context after @p diagnostics, then runs its
/// on-test-failure callback. Returns @p pass.
bool report_test(Trap& trap, bool pass, const Value& name, std::vector<std::string> diagnostics,
                 trap::source_location where);

/// Fails a test on flow accessor @p a because the trap left another way:
/// "Expecting to exit(), but instead die()ed with ...".
bool wrong_leaveby(Trap& trap, const AccessorDef& a, const Value& name,
                   trap::source_location where);

}  // namespace trap::detail
