// SPDX-License-Identifier: BSL-1.0
/// @file
/// The two exception types trap throws: one for a caller's mistake, one for a
/// trap that could not be built or torn down.
#pragma once

#include <stdexcept>
#include <string>

namespace trap {

/// A caller's mistake: an unknown layer, strategy or test method, a malformed
/// layer spec or argspec, a test method called with the wrong arguments.
///
/// The message names the thing and the value, with Perl's wording where
/// Test::Trap has one, e.g. `Unknown trap layer "stdot"`.
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A trap that could not be sprung or torn down: a layer's untrappable
/// exception (Trap::exception()), an exception that escaped every layer
/// ("Rethrowing internal exception: ..."), or a teardown that threw
/// ("Rethrowing teardown exception: ..."). Several messages are joined by
/// newlines.
class TrapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace trap
