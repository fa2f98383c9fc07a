// SPDX-License-Identifier: BSL-1.0
// A test program's own operator new and delete, which call a hook of the
// program's before each allocation: to count a trap's allocations, or to
// make the n-th one fail. Each test program is one file: it includes this
// header and says TRAP_TEST_REPLACE_NEW(hook) once, at namespace scope.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

// ThreadSanitizer's runtime defines operator new itself, in a library that
// cannot be overridden: there the program runs its traps (and is checked
// for races) but its hook is never called.
#if defined(__SANITIZE_THREAD__)
#define TRAP_TEST_REPLACES_NEW 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRAP_TEST_REPLACES_NEW 0
#endif
#endif
#ifndef TRAP_TEST_REPLACES_NEW
#define TRAP_TEST_REPLACES_NEW 1
#endif

namespace trap_test {

// Allocates as operator new must, after Before(), which may throw
// std::bad_alloc to fail the allocation.
template <void (*Before)()>
void* replaced_new(std::size_t size) {
  Before();
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}

}  // namespace trap_test

#if TRAP_TEST_REPLACES_NEW
#define TRAP_TEST_REPLACE_NEW(before)                                                      \
  void* operator new(std::size_t size) { return trap_test::replaced_new<before>(size); }   \
  void* operator new[](std::size_t size) { return trap_test::replaced_new<before>(size); } \
  void operator delete(void* p) noexcept { std::free(p); }                                 \
  void operator delete[](void* p) noexcept { std::free(p); }                               \
  void operator delete(void* p, std::size_t) noexcept { std::free(p); }                    \
  void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#else
// The hook is named, so that it counts as used.
#define TRAP_TEST_REPLACE_NEW(before) \
  [[maybe_unused]] constexpr void (*trap_test_unused_hook)() = before;
#endif
