// Hub::State, shared by the hub's files.
#pragma once

#include <trap/hub.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "posix/fd.hpp"

namespace trap {
namespace detail {

/// Prints what a throwing filter, formatter, listener or follow-up did, past
/// every capture (call it inside a catch block).
void report_hub_error(const char* what);

// Filters or listeners, copied on write: sending an event takes a snapshot
// (one reference count) rather than a copy, and a filter or listener may
// still add or remove others while it runs.
template <class Fn>
class Chain {
 public:
  struct Entry {
    std::uint64_t id;
    Fn fn;
    bool inherit;
  };
  using List = std::vector<Entry>;
  std::shared_ptr<const List> snapshot() const { return list_; }
  const List& entries() const { return *list_; }
  void add(Entry e) {
    auto next = std::make_shared<List>(*list_);
    next->push_back(std::move(e));
    list_ = std::move(next);
  }
  bool remove(HubHandle h) {
    auto next = std::make_shared<List>(*list_);
    auto it = std::find_if(next->begin(), next->end(), [&](const Entry& e) { return e.id == h.id; });
    if (it == next->end()) return false;
    next->erase(it);
    list_ = std::move(next);
    return true;
  }

 private:
  std::shared_ptr<const List> list_ = std::make_shared<const List>();
};

}  // namespace detail

struct Hub::State {
  mutable std::recursive_mutex mutex;
  std::unique_ptr<Formatter> formatter;
  detail::Chain<EventFilter> pre_filters, filters;
  detail::Chain<EventListener> listeners;
  std::vector<FollowUp> follow_ups;
  std::uint64_t next_id = 0;
  std::size_t count = 0;
  std::size_t failed = 0;
  std::optional<std::size_t> planned;
  std::string plan_word;  // "SKIP" or "NO PLAN"
  bool ended = false;
  bool failing = false;  // set by is_passing(false)
  bool no_ending = false;
  bool active = false;
  // Results from forked children: they append records to this file, the
  // hub's own process reads them in at its next look (Test2's IPC).
  int owner_pid = 0;
  posix::Fd ipc;
  std::size_t ipc_offset = 0;

  void process(Hub& hub, Event event, bool pre_filtered);
  void read_children(Hub& hub);
  void send_to_parent(Hub& hub, Event event);
};


}  // namespace trap
