// SPDX-License-Identifier: BSL-1.0
// The fork layer's parent (fork.cpp has the child and the layer): it waits
// for its child (until an outer timeout's deadline, then asks it to hand
// over its captures and die), reads the record the child wrote, or
// without one the capture files it handed over, and completes the trap.
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <exception>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "engine/state.hpp"
#include "isolation/fork_child.hpp"
#include "isolation/fork_record.hpp"
#include "posix/children.hpp"
#include "posix/fd.hpp"
#include "posix/stop_shield.hpp"
#include "report/hub_internals.hpp"

namespace trap::detail {
namespace {

using Clock = std::chrono::steady_clock;

// A wait for child @p pid (see posix::wait_until) that finds it reaped by
// another wait, or by the kernel with SIGCHLD ignored: the child has ended,
// its status is lost (@p lost set, 0 returned).
std::optional<int> wait_or_lost(pid_t pid, std::optional<Clock::time_point> deadline, int pidfd,
                                bool& lost) {
  try {
    return posix::wait_until(pid, deadline, pidfd);
  } catch (const std::system_error& e) {
    // Gone for good only if no process has its pid left (else the wait
    // itself failed: the caller kills and reaps it).
    if (e.code() != std::errc::no_child_process || ::kill(pid, 0) == 0 || errno != ESRCH) throw;
    lost = true;
    return 0;
  }
}

// Waits for the child; at the deadline asks it to hand over its captures and
// end, then kills its process group. Returns the wait status (0 with
// @p lost set if another wait took it).
int wait_for_child(const ForkedChild& c, const std::optional<Deadline>& deadline, bool& timed_out,
                   bool& lost) {
  const pid_t pid = c.pid;
  std::optional<int> status = wait_or_lost(
      pid, deadline ? std::optional(deadline->when) : std::nullopt, c.exited.get(), lost);
  if (status) return *status;
  timed_out = true;
  posix::kill(pid, rescue_signal(), c.exited.get());
  posix::kill(pid, SIGCONT, c.exited.get());  // a stopped child takes it only once continued
  status = wait_or_lost(pid, Clock::now() + std::chrono::seconds(1), c.exited.get(), lost);
  posix::kill(-pid, SIGKILL);  // with the grandchildren that kept running
  if (!status) status = wait_or_lost(pid, std::nullopt, -1, lost);
  return *status;
}

// Why a child's exit status was lost: what SIGCHLD's disposition says.
std::string lost_status_cause() {
  struct sigaction sa {};
  if (::sigaction(SIGCHLD, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN)
    return "SIGCHLD is ignored (SIG_IGN) in this process, so the system discarded it";
  if ((sa.sa_flags & SA_NOCLDWAIT) != 0)
    return "SIGCHLD's handler has SA_NOCLDWAIT in this process, so the system discarded it";
  return "the child was reaped by another wait in this process (waitpid(-1) or wait() on "
         "another thread, or in a SIGCHLD handler)";
}

}  // namespace

void apply(Trap& self, ForkResult& r, int status, bool timed_out,
           const std::optional<Deadline>& deadline) {
  auto* st = Registry::state(self);
  if (r.complete) {
    // Into the record's own storage: freeing it instead (it is larger than
    // malloc's per-thread cache takes) writes the allocator's pages, each a
    // page fault in a parent that has just forked.
    st->values.clear();
    std::move(r.values.begin(), r.values.end(), std::back_inserter(st->values));
    st->leaveby = std::move(r.leaveby);
    st->die_type = std::move(r.die_type);
    for (auto& e : r.exceptions) st->exceptions.push_back(std::move(e));
    return;
  }
  for (auto& [name, bytes] : r.salvaged) self.set(name, Value(std::move(bytes)));
  if (timed_out && deadline) {
    deadline->state->mark_passed();  // the timeout layer records it
  } else if (auto end = posix::child_end(status)) {
    self.set(end->how, Value(end->value));
    self.set_leaveby(end->how);
  }
}

namespace {

// Puts the capture @p name with @p bytes in @p r's rescued ones, in place
// of what the rescue gave of it.
void put_salvaged(ForkResult& r, std::string name, std::string bytes) {
  for (auto& [had, had_bytes] : r.salvaged)
    if (had == name) {
      had_bytes = std::move(bytes);
      return;
    }
  r.salvaged.emplace_back(std::move(name), std::move(bytes));
}

// A child that ended without a record (it called exec, or was killed
// outright, or in the middle of its rescue): its captures are in the files
// it handed over. Returns whether it said that its record could not be
// written.
bool take_capture_files(Trap& self, int handover, ForkResult& r) {
  bool record_failed = false;
  try {
    for (auto& [label, fd] : posix::take_handed_over(handover)) {
      const auto space = label.rfind(' ');
      if (label == kRecordFailedLabel) record_failed = true;
      if (!fd || space == std::string::npos) continue;
      std::string bytes;
      posix::read_from(fd.get(), std::stoull(label.substr(space + 1)), bytes);
      put_salvaged(r, label.substr(0, space), std::move(bytes));
    }
  } catch (const std::exception& e) {
    self.exception(std::string("fork layer: ") + e.what());
  }
  return record_failed;
}

}  // namespace

// The parent's side, once the child runs: waits, takes in the results it
// reported and the record it wrote, and completes the trap.
void finish_in_parent(Trap& self, ForkedChild& c, const std::optional<Deadline>& deadline,
                      bool exec_style) {
  bool timed_out = false;
  bool lost = false;
  int status = 0;
  try {
    // The wait may be stopped by an outer timeout: what it needs is the
    // teardown's (the child is killed and reaped there), not this frame's.
    StopGap open_to_stops;
    status = wait_for_child(c, deadline, timed_out, lost);
    c.reaped = true;
  } catch (const std::exception& e) {
    posix::kill_and_reap(c.pid);
    c.reaped = true;
    self.exception(std::string("fork layer: ") + e.what());
  }
  c.exited.reset();
  HubInternals::collect_children(current_hub());
  ForkResult r;
  try {
    std::string bytes;
    posix::read_from(c.result.get(), 0, bytes);
    r = decode_fork_result(bytes);
  } catch (const std::exception& e) {
    self.exception(e.what());
  }
  // Only the record can tell how the child ended: without it, no status
  // is made up.
  if (lost && !r.complete && !timed_out)
    self.exception("fork layer: the exit status of the child process " + std::to_string(c.pid) +
                   " is lost: " + lost_status_cause());
  // Without a record or a rescue: a plain child says on the handover
  // socket whether its record failed (else it exec'd, or was killed); a
  // fork(exec) re-run has only its exit status to say it.
  // A rescue cut short has less than the files (it copies from them, after
  // its flush of stdio).
  const bool rescued = !r.salvaged.empty() && !r.rescue_cut_short;
  bool record_failed = !c.handover;
  if (!r.complete && !rescued && c.handover)
    record_failed = take_capture_files(self, c.handover.get(), r);
  if (record_failed && !r.complete && !rescued && !timed_out && WIFEXITED(status) &&
      WEXITSTATUS(status) == kRecordFailed)
    self.exception("fork layer: the child process could not send its results (exit " +
                   std::to_string(kRecordFailed) + ")");
  if (exec_style && !r.complete && !timed_out && WIFEXITED(status) && r.salvaged.empty())
    self.exception("fork(exec): the test, run again in a new process, ended (exit " +
                   std::to_string(WEXITSTATUS(status)) +
                   ") without reaching this trap: the code before it must take the same "
                   "path each time");
  apply(self, r, status, timed_out, deadline);
}

}  // namespace trap::detail
