// SPDX-License-Identifier: BSL-1.0
#include "posix/fork_safe_mutex.hpp"

#include <pthread.h>
#include <unistd.h>

#include <functional>
#include <new>

#include "posix/child_path.hpp"

namespace trap::posix {

namespace {

constexpr int kSlots = 12;
constexpr std::size_t kPage = 4096;  // the smallest page size of Linux's ports
constexpr std::size_t kRoom = 2048;

// Everything trap writes around a fork, in one place: a fork trap's child
// writes the pid cache, unlocks the mutexes and writes the objects of
// child_page_storage(), on one page.
struct ForkState {
  std::atomic<int> pid{0};
  std::atomic<unsigned long> forks{0};
  // Lets one fork at a time through its handlers (see ForkHandlers).
  std::mutex gate;
  std::atomic<ForkSafeMutex*> newest{nullptr};
  ForkSafeMutex* locked = nullptr;  // under the gate
  std::atomic<int> used{0};
  alignas(ForkSafeMutex) unsigned char slots[kSlots][sizeof(ForkSafeMutex)];
  // child_page_storage(): bytes handed out, and the room they come from.
  std::atomic<std::size_t> room_used{0};
  alignas(__STDCPP_DEFAULT_NEW_ALIGNMENT__) unsigned char room[kRoom];
};

// Trivially destructible, made before any code runs, one page of its own.
alignas(kPage) constinit ForkState state{};
static_assert(sizeof(ForkState) <= kPage);

}  // namespace

// The registered mutexes, newest first. A mutex is registered once made and
// never leaves, so a walk needs no lock of its own. fork() locks the ones
// registered when it begins (oldest first) and unlocks the same ones: one
// made meanwhile by another thread is not among them.
//
// glibc runs the handlers of several threads' forks at the same time: the
// gate lets one fork at a time through, from its first handler to its
// last. Without it, a second fork could find the mutexes held by the
// first's handlers, or its child inherit them locked.
struct ForkHandlers {
  static void lock_from(ForkSafeMutex* m) {
    if (!m) return;
    lock_from(m->next_);
    m->mutex_.lock();
  }
  static void prepare() {
    state.gate.lock();
    state.locked = state.newest.load(std::memory_order_acquire);
    lock_from(state.locked);
  }
  TRAP_CHILD_PATH static void release() {
    for (ForkSafeMutex* m = state.locked; m; m = m->next_) m->mutex_.unlock();
    state.locked = nullptr;
    state.gate.unlock();
  }
  static void parent() {
    ++state.forks;
    release();
  }
  TRAP_CHILD_PATH static void child() {
    state.pid.store(::getpid(), std::memory_order_relaxed);
    release();
  }
  static void install() {
    static const bool installed = [] {
      state.pid.store(::getpid(), std::memory_order_relaxed);
      ::pthread_atfork(prepare, parent, child);
      return true;
    }();
    (void)installed;
  }
};

void* child_page_storage(std::size_t size) {
  constexpr std::size_t kAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
  const std::size_t rounded = (size + kAlign - 1) / kAlign * kAlign;
  const std::size_t at = state.room_used.fetch_add(rounded, std::memory_order_relaxed);
  if (at <= kRoom && rounded <= kRoom - at) return state.room + at;
  return ::operator new(size);  // never freed
}

bool on_child_page(const void* p) noexcept {
  const auto* b = static_cast<const unsigned char*>(p);
  return std::less_equal<>()(state.room, b) && std::less<>()(b, state.room + kRoom);
}

ForkSafeMutex& ForkSafeMutex::make() {
  ForkHandlers::install();
  const int slot = state.used.fetch_add(1, std::memory_order_relaxed);
  void* at = slot < kSlots ? static_cast<void*>(state.slots[slot])
                           : ::operator new(sizeof(ForkSafeMutex));  // never freed
  auto* m = new (at) ForkSafeMutex;
  m->next_ = state.newest.load(std::memory_order_relaxed);
  while (!state.newest.compare_exchange_weak(m->next_, m, std::memory_order_release,
                                             std::memory_order_relaxed)) {
  }
  return *m;
}

TRAP_CHILD_PATH std::atomic<int>& pid_cache() {
  ForkHandlers::install();
  return state.pid;
}

TRAP_CHILD_PATH std::atomic<unsigned long>& fork_counter() {
  ForkHandlers::install();
  return state.forks;
}

}  // namespace trap::posix
