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

// A kit's descriptors and offsets, as plain numbers.
struct RawKit {
  int result = -1, handover = -1, handover_child = -1;
  int capture[2] = {-1, -1};
  std::size_t capture_offset[2] = {0, 0};

  bool empty() const noexcept { return result < 0; }
  // Takes @p kit's descriptors over.
  void hold(ForkKit& kit) noexcept {
    result = kit.result.release();
    handover = kit.handover.release();
    handover_child = kit.handover_child.release();
    for (int i = 0; i < 2; ++i) {
      capture[i] = kit.capture[i].release();
      capture_offset[i] = kit.capture_offset[i];
    }
  }
  // Hands the descriptors over, leaving this empty.
  ForkKit take() noexcept {
    ForkKit kit;
    kit.result = posix::Fd(std::exchange(result, -1));
    kit.handover = posix::Fd(std::exchange(handover, -1));
    kit.handover_child = posix::Fd(std::exchange(handover_child, -1));
    for (int i = 0; i < 2; ++i) {
      kit.capture[i] = posix::Fd(std::exchange(capture[i], -1));
      kit.capture_offset[i] = std::exchange(capture_offset[i], 0);
    }
    return kit;
  }
};

struct Slot {
  std::atomic<int> state{kEmpty};
  RawKit kit;
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
    if (s.state.load() == kIdle) (void)s.kit.take();  // closed
    s.kit = RawKit{};
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
    s.kit.hold(kit);
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
  RawKit kit;

  ThreadKit() = default;
  ThreadKit(const ThreadKit&) = delete;
  ThreadKit& operator=(const ThreadKit&) = delete;
  ~ThreadKit() {
    const bool mine = owner == posix::self_pid();
    ForkKit taken = take();
    if (mine && taken.result) pool_kit(taken);
  }
  bool empty() const noexcept { return kit.empty(); }
  ForkKit take() noexcept {
    owner = 0;
    return kit.take();
  }
  void keep(ForkKit& given) noexcept {
    owner = posix::self_pid();
    kit.hold(given);
  }
};
thread_local ThreadKit thread_kit;

// Gives @p kit the capture files it lacks (a new kit, or one whose file
// was full), made here in the parent, not in each child; a kept file's
// next capture begins at its size now: past what a process that outlived
// an earlier trap (in a process group of its own) wrote there since. A file
// that holds more than a pooled capture file keeps is replaced.
ForkKit with_capture_files(ForkKit kit) {
  for (int i = 0; i < 2; ++i) {
    if (kit.capture[i]) {
      try {
        const std::size_t size = posix::file_size(kit.capture[i].get());
        kit.capture_offset[i] = size;
        if (size <= PooledFile::kKeep) continue;
      } catch (const std::exception&) {
      }
    }
    kit.capture[i] = PooledFile::new_memory_fd();
    kit.capture_offset[i] = 0;
  }
  return kit;
}

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
    if (mine) return with_capture_files(std::move(kit));
    // else closed: this process's copy of its parent's
  }
  if (pool_is_mine()) {
    for (Slot& s : pool.slots) {
      int idle = kIdle;
      if (!s.state.compare_exchange_strong(idle, kBusy, std::memory_order_acquire)) continue;
      ForkKit kit = s.kit.take();
      s.state.store(kEmpty, std::memory_order_release);
      return with_capture_files(std::move(kit));
    }
  }
  return with_capture_files(new_kit());
}

void give_back_fork_kit(ForkKit&& given, pid_t group) noexcept {
  ForkKit kit = std::move(given);  // closed on return unless pooled
  if (!kit.result || !kit.handover || !kit.handover_child) return;
  try {
    if (group > 0 && posix::group_has_processes(group)) return;
    posix::truncate_rewind(kit.result.get());
    // What the child handed over and the parent did not need: received,
    // so that the capture files it holds open are closed.
    posix::discard_handed_over(kit.handover.get());
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
