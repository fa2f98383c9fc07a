// SPDX-License-Identifier: BSL-1.0
// Using hubs: the root hub, intercept(), subtests, skip and todo, messages,
// done_testing().
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <trap/errors.hpp>
#include <trap/hub.hpp>

#include "capture/capture.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"
#include "report/event_codec.hpp"
#include "report/hub_internals.hpp"
#include "report/hub_state.hpp"
#include "report/selection.hpp"

namespace trap {

namespace {

Hub& root_hub() {
  // Never destroyed: code running at exit (static destructors, other atexit
  // handlers, threads) may still report.
  static Hub* const root = [] {
    auto* h = new Hub;
    // on_exit(): Test::More's END sees the status the program exits with.
    ::on_exit(detail::end_of_program, nullptr);
    std::at_quick_exit(detail::end_of_program_quickly);
    detail::prepare_root_hub(*h);  // TRAP_LIST, XML_OUTPUT_FILE
    return h;
  }();
  return *root;
}

// Made when the program starts, so that the process that owns it is the one
// that started, as Test::Builder's singleton: a child forked before the
// first result must send its results to its parent, not report them itself.
Hub& root_at_start = root_hub();

thread_local Hub* private_hub = nullptr;

// A subtest(), intercept() or todo() this thread is in. A jump back past it
// (an exit() or a timeout that a trap catches) skips the code that ends it:
// the trap's UnwindPoint ends it instead (HubInternals::abandon_scopes()).
struct HubScope {
  enum class Kind { subtest, intercept, todo } kind;
  Hub* outer = nullptr;         // private_hub before it
  Hub* hub = nullptr;           // todo: the hub filtered; subtest: the parent
  Hub* made = nullptr;          // subtest, intercept: the hub it made (on its frame)
  void* made_state = nullptr;   // ... and that hub's state (a Hub::State, on the heap)
  HubHandle mark{};             // todo: its pre-filter
  std::string name;             // subtest
  trap::source_location where;  // subtest
};
thread_local std::vector<HubScope> scopes;

// Enters a scope for the life of a frame that returns or throws.
struct InScope {
  explicit InScope(HubScope s) { scopes.push_back(std::move(s)); }
  ~InScope() { scopes.pop_back(); }
  InScope(const InScope&) = delete;
  InScope& operator=(const InScope&) = delete;
};

// intercept()'s formatter: keeps its hub's own events; a subtest's events
// arrive inside the subtest's result.
// It owns what it keeps: a jump out of intercept() frees it with the hub's
// state (HubInternals::abandon_scopes()), where a vector on the skipped
// frame would leak.
class Recorder final : public Formatter {
 public:
  void write(const Event& e) override {
    if (e.nesting == 0) kept.push_back(e);
  }
  std::vector<Event> kept;
};

void send_text(Event::Kind kind, std::string_view message, trap::source_location where) {
  Event e;
  e.kind = kind;
  e.name = std::string(message);
  e.where = where;
  current_hub().send(std::move(e));
}

}  // namespace

Hub& hub() { return root_hub(); }

Hub& current_hub() { return private_hub ? *private_hub : hub(); }

std::vector<Event> intercept(detail::FunctionRef<void()> fn) {
  auto recorder = std::make_unique<Recorder>();
  std::vector<Event>& events = recorder->kept;
  Hub local(std::move(recorder));
  Hub* outer = private_hub;
  InScope scope({.kind = HubScope::Kind::intercept,
                 .outer = outer,
                 .made = &local,
                 .made_state = &detail::HubInternals::state(local),
                 .name = {},
                 .where = {}});
  private_hub = &local;
  try {
    fn();
  } catch (...) {
    private_hub = outer;
    throw;
  }
  private_hub = outer;
  return std::move(events);
}

namespace {

// A subtest hub's formatter: shows its events through the parent hub's
// formatter, one level deeper, and keeps them for the subtest's result.
// It owns what it keeps, as Recorder does.
class Nested final : public Formatter {
 public:
  Nested(std::function<void(const Event&)> show, bool sum_up)
      : show_(std::move(show)), sum_up_(sum_up) {}
  void write(const Event& e) override {
    Event deeper = e;
    ++deeper.nesting;
    if (e.nesting == 0) kept.push_back(e);
    if (e.kind != Event::Kind::bail) show_(deeper);  // a bail-out is shown by the parent
  }
  // As Test::More's subtest, its own summary, one level deeper (a host
  // framework shows the subtest's failures already).
  void finish(const Hub& hub) override {
    if (!sum_up_) return;
    for (auto& line : detail::looks_like(hub)) {
      Event d;
      d.kind = Event::Kind::diag;
      d.name = line;
      d.nesting = 1;
      show_(d);
    }
  }
  std::vector<Event> kept;

 private:
  std::function<void(const Event&)> show_;
  bool sum_up_;
};

}  // namespace

bool subtest(std::string_view name, detail::FunctionRef<void()> fn, trap::source_location where) {
  Hub& parent = current_hub();
  // Only subtests that no other encloses are listed, filtered and sharded.
  if (!private_hub && !detail::HubInternals::host_framework(parent) &&
      !detail::run_top_level_subtest(name))
    return true;
  // To the parent (the current hub): nothing of it left on this frame, which a
  // jump may skip.
  send_text(Event::Kind::note, "Subtest: " + std::string(name), where);

  auto nested = std::make_unique<Nested>([&parent](const Event& e) { parent.format_only(e); },
                                         !detail::HubInternals::host_framework(hub()));
  std::vector<Event>& kept = nested->kept;
  Hub child(std::move(nested));
  child.inherit_from(parent);
  Hub* outer = private_hub;
  std::vector<std::string> problems;
  {
    InScope scope({.kind = HubScope::Kind::subtest,
                   .outer = outer,
                   .hub = &parent,
                   .made = &child,
                   .made_state = child.s_.get(),
                   .name = std::string(name),
                   .where = where});
    private_hub = &child;
    try {
      fn();
    } catch (const std::exception& e) {
      problems.push_back("    The subtest threw: " + std::string(e.what()));
    } catch (...) {
      problems.push_back("    The subtest threw an exception");
    }
    private_hub = outer;
  }
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
  // A skipped subtest is a skip, as Test::Builder's: its reason is the
  // plan's, and "1" where the plan gave none (Test2's stand-in).
  if (skipped && pass) result.skip = child.s_->skip_reason.empty() ? "1" : child.s_->skip_reason;
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

void todo(std::string_view reason, detail::FunctionRef<void()> fn) {
  Hub& h = current_hub();
  // A pre-filter, as Test2::Todo's: in a forked child it marks the results
  // there, before they are sent to the parent. The reason lives in it only
  // (a jump out of todo() removes it, and would leak a copy on this frame).
  HubHandle mark =
      h.pre_filter([why = reason.empty() ? std::string("not done yet") : std::string(reason)](
                       Hub&, Event e) -> std::optional<Event> {
        if (e.kind == Event::Kind::ok && e.todo.empty()) e.todo = why;
        return e;
      });
  InScope scope({.kind = HubScope::Kind::todo,
                 .outer = private_hub,
                 .hub = &h,
                 .made = nullptr,
                 .made_state = nullptr,
                 .mark = mark,
                 .name = {},
                 .where = {}});
  try {
    fn();
  } catch (...) {
    h.pre_unfilter(mark);
    throw;
  }
  h.pre_unfilter(mark);
}

void diag(std::string_view message, trap::source_location where) {
  send_text(Event::Kind::diag, message, where);
}

void note(std::string_view message, trap::source_location where) {
  send_text(Event::Kind::note, message, where);
}

void bail_out(std::string_view reason, trap::source_location where) {
  send_text(Event::Kind::bail, reason, where);
}

// Whether @p h is the hub of a subtest this thread is in.
bool subtest_hub(const Hub& h) {
  return std::any_of(scopes.begin(), scopes.end(), [&h](const HubScope& s) {
    return s.kind == HubScope::Kind::subtest && s.made == &h;
  });
}

int done_testing(trap::source_location where) {
  // In a subtest, as Test::More's: the subtest's plan, not the program's.
  const bool in_subtest = subtest_hub(current_hub());
  Hub& h = in_subtest ? current_hub() : hub();
  if (!in_subtest && !detail::end_selection(h)) return 0;  // listing: no plan, no status
  std::optional<trap::source_location> first;
  {
    auto& s = detail::HubInternals::state(h);
    std::lock_guard lock(s.mutex);
    if (s.done_testing) first = s.done_testing_where;
    s.done_testing = true;
    if (!first) s.done_testing_where = where;
    s.active = true;
  }
  if (first) {  // as Test::Builder: a failing test naming the first call
    Event again;
    again.pass = false;
    again.name = std::string("done_testing() was already called at ") + first->file_name() +
                 " line " + std::to_string(first->line());
    again.where = where;
    h.send(std::move(again));
  }
  // As Test::More's done_testing: the plan is what ran, unless one was set.
  if (!h.ended() && !h.planned() && detail::HubInternals::state(h).plan_word.empty())
    h.plan(h.count());
  if (in_subtest) return static_cast<int>(std::min<std::size_t>(h.failed(), 254));
  detail::end_testing(h);
  const int status = detail::exit_status(h);
  detail::gave_status(status);
  return status;
}

}  // namespace trap

namespace trap::detail {

void report_hub_error(const char* what) {
  std::string message;
  try {
    throw;
  } catch (const std::exception& e) {
    message = std::string(what) + " threw: " + e.what();
  } catch (...) {
    message = std::string(what) + " threw an exception";
  }
  Hub& root = root_hub();
  // A host framework records the error while it runs, in its own process.
  if (!program_ending() && HubInternals::owned_here(root)) {
    auto& s = HubInternals::state(root);
    std::lock_guard lock(s.mutex);
    try {
      if (s.formatter && s.formatter->hub_error(message)) return;
    } catch (...) {
    }
  }
  report_run_error(message);
}

void HubInternals::forward_to_parent(int fd) {
  static Hub* forwarder = new Hub(nullptr);  // lives until the process ends
  forwarder->s_->ipc = posix::Fd(fd);
  forwarder->s_->owner_pid = -1;  // never this process: every event is sent on
  private_hub = forwarder;
}

void HubInternals::bailed_out(Hub& hub) {
  Event up;
  up.kind = Event::Kind::bail;
  {
    std::lock_guard lock(hub.s_->mutex);
    up.name = hub.s_->bail_reason;
    up.where = hub.s_->bail_where;
  }
  // A subtest's hub: its parent gives up too (Test2's subtest hub).
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it)
    if (it->kind == HubScope::Kind::subtest && it->made == &hub)
      return it->hub->send(std::move(up));
  if (&hub != &root_hub() || !owned_here(hub) || host_framework(hub)) return;
  std::fflush(nullptr);
  std::exit(255);  // the root hub finishes in end_of_program(), printing nothing more
}

TRAP_CHILD_PATH std::size_t HubInternals::scope_depth() noexcept { return scopes.size(); }

void HubInternals::abandon_scopes(std::size_t depth) noexcept {
  if (scopes.size() <= depth) return;
  // The hubs the skipped scopes made are gone with their frames (or about
  // to go): nothing is done to them but freeing their state.
  std::vector<Hub*> gone;
  for (std::size_t i = depth; i < scopes.size(); ++i)
    if (scopes[i].made) gone.push_back(scopes[i].made);
  auto alive = [&](Hub* h) { return std::find(gone.begin(), gone.end(), h) == gone.end(); };
  for (std::size_t i = scopes.size(); i-- > depth;) {
    HubScope& sc = scopes[i];
    private_hub = sc.outer;
    try {
      if (sc.kind == HubScope::Kind::todo && alive(sc.hub)) sc.hub->pre_unfilter(sc.mark);
      if (sc.kind == HubScope::Kind::subtest && alive(sc.hub)) {
        Event result;  // the subtest did not end: it fails
        result.pass = false;
        result.name = sc.name;
        result.diagnostics = {
            "    The subtest was left by a jump (an exit() or a timeout that a trap caught) "
            "before it ended"};
        result.where = sc.where;
        sc.hub->send(std::move(result));
      }
    } catch (...) {
      detail::report_hub_error("ending a subtest, intercept or todo left by a jump");
    }
    delete static_cast<Hub::State*>(sc.made_state);  // its hub's frame, its owner, is skipped
  }
  scopes.resize(depth);
}

}  // namespace trap::detail
