// SPDX-License-Identifier: BSL-1.0
// What trap keeps around fork(): the process id and fork count it caches,
// and mutexes that fork() waits out, for trap's short critical sections
// that a fork trap's child runs too (where a capture diverts a descriptor,
// where a warn layer routes std::clog).
#pragma once

#include <atomic>
#include <mutex>

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

/// The process id as trap last saw it: refreshed in every child of fork()
/// (by an atfork handler installed on first use).
std::atomic<int>& pid_cache();
/// Forks and spawns seen so far (fork() counts itself in the parent).
std::atomic<unsigned long>& fork_counter();

}  // namespace trap::posix
