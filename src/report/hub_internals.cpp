// SPDX-License-Identifier: BSL-1.0
// What the report area reads of a hub (HubInternals), and the errors of a
// run that are printed instead of counted: they and a lost report set the
// exit status.
#include "report/hub_internals.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <trap/detail/host_message.hpp>
#include <trap/hub.hpp>

#include "capture/capture.hpp"
#include "posix/fd.hpp"
#include "report/hub_state.hpp"
#include "report/report_text.hpp"
#include "report/selection.hpp"

namespace trap::detail {
namespace {

std::atomic<std::size_t> unrecorded_errors{0};
std::atomic<bool> lost_report{false};

}  // namespace

void report_run_error(const std::string& message) {
  ++unrecorded_errors;
  write_original(2, "# trap: " + message + "\n");
}

std::size_t unrecorded_hub_errors() { return unrecorded_errors; }

void mark_report_lost() { lost_report = true; }

bool report_lost() { return lost_report; }

Hub::State& HubInternals::state(const Hub& hub) { return *hub.s_; }

bool HubInternals::owned_here(const Hub& hub) { return posix::self_pid() == hub.s_->owner_pid; }

bool HubInternals::host_framework(const Hub& hub) {
  std::lock_guard lock(hub.s_->mutex);
  return hub.s_->formatter && hub.s_->formatter->host_framework();
}

bool HubInternals::children_results_pending(const Hub& hub) {
  std::lock_guard lock(hub.s_->mutex);
  if (!hub.s_->ipc || posix::fork_count() == 0) return false;
  try {
    return posix::file_size(hub.s_->ipc.get()) > hub.s_->ipc_offset;
  } catch (const std::exception&) {
    return true;  // let the end try, and say what fails
  }
}

int HubInternals::ipc_fd(const Hub& hub) { return hub.s_->ipc.get(); }

void HubInternals::collect_children(Hub& hub) { hub.collect_(); }

std::vector<std::string> looks_like(const Hub& hub) {
  const auto tests = [](std::size_t n) {
    return std::to_string(n) + (n == 1 ? " test" : " tests");
  };
  const auto planned = hub.planned();
  const std::size_t count = hub.count(), failed = hub.failed();
  const bool plan_missed = planned && *planned != count;
  std::vector<std::string> lines;
  if (plan_missed)
    lines.push_back("Looks like you planned " + tests(*planned) + " but ran " +
                    std::to_string(count) + ".");
  // As Test::Builder: "of N run." when N is not what was planned.
  if (failed > 0)
    lines.push_back("Looks like you failed " + tests(failed) + " of " + std::to_string(count) +
                    (plan_missed ? " run" : "") + ".");
  return lines;
}

namespace {

// The root hub's formatter once its host framework has ended: a failure
// can no longer fail a test case there (and calling into the framework
// may reach objects destroyed at exit), so it is a run error, which the
// exit status shows; a pass is dropped, a message printed as a comment.
class AfterHostFramework final : public Formatter {
 public:
  void write(const Event& e) override {
    if (e.kind == Event::Kind::diag || e.kind == Event::Kind::note) {
      write_original(e.kind == Event::Kind::diag ? 2 : 1, tap_commented(e.name));
      return;
    }
    const bool failed = e.kind == Event::Kind::bail ||
                        (e.kind == Event::Kind::ok && !e.pass && e.todo.empty() && e.skip.empty());
    if (!failed) return;
    std::string message = "a test failed after the test framework had ended: \"";
    message += (e.kind == Event::Kind::bail ? "Bail out! " : "") + tap_visible(e.name) + "\"";
    if (e.where.line() != 0)
      message +=
          std::string(" at ") + e.where.file_name() + " line " + std::to_string(e.where.line());
    for (const auto& d : e.diagnostics)
      for (auto line : text_lines(d)) message += "\n# " + tap_visible(line);
    report_run_error(message);
  }
  bool host_framework() const override { return true; }
};

}  // namespace

bool results_go_to_parent() noexcept { return !HubInternals::owned_here(current_hub()); }

bool send_failure_to_parent(std::string_view message, const char* file, int line) {
  if (!results_go_to_parent()) return false;
  Event e;
  e.pass = false;
  e.name = std::string(message);
  e.where = source_location(file ? file : "", line > 0 ? static_cast<unsigned>(line) : 0);
  current_hub().send(std::move(e));
  return true;
}

void HubInternals::leave_host_framework(Hub& hub) {
  if (host_framework(hub)) hub.format(std::make_unique<AfterHostFramework>());
}

void HubInternals::sum_up_late_results(Hub& hub) {
  auto& s = *hub.s_;
  std::lock_guard lock(s.mutex);
  if (!s.ended || s.count == s.count_at_finish || !s.formatter || s.bailed > 0) return;
  s.count_at_finish = s.count;
  try {
    s.formatter->finish(hub);
  } catch (...) {
    report_hub_error("the formatter");
  }
}

}  // namespace trap::detail
