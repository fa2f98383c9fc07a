// SPDX-License-Identifier: BSL-1.0
// The hub: filters, numbering, counts, the formatter, listeners, plans, and
// results from forked children.
#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <trap/errors.hpp>
#include <trap/hub.hpp>

#include "capture/capture.hpp"
#include "posix/fd.hpp"
#include "posix/stop_shield.hpp"
#include "report/event_codec.hpp"
#include "report/hub_internals.hpp"
#include "report/hub_state.hpp"

namespace trap {

Formatter::~Formatter() = default;
void Formatter::finish(const Hub&) {}
bool Formatter::hub_error(std::string_view) { return false; }
bool Formatter::host_framework() const { return false; }

namespace detail {

HubLock::HubLock() : pid_(posix::self_pid()) {}

void HubLock::renew_after_fork() {
  const std::thread::id owner = owner_;
  const int depth = depth_;
  new (&mutex_) std::mutex;
  new (&free_) std::condition_variable;
  owner_ = {};
  depth_ = 0;
  if (owner == std::this_thread::get_id()) {
    owner_ = owner;
    depth_ = depth;
  }
  pid_ = posix::self_pid();
}

// Each hold is a critical section: a stop (in-process timeout) must not
// leave the hub locked for ever.
void HubLock::lock() {
  enter_shield();
  if (pid_ != posix::self_pid()) renew_after_fork();
  const auto me = std::this_thread::get_id();
  std::unique_lock guard(mutex_);
  if (depth_ > 0 && owner_ == me) {
    ++depth_;
    return;
  }
  free_.wait(guard, [&] { return depth_ == 0; });
  owner_ = me;
  depth_ = 1;
}

bool HubLock::try_lock() {
  enter_shield();
  if (pid_ != posix::self_pid()) renew_after_fork();
  const auto me = std::this_thread::get_id();
  {
    std::lock_guard guard(mutex_);
    if (depth_ == 0 || owner_ == me) {
      owner_ = me;
      ++depth_;
      return true;
    }
  }
  leave_shield();
  return false;
}

void HubLock::unlock() noexcept {
  {
    std::lock_guard guard(mutex_);
    if (depth_ == 0 || owner_ != std::this_thread::get_id()) return;
    if (--depth_ == 0) {
      owner_ = {};
      free_.notify_one();
    }
  }
  leave_shield();  // a stop deferred meanwhile lands here, the hub unlocked
}

}  // namespace detail

namespace {

// A member of the hub's state, read or set under the state's lock.
template <class State, class T>
T read_locked(const State& s, T State::*member) {
  std::lock_guard lock(s.mutex);
  return s.*member;
}
template <class State, class T>
void write_locked(State& s, T State::*member, T value) {
  std::lock_guard lock(s.mutex);
  s.*member = std::move(value);
}

// Adds @p fn (a filter or listener) to @p chain; its handle. @p caller
// names the Hub method for the error. @throws UsageError if @p fn is empty.
template <class State, class Chain, class Fn>
HubHandle add_locked(State& s, Chain State::*chain, Fn fn, bool inherit, const char* caller) {
  if (!fn) throw UsageError(std::string(caller) + ": no function");
  std::lock_guard lock(s.mutex);
  (s.*chain).add({++s.next_id, std::move(fn), inherit});
  return {s.next_id};
}

// Removes handle @p h from @p chain, whose entries are @p what.
// @throws UsageError if it is not there.
template <class State, class Chain>
void remove_locked(State& s, Chain State::*chain, HubHandle h, const char* caller,
                   const char* what) {
  std::lock_guard lock(s.mutex);
  if (!(s.*chain).remove(h))
    throw UsageError(std::string(caller) + ": no " + what + " with handle " + std::to_string(h.id) +
                     " on this hub");
}

}  // namespace

Hub::Hub() : Hub(make_tap_formatter()) {}

Hub::Hub(std::unique_ptr<Formatter> formatter) : s_(std::make_unique<State>()) {
  s_->formatter = std::move(formatter);
  s_->owner_pid = posix::self_pid();
  try {
    s_->ipc = posix::memfd("trap-hub");
    if (!s_->ipc) s_->ipc = posix::temp_file(detail::temp_dir());
    posix::set_append(s_->ipc.get());
  } catch (const std::exception&) {
    s_->ipc.reset();  // no results from children then; everything else works
  }
}

Hub::~Hub() = default;

void Hub::send(Event event) {
  bool bail_first = false, bail = false;
  {
    std::lock_guard lock(s_->mutex);
    if (posix::self_pid() != s_->owner_pid) {
      s_->send_to_parent(*this, std::move(event));
      return;
    }
    s_->read_children(*this);
    bail_first = s_->take_bail();  // a forked child's, taken in here or before
    if (!bail_first) {
      s_->process(*this, std::move(event), false);
      bail = s_->take_bail();
    }
  }
  if (!bail_first && !bail) return;
  // As Test2's hub, the run gives up now, unless this hub only records
  // bail-outs (see bail_out()); then the event goes on.
  detail::HubInternals::bailed_out(*this);
  if (bail_first) send(std::move(event));
}

void Hub::State::send_to_parent(Hub& hub, Event event) {
  // Test2's rule: pre-filters run here, in the child; filters in the parent.
  auto chain = pre_filters.snapshot();
  for (auto& f : *chain) {
    try {
      std::optional<Event> kept = f.fn(hub, std::move(event));
      if (!kept) return;
      event = std::move(*kept);
    } catch (...) {
      detail::report_hub_error("a filter");
      return;
    }
  }
  if (!ipc) return;
  try {
    std::string record = detail::encode_event(event);
    posix::write_all(ipc.get(), record.data(), record.size());  // one append
  } catch (...) {
    detail::report_hub_error("sending a result to the parent process");
  }
}

void Hub::State::read_children(Hub& hub, bool last) {
  // Nothing to read until this process has forked at least once.
  if (!ipc || posix::fork_count() == 0) return;
  std::string bytes;
  try {
    posix::read_from(ipc.get(), ipc_offset, bytes);
  } catch (...) {
    // What is not read now stays in the file for the next look; at the end
    // there is none, and the results would be lost without a word.
    if (last) detail::report_hub_error("reading the results of forked children");
    return;
  }
  if (bytes.empty()) return;
  detail::Decoded d = detail::decode_events(bytes);
  ipc_offset += d.consumed;
  for (std::size_t i = 0; i < d.events.size(); ++i) {
    if (d.display_only[i])
      show(d.events[i]);  // a subtest's event, as the child's format_only()
    else
      process(hub, std::move(d.events[i]), true);
  }
  if (d.malformed) {
    ipc_offset += bytes.size() - d.consumed;  // cannot find the next record
    Event error;
    error.pass = false;
    error.name = "a result from a child process";
    error.diagnostics.push_back("    A child process wrote a malformed event record (" +
                                std::to_string(bytes.size() - d.consumed) + " bytes dropped)");
    process(hub, std::move(error), true);
  }
}

void Hub::State::process(Hub& hub, Event event, bool pre_filtered) {
  active = true;
  for (auto* chain : {&pre_filters, &filters}) {
    if ((pre_filtered && chain == &pre_filters) || chain->entries().empty()) continue;
    auto snapshot = chain->snapshot();
    for (auto& f : *snapshot) {
      try {
        std::optional<Event> kept = f.fn(hub, std::move(event));
        if (!kept) return;  // dropped
        event = std::move(*kept);
      } catch (...) {
        detail::report_hub_error("a filter");
        ++failed;
        return;
      }
    }
  }
  if (event.kind == Event::Kind::ok) {
    event.number = ++count;
    if (!event.pass && event.todo.empty()) ++failed;
  }
  if (event.kind == Event::Kind::bail) {  // the run fails (Test::More: 255)
    ++bailed;
    bail_reason = event.name;
    bail_where = event.where;
  }
  if (formatter) {
    try {
      formatter->write(event);
    } catch (...) {
      detail::report_hub_error("the formatter");
      ++failed;
    }
  }
  if (listeners.entries().empty()) return;
  auto snapshot = listeners.snapshot();
  for (auto& l : *snapshot) {
    try {
      l.fn(hub, event, count);
    } catch (...) {
      detail::report_hub_error("a listener");
      ++failed;
    }
  }
}

void Hub::collect_() {
  std::lock_guard lock(s_->mutex);
  if (posix::self_pid() == s_->owner_pid) s_->read_children(*this);
}

void Hub::cull() { collect_(); }

HubHandle Hub::filter(EventFilter f, bool inherit) {
  return add_locked(*s_, &State::filters, std::move(f), inherit, "filter()");
}

HubHandle Hub::pre_filter(EventFilter f, bool inherit) {
  return add_locked(*s_, &State::pre_filters, std::move(f), inherit, "pre_filter()");
}

void Hub::unfilter(HubHandle h) { remove_locked(*s_, &State::filters, h, "unfilter()", "filter"); }

void Hub::pre_unfilter(HubHandle h) {
  remove_locked(*s_, &State::pre_filters, h, "pre_unfilter()", "pre-filter");
}

HubHandle Hub::listen(EventListener l, bool inherit) {
  return add_locked(*s_, &State::listeners, std::move(l), inherit, "listen()");
}

void Hub::unlisten(HubHandle h) {
  remove_locked(*s_, &State::listeners, h, "unlisten()", "listener");
}

void Hub::follow_up(FollowUp f) {
  if (!f) throw UsageError("follow_up(): no function");
  std::lock_guard lock(s_->mutex);
  s_->follow_ups.push_back(std::move(f));
}

std::unique_ptr<Formatter> Hub::format(std::unique_ptr<Formatter> formatter) {
  std::lock_guard lock(s_->mutex);
  if (posix::self_pid() != s_->owner_pid) {
    // A forked child that sets a formatter reports for itself from now on;
    // its own children report to it.
    s_->owner_pid = posix::self_pid();
    s_->ipc.reset();
    s_->ipc_offset = 0;
    try {
      s_->ipc = posix::memfd("trap-hub");
      if (s_->ipc) posix::set_append(s_->ipc.get());
    } catch (const std::exception&) {
      s_->ipc.reset();
    }
  }
  std::swap(formatter, s_->formatter);
  return formatter;
}

std::size_t Hub::count() const {
  std::lock_guard lock(s_->mutex);
  const_cast<Hub*>(this)->collect_();
  return s_->count;
}

std::size_t Hub::failed() const {
  std::lock_guard lock(s_->mutex);
  const_cast<Hub*>(this)->collect_();
  return s_->failed;
}

bool Hub::is_passing() const {
  std::lock_guard lock(s_->mutex);
  const_cast<Hub*>(this)->collect_();
  if (s_->failing || s_->bailed || s_->failed > 0) return false;
  auto plan_ok = check_plan();
  return !plan_ok || *plan_ok;
}

void Hub::is_passing(bool passing) { write_locked(*s_, &State::failing, !passing); }

void Hub::plan(std::size_t tests) {
  {
    std::lock_guard lock(s_->mutex);
    if (s_->planned || !s_->plan_word.empty()) throw UsageError("You tried to plan twice");
    s_->planned = tests;
  }
  Event e;
  e.kind = Event::Kind::plan;
  e.count = tests;
  send(std::move(e));
}

void Hub::plan(std::string_view directive) {
  if (directive != "SKIP" && directive != "NO PLAN")
    throw UsageError("plan(): \"" + std::string(directive) +
                     "\" is not a plan; use a number, \"SKIP\" or \"NO PLAN\"");
  if (directive == "SKIP") return plan(directive, "");
  std::lock_guard lock(s_->mutex);
  if (s_->planned || !s_->plan_word.empty()) throw UsageError("You tried to plan twice");
  s_->plan_word = std::string(directive);
}

void Hub::plan(std::string_view directive, std::string_view reason) {
  if (directive != "SKIP")
    throw UsageError("plan(): \"" + std::string(directive) +
                     "\" takes no reason; only \"SKIP\" does");
  {
    std::lock_guard lock(s_->mutex);
    if (s_->planned || !s_->plan_word.empty()) throw UsageError("You tried to plan twice");
    s_->plan_word = "SKIP";
    s_->skip_reason = std::string(reason);
  }
  Event e;
  e.kind = Event::Kind::plan;
  e.count = 0;
  e.name = reason.empty() ? std::string("SKIP") : "SKIP " + std::string(reason);
  send(std::move(e));
}

std::optional<std::size_t> Hub::planned() const { return read_locked(*s_, &State::planned); }

std::optional<bool> Hub::check_plan() const {
  std::lock_guard lock(s_->mutex);
  if (!s_->ended) return std::nullopt;
  if (s_->plan_word == "SKIP") return s_->count == 0;
  if (!s_->planned) return std::nullopt;
  return *s_->planned == s_->count;
}

bool Hub::ended() const { return read_locked(*s_, &State::ended); }

void Hub::set_no_ending(bool no_ending) { write_locked(*s_, &State::no_ending, no_ending); }

bool Hub::no_ending() const { return read_locked(*s_, &State::no_ending); }

void Hub::set_active(bool active) { write_locked(*s_, &State::active, active); }

bool Hub::active() const { return read_locked(*s_, &State::active); }

void Hub::finish() {
  std::lock_guard lock(s_->mutex);
  // Only the process that made the hub (or took it over with format())
  // ends it: a forked child's copy prints no plan and runs no follow-up.
  if (s_->ended || posix::self_pid() != s_->owner_pid) return;
  s_->read_children(*this, true);
  s_->ended = true;
  auto follow_ups = std::move(s_->follow_ups);
  for (auto& f : follow_ups) {
    try {
      f(*this);
    } catch (...) {
      detail::report_hub_error("a follow-up");
      ++s_->failed;
    }
  }
  s_->count_at_finish = s_->count;
  if (!s_->formatter) return;
  try {
    s_->formatter->finish(*this);
  } catch (...) {
    detail::report_hub_error("the formatter");
  }
}

void Hub::format_only(const Event& event) {
  std::lock_guard lock(s_->mutex);
  if (posix::self_pid() != s_->owner_pid) {
    // A forked child's subtest: shown by the parent, in order with the
    // results the child sends it (the subtest's note before, its result
    // after), not written out of turn from here.
    if (!s_->ipc) return;
    try {
      std::string record = detail::encode_event(event, true);
      posix::write_all(s_->ipc.get(), record.data(), record.size());  // one append
    } catch (...) {
      detail::report_hub_error("sending a subtest's result to the parent process");
    }
    return;
  }
  s_->show(event);
}

void Hub::State::show(const Event& event) {
  if (!formatter) return;
  try {
    formatter->write(event);
  } catch (...) {
    detail::report_hub_error("the formatter");
    ++failed;
  }
}

void Hub::inherit_from(const Hub& parent) {
  std::scoped_lock lock(s_->mutex, parent.s_->mutex);
  for (auto& f : parent.s_->pre_filters.entries())
    if (f.inherit) s_->pre_filters.add({++s_->next_id, f.fn, true});
  for (auto& f : parent.s_->filters.entries())
    if (f.inherit) s_->filters.add({++s_->next_id, f.fn, true});
  for (auto& l : parent.s_->listeners.entries())
    if (l.inherit) s_->listeners.add({++s_->next_id, l.fn, true});
}

void Hub::reset_state() {
  std::lock_guard lock(s_->mutex);
  s_->count = s_->failed = 0;
  s_->planned.reset();
  s_->plan_word.clear();
  s_->skip_reason.clear();
  s_->ended = s_->failing = false;
  s_->bailed = s_->bails_acted_on = 0;
}

}  // namespace trap
