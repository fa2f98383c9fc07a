// Using hubs: the root hub, intercept(), subtests, skip and todo, messages,
// done_testing().
#include <trap/hub.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <trap/errors.hpp>

#include "hub_access.hpp"
#include "posix/fd.hpp"
#include "hub_state.hpp"

namespace trap {

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
    detail::report_hub_error("the formatter");
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
  if (failed > 0) return static_cast<int>(failed > 254 ? 254 : failed);
  // As Test::More: a run that did not match its plan exits 255.
  auto plan_met = h.check_plan();
  return plan_met && !*plan_met ? 255 : 0;
}

}  // namespace trap

namespace trap::detail {

int HubAccess::ipc_fd(const Hub& hub) { return hub.s_->ipc.get(); }

void HubAccess::forward_to_parent(int fd) {
  static Hub* forwarder = new Hub(nullptr);  // lives until the process ends
  forwarder->s_->ipc = posix::Fd(fd);
  forwarder->s_->owner_pid = -1;  // never this process: every event is sent on
  private_hub = forwarder;
}

void HubAccess::collect_children(Hub& hub) { hub.collect_(); }

}  // namespace trap::detail
