// SPDX-License-Identifier: BSL-1.0
// Hub::State, shared by the hub's files.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <trap/hub.hpp>

#include "posix/fd.hpp"

namespace trap {
namespace detail {

/// Reports what a throwing filter, formatter, listener or follow-up did
/// (call it inside a catch block): to the root hub's formatter while a host
/// framework can record it, else as a `# trap:` line past every capture,
/// counted so that the exit status shows it.
void report_hub_error(const char* what);

/// Hub errors that no host framework recorded (see Formatter::hub_error).
std::size_t unrecorded_hub_errors();

/// Marks a report (the TAP stream, a JUnit file) as not written, or not
/// whole: the program then ends with status 255, as Test::More's for a
/// harness failure, whatever the results were.
void mark_report_lost();
/// Whether mark_report_lost() was called.
bool report_lost();

/// Test::More's summary of an ended hub's run, as lines without "# ":
/// "Looks like you planned N tests but ran M." and "Looks like you failed
/// N tests of M[ run]." (" run" when M is not what was planned), singular
/// for one test; none when the plan was met and nothing failed.
std::vector<std::string> looks_like(const Hub& hub);

/// Test::More's END block for the root hub, run by exit() (on_exit()) with
/// the program's status: ends the hub, and exits again if the status must
/// change. A status of the program's own (not 0, not what done_testing()
/// returned) is kept, and said as Test::Builder says it.
void end_of_program(int status, void*);
/// The same, run by quick_exit(), which tells no status.
void end_of_program_quickly();
/// Whether end_of_program() or end_of_program_quickly() has begun.
bool program_ending();
/// Records the status the root hub's done_testing() returned.
void gave_status(int status);
/// Ends the root hub @p h, saying first "No tests run!" if so; if it had
/// ended, sums up the results that came since.
void end_testing(Hub& h);
/// Test::More's exit status for the root hub's results.
int exit_status(const Hub& h);

/// A hub's lock: recursive for the thread that holds it, and safe across
/// fork(). In a forked child only the forking thread exists, so a lock that
/// another thread held at the fork is free there (and its mutex may have
/// been caught mid-update): the child builds the lock afresh the first time
/// it takes it, keeping only what the forking thread itself held. A
/// recursive std::mutex cannot do this: it names its owner by kernel thread
/// id, which the forking thread does not keep in the child.
class HubLock {
 public:
  HubLock();
  void lock();
  bool try_lock();
  void unlock() noexcept;

 private:
  void renew_after_fork();
  std::mutex mutex_;  // guards owner_ and depth_, held only briefly
  std::condition_variable free_;
  std::thread::id owner_;
  int depth_ = 0;
  int pid_;  // the process this lock was built in
};

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
    auto it =
        std::find_if(next->begin(), next->end(), [&](const Entry& e) { return e.id == h.id; });
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
  mutable detail::HubLock mutex;
  bool done_testing = false;                 // trap::done_testing() was called
  trap::source_location done_testing_where;  // ... there, the first time
  std::size_t count_at_finish = 0;           // count when finish() ran
  std::unique_ptr<Formatter> formatter;
  detail::Chain<EventFilter> pre_filters, filters;
  detail::Chain<EventListener> listeners;
  std::vector<FollowUp> follow_ups;
  std::uint64_t next_id = 0;
  std::size_t count = 0;
  std::size_t failed = 0;
  std::optional<std::size_t> planned;
  std::string plan_word;    // "SKIP" or "NO PLAN"
  std::string skip_reason;  // a "SKIP" plan's
  bool ended = false;
  bool failing = false;    // set by is_passing(false)
  std::size_t bailed = 0;  // bail events taken in: the run gave up
  std::size_t bails_acted_on = 0;
  std::string bail_reason;  // the last one's
  trap::source_location bail_where;
  bool no_ending = false;
  bool active = false;
  int program_status = 0;  // the root hub's: the program exited with this status of its own
  // Results from forked children: they append records to this file, the
  // hub's own process reads them in at its next look (Test2's IPC).
  int owner_pid = 0;
  posix::Fd ipc;
  std::size_t ipc_offset = 0;

  void process(Hub& hub, Event event, bool pre_filtered);
  // Whether a bail event came that the hub has not acted on (it now has).
  bool take_bail() {
    if (bailed == bails_acted_on) return false;
    bails_acted_on = bailed;
    return true;
  }
  // Takes in what forked children sent; @p last: no later look will come.
  void read_children(Hub& hub, bool last = false);
  void send_to_parent(Hub& hub, Event event);
  // Gives @p event to the formatter only (Hub::format_only()).
  void show(const Event& event);
};

}  // namespace trap
