// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::Trap, the trap object: the record of one run, the test methods that
/// assert on it, and the handle layers work on while it springs.
#pragma once

#include <exception>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <trap/detail/function.hpp>
#include <trap/errors.hpp>
#include <trap/source_location.hpp>
#include <trap/value.hpp>

namespace trap {

class Trapper;

namespace detail {
struct TrapState;
struct Registry;
std::string type_name_of_exception(const std::exception_ptr& e);

/// The trap's shared record: a `std::shared_ptr<TrapState>`, kept in
/// storage of its size so that this header need not include `<memory>`.
class StateHandle {
 public:
  StateHandle() noexcept;  ///< an empty handle
  ~StateHandle();
  StateHandle(const StateHandle& other) noexcept;             ///< shares
  StateHandle& operator=(const StateHandle& other) noexcept;  ///< shares
  StateHandle(StateHandle&& other) noexcept;                  ///< takes
  StateHandle& operator=(StateHandle&& other) noexcept;       ///< takes
  /// The record.
  TrapState* operator->() const noexcept { return state_; }
  /// The record (null for an empty handle).
  TrapState* get() const noexcept { return state_; }
  /// The std::shared_ptr's storage (src/engine/state.hpp reads it).
  void* storage() noexcept { return storage_; }
  /// The cached pointer, set again after the storage changed.
  void refresh() noexcept;

 private:
  TrapState* state_ = nullptr;
  alignas(void*) unsigned char storage_[2 * sizeof(void*)];
};
}  // namespace detail

/// Tag-on properties of one namespace on one trap (Perl's `Prop`): a
/// `std::map<std::string, std::any, std::less<>>`, defined in
/// `<trap/builder.hpp>`.
struct Props;

/// The name of a test method, with the caller's source location; lets
/// Trap::test() take the location although its arguments are variadic.
struct MethodName {
  /// @param n the method's name, e.g. "timeout_is"
  /// @param w the caller's location (leave the default)
  MethodName(const char* n, trap::source_location w = trap::source_location::current())
      : name(n), where(w) {}
  /// @copydoc MethodName(const char*, trap::source_location)
  MethodName(std::string_view n, trap::source_location w = trap::source_location::current())
      : name(n), where(w) {}
  /// @copydoc MethodName(const char*, trap::source_location)
  MethodName(const std::string& n, trap::source_location w = trap::source_location::current())
      : name(n), where(w) {}
  std::string_view name;        ///< the method's name
  trap::source_location where;  ///< where it was called
};

/// The trap object: what one trap recorded, and its test methods.
///
/// Returned by trap::trap(). Copies share the same record. Every test method
/// takes an optional test name last, reports exactly one result to the
/// current hub at the caller's file and line, and returns whether it passed.
/// Without a name (or with an empty one) the test is named after the call:
/// `exit_is(1)`, `stdout_like(/^usage/)`, `warn_is(0, "x")`, `did_die`
/// (long arguments cut to 40 bytes).
/// A test on a flow accessor (`return`, `die`, `exit`, or any accessor
/// registered with `is_leaveby`) first checks that the trap left that way,
/// and otherwise fails with Perl's diagnostic
/// `Expecting to exit(), but instead die()ed with "boom"`.
/// Test methods leave `errno` as they found it.
///
/// While the trap springs, layers use the second half of the interface:
/// next(), run(), teardown(), exception(), set(), ...
class Trap {
 public:
  using Loc = trap::source_location;  ///< the caller's location

  /// An empty trap, as if nothing had been trapped.
  Trap();
  /// @cond INTERNAL
  explicit Trap(detail::StateHandle state) noexcept;
  /// @endcond
  ~Trap();
  Trap(const Trap&);                 ///< shares the record
  Trap& operator=(const Trap&);      ///< shares the record
  Trap(Trap&&) noexcept;             ///< takes the record
  Trap& operator=(Trap&&) noexcept;  ///< takes the record

  /// @name Accessors
  /// What the trap recorded. Anything not trapped (no layer for it, or the
  /// code left another way) is null in get() and empty here.
  ///@{

  /// How the trap was left: "return", "die", "exit", or what a custom layer
  /// set ("timeout", "signal", ...). Empty before the trap has sprung.
  std::string leaveby() const;
  /// The trapped stdout ("" when not trapped), as a copy: for output of
  /// many MiB, `get("stdout")->string()` reads it where the trap keeps it.
  std::string out() const;
  /// The trapped stderr ("" when not trapped).
  std::string err() const;
  /// The code passed to exit(), if the trap was left by exit.
  std::optional<int> exit_code() const;
  /// The message of the exception that left the trap ("" if none): `what()`
  /// for std::exception, the value for a thrown string or number.
  std::string die() const;
  /// The demangled type of that exception, e.g. "std::runtime_error".
  std::string die_type() const;
  /// That exception itself (null if none).
  std::exception_ptr exception() const;
  /// The warnings: each line written to std::clog and each trap::warn().
  std::vector<std::string> warn() const;
  /// The signal that ended the code (set by the fork layer).
  std::optional<int> signal() const;
  /// The returned value converted to T (see Value::as()).
  /// @throws UsageError if the trap did not return or T does not fit.
  template <class T>
  T return_value() const;
  /// Any accessor by name: null where nothing was trapped (Perl's undef).
  /// Flexible accessors are computed; their result lives until the next
  /// call of get() on this trap.
  const Value* get(std::string_view accessor) const;
  /// Whether the accessor holds a trapped value.
  bool has(std::string_view accessor) const;
  /// The trapper this trap was sprung with.
  const Trapper& trapper() const;
  ///@}

  /// @name Tests on stdout
  /// `_ok`/`_nok`: the value is true/false in Perl's sense; `_is`/`_isnt`:
  /// equal or not to @p expected, which is of the same kind (see Value's
  /// equality: a string is not a number, a type without `operator==` does
  /// not compile, and a comparison of different kinds throws UsageError);
  /// `_like`/`_unlike`:
  /// the Perl-syntax regular expression @p pattern matches somewhere in it,
  /// or not, as Perl's `=~`.
  ///@{

  /// Passes if the trapped stdout is true in Perl's sense.
  bool stdout_ok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the trapped stdout is false in Perl's sense.
  bool stdout_nok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the trapped stdout equals @p expected.
  bool stdout_is(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the trapped stdout equals @p expected.
  bool stdout_isnt(const Expected& expected, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches the trapped stdout.
  bool stdout_like(std::string_view pattern, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches the trapped stdout.
  bool stdout_unlike(std::string_view pattern, std::string_view name = {},
                     Loc where = Loc::current());
  ///@}

  /// @name Tests on stderr
  /// As the tests on stdout.
  ///@{

  /// Passes if the trapped stderr is true in Perl's sense.
  bool stderr_ok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the trapped stderr is false in Perl's sense.
  bool stderr_nok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the trapped stderr equals @p expected.
  bool stderr_is(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the trapped stderr equals @p expected.
  bool stderr_isnt(const Expected& expected, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches the trapped stderr.
  bool stderr_like(std::string_view pattern, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches the trapped stderr.
  bool stderr_unlike(std::string_view pattern, std::string_view name = {},
                     Loc where = Loc::current());
  ///@}

  /// @name Tests on the exception (flow: the trap must have died)
  /// As the tests on stdout, on the exception's message.
  ///@{

  /// Passes if the exception's message is true in Perl's sense.
  bool die_ok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the exception's message is false in Perl's sense.
  bool die_nok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the exception's message equals @p expected.
  bool die_is(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the exception's message equals @p expected.
  bool die_isnt(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches the exception's message.
  bool die_like(std::string_view pattern, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches the exception's message.
  bool die_unlike(std::string_view pattern, std::string_view name = {}, Loc where = Loc::current());
  ///@}

  /// Passes if the trap died with an exception of type @p E (or derived from
  /// it): Perl's `die_isa_ok`.
  template <class E>
  bool die_isa(std::string_view name = {}, Loc where = Loc::current());

  /// @name Tests on the exit code (flow: the trap must have exited)
  /// As the tests on stdout, on the code passed to exit().
  ///@{

  /// Passes if the exit code is true in Perl's sense.
  bool exit_ok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the exit code is false in Perl's sense.
  bool exit_nok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the exit code equals @p expected.
  bool exit_is(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the exit code equals @p expected.
  bool exit_isnt(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches the exit code.
  bool exit_like(std::string_view pattern, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches the exit code.
  bool exit_unlike(std::string_view pattern, std::string_view name = {},
                   Loc where = Loc::current());
  ///@}

  /// @name Tests on the return value (flow: the trap must have returned)
  /// As the tests on stdout, on the value the code returned (null for void).
  ///@{

  /// Passes if the returned value is true in Perl's sense.
  bool return_ok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the returned value is false in Perl's sense.
  bool return_nok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the returned value equals @p expected.
  bool return_is(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless the returned value equals @p expected.
  bool return_isnt(const Expected& expected, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches the returned value.
  bool return_like(std::string_view pattern, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches the returned value.
  bool return_unlike(std::string_view pattern, std::string_view name = {},
                     Loc where = Loc::current());
  ///@}

  /// @name Tests on how the trap was left
  /// As the tests on stdout, on leaveby().
  ///@{

  /// Passes if how the trap was left (leaveby()) is true in Perl's sense.
  bool leaveby_ok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if how the trap was left (leaveby()) is false in Perl's sense.
  bool leaveby_nok(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if how the trap was left (leaveby()) equals @p expected.
  bool leaveby_is(const Expected& expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes unless how the trap was left (leaveby()) equals @p expected.
  bool leaveby_isnt(const Expected& expected, std::string_view name = {},
                    Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches how the trap was left (leaveby()).
  bool leaveby_like(std::string_view pattern, std::string_view name = {},
                    Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches how the trap was left (leaveby()).
  bool leaveby_unlike(std::string_view pattern, std::string_view name = {},
                      Loc where = Loc::current());
  ///@}

  /// @name Tests on the warnings (an array: an index comes first)
  /// As the tests on stdout, on warning number @p index (null when there is
  /// no such warning); `warn_is_deeply` compares the whole array.
  ///@{

  /// Passes if warning number @p index is true in Perl's sense.
  bool warn_ok(std::size_t index, std::string_view name = {}, Loc where = Loc::current());
  /// Passes if warning number @p index is false in Perl's sense.
  bool warn_nok(std::size_t index, std::string_view name = {}, Loc where = Loc::current());
  /// Passes if warning number @p index equals @p expected.
  bool warn_is(std::size_t index, const Expected& expected, std::string_view name = {},
               Loc where = Loc::current());
  /// Passes unless warning number @p index equals @p expected.
  bool warn_isnt(std::size_t index, const Expected& expected, std::string_view name = {},
                 Loc where = Loc::current());
  /// Passes if the Perl-syntax regex @p pattern matches warning number @p index.
  bool warn_like(std::size_t index, std::string_view pattern, std::string_view name = {},
                 Loc where = Loc::current());
  /// Passes unless the Perl-syntax regex @p pattern matches warning number @p index.
  bool warn_unlike(std::size_t index, std::string_view pattern, std::string_view name = {},
                   Loc where = Loc::current());
  /// Passes if the whole warn array equals @p expected element by element.
  bool warn_is_deeply(const Array& expected, std::string_view name = {},
                      Loc where = Loc::current());
  ///@}

  /// @name Flow and output conveniences
  /// `did_X` passes if the trap was left by X (with Perl's diagnostic
  /// otherwise); `quiet` passes if nothing was written to stdout or stderr.
  ///@{

  /// Passes if the trap was left by returning.
  bool did_return(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the trap was left by an exception.
  bool did_die(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the trap was left by exit().
  bool did_exit(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if nothing was written to stdout or stderr.
  bool quiet(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if a signal ended the code (fork layer, trap::run).
  bool did_signal(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the code was stopped at its deadline (timeout layer).
  bool did_timeout(std::string_view name = {}, Loc where = Loc::current());
  /// Passes if a signal ended the code and it was @p expected, e.g. SIGSEGV.
  bool signal_is(int expected, std::string_view name = {}, Loc where = Loc::current());
  /// Passes if the code was stopped at its deadline (the timeout accessor
  /// is true then: `r.test("timeout_is", true)` says the same).
  bool timeout_ok(std::string_view name = {}, Loc where = Loc::current());
  ///@}

  /// Sends the whole trap as one diagnostic, in a stable, Data::Dump-like
  /// form: every trapped accessor, sorted by name.
  void diag_all(Loc where = Loc::current());
  /// As diag_all(), but the second and later calls on the same trap send
  /// "(as above)".
  void diag_all_once(Loc where = Loc::current());

  /// Calls any test method by name, including those made from accessors and
  /// tests registered at run time: `r.test("timeout_is", true, "timed out")`.
  /// Arguments are as for the typed methods: an index first for array
  /// accessors, then the predicates, then the optional test name.
  /// @throws UsageError naming the method and listing the trapper's methods
  /// when it has no such method.
  template <class... Args>
  bool test(MethodName method, Args&&... args) {
    const Value values[] = {Value(), Value::from(std::forward<Args>(args))...};
    return call(method.name, std::span<const Value>(values + 1, sizeof...(Args)), method.where);
  }
  /// test() with the arguments already made Values.
  bool call(std::string_view method, std::span<const Value> args, Loc where = Loc::current());

  /// @name For layer authors
  /// Only meaningful while the trap springs (inside a layer, the code, or a
  /// teardown), except where said.
  ///@{

  /// Applies the next layer down the stack. Every non-terminating layer
  /// calls it (or arranges not to, if it means to cut the stack).
  ///
  /// A trapped exit() below the layer jumps over the layer's frame, as a real
  /// exit would: keep what the layer owns in its teardown() closure, not in
  /// local variables that live across next().
  void next();
  /// Runs the trapped code and returns what it returned (null for void). A
  /// terminating layer (such as `raw`) calls it instead of next().
  Value run();
  /// Registers @p fn to run after the code, in reverse order of
  /// registration; each one runs even if an earlier one threw.
  /// @p fn is any callable (a lambda, a std::function, ...).
  void teardown(detail::Function<void()> fn);
  /// @copydoc teardown(detail::Function<void()>)
  void teardown(detail::Function<void(Trap&)> fn);
  /// Fails the whole trap with @p message: no layer (not even `die`) and no
  /// user code can catch it; the trap call throws TrapError with the message.
  [[noreturn]] void exception(std::string message);
  /// A function with the effect of exception(), for closures that should not
  /// hold on to the trap.
  detail::Function<void(std::string)> exception_function();
  /// Inside a test callback: "NAME(INDEX)" of the accessor being tested,
  /// e.g. "stdout()" or "warn(0)".
  std::string test_accessor() const;
  /// Runs the on-test-failure callback, if a layer (e.g. on_fail) set one.
  void test_failure();
  /// Sets the on-test-failure callback that test_failure() runs.
  void on_test_failure(detail::Function<void(Trap&)> fn);
  /// Sets this trap's failure context: lines that every failing test method
  /// on it (an accessor test, a did_ or wrong-leaveby failure, die_isa,
  /// quiet) adds to its diagnostics, after its own and before the
  /// on-test-failure callback runs. trap::run sets one: the command line,
  /// how the program ended and the tail of its stderr. @p fn is called on
  /// each failure only, with the trap as it is then; passing tests stay as
  /// they were. An exception from @p fn leaves the test method. Replaces an
  /// earlier context; an empty function removes it. Callable at any time.
  void failure_context(detail::Function<std::vector<std::string>(const Trap&)> fn);
  /// The tag-on properties of namespace @p ns, created empty on first use and
  /// freed with the trap. Include `<trap/builder.hpp>` to use it.
  Props& prop(std::string_view ns);
  /// Sets accessor @p name to @p value.
  void set(std::string_view name, Value value);
  /// Removes accessor @p name (it reads as null again).
  void unset(std::string_view name);
  /// Sets leaveby (how the trap was left).
  void set_leaveby(std::string_view name);
  /// Inside a test callback: adds a line to the diagnostics of the result
  /// being reported. Elsewhere: sends it as a diag event.
  void diag(std::string line);
  ///@}

 private:
  friend struct detail::TrapState;
  friend struct detail::Registry;
  bool check_(std::string_view accessor, std::string_view test, std::initializer_list<Value> args,
              Loc where);
  bool report_isa_(bool is, const std::string& type, std::string_view name, Loc where);
  const Value& require_return_() const;
  detail::StateHandle s_;
};

/// The standard trapper: Test::Trap's layers (raw, die, exit, flow, stdout,
/// stderr, warn, default, output, on_fail), accessors and tests. Include
/// `<trap/builder.hpp>` to use it.
Trapper& standard();

namespace detail {

/// Springs a trap of @p trapper (null: standard()) with @p spec pushed on
/// top of `default`, around @p code, which is called only before it returns.
Trap spring(const Trapper* trapper, std::string_view spec, FunctionRef<Value(Trap&)> code);

/// spring() around @p fn, which takes no argument or a Trap&; what it
/// returns becomes a Value.
template <class F>
Trap spring_code(const Trapper* trapper, std::string_view spec, F& fn) {
  if constexpr (std::is_invocable_v<F&, Trap&>) {
    using R = std::invoke_result_t<F&, Trap&>;
    auto code = [&fn](Trap& t) -> Value {
      if constexpr (std::is_void_v<R>) {
        fn(t);
        return Value();
      } else {
        return Value::from(fn(t));
      }
    };
    return spring(trapper, spec, code);
  } else {
    static_assert(std::is_invocable_v<F&>,
                  "trap: the code must be callable with no argument or with "
                  "trap::Trap&");
    using R = std::invoke_result_t<F&>;
    auto code = [&fn](Trap&) -> Value {
      if constexpr (std::is_void_v<R>) {
        fn();
        return Value();
      } else {
        return Value::from(fn());
      }
    };
    return spring(trapper, spec, code);
  }
}

}  // namespace detail

template <class T>
T Trap::return_value() const {
  return require_return_().as<T>();
}

template <class E>
bool Trap::die_isa(std::string_view name, Loc where) {
  bool is = false;
  if (auto e = exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const E&) {
      is = true;
    } catch (...) {
    }
  }
  return report_isa_(is, detail::demangle(typeid(E).name()), name, where);
}

}  // namespace trap
