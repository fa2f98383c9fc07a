// SPDX-License-Identifier: BSL-1.0
/// @file
/// The hub: every test result is a trap::Event sent to a trap::Hub, which
/// numbers it, keeps the counts and hands it to one trap::Formatter.
/// `<trap/trap.hpp>` declares trap::hub() and trap::current_hub(); include
/// this header to use the Hub they return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/detail/function.hpp>
#include <trap/detail/unique_ptr.hpp>
#include <trap/event.hpp>
#include <trap/source_location.hpp>

namespace trap {

namespace detail {
struct HubInternals;
}  // namespace detail

class Hub;

/// Names a filter or listener registered on a hub, to remove it later.
struct HubHandle {
  std::uint64_t id = 0;  ///< unique per hub; 0 is never issued
};

/// A filter: returns the event (as it came, changed, or another one) to let
/// it through, or nothing to drop it.
using EventFilter = detail::Function<std::optional<Event>(Hub& hub, Event event)>;
/// A listener: sees every event after the formatter, with the hub's running
/// number of test results. Its return is ignored.
using EventListener = detail::Function<void(Hub& hub, const Event& event, std::size_t number)>;
/// Runs once when testing ends (done_testing() or program end).
using FollowUp = detail::Function<void(Hub& hub)>;

/// Turns events into output. Derive and override write().
///
/// The Event passed to write() lives only for the duration of the call: copy
/// what you want to keep.
class Formatter {
 public:
  virtual ~Formatter();
  /// Shows one event. Called with the hub's lock held: do not send events
  /// from here.
  virtual void write(const Event& event) = 0;
  /// Called once when testing is done (trap::done_testing() or program end)
  /// with the hub's final state; TAP prints its trailing plan here. Called
  /// again at the root hub's end if results came after that (a test after
  /// done_testing()), as Test::More sums up at END, with the counts then.
  virtual void finish(const Hub& hub);
  /// Reports an error of the hub itself: a filter, listener, follow-up or
  /// formatter that threw, or a report file that could not be written.
  /// Returns true if the error was recorded as a failure of a host test
  /// framework's run (the Boost.Test and GoogleTest formatters do so while a
  /// test case runs); otherwise, as by default, the message is printed as a
  /// `# trap:` line on the original stderr and the program's exit status
  /// shows the error.
  virtual bool hub_error(std::string_view message);
  /// True for a formatter that reports to a host test framework (Boost.Test,
  /// GoogleTest): the framework then decides the program's exit status, and
  /// trap changes it only for hub errors the framework could not record.
  /// False by default: a standalone program's exit status follows
  /// Test::More's rules (see trap::done_testing()).
  virtual bool host_framework() const;
};

/// A formatter that prints TAP: `ok N - name` / `not ok N - name` on the
/// original stdout (never into an active capture), failure diagnostics as
/// `# ` lines on the original stderr, as Test::More does.
std::unique_ptr<Formatter> make_tap_formatter();

/// A TAP 14 formatter: a `TAP version 13` line first (TAP 14 consumers read
/// it, and prove 3.44 refuses "14"), and each failure's
/// details as a YAML block (message, severity, file and line, diagnostics)
/// under its `not ok` line on stdout, instead of Test::More's `#` lines.
/// Subtests, SKIP and TODO as in make_tap_formatter().
/// @code
/// trap::hub().format(trap::make_tap14_formatter());
/// @endcode
std::unique_ptr<Formatter> make_tap14_formatter();

/// Where test results go. trap::hub() is the root hub; see trap::intercept()
/// for a private one.
class Hub {
 public:
  Hub();
  /// A hub with @p formatter (may be null: no output).
  explicit Hub(std::unique_ptr<Formatter> formatter);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  /// Passes @p event through the pre-filters and filters (each may change or
  /// drop it), numbers it if it is a test result, updates the counts, hands
  /// it to the formatter and then to every listener. A filter, formatter or
  /// listener that throws loses no event: the error is printed on the
  /// original stderr and counts as a failure. Thread-safe.
  ///
  /// Sent in a forked child of the process that made the hub, the event
  /// goes through the pre-filters there and is then appended to a file the
  /// hub reads at its next send(), count(), failed(), is_passing() or
  /// finish(): it reaches the parent exactly once and in order, even if the
  /// child crashes afterwards (Test2's IPC).
  void send(Event event);

  /// Takes in now the results that forked children of this process sent,
  /// as Test2's `$hub->cull()`; otherwise they come in at the hub's next
  /// send(), count(), failed(), is_passing() or finish(). The host
  /// framework adapters call it when a test case ends, so that a child's
  /// result is reported in the test case that made the child. Does nothing
  /// in a process that does not own the hub. Thread-safe.
  void cull();

  /// Adds a filter, run on every event after the pre-filters. With
  /// @p inherit, subtests' hubs get it too.
  HubHandle filter(EventFilter f, bool inherit = false);
  /// Adds a pre-filter: run first, and in a forked child before the event
  /// leaves it (Test2's rule).
  HubHandle pre_filter(EventFilter f, bool inherit = false);
  /// Removes a filter. @throws UsageError for a handle this hub did not issue.
  void unfilter(HubHandle handle);
  /// Removes a pre-filter. @throws UsageError for a handle this hub did not
  /// issue.
  void pre_unfilter(HubHandle handle);
  /// Adds a listener. With @p inherit, subtests' hubs get it too.
  HubHandle listen(EventListener l, bool inherit = false);
  /// Removes a listener. @throws UsageError for a handle this hub did not
  /// issue.
  void unlisten(HubHandle handle);
  /// Adds a function run once when testing ends.
  void follow_up(FollowUp f);

  /// Installs @p formatter (null: no output) and returns the previous one.
  /// In a forked child, whose results otherwise go to the parent's hub, it
  /// also makes the hub report in the child from then on.
  std::unique_ptr<Formatter> format(std::unique_ptr<Formatter> formatter);

  /// The number of test results seen.
  std::size_t count() const;
  /// The number of failed test results seen.
  std::size_t failed() const;
  /// True while no test has failed (and, once ended, the plan was met).
  bool is_passing() const;
  /// Sets whether the run counts as passing, e.g. false after an error that
  /// is not a test result.
  void is_passing(bool passing);
  /// Declares that @p tests tests are expected and sends a plan event.
  /// @throws UsageError if a plan was already set.
  void plan(std::size_t tests);
  /// Declares a plan by word: "SKIP" (the whole run is skipped) or
  /// "NO PLAN". @throws UsageError "You tried to plan twice", or for
  /// another word.
  void plan(std::string_view directive);
  /// Declares a "SKIP" plan with its reason, as Test::More's
  /// `plan skip_all => reason`: TAP's `1..0 # SKIP reason`, and a subtest
  /// so planned is reported as skipped for this reason (Test::Builder's "1"
  /// when it is empty). @throws UsageError as plan(directive), or for a
  /// @p directive other than "SKIP".
  void plan(std::string_view directive, std::string_view reason);
  /// The number of tests planned, if a numeric plan was set.
  std::optional<std::size_t> planned() const;
  /// Null until testing ended with a plan; then whether the plan was met.
  std::optional<bool> check_plan() const;
  /// True once finish() has run.
  bool ended() const;
  /// With true, the end of the program does not finish this hub (no
  /// trailing plan, no follow-ups).
  void set_no_ending(bool no_ending);
  /// Whether set_no_ending(true) was called.
  bool no_ending() const;
  /// Marks the hub as in use (sending an event does it too); only an active
  /// hub is finished at program end.
  void set_active(bool active);
  /// Whether the hub is in use.
  bool active() const;
  /// Ends testing: sends the trailing plan if none was set and lets the
  /// formatter finish. Runs once; later calls do nothing.
  void finish();
  /// Forgets the counts, the plan and the end, keeping the formatter.
  void reset_state();

 private:
  friend bool subtest(std::string_view, detail::FunctionRef<void()>, trap::source_location);
  // Writes @p event with this hub's formatter only (a subtest's events).
  void format_only(const Event& event);
  // Takes the filters and listeners of @p parent marked `inherit`.
  void inherit_from(const Hub& parent);
  // Takes in the results forked children sent.
  void collect_();
  friend struct detail::HubInternals;

  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace trap
