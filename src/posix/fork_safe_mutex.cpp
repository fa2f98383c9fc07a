// SPDX-License-Identifier: BSL-1.0
#include "posix/fork_safe_mutex.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <new>
#include <system_error>

#include "posix/child_path.hpp"

namespace trap::posix {

namespace {

constexpr int kSlots = 12;
constexpr int kSharedSlots = 2;
constexpr std::size_t kPage = 4096;  // the smallest page size of Linux's ports
constexpr std::size_t kAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

// Everything trap writes around a fork, in one place: a fork trap's child
// writes the pid cache, unlocks the mutexes and writes the objects of
// child_page_storage(), on one page.
struct ForkStateHead {
  std::atomic<int> pid{0};
  std::atomic<unsigned long> forks{0};
  // Lets one fork at a time through its handlers (see ForkHandlers).
  std::mutex gate;
  std::atomic<ForkSafeMutex*> newest{nullptr};
  ForkSafeMutex* locked = nullptr;  // under the gate
  std::atomic<int> used{0};
  alignas(ForkSafeMutex) unsigned char slots[kSlots][sizeof(ForkSafeMutex)];
  std::atomic<ForkSafeSharedMutex*> newest_shared{nullptr};
  ForkSafeSharedMutex* locked_shared = nullptr;  // under the gate
  std::atomic<int> used_shared{0};
  alignas(
      ForkSafeSharedMutex) unsigned char shared_slots[kSharedSlots][sizeof(ForkSafeSharedMutex)];
  // child_page_storage(): bytes handed out from the room below.
  std::atomic<std::size_t> room_used{0};
};

// The rest of the page.
constexpr std::size_t kRoom =
    (kPage - (sizeof(ForkStateHead) + kAlign - 1) / kAlign * kAlign) / kAlign * kAlign;

struct ForkState : ForkStateHead {
  alignas(kAlign) unsigned char room[kRoom];
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
  static void write_lock_from(ForkSafeSharedMutex* m) {
    if (!m) return;
    write_lock_from(m->next_);
    ::pthread_rwlock_wrlock(&m->lock_);
  }
  // The reader-writer locks first: a thread that holds one may go on to
  // take a mutex, never the other way.
  static void prepare() {
    state.gate.lock();
    state.locked_shared = state.newest_shared.load(std::memory_order_acquire);
    write_lock_from(state.locked_shared);
    state.locked = state.newest.load(std::memory_order_acquire);
    lock_from(state.locked);
  }
  TRAP_CHILD_PATH static void release(bool in_child) {
    for (ForkSafeMutex* m = state.locked; m; m = m->next_) m->mutex_.unlock();
    state.locked = nullptr;
    for (ForkSafeSharedMutex* m = state.locked_shared; m; m = m->next_) {
      if (!in_child) {
        ::pthread_rwlock_unlock(&m->lock_);
        continue;
      }
#ifdef __GLIBC__
      // Released as its writer, so that a race detector sees it released:
      // glibc's unlock of a write lock checks the writer's thread id, and
      // the child's only thread, its process's leader, has the process's.
      m->lock_.__data.__cur_writer = state.pid.load(std::memory_order_relaxed);
      ::pthread_rwlock_unlock(&m->lock_);
#endif
      // Then made anew: another thread that waited for it in the parent
      // may still count as a reader or a writer waiting.
      pthread_rwlock_t fresh = PTHREAD_RWLOCK_INITIALIZER;
      m->lock_ = fresh;
    }
    state.locked_shared = nullptr;
    state.gate.unlock();
  }
  static void parent() {
    ++state.forks;
    release(false);
  }
  TRAP_CHILD_PATH static void child() {
    state.pid.store(::getpid(), std::memory_order_relaxed);
    release(true);
  }
  // A new lock of type M, in one of @p slots while they last (else from
  // operator new, never freed), registered as the newest.
  template <class M, std::size_t N>
  static M& make(std::atomic<int>& used, unsigned char (&slots)[N][sizeof(M)],
                 std::atomic<M*>& newest) {
    install();
    const int slot = used.fetch_add(1, std::memory_order_relaxed);
    void* at =
        slot < static_cast<int>(N) ? static_cast<void*>(slots[slot]) : ::operator new(sizeof(M));
    auto* m = new (at) M;
    m->next_ = newest.load(std::memory_order_relaxed);
    while (!newest.compare_exchange_weak(m->next_, m, std::memory_order_release,
                                         std::memory_order_relaxed)) {
    }
    return *m;
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
  return ForkHandlers::make(state.used, state.slots, state.newest);
}

ForkSafeSharedMutex& ForkSafeSharedMutex::make() {
  return ForkHandlers::make(state.used_shared, state.shared_slots, state.newest_shared);
}

// pthread's calls fail only for misuse (a lock not held, one taken twice
// for writing by one thread) or too many readers: std::shared_mutex treats
// them alike.
void ForkSafeSharedMutex::lock() {
  if (int e = ::pthread_rwlock_wrlock(&lock_)) throw std::system_error(e, std::generic_category());
}
void ForkSafeSharedMutex::unlock() { ::pthread_rwlock_unlock(&lock_); }
void ForkSafeSharedMutex::lock_shared() {
  int e;
  do e = ::pthread_rwlock_rdlock(&lock_);
  while (e == EAGAIN);
  if (e) throw std::system_error(e, std::generic_category());
}
void ForkSafeSharedMutex::unlock_shared() { ::pthread_rwlock_unlock(&lock_); }

TRAP_CHILD_PATH std::atomic<int>& pid_cache() {
  ForkHandlers::install();
  return state.pid;
}

TRAP_CHILD_PATH std::atomic<unsigned long>& fork_counter() {
  ForkHandlers::install();
  return state.forks;
}

}  // namespace trap::posix
