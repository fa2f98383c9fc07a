// SPDX-License-Identifier: BSL-1.0
// The records of ended traps, kept per thread for the next traps: a trap
// takes one with its vectors' room already made, so that springing one
// allocates nothing in the common case.
#include <memory>
#include <new>
#include <utility>

#include "capture/block_cache.hpp"
#include "engine/state.hpp"
#include "posix/thread_cache.hpp"

namespace trap::detail {
namespace {

void free_state(TrapState* st) noexcept { delete st; }

// Records freed on this thread, ready to be used again.
using Pool = ThreadCache<TrapState, 1, 4, free_state>;

// The vectors keep their room up to this many entries; a record that grew
// past it is freed rather than kept.
constexpr std::size_t kKeepValues = 16;

// Makes *st a fresh record again, keeping the room of its value and
// teardown vectors. Everything else is destroyed and made anew, so a member
// added to TrapState later cannot leak from one trap into the next.
void renew(TrapState* st) noexcept {
  auto values = std::move(st->values);
  auto teardowns = std::move(st->teardowns);
  values.clear();
  teardowns.clear();
  st->~TrapState();
  new (st) TrapState;  // every scalar member has its initializer (see TrapState)
  st->values = std::move(values);
  st->teardowns = std::move(teardowns);
}

struct Recycle {
  void operator()(TrapState* st) const noexcept {
    if (!Pool::has_room() || st->values.capacity() > kKeepValues ||
        st->teardowns.capacity() > kKeepValues) {
      delete st;
      return;
    }
    renew(st);  // (may run destructors that trap, and take the room)
    if (!Pool::keep(st)) delete st;
  }
};

}  // namespace

std::shared_ptr<TrapState> new_trap_state() {
  TrapState* st = Pool::take();
  if (!st) st = new TrapState();
  // Should the control block not be made, the constructor recycles st.
  return std::shared_ptr<TrapState>(st, Recycle{}, CachedAllocator<TrapState>{});
}

}  // namespace trap::detail
