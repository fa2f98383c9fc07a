// SPDX-License-Identifier: BSL-1.0
// The memory of a trap::net::TcpServer's event log (event_log.hpp).
#include "net/event_log.hpp"

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace trap::net {

namespace {

constexpr std::size_t kChunk = std::size_t{2} << 20;  // a huge page on x86-64 and arm64

// Blocks taken from the heap before chunks are mapped: a log of a few
// thousand events (most tests' servers) takes no 2 MiB chunk.
constexpr std::size_t kHeapBlocks = 16;

// A 2 MiB chunk aligned on 2 MiB, so that the kernel can back it with one
// huge page where transparent huge pages are enabled (or enabled on
// request); null if it cannot be mapped.
void* map_chunk() {
  void* p = ::mmap(nullptr, 2 * kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  const auto aligned = (start + kChunk - 1) & ~(std::uintptr_t{kChunk} - 1);
  if (aligned > start) ::munmap(p, aligned - start);
  if (const auto tail = start + 2 * kChunk - (aligned + kChunk))
    ::munmap(reinterpret_cast<void*>(aligned + kChunk), tail);
#ifdef MADV_HUGEPAGE
  ::madvise(reinterpret_cast<void*>(aligned), kChunk, MADV_HUGEPAGE);  // a hint: may fail
#endif
  return reinterpret_cast<void*>(aligned);
}

}  // namespace

EventLog::~EventLog() {
  for (Block* b : blocks_) b->~Block();
  for (Block* b : free_) b->~Block();
}

EventLog::Block* EventLog::take_block() {
  if (!free_.empty()) return free_.back();
  free_.reserve(blocks_.size() + 1);  // pop_front() never allocates
  void* p = memory_.take();
  free_.push_back(new (p) Block);  // cannot throw: reserved, and a slot's constructor does not
  return free_.back();
}

EventLog::Memory::~Memory() {
  for (void* p : heap_) ::operator delete(p);
  for (void* p : chunks_) ::munmap(p, kChunk);
}

void* EventLog::Memory::take() {
  constexpr std::size_t per_chunk = kChunk / sizeof(Block);
  static_assert(per_chunk > 0 && alignof(Block) <= alignof(std::max_align_t));
  if (heap_.size() >= kHeapBlocks) {
    if (!chunks_.empty() && chunk_used_ < per_chunk)
      return static_cast<unsigned char*>(chunks_.back()) + sizeof(Block) * chunk_used_++;
    chunks_.reserve(chunks_.size() + 1);
    if (void* chunk = map_chunk()) {
      chunks_.push_back(chunk);
      chunk_used_ = 1;
      return chunk;
    }
  }
  heap_.reserve(heap_.size() + 1);
  void* p = ::operator new(sizeof(Block));
  heap_.push_back(p);
  return p;
}

}  // namespace trap::net
