// SPDX-License-Identifier: BSL-1.0
// The pool of fork kits: a few slots taken and filled with atomic state
// changes, no lock, so that a process forked while another thread held the
// pool finds nothing locked. A forked process finds the pool filled by its
// parent (the owner is another pid): the first fork trap there closes the
// idle kits it inherited and takes the pool over. In front of the pool,
// each thread keeps the last kit it gave back.
#include "isolation/fork_kit.hpp"

#include <atomic>
#include <exception>
#include <tuple>
#include <utility>

#include "capture/capture.hpp"
#include "posix/children.hpp"

namespace trap::detail {
namespace {

enum SlotState : int { kEmpty, kBusy, kIdle };

struct Slot {
  std::atomic<int> state{kEmpty};
  int result = -1, handover = -1, handover_child = -1;
};

constexpr int kSlots = 4;  // more traps at once than that create their kits

struct Pool {
  std::atomic<int> owner{0};  // the pid whose kits these are; -1 while taken over
  Slot slots[kSlots];
} pool;

// Whether the pool is this process's, taking it over if it was the parent's.
bool pool_is_mine() noexcept {
  const int me = posix::self_pid();
  int seen = pool.owner.load(std::memory_order_acquire);
  if (seen == me) return true;
  if (seen < 0 || !pool.owner.compare_exchange_strong(seen, -1)) return false;
  for (Slot& s : pool.slots) {
    // An idle kit is this process's copy of the parent's: closed. A busy
    // one was being moved when the parent forked: left alone.
    if (s.state.load() == kIdle) {
      posix::Fd(s.result).reset();
      posix::Fd(s.handover).reset();
      posix::Fd(s.handover_child).reset();
    }
    s.result = s.handover = s.handover_child = -1;
    s.state.store(kEmpty);
  }
  pool.owner.store(me, std::memory_order_release);
  return true;
}

// Puts @p kit in a free slot of this process's pool; leaves it to be
// closed if there is none.
void pool_kit(ForkKit& kit) noexcept {
  if (!pool_is_mine()) return;
  for (Slot& s : pool.slots) {
    int empty = kEmpty;
    if (!s.state.compare_exchange_strong(empty, kBusy, std::memory_order_acquire)) continue;
    s.result = kit.result.release();
    s.handover = kit.handover.release();
    s.handover_child = kit.handover_child.release();
    s.state.store(kIdle, std::memory_order_release);
    return;
  }
}

// This thread's last kit, given back and taken again without a write to
// the pool: after each fork, the first write to a page is a page fault in
// the parent, and a trap writes this thread's TLS anyway. Its owner is the
// pid that gave it back: a forked process finds its parent's copy there
// and closes it. Pooled (or closed) when the thread ends.
struct ThreadKit {
  int owner = 0;
  int result = -1, handover = -1, handover_child = -1;

  ThreadKit() = default;
  ThreadKit(const ThreadKit&) = delete;
  ThreadKit& operator=(const ThreadKit&) = delete;
  ~ThreadKit() {
    const bool mine = owner == posix::self_pid();
    ForkKit kit = take();
    if (mine && kit.result) pool_kit(kit);
  }
  bool empty() const noexcept { return result < 0; }
  ForkKit take() noexcept {
    owner = 0;
    return {posix::Fd(std::exchange(result, -1)), posix::Fd(std::exchange(handover, -1)),
            posix::Fd(std::exchange(handover_child, -1))};
  }
  void keep(ForkKit& kit) noexcept {
    owner = posix::self_pid();
    result = kit.result.release();
    handover = kit.handover.release();
    handover_child = kit.handover_child.release();
  }
};
thread_local ThreadKit thread_kit;

ForkKit new_kit() {
  ForkKit kit;
  kit.result = posix::memfd("trap-fork");
  if (!kit.result) kit.result = posix::temp_file(temp_dir());
  std::tie(kit.handover, kit.handover_child) = posix::handover_socket();
  return kit;
}

}  // namespace

ForkKit take_fork_kit() {
  if (!thread_kit.empty()) {
    const bool mine = thread_kit.owner == posix::self_pid();
    ForkKit kit = thread_kit.take();
    if (mine) return kit;  // else closed: this process's copy of its parent's
  }
  if (pool_is_mine()) {
    for (Slot& s : pool.slots) {
      int idle = kIdle;
      if (!s.state.compare_exchange_strong(idle, kBusy, std::memory_order_acquire)) continue;
      ForkKit kit;
      kit.result = posix::Fd(std::exchange(s.result, -1));
      kit.handover = posix::Fd(std::exchange(s.handover, -1));
      kit.handover_child = posix::Fd(std::exchange(s.handover_child, -1));
      s.state.store(kEmpty, std::memory_order_release);
      return kit;
    }
  }
  return new_kit();
}

void give_back_fork_kit(ForkKit&& given, pid_t group) noexcept {
  ForkKit kit = std::move(given);  // closed on return unless pooled
  if (!kit.result || !kit.handover || !kit.handover_child) return;
  try {
    if (group > 0 && posix::group_has_processes(group)) return;
    posix::truncate_rewind(kit.result.get());
    // What the child handed over and the parent did not need: received,
    // so that the capture files it holds open are closed.
    (void)posix::take_handed_over(kit.handover.get());
  } catch (const std::exception&) {
    return;
  }
  if (thread_kit.empty())
    thread_kit.keep(kit);
  else
    pool_kit(kit);
}

int pooled_fork_kits() noexcept {
  const int me = posix::self_pid();
  const int kept = !thread_kit.empty() && thread_kit.owner == me;
  if (pool.owner.load() != me) return kept;
  int n = kept;
  for (const Slot& s : pool.slots) n += s.state.load() == kIdle;
  return n;
}

}  // namespace trap::detail
