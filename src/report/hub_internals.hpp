// SPDX-License-Identifier: BSL-1.0
// The parts of a hub that trap's own isolation and reporting code reaches:
// its state, the children file forked traps append results to, and the hand-over
// of results from a re-executed child. Tests use it to play a misbehaving child.
#pragma once

#include <cstddef>

#include <trap/hub.hpp>

namespace trap::detail {

struct HubInternals {
  /// The hub's state, for the hub's own files.
  static Hub::State& state(const Hub& hub);
  /// Whether this process made the hub (or took it over with format()).
  static bool owned_here(const Hub& hub);
  /// Whether the hub's formatter reports to a host test framework.
  static bool host_framework(const Hub& hub);
  /// Whether forked children sent results this process has not read yet.
  static bool children_results_pending(const Hub& hub);
  /// The file forked children append their results to.
  static int ipc_fd(const Hub& hub);
  /// Takes in the results forked children have sent so far, in order.
  static void collect_children(Hub& hub);
  /// If results came after @p hub ended (a test after done_testing()): its
  /// formatter sums up again with the counts now, as Test::More's END does.
  static void sum_up_late_results(Hub& hub);
  /// How many subtest(), intercept() and todo() calls this thread is in.
  static std::size_t scope_depth() noexcept;
  /// After (or just before) a jump back to where scope_depth() was
  /// @p depth, past the frames of the calls entered since: ends them as
  /// they would have ended. The hub they report to is made current again,
  /// a todo()'s filter removed, and a subtest reported to its parent as
  /// failing (it never ended); the hubs they made, on skipped frames, are
  /// freed.
  static void abandon_scopes(std::size_t depth) noexcept;
  /// After @p hub took in a bail-out: a subtest's hub gives it to its
  /// parent; the root hub, under a formatter that is not a host
  /// framework's, ends the program with status 255. Other hubs (intercept(),
  /// a host framework's, a hub of the program's own) only record it.
  static void bailed_out(Hub& hub);
  /// At program end, after a host test framework (GoogleTest, Catch2,
  /// doctest, Boost.Test) has ended: @p hub's results can no longer reach
  /// it, so from now on a failed one is a run error, printed and shown in
  /// the exit status (a forked child's result that came too late).
  static void leave_host_framework(Hub& hub);
  /// In a process started by a fork(exec) trap: from now on, results on
  /// this thread go to the parent's hub through @p fd (its children file).
  static void forward_to_parent(int fd);
};

}  // namespace trap::detail
