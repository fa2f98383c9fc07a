/// @file
/// The hub: every test result is a trap::Event sent to a trap::Hub, which
/// numbers it, keeps the counts and hands it to one trap::Formatter.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <trap/source_location.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace trap {

/// One result or message on its way to the formatter.
struct Event {
  /// What the event is.
  enum class Kind {
    ok,    ///< a test result: `pass` says whether it passed
    diag,  ///< a diagnostic message (shown on stderr in TAP)
    note,  ///< a note (shown on stdout in TAP)
    plan,  ///< a plan: `count` tests are expected
    bail,  ///< give up the whole run
  };
  Kind kind = Kind::ok;                   ///< what the event is
  bool pass = true;                       ///< for `ok`: did the test pass
  std::string name;                       ///< the test's name, or the message
  std::vector<std::string> diagnostics;   ///< lines explaining a failure
  trap::source_location where;             ///< the caller of the test method
  std::size_t number = 0;                 ///< the hub's running number for `ok`
  std::size_t count = 0;                  ///< for `plan`: the number of tests
};

class Hub;

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
  /// with the hub's final state; TAP prints its trailing plan here.
  virtual void finish(const Hub& hub);
};

/// A formatter that prints TAP: `ok N - name` / `not ok N - name` on the
/// original stdout (never into an active capture), failure diagnostics as
/// `# ` lines on the original stderr, as Test::More does.
std::unique_ptr<Formatter> make_tap_formatter();

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

  /// Numbers an `ok` event, updates the counts and passes it to the
  /// formatter. Thread-safe.
  void send(Event event);

  /// Installs @p formatter (null: no output) and returns the previous one.
  std::unique_ptr<Formatter> format(std::unique_ptr<Formatter> formatter);

  /// The number of test results seen.
  std::size_t count() const;
  /// The number of failed test results seen.
  std::size_t failed() const;
  /// True while no test has failed.
  bool is_passing() const;
  /// Declares that @p tests tests are expected and sends a plan event.
  /// @throws UsageError if a plan was already set.
  void plan(std::size_t tests);
  /// True once finish() has run.
  bool ended() const;
  /// Ends testing: sends the trailing plan if none was set and lets the
  /// formatter finish. Runs once; later calls do nothing.
  void finish();
  /// Forgets the counts, the plan and the end, keeping the formatter.
  void reset_state();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// The root hub. Its formatter is TAP unless another was installed (e.g. by
/// including `<trap/boost_test.hpp>`). At program end it finishes by itself.
Hub& hub();

/// The hub test methods currently report to on this thread: the root hub, or
/// the private hub of an enclosing trap::intercept().
Hub& current_hub();

/// Runs @p fn with a private hub for this thread and returns the events it
/// received, without reporting them anywhere (Test2's intercept). The way to
/// check that a test method fails with the right diagnostics.
/// @code
/// auto events = trap::intercept([&] { r.stdout_is("x"); });
/// assert(!events.at(0).pass);
/// @endcode
std::vector<Event> intercept(const std::function<void()>& fn);

/// Sends a diagnostic message (one event; the text may span lines).
void diag(std::string_view message,
          trap::source_location where = trap::source_location::current());
/// Sends a note (one event; the text may span lines).
void note(std::string_view message,
          trap::source_location where = trap::source_location::current());

/// Finishes the root hub (prints the trailing plan under TAP) and returns the
/// number of failed tests, capped at 254, as Test::More's exit status:
/// `return trap::done_testing();` at the end of main.
int done_testing();

}  // namespace trap
