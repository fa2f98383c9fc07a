// SPDX-License-Identifier: BSL-1.0
// The open clients of a trap::net::TcpServer by id (tcp_server_impl.hpp).
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

#include <trap/net.hpp>

namespace trap::net::tcp_detail {

struct Client;

// The open clients by id, in order: ids are given out in increasing order
// and never reused, so a client's place is its id less the oldest open
// one's (a lookup is an index, not a search). Server's thread only.
class ClientTable {
 public:
  std::size_t size() const { return size_; }

  void insert(ClientId id, std::shared_ptr<Client> c) {
    if (size_ == 0) {
      slots_.clear();
      first_ = id;
    }
    const std::size_t at = id - first_;
    if (at >= slots_.size()) slots_.resize(at + 1);
    slots_[at] = std::move(c);
    ++size_;
  }

  /// The client @p id, or null if it is not open.
  std::shared_ptr<Client> find(ClientId id) const {
    if (id < first_ || id - first_ >= slots_.size()) return nullptr;
    return slots_[id - first_];
  }

  void erase(ClientId id) {
    if (id < first_ || id - first_ >= slots_.size() || !slots_[id - first_]) return;
    slots_[id - first_].reset();
    --size_;
    while (!slots_.empty() && !slots_.front()) {  // the oldest ones closed
      slots_.pop_front();
      ++first_;
    }
  }

  /// Calls @p f(client) for each open client, oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (auto& c : slots_)
      if (c) f(c);
  }

  void clear() {
    slots_.clear();
    size_ = 0;
  }

 private:
  std::deque<std::shared_ptr<Client>> slots_;  // null: closed
  ClientId first_ = 0;                         // the id of slots_.front()
  std::size_t size_ = 0;
};

}  // namespace trap::net::tcp_detail
