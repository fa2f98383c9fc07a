// SPDX-License-Identifier: BSL-1.0
// The records of ended traps, kept per thread for the next traps: a trap
// takes one with its vectors' room already made, so that springing one
// allocates nothing in the common case.
#include <memory>
#include <new>
#include <utility>

#include "capture/block_cache.hpp"
#include "engine/state.hpp"

namespace trap::detail {
namespace {

// Records freed on this thread, ready to be used again. Trivially
// destructible, so that it is still there when a thread's last Trap handle
// goes after PoolCloser (thread-local destructors run in any order).
struct StatePool {
  static constexpr int kSize = 4;
  TrapState* free[kSize];
  int count = 0;
  bool closed = false;  // the thread is ending: free, do not keep
};
thread_local StatePool pool;

// Frees what the pool keeps when the thread ends.
struct PoolCloser {
  ~PoolCloser() {
    pool.closed = true;
    while (pool.count > 0) delete pool.free[--pool.count];
  }
};
thread_local PoolCloser closer;

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
  new (st) TrapState();
  st->values = std::move(values);
  st->teardowns = std::move(teardowns);
}

struct Recycle {
  void operator()(TrapState* st) const noexcept {
    if (pool.closed || pool.count == StatePool::kSize || st->values.capacity() > kKeepValues ||
        st->teardowns.capacity() > kKeepValues) {
      delete st;
      return;
    }
    (void)closer;  // made on first use: its destructor empties the pool
    renew(st);
    pool.free[pool.count++] = st;
  }
};

}  // namespace

std::shared_ptr<TrapState> new_trap_state() {
  TrapState* st = pool.count > 0 ? pool.free[--pool.count] : new TrapState();
  // Should the control block not be made, the constructor recycles st.
  return std::shared_ptr<TrapState>(st, Recycle{}, CachedAllocator<TrapState>{});
}

}  // namespace trap::detail
