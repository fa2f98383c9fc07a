// SPDX-License-Identifier: BSL-1.0
// Small blocks freed on a thread, kept for that thread's next allocations of
// the same size: what one trap allocates (its capture objects, the control
// block of its record) comes back from here for the next trap, without the
// C library's allocator.
#pragma once

#include <cstddef>

namespace trap::detail {

/// A block of @p size bytes (aligned as operator new aligns): one this
/// thread freed, if it keeps one of that size class, or a new one.
/// @throws std::bad_alloc
void* cached_allocate(std::size_t size);
/// Frees a block of cached_allocate() with the same @p size (on any thread):
/// kept by this thread for later, or given back to operator delete.
void cached_free(void* block, std::size_t size) noexcept;

/// Makes this thread keep at least @p per_class blocks of each size class
/// up to @p bytes (allocating what it lacks): a forked child of this thread
/// then takes them from its copy of the cache instead of calling the C
/// library's allocator. @throws std::bad_alloc
void stock_cached_blocks(std::size_t bytes, int per_class);

/// An allocator on cached_allocate(), for std::allocate_shared and the
/// control blocks of std::shared_ptr.
template <class T>
struct CachedAllocator {
  using value_type = T;
  CachedAllocator() noexcept = default;
  template <class U>
  CachedAllocator(const CachedAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(cached_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { cached_free(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const CachedAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace trap::detail
