// SPDX-License-Identifier: BSL-1.0
// Memory for a trap::net::TcpServer's Asio operations (a read, a write, a
// read started later: three per request), reused through free lists by
// size. Asio's own reuse keeps two blocks per thread, and a server with a
// hundred clients has hundreds of operations under way: most of them were
// allocated and freed through the heap's slow paths. Only for the server's
// own context, whose one thread allocates and frees them all (and after
// it, release(), with that thread gone); on a context of the caller's,
// which any number of threads may run, it is the plain heap. Private to
// src/net.
#pragma once

#include <array>
#include <cstddef>
#include <new>
#include <utility>

namespace trap::net::tcp_detail {

class HandlerPool {
 public:
  explicit HandlerPool(bool on) : on_(on) {}
  ~HandlerPool() {
    for (Block*& list : free_)
      while (list) ::operator delete(std::exchange(list, list->next));
  }
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  void* allocate(std::size_t n) {
    const std::size_t c = size_class(n);
    if (!on_ || c >= kClasses) return ::operator new(n);
    if (Block* b = free_[c]) {
      free_[c] = b->next;
      return b;
    }
    return ::operator new((c + 1) * kUnit);
  }

  void deallocate(void* p, std::size_t n) noexcept {
    const std::size_t c = size_class(n);
    if (!on_ || c >= kClasses) return ::operator delete(p);
    free_[c] = new (p) Block{free_[c]};
  }

 private:
  struct Block {
    Block* next;
  };
  static constexpr std::size_t kUnit = 64, kClasses = 8;  // up to 512 bytes
  static std::size_t size_class(std::size_t n) { return n == 0 ? 0 : (n - 1) / kUnit; }

  bool on_;
  std::array<Block*, kClasses> free_{};
};

/// An allocator of a HandlerPool, for asio::bind_allocator.
template <class T>
struct PoolAllocator {
  using value_type = T;
  explicit PoolAllocator(HandlerPool* p) noexcept : pool(p) {}
  template <class U>
  PoolAllocator(const PoolAllocator<U>& o) noexcept : pool(o.pool) {}
  T* allocate(std::size_t n) { return static_cast<T*>(pool->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { pool->deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const PoolAllocator<U>& o) const noexcept {
    return pool == o.pool;
  }
  template <class U>
  bool operator!=(const PoolAllocator<U>& o) const noexcept {
    return pool != o.pool;
  }
  HandlerPool* pool;
};

}  // namespace trap::net::tcp_detail
