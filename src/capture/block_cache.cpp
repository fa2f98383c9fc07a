// SPDX-License-Identifier: BSL-1.0
#include "capture/block_cache.hpp"

#include <new>

namespace trap::detail {
namespace {

constexpr std::size_t kGrain = 64;   // size classes: 64, 128, ... bytes
constexpr std::size_t kClasses = 8;  // up to 512 bytes
constexpr int kPerClass = 8;         // blocks kept per class

// Trivially destructible, so that it is still there when blocks are freed
// after CacheCloser's destructor (thread-local destructors run in any
// order, and a thread's last Trap handles may go late).
struct Cache {
  void* blocks[kClasses][kPerClass];
  int count[kClasses];
  bool closed;  // the thread is ending: free, do not keep
};
thread_local Cache cache;

// Frees what the cache keeps when the thread ends.
struct CacheCloser {
  ~CacheCloser() {
    cache.closed = true;
    for (std::size_t c = 0; c < kClasses; ++c)
      while (cache.count[c] > 0) ::operator delete(cache.blocks[c][--cache.count[c]]);
  }
};
thread_local CacheCloser closer;

std::size_t class_of(std::size_t size) { return (size + kGrain - 1) / kGrain - 1; }

}  // namespace

void* cached_allocate(std::size_t size) {
  const std::size_t c = class_of(size);
  if (c >= kClasses) return ::operator new(size);
  if (cache.count[c] > 0) return cache.blocks[c][--cache.count[c]];
  return ::operator new((c + 1) * kGrain);
}

void cached_free(void* block, std::size_t size) noexcept {
  if (!block) return;
  const std::size_t c = class_of(size);
  if (c >= kClasses) {
    ::operator delete(block);
    return;
  }
  if (cache.closed || cache.count[c] == kPerClass) {
    ::operator delete(block);
    return;
  }
  (void)&closer;  // made on first use: its destructor empties the cache
  cache.blocks[c][cache.count[c]++] = block;
}

}  // namespace trap::detail
