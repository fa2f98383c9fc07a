// SPDX-License-Identifier: BSL-1.0
// What trap keeps around fork(): the process id and fork count it caches,
// mutexes and reader-writer locks that fork() waits out, for trap's short
// critical sections that a fork trap's child runs too (where a capture
// diverts a descriptor, where a warn layer routes std::clog, the
// registry), and room on the same page for the few objects of trap's that
// the child writes.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>

namespace trap::posix {

/// A mutex that a child of fork() never inherits locked: fork's prepare
/// step takes every one (in the order they were made), and the parent and
/// the child release them. Without it, a child forked while another thread
/// held one would wait for that thread for ever: the child has only the
/// forking thread.
///
/// Only for leaf locks, held briefly: code that holds one takes no other
/// ForkSafeMutex, and never forks. Made by make() and never destroyed (fork
/// may lock it at any time). The first few share one page with the pid
/// cache, which a fork trap's child writes anyway: its unlocks there cost
/// the child no page of its own.
class ForkSafeMutex {
 public:
  /// A new one, registered with fork().
  static ForkSafeMutex& make();
  ForkSafeMutex(const ForkSafeMutex&) = delete;
  ForkSafeMutex& operator=(const ForkSafeMutex&) = delete;

  void lock() { mutex_.lock(); }
  void unlock() { mutex_.unlock(); }
  bool try_lock() { return mutex_.try_lock(); }

 private:
  ForkSafeMutex() = default;
  friend struct ForkHandlers;
  std::mutex mutex_;
  ForkSafeMutex* next_ = nullptr;  // the one made before it
};

/// A reader-writer lock that a child of fork() never inherits held: fork's
/// prepare step takes each one for writing (before the ForkSafeMutexes: a
/// thread may take one of those while holding this, never the other way),
/// the parent releases it and the child makes it anew. For a lock held
/// briefly, with nothing under it that forks (a thread that forked while
/// holding it would wait for itself). Readers are preferred, as with
/// std::shared_mutex: a thread may take it for reading again while it reads.
/// Made by make() and never destroyed. Fit for std::unique_lock and
/// std::shared_lock; it has no try_lock forms, which nothing here needs.
class ForkSafeSharedMutex {
 public:
  /// A new one, registered with fork().
  static ForkSafeSharedMutex& make();
  ForkSafeSharedMutex(const ForkSafeSharedMutex&) = delete;
  ForkSafeSharedMutex& operator=(const ForkSafeSharedMutex&) = delete;

  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  ForkSafeSharedMutex() = default;
  friend struct ForkHandlers;
  pthread_rwlock_t lock_ = PTHREAD_RWLOCK_INITIALIZER;
  ForkSafeSharedMutex* next_ = nullptr;  // the one made before it
};

/// Storage for an object of trap's that lives as long as the program and
/// that a fork trap's child writes: @p size bytes, aligned as operator new
/// aligns, on the page of the pid cache and the first fork-safe mutexes,
/// which the child writes anyway (each page the child first writes is a
/// page fault). From operator new once that page is full. Never freed.
/// @throws std::bad_alloc
void* child_page_storage(std::size_t size);
/// Whether @p p is storage of child_page_storage() on that page (which is
/// never to be given to operator delete).
bool on_child_page(const void* p) noexcept;

/// An allocator on child_page_storage(), for a container that a fork trap's
/// child writes: what it frees on that page stays there unused.
template <class T>
struct ChildPageAllocator {
  using value_type = T;
  ChildPageAllocator() noexcept = default;
  template <class U>
  ChildPageAllocator(const ChildPageAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(child_page_storage(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept {
    if (!on_child_page(p)) ::operator delete(p);
  }
  template <class U>
  bool operator==(const ChildPageAllocator<U>&) const noexcept {
    return true;
  }
};

/// The process id as trap last saw it: refreshed in every child of fork()
/// (by an atfork handler installed on first use).
std::atomic<int>& pid_cache();
/// Forks and spawns seen so far (fork() counts itself in the parent).
std::atomic<unsigned long>& fork_counter();

}  // namespace trap::posix
