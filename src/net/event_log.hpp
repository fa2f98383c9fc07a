// SPDX-License-Identifier: BSL-1.0
// The event log of a trap::net::TcpServer (tcp_server_impl.hpp): the newest
// events in order, kept in blocks of slots that are reused as the log turns
// over, so that logging an event allocates nothing for the log itself once
// it has its blocks (a std::deque of ServerEvent allocates a node per
// event: the event is larger than its node). A slot is a LoggedEvent, a
// third of a ServerEvent's size: the client's addresses are shared with
// the client, a failure's text is kept apart, the kind is a number. A log
// of 100,000 events is 8 MB instead of 26 MB, and two events per request
// touch three cache lines instead of nine.
// A slot reused keeps its input's buffer, unless that is long.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <trap/net.hpp>

namespace trap::net {

namespace tcp_detail {

// The kinds of event; an event names its kind with one of kKinds.
enum class Kind : unsigned char {
  registered,
  connected,
  disconnected,
  client_input,
  client_flushed,
  client_error,
  listener_failed
};
inline constexpr std::array<std::string_view, 7> kKinds = {
    "registered",     "connected",    "disconnected",   "client_input",
    "client_flushed", "client_error", "listener_failed"};
constexpr std::size_t index(Kind k) { return static_cast<std::size_t>(k); }

// An event as the log keeps it (ServerEvent has the same fields).
struct LoggedEvent {
  // What failed (listener_failed, client_error).
  struct Failure {
    std::string operation;
    int error = 0;
    std::string message;
  };
  std::string input;
  Parts parts;                             // a structured message's (empty: none)
  std::shared_ptr<const ClientInfo> info;  // the client's (null: none)
  std::unique_ptr<Failure> failure;
  ClientId client = 0;
  std::uint64_t sequence = 0;
  Kind kind = Kind::registered;
};

}  // namespace tcp_detail

class EventLog {
 public:
  EventLog() = default;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  ~EventLog();  // (event_log.cpp)

  /// Events per block.
  static constexpr std::size_t kBlock = 64;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// The @p i-th event from the oldest kept.
  const tcp_detail::LoggedEvent& operator[](std::size_t i) const {
    const std::size_t at = head_ + i;
    return (*blocks_[at / kBlock])[at % kBlock];
  }
  const tcp_detail::LoggedEvent& back() const { return (*this)[size_ - 1]; }

  /// The slot the next event goes to, emptied (its strings keep their
  /// buffers): fill it, then commit() it. Not one of the events until then.
  tcp_detail::LoggedEvent& next_slot() {
    const std::size_t at = head_ + size_;
    if (at == blocks_.size() * kBlock) {
      Block* b = take_block();  // kept in free_ until blocks_ has it
      blocks_.push_back(b);
      free_.pop_back();
    }
    tcp_detail::LoggedEvent& slot = (*blocks_[at / kBlock])[at % kBlock];
    empty(slot);
    return slot;
  }

  /// Makes the slot next_slot() gave the newest event; @returns it.
  tcp_detail::LoggedEvent& commit() {
    const std::size_t at = head_ + size_++;
    return (*blocks_[at / kBlock])[at % kBlock];
  }

  /// Drops the oldest event (its slot is kept for reuse).
  void pop_front() {
    release((*blocks_.front())[head_]);
    --size_;
    if (++head_ == kBlock) {  // the front block is empty: keep it for reuse
      free_.push_back(blocks_.front());
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
  using Block = std::array<tcp_detail::LoggedEvent, kBlock>;

  /// A string buffer larger than this is freed when its event is dropped.
  static constexpr std::size_t kKeep = 256;

  static void empty(tcp_detail::LoggedEvent& e) {
    e.input.clear();
    e.parts.clear();
    e.info.reset();  // (null already: release() let it go)
    e.failure.reset();
    e.client = 0;
    e.sequence = 0;
  }

  // What an event held of others is let go when it is dropped; its input's
  // buffer is kept unless long. (Only the slot's first cache line is read.)
  static void release(tcp_detail::LoggedEvent& e) {
    if (e.input.capacity() > kKeep) std::string().swap(e.input);
    e.info.reset();
    e.failure.reset();
  }

  // The last block of free_, which is made if it is empty (its events
  // constructed, not zeroed first). free_ can then take back every block
  // without allocating.
  Block* take_block();

  // Where the blocks' memory comes from (event_log.cpp): the first ones
  // from the heap, then 2 MiB chunks the kernel may back with huge pages.
  // A log of 100,000 events is 8 MB: in 4 KiB pages, 2,000 page faults,
  // each several microseconds on a virtual machine; in huge pages, four.
  // Every block is kept until the log goes (the log's size bounds them).
  class Memory {
   public:
    Memory() = default;
    Memory(const Memory&) = delete;
    Memory& operator=(const Memory&) = delete;
    ~Memory();
    void* take();

   private:
    std::vector<void*> heap_;     // blocks from the heap
    std::vector<void*> chunks_;   // mapped chunks
    std::size_t chunk_used_ = 0;  // blocks taken from chunks_.back()
  };

  std::deque<Block*> blocks_;  // the events kept, in order
  std::vector<Block*> free_;   // blocks emptied, for reuse
  std::size_t head_ = 0;       // the oldest event's slot in the front block
  std::size_t size_ = 0;
  Memory memory_;  // the blocks' events are destroyed before it (~EventLog)
};

}  // namespace trap::net
