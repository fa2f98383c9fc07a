// SPDX-License-Identifier: BSL-1.0
// The event log of a trap::net::TcpServer (tcp_server_impl.hpp): the newest
// events in order, kept in blocks of slots that are reused as the log turns
// over, so that logging an event allocates nothing for the log itself once
// it has its blocks (a std::deque of ServerEvent allocates a node per
// event: the event is larger than its node). An event stays where it is
// until it is dropped: a handler may hold it while nested events are logged.
// A slot reused keeps its strings' buffers (a name longer than a short
// string's is not allocated again), except a long message's.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <trap/net.hpp>

namespace trap::net {

class EventLog {
 public:
  /// Events per block.
  static constexpr std::size_t kBlock = 64;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// The @p i-th event from the oldest kept.
  const ServerEvent& operator[](std::size_t i) const {
    const std::size_t at = head_ + i;
    return (*blocks_[at / kBlock])[at % kBlock];
  }
  const ServerEvent& back() const { return (*this)[size_ - 1]; }

  /// The slot the next event goes to, emptied (its strings keep their
  /// buffers): fill it, then commit() it. Not one of the events until then.
  ServerEvent& next_slot() {
    const std::size_t at = head_ + size_;
    if (at == blocks_.size() * kBlock) blocks_.push_back(take_block());
    ServerEvent& slot = (*blocks_[at / kBlock])[at % kBlock];
    empty(slot);
    return slot;
  }

  /// Makes the slot next_slot() gave the newest event; @returns it.
  ServerEvent& commit() {
    const std::size_t at = head_ + size_++;
    return (*blocks_[at / kBlock])[at % kBlock];
  }

  /// Drops the oldest event (its slot is kept for reuse).
  void pop_front() {
    release((*blocks_.front())[head_]);
    --size_;
    if (++head_ == kBlock) {  // the front block is empty: keep it for reuse
      spare_ = std::move(blocks_.front());
      blocks_.pop_front();
      head_ = 0;
    }
  }

  /// @p copy(e) of every event kept, oldest first.
  template <class Copy>
  std::vector<ServerEvent> copy(Copy&& copy) const {
    std::vector<ServerEvent> out;
    out.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) out.push_back(copy((*this)[i]));
    return out;
  }

 private:
  using Block = std::array<ServerEvent, kBlock>;

  /// A string buffer larger than this is freed when its event is dropped.
  static constexpr std::size_t kKeep = 256;

  static void empty(ServerEvent& e) {
    e.kind.clear();
    e.name.clear();
    e.client = 0;
    e.input.clear();
    e.parts.clear();
    e.info.peeraddr.clear();
    e.info.peerport = 0;
    e.info.sockaddr.clear();
    e.info.sockport = 0;
    e.operation.clear();
    e.error = 0;
    e.message.clear();
    e.sequence = 0;
  }

  // (A message is the server's own short text: only the input is looked
  // at, one cache line of an event written long ago.)
  static void release(ServerEvent& e) {
    if (e.input.capacity() > kKeep) std::string().swap(e.input);
  }

  std::unique_ptr<Block> take_block() {
    if (spare_) return std::move(spare_);
    return std::unique_ptr<Block>(new Block);  // not zeroed first: each event is constructed
  }

  std::deque<std::unique_ptr<Block>> blocks_;
  std::unique_ptr<Block> spare_;  // the last block emptied
  std::size_t head_ = 0;          // the oldest event's slot in the front block
  std::size_t size_ = 0;
};

}  // namespace trap::net
