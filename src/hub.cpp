// The hub: numbering, counts, the formatter, intercept().
#include <trap/hub.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <trap/errors.hpp>

#include "capture.hpp"
#include "event_codec.hpp"
#include "hub_access.hpp"
#include "posix/fd.hpp"

namespace trap {

Formatter::~Formatter() = default;
void Formatter::finish(const Hub&) {}

namespace {

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

}  // namespace

struct Hub::State {
  mutable std::recursive_mutex mutex;
  std::unique_ptr<Formatter> formatter;
  Chain<EventFilter> pre_filters, filters;
  Chain<EventListener> listeners;
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

namespace {

std::string temp_dir_for_hub() {
  const char* d = std::getenv("TMPDIR");
  return d && *d ? d : "/tmp";
}

// What a throwing filter, formatter or listener did: printed past every
// capture, and counted as a failure.
void report_error(const char* what) {
  std::string message = "# trap: ";
  try {
    throw;
  } catch (const std::exception& e) {
    message += std::string(what) + " threw: " + e.what();
  } catch (...) {
    message += std::string(what) + " threw an exception";
  }
  detail::write_original(2, message + "\n");
}

}  // namespace

Hub::Hub() : Hub(make_tap_formatter()) {}

Hub::Hub(std::unique_ptr<Formatter> formatter) : s_(std::make_unique<State>()) {
  s_->formatter = std::move(formatter);
  s_->owner_pid = posix::self_pid();
  try {
    s_->ipc = posix::memfd("trap-hub");
    if (!s_->ipc) s_->ipc = posix::temp_file(temp_dir_for_hub());
    posix::set_append(s_->ipc.get());
  } catch (const std::exception&) {
    s_->ipc.reset();  // no results from children then; everything else works
  }
}

Hub::~Hub() = default;

void Hub::send(Event event) {
  std::lock_guard lock(s_->mutex);
  if (posix::self_pid() != s_->owner_pid) {
    s_->send_to_parent(*this, std::move(event));
    return;
  }
  s_->read_children(*this);
  s_->process(*this, std::move(event), false);
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
      report_error("a filter");
      return;
    }
  }
  if (!ipc) return;
  try {
    std::string record = detail::encode_event(event);
    posix::write_all(ipc.get(), record.data(), record.size());  // one append
  } catch (...) {
    report_error("sending a result to the parent process");
  }
}

void Hub::State::read_children(Hub& hub) {
  // Nothing to read until this process has forked at least once.
  if (!ipc || posix::fork_count() == 0) return;
  std::string bytes;
  try {
    posix::read_from(ipc.get(), ipc_offset, bytes);
  } catch (...) {
    return;
  }
  if (bytes.empty()) return;
  detail::Decoded d = detail::decode_events(bytes);
  ipc_offset += d.consumed;
  for (auto& e : d.events) process(hub, std::move(e), true);
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
        report_error("a filter");
        ++failed;
        return;
      }
    }
  }
  if (event.kind == Event::Kind::ok) {
    event.number = ++count;
    if (!event.pass && event.todo.empty()) ++failed;
  }
  if (formatter) {
    try {
      formatter->write(event);
    } catch (...) {
      report_error("the formatter");
      ++failed;
    }
  }
  if (listeners.entries().empty()) return;
  auto snapshot = listeners.snapshot();
  for (auto& l : *snapshot) {
    try {
      l.fn(hub, event, count);
    } catch (...) {
      report_error("a listener");
      ++failed;
    }
  }
}

void Hub::collect_() {
  std::lock_guard lock(s_->mutex);
  if (posix::self_pid() == s_->owner_pid) s_->read_children(*this);
}

HubHandle Hub::filter(EventFilter f, bool inherit) {
  if (!f) throw UsageError("filter(): no function");
  std::lock_guard lock(s_->mutex);
  s_->filters.add({++s_->next_id, std::move(f), inherit});
  return {s_->next_id};
}

HubHandle Hub::pre_filter(EventFilter f, bool inherit) {
  if (!f) throw UsageError("pre_filter(): no function");
  std::lock_guard lock(s_->mutex);
  s_->pre_filters.add({++s_->next_id, std::move(f), inherit});
  return {s_->next_id};
}

void Hub::unfilter(HubHandle h) {
  std::lock_guard lock(s_->mutex);
  if (!s_->filters.remove(h))
    throw UsageError("unfilter(): no filter with handle " + std::to_string(h.id) + " on this hub");
}

void Hub::pre_unfilter(HubHandle h) {
  std::lock_guard lock(s_->mutex);
  if (!s_->pre_filters.remove(h))
    throw UsageError("pre_unfilter(): no pre-filter with handle " + std::to_string(h.id) +
                     " on this hub");
}

HubHandle Hub::listen(EventListener l, bool inherit) {
  if (!l) throw UsageError("listen(): no function");
  std::lock_guard lock(s_->mutex);
  s_->listeners.add({++s_->next_id, std::move(l), inherit});
  return {s_->next_id};
}

void Hub::unlisten(HubHandle h) {
  std::lock_guard lock(s_->mutex);
  if (!s_->listeners.remove(h))
    throw UsageError("unlisten(): no listener with handle " + std::to_string(h.id) +
                     " on this hub");
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
  if (s_->failing || s_->failed > 0) return false;
  auto plan_ok = check_plan();
  return !plan_ok || *plan_ok;
}

void Hub::is_passing(bool passing) {
  std::lock_guard lock(s_->mutex);
  s_->failing = !passing;
}

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
  {
    std::lock_guard lock(s_->mutex);
    if (s_->planned || !s_->plan_word.empty()) throw UsageError("You tried to plan twice");
    s_->plan_word = std::string(directive);
  }
  if (directive == "SKIP") {
    Event e;
    e.kind = Event::Kind::plan;
    e.count = 0;
    e.name = "SKIP";
    send(std::move(e));
  }
}

std::optional<std::size_t> Hub::planned() const {
  std::lock_guard lock(s_->mutex);
  return s_->planned;
}

std::optional<bool> Hub::check_plan() const {
  std::lock_guard lock(s_->mutex);
  if (!s_->ended) return std::nullopt;
  if (s_->plan_word == "SKIP") return s_->count == 0;
  if (!s_->planned) return std::nullopt;
  return *s_->planned == s_->count;
}

bool Hub::ended() const {
  std::lock_guard lock(s_->mutex);
  return s_->ended;
}

void Hub::set_no_ending(bool no_ending) {
  std::lock_guard lock(s_->mutex);
  s_->no_ending = no_ending;
}

bool Hub::no_ending() const {
  std::lock_guard lock(s_->mutex);
  return s_->no_ending;
}

void Hub::set_active(bool active) {
  std::lock_guard lock(s_->mutex);
  s_->active = active;
}

bool Hub::active() const {
  std::lock_guard lock(s_->mutex);
  return s_->active;
}

void Hub::finish() {
  std::lock_guard lock(s_->mutex);
  if (s_->ended) return;
  collect_();
  s_->ended = true;
  auto follow_ups = std::move(s_->follow_ups);
  for (auto& f : follow_ups) {
    try {
      f(*this);
    } catch (...) {
      report_error("a follow-up");
      ++s_->failed;
    }
  }
  if (!s_->formatter) return;
  try {
    s_->formatter->finish(*this);
  } catch (...) {
    report_error("the formatter");
  }
}

void Hub::reset_state() {
  std::lock_guard lock(s_->mutex);
  s_->count = s_->failed = 0;
  s_->planned.reset();
  s_->plan_word.clear();
  s_->ended = s_->failing = false;
}

namespace {

struct RootHub {
  Hub hub;
  ~RootHub() {
    if (hub.active() && !hub.no_ending()) hub.finish();
  }
};

thread_local Hub* private_hub = nullptr;

// intercept()'s formatter: keeps its hub's own events; a subtest's events
// arrive inside the subtest's result.
class Recorder final : public Formatter {
 public:
  explicit Recorder(std::vector<Event>& out) : out_(out) {}
  void write(const Event& e) override {
    if (e.nesting == 0) out_.push_back(e);
  }

 private:
  std::vector<Event>& out_;
};

void send_text(Event::Kind kind, std::string_view message, trap::source_location where) {
  Event e;
  e.kind = kind;
  e.name = std::string(message);
  e.where = where;
  current_hub().send(std::move(e));
}

}  // namespace

Hub& hub() {
  static RootHub root;
  return root.hub;
}

Hub& current_hub() { return private_hub ? *private_hub : hub(); }

std::vector<Event> intercept(const std::function<void()>& fn) {
  std::vector<Event> events;
  Hub local(std::make_unique<Recorder>(events));
  Hub* outer = private_hub;
  private_hub = &local;
  try {
    fn();
  } catch (...) {
    private_hub = outer;
    throw;
  }
  private_hub = outer;
  return events;
}

namespace {

// A subtest hub's formatter: shows its events through the parent hub's
// formatter, one level deeper, and keeps them for the subtest's result.
class Nested final : public Formatter {
 public:
  Nested(std::function<void(const Event&)> show, std::vector<Event>& kept)
      : show_(std::move(show)), kept_(kept) {}
  void write(const Event& e) override {
    Event deeper = e;
    ++deeper.nesting;
    if (e.nesting == 0) kept_.push_back(e);
    show_(deeper);
  }

 private:
  std::function<void(const Event&)> show_;
  std::vector<Event>& kept_;
};

}  // namespace

void Hub::format_only(const Event& event) {
  std::lock_guard lock(s_->mutex);
  if (!s_->formatter) return;
  try {
    s_->formatter->write(event);
  } catch (...) {
    report_error("the formatter");
    ++s_->failed;
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

bool subtest(std::string_view name, const std::function<void()>& fn,
             trap::source_location where) {
  Hub& parent = current_hub();
  Event start;
  start.kind = Event::Kind::note;
  start.name = "Subtest: " + std::string(name);
  start.where = where;
  parent.send(start);

  std::vector<Event> kept;
  Hub child(std::make_unique<Nested>([&parent](const Event& e) { parent.format_only(e); }, kept));
  child.inherit_from(parent);
  Hub* outer = private_hub;
  private_hub = &child;
  std::vector<std::string> problems;
  try {
    fn();
  } catch (const std::exception& e) {
    problems.push_back("    The subtest threw: " + std::string(e.what()));
  } catch (...) {
    problems.push_back("    The subtest threw an exception");
  }
  private_hub = outer;
  const bool skipped = child.s_->plan_word == "SKIP";
  if (!child.planned() && !skipped) {
    Event plan;
    plan.kind = Event::Kind::plan;
    plan.count = child.count();
    plan.where = where;
    child.send(plan);  // the subtest's trailing plan
  }
  child.finish();
  if (child.count() == 0 && !skipped)
    problems.push_back("    No tests run for subtest \"" + std::string(name) + "\"");
  const bool pass = problems.empty() && child.is_passing();

  Event result;
  result.pass = pass;
  result.name = std::string(name);
  result.diagnostics = std::move(problems);
  result.where = where;
  result.subevents = std::move(kept);
  parent.send(std::move(result));
  return pass;
}

void skip(std::string_view reason, std::size_t count, trap::source_location where) {
  for (std::size_t i = 0; i < count; ++i) {
    Event e;
    e.skip = reason.empty() ? std::string("skipped") : std::string(reason);
    e.where = where;
    current_hub().send(std::move(e));
  }
}

void todo(std::string_view reason, const std::function<void()>& fn) {
  Hub& h = current_hub();
  const std::string why = reason.empty() ? std::string("not done yet") : std::string(reason);
  HubHandle mark = h.filter([why](Hub&, Event e) -> std::optional<Event> {
    if (e.kind == Event::Kind::ok && e.todo.empty()) e.todo = why;
    return e;
  });
  try {
    fn();
  } catch (...) {
    h.unfilter(mark);
    throw;
  }
  h.unfilter(mark);
}

void diag(std::string_view message, trap::source_location where) {
  send_text(Event::Kind::diag, message, where);
}

void note(std::string_view message, trap::source_location where) {
  send_text(Event::Kind::note, message, where);
}

int done_testing() {
  Hub& h = hub();
  h.finish();
  std::size_t failed = h.failed();
  return static_cast<int>(failed > 254 ? 254 : failed);
}

}  // namespace trap

namespace trap::detail {

int HubAccess::ipc_fd(const Hub& hub) { return hub.s_->ipc.get(); }

}  // namespace trap::detail
