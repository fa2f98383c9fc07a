// SPDX-License-Identifier: BSL-1.0
#include "capture/block_cache.hpp"

#include <algorithm>
#include <new>

#include "posix/child_path.hpp"
#include "posix/thread_cache.hpp"

namespace trap::detail {
namespace {

constexpr std::size_t kGrain = 64;   // size classes: 64, 128, ... bytes
constexpr std::size_t kClasses = 8;  // up to 512 bytes
constexpr int kPerClass = 8;         // blocks kept per class

void free_block(void* block) noexcept { ::operator delete(block); }

// One list per size class.
using Cache = ThreadCache<void, kClasses, kPerClass, free_block>;

std::size_t class_of(std::size_t size) { return (size + kGrain - 1) / kGrain - 1; }

}  // namespace

TRAP_CHILD_PATH void* cached_allocate(std::size_t size) {
  const std::size_t c = class_of(size);
  if (c >= kClasses) return ::operator new(size);
  if (void* block = Cache::take(c)) return block;
  return ::operator new((c + 1) * kGrain);
}

TRAP_CHILD_PATH void cached_free(void* block, std::size_t size) noexcept {
  if (!block) return;
  const std::size_t c = class_of(size);
  if (c >= kClasses || !Cache::keep(block, c)) ::operator delete(block);
}

void stock_cached_blocks(std::size_t bytes, int per_class) {
  const std::size_t classes = std::min(class_of(bytes) + 1, kClasses);
  for (std::size_t c = 0; c < classes; ++c) {
    for (int n = Cache::kept(c); n < per_class && Cache::has_room(c); ++n)
      (void)Cache::keep(::operator new((c + 1) * kGrain), c);
  }
}

}  // namespace trap::detail
