// SPDX-License-Identifier: BSL-1.0
// Memory for the operations a trap::net::TcpServer keeps under way on its
// own thread: each client's read, its write and the task that starts the
// reads put off (tcp_server_impl.hpp). Asio allocates an operation per
// request; its own cache per thread keeps two blocks, and a server with
// 100 clients has up to 200 operations under way, so most came from
// malloc. Here a block freed is kept for the next operation, without
// limit: as many blocks as operations were ever under way at once.
// Private to the server's files: it brings Boost.Asio in.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/recycling_allocator.hpp>

namespace trap::net::tcp_detail {

// Blocks of one size, taken and given back on one thread at a time (the
// server's, or the one that destroys its io_context after joining it).
class HandlerMemory {
 public:
  // What a block holds; an operation larger than this is allocated by
  // Asio's allocator instead.
  static constexpr std::size_t kSize = 512;

  void* take() {
    if (free_.empty()) {
      blocks_.push_back(std::make_unique<Block>());
      free_.reserve(blocks_.size());  // give_back() never allocates
      return blocks_.back().get();
    }
    void* p = free_.back();
    free_.pop_back();
    return p;
  }

  void give_back(void* p) noexcept { free_.push_back(p); }

 private:
  struct alignas(std::max_align_t) Block {
    unsigned char bytes[kSize];
  };
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<void*> free_;
};

// An allocator taking its blocks from a HandlerMemory, which must outlive
// every operation allocated (bound to a handler with asio::bind_allocator);
// with none, Asio's own recycling allocator.
template <class T>
class HandlerAllocator {
 public:
  using value_type = T;

  explicit HandlerAllocator(HandlerMemory* memory) noexcept : memory_(memory) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory()) {}

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= alignof(std::max_align_t));
    if (fits(n)) return static_cast<T*>(memory_->take());
    return boost::asio::recycling_allocator<T>().allocate(n);
  }

  void deallocate(T* p, std::size_t n) {
    if (fits(n))
      memory_->give_back(p);
    else
      boost::asio::recycling_allocator<T>().deallocate(p, n);
  }

  HandlerMemory* memory() const noexcept { return memory_; }

  friend bool operator==(const HandlerAllocator& a, const HandlerAllocator& b) noexcept {
    return a.memory_ == b.memory_;
  }

 private:
  bool fits(std::size_t n) const noexcept {
    return memory_ && n * sizeof(T) <= HandlerMemory::kSize;
  }

  HandlerMemory* memory_;
};

// A handler whose operation takes its memory from an allocator: Asio finds
// allocator_type and get_allocator(). What asio::bind_allocator does,
// without the copies of the handler its initiation makes (two atomic
// operations each for the client it holds).
template <class F>
class WithMemory {
 public:
  using allocator_type = HandlerAllocator<void>;

  WithMemory(allocator_type allocator, F f) : allocator_(allocator), f_(std::move(f)) {}

  allocator_type get_allocator() const noexcept { return allocator_; }

  template <class... Args>
  void operator()(Args&&... args) {
    f_(std::forward<Args>(args)...);
  }

 private:
  allocator_type allocator_;
  F f_;
};

}  // namespace trap::net::tcp_detail
