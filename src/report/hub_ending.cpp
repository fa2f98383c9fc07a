// SPDX-License-Identifier: BSL-1.0
// How the root hub ends: Test::More's END block, run when the program
// exits, and the exit status it leaves.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <trap/hub.hpp>

#include "report/hub_internals.hpp"
#include "report/hub_state.hpp"
#include "report/selection.hpp"

namespace trap::detail {
namespace {

// Set once the program is ending: host frameworks are torn down by then, so
// hub errors are no longer handed to their formatters.
std::atomic<bool> ending{false};

// The status the last done_testing() of the root hub returned: a program
// that exits with it (`return trap::done_testing();`) chose no status of
// its own.
std::atomic<int> status_given{0};

bool owned_here(const Hub& h) { return HubInternals::owned_here(h); }

bool host_framework(const Hub& h) { return HubInternals::host_framework(h); }

bool bailed(const Hub& h) {
  auto& s = HubInternals::state(h);
  std::lock_guard lock(s.mutex);
  return s.bailed > 0;
}

// Test::More's "No tests run!": a plan was declared or done_testing() was
// called, and no test ran (a SKIP plan aside).
bool no_tests_run(const Hub& h) {
  auto& s = HubInternals::state(h);
  std::lock_guard lock(s.mutex);
  if (s.count > 0 || s.plan_word == "SKIP") return false;
  return s.planned.has_value() || s.done_testing;
}

void say(Hub& h, std::string line) {
  Event e;
  e.kind = Event::Kind::diag;
  e.name = std::move(line);
  h.send(std::move(e));
}

// Whether @p status is one the program chose itself, not trap's: not 0,
// and not what done_testing() returned to it.
bool own_status(const Hub& h, int status) {
  if (status == 0) return false;
  auto& s = HubInternals::state(h);
  std::lock_guard lock(s.mutex);
  return !s.done_testing || status != status_given;
}

// As Test::Builder's END when the program exits with a status of its own:
// the hub ends without a plan or a summary of its own, said is only how the
// program ended, and the status stays (255 for one past 255, as Perl's).
int end_with_own_status(Hub& h, int status) {
  HubInternals::collect_children(h);
  std::vector<std::string> lines;
  {
    auto& s = HubInternals::state(h);
    std::lock_guard lock(s.mutex);
    s.program_status = status;
    const std::string exited = "Looks like your test exited with " + std::to_string(status);
    const bool planned = s.planned || !s.plan_word.empty() || s.done_testing;
    if (!planned && s.count > 0)
      lines.push_back("Tests were run but no plan was declared and done_testing() was not seen.");
    if (s.count > 0)
      lines.push_back(exited + " just after " + std::to_string(s.count) + ".");
    else if (planned)
      lines.push_back(exited + " before it could output anything.");
  }
  h.set_active(true);
  for (auto& line : lines) say(h, std::move(line));
  h.finish();
  return status > 0 && status <= 255 ? status : 255;
}

// The root hub's END block for a program ending with @p status: ends the
// hub and returns the status the program must end with, or 0 to keep
// @p status.
int end_root_hub(int status) {
  Hub& h = hub();
  if (!owned_here(h)) return 0;  // a forked child: its parent ends the hub
  ending = true;
  if (h.no_ending() || !end_selection(h)) return 0;  // not ended, or listing
  // Results that only forked children sent make the hub active too.
  const bool used = h.active() || HubInternals::children_results_pending(h);
  if (used && own_status(h, status) && !bailed(h) && !host_framework(h)) {
    const int kept = end_with_own_status(h, status);
    return kept == status ? 0 : kept;
  }
  if (used) {
    h.set_active(true);
    HubInternals::leave_host_framework(h);  // it ended before us
    end_testing(h);
  }
  return h.active() || unrecorded_hub_errors() > 0 ? exit_status(h) : 0;
}

}  // namespace

bool program_ending() { return ending; }

void gave_status(int status) { status_given = status; }

void end_testing(Hub& h) {
  if (h.ended()) return HubInternals::sum_up_late_results(h);
  if (!host_framework(h) && !bailed(h) && no_tests_run(h)) say(h, "No tests run!");
  h.finish();
}

int exit_status(const Hub& h) {
  if (host_framework(h)) return unrecorded_hub_errors() > 0 ? 255 : 0;
  if (report_lost()) return 255;          // a reader saw no result, or not all
  const std::size_t failed = h.failed();  // (children's results taken in first)
  if (bailed(h)) return 255;              // Test::More's BAIL_OUT ends the program with 255
  if (failed > 0) return static_cast<int>(failed > 254 ? 254 : failed);
  auto plan_met = h.check_plan();
  if (plan_met && !*plan_met) return 255;
  if (no_tests_run(h) || unrecorded_hub_errors() > 0) return 255;
  return 0;
}

void end_of_program(int status, void*) {
  const int wanted = end_root_hub(status);
  if (wanted == 0 || wanted == status) return;
  // exit() again from its own handler: glibc runs the handlers still due
  // (static destructors, the stdio flush) and then ends with this status.
  std::fflush(nullptr);
  std::exit(wanted);
}

void end_of_program_quickly() {
  // quick_exit() tells its handlers no status: the program's is taken to
  // be 0, its own status kept only if testing passed.
  const int status = end_root_hub(0);
  if (status == 0) return;
  std::fflush(nullptr);
  std::_Exit(status);
}

}  // namespace trap::detail
