// SPDX-License-Identifier: BSL-1.0
// The record a fork layer's child writes for its parent: the whole state of
// the trap after the code (values, leaveby, exception type, errors), and,
// when the child dies first, the bytes of its captures rescued by a signal
// handler. Binary safe; the decoder checks every length.
#pragma once

#include <cstddef>
#include <new>
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
  // The rescue was cut short (the child killed in the middle of it): a
  // rescued capture, or the header of one, came only in part.
  bool rescue_cut_short = false;
};

/// The header word of a rescued capture.
inline constexpr const char* kSalvageHeader = "TRAPSALVAGE";

/// The state record for @p r (its salvaged part is not written).
std::string encode_fork_result(const ForkResult& r);

/// Memory for one string, taken from a fixed room (a fork trap's child
/// builds its record in one on its stack) while it fits, else from the
/// heap. Inline: the child runs no library code for it.
struct StringRoom {
  char* data;
  std::size_t size;
  bool used = false;
};

/// An allocator on a StringRoom.
template <class T>
struct RoomAllocator {
  using value_type = T;
  StringRoom* room;
  explicit RoomAllocator(StringRoom* r) noexcept : room(r) {}
  template <class U>
  RoomAllocator(const RoomAllocator<U>& o) noexcept : room(o.room) {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    if (!room->used && n * sizeof(T) <= room->size) {
      room->used = true;
      return reinterpret_cast<T*>(room->data);
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (reinterpret_cast<char*>(p) == room->data)
      room->used = false;
    else
      ::operator delete(p);
  }
  template <class U>
  bool operator==(const RoomAllocator<U>& o) const noexcept {
    return room == o.room;
  }
};

/// A string in a StringRoom.
using RoomString = std::basic_string<char, std::char_traits<char>, RoomAllocator<char>>;

/// The state record of a trap that left by @p leaveby (with exception type
/// @p die_type), raised @p exceptions and holds @p values, as
/// encode_fork_result() writes it, built in @p buf (its contents replaced)
/// from @p buf's room (a fork trap's child: a buffer on its stack).
/// Returns the record, a view into @p buf.
std::string_view encode_fork_state(RoomString& buf, std::string_view leaveby,
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
  /// encode() into a RoomString (a fork trap's child encodes on its stack).
  static void encode_to(const Value& v, RoomString& out);
  static Value decode(std::string_view& in);
  /// A Value holding @p o, made by its private constructor.
  static Value opaque(Opaque&& o);
};

}  // namespace trap::detail
