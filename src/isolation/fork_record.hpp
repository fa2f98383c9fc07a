// SPDX-License-Identifier: BSL-1.0
// The record a fork layer's child writes for its parent: the whole state of
// the trap after the code (values, leaveby, exception type, errors), and,
// when the child dies first, the bytes of its captures rescued by a signal
// handler. Binary safe; the decoder checks every length.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <trap/value.hpp>

namespace trap::detail {

struct ForkResult {
  bool complete = false;  // a whole state record was found
  std::string leaveby;
  std::string die_type;
  std::vector<std::string> exceptions;
  std::vector<std::pair<std::string, Value>> values;
  // Rescued captures: accessor, bytes (from a child that died).
  std::vector<std::pair<std::string, std::string>> salvaged;
};

/// The header word of a rescued capture.
inline constexpr const char* kSalvageHeader = "TRAPSALVAGE";

/// The state record for @p r (its salvaged part is not written).
std::string encode_fork_result(const ForkResult& r);

/// The state record of a trap that left by @p leaveby (with exception type
/// @p die_type), raised @p exceptions and holds @p values, as
/// encode_fork_result() writes it, built in @p buf (its contents replaced):
/// no allocation while @p buf has room. Returns the record, a view into
/// @p buf.
std::string_view encode_fork_state(std::string& buf, std::string_view leaveby,
                                   std::string_view die_type,
                                   std::span<const std::string> exceptions,
                                   std::span<const std::pair<std::string, Value>> values);

/// Parses what a child wrote: a state record and/or rescued captures.
/// @throws TrapError naming the problem for a truncated or malformed record.
ForkResult decode_fork_result(std::string_view bytes);

/// What the re-run for a test's Nth fork(exec) trap gets from its parent:
/// the results of the test's earlier fork(exec) traps as the parent saw
/// them, replayed there instead of running their code again.
struct ReplayedTrap {
  bool timed_out = false;  // an outer timeout layer's deadline passed in it
  std::string record;      // encode_fork_result() of the trap's state
};

/// The bytes that hand @p traps over to a re-run.
std::string encode_replay(const std::vector<ReplayedTrap>& traps);

/// Reads what encode_replay() wrote.
/// @throws TrapError naming the problem for a truncated or malformed list.
std::vector<ReplayedTrap> decode_replay(std::string_view bytes);

/// Value <-> bytes, with Value's private parts.
struct ValueCodec {
  static void encode(const Value& v, std::string& out);
  static Value decode(std::string_view& in);
  static void set_opaque(Value& v, Opaque o);
};

}  // namespace trap::detail
