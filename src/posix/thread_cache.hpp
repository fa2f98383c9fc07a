// SPDX-License-Identifier: BSL-1.0
// What a thread freed, kept for that thread's next use: a few lists of
// pointers per thread, emptied when the thread ends. The trap records of
// src/engine/state_pool.cpp and the small blocks of
// src/capture/block_cache.cpp are kept here.
#pragma once

#include <cstddef>

namespace trap::detail {

/// Per-thread free lists of pointers: @p Lists lists of up to @p PerList
/// each; what the thread still keeps when it ends goes to @p Free.
///
/// The lists are trivially destructible, so that they are still there when
/// something is freed after the closer's destructor (thread-local
/// destructors run in any order, and a thread's last Trap handles may go
/// late): once closed, keep() refuses and the caller frees.
template <class T, std::size_t Lists, int PerList, void (*Free)(T*) noexcept>
class ThreadCache {
 public:
  /// A pointer list @p list keeps (the last kept), or nullptr.
  static T* take(std::size_t list = 0) noexcept {
    Kept& l = lists_;
    return l.count[list] > 0 ? l.items[list][--l.count[list]] : nullptr;
  }

  /// How many pointers list @p list keeps.
  static int kept(std::size_t list = 0) noexcept { return lists_.count[list]; }

  /// Whether keep() would keep an item in list @p list now.
  static bool has_room(std::size_t list = 0) noexcept {
    const Kept& l = lists_;
    return !l.closed && l.count[list] < PerList;
  }

  /// Keeps @p item in list @p list. False if the list is full or the thread
  /// is ending: the caller frees it then.
  static bool keep(T* item, std::size_t list = 0) noexcept {
    if (!has_room(list)) return false;
    Kept& l = lists_;
    (void)&closer_;  // made on first use: its destructor empties the lists
    l.items[list][l.count[list]++] = item;
    return true;
  }

 private:
  struct Kept {
    T* items[Lists][PerList];
    int count[Lists];
    bool closed;  // the thread is ending: free, do not keep
  };
  // Frees what the lists keep when the thread ends.
  struct Closer {
    ~Closer() {
      Kept& l = lists_;
      l.closed = true;
      for (std::size_t i = 0; i < Lists; ++i)
        while (l.count[i] > 0) Free(l.items[i][--l.count[i]]);
    }
  };
  static constinit inline thread_local Kept lists_{};
  static inline thread_local Closer closer_;
};

}  // namespace trap::detail
