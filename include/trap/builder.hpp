// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::Builder and trap::Trapper: how layers, accessors, tests and capture
/// strategies are registered (Perl's Test::Trap::Builder).
#pragma once

#include <any>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <trap/detail/function.hpp>
#include <trap/detail/name_map.hpp>
#include <trap/detail/unique_ptr.hpp>
#include <trap/errors.hpp>
#include <trap/source_location.hpp>
#include <trap/trap_object.hpp>
#include <trap/value.hpp>

namespace trap {

namespace detail {
struct TrapperData;
struct Registry;
}  // namespace detail

/// Tag-on properties of one namespace on one trap (Perl's `Prop`), as
/// Trap::prop() gives them: a map from names to values of any type, with
/// `std::map`'s use (`props["name"] = value`, `find`, `at`, `erase`, ...;
/// see detail::NameMap).
struct Props : detail::NameMap<std::any> {
  using NameMap::NameMap;
};

/// A layer: applied around the code, it calls `self.next()` (or, if it is
/// terminating, `self.run()`). @p arg is the text in the spec's parentheses,
/// empty without them.
using LayerFn = detail::Function<void(Trap& self, std::string_view arg)>;
/// A flexible accessor: computes its value from the trap.
using AccessorFn = detail::Function<Value(const Trap& self)>;
/// A test callback: @p args holds the argspec's values in order, except
/// `trap`, which is @p self. Returns the verdict; add diagnostics with
/// Trap::diag().
using TestFn = detail::Function<bool(Trap& self, std::span<const Value> args)>;
/// A capture strategy: diverts descriptor @p fd for the output layer whose
/// accessor is @p name, calls `self.next()`, and arranges (with a teardown)
/// to restore the stream and `self.set(name, captured)`.
using StrategyFn = detail::Function<void(Trap& self, std::string_view name, int fd)>;
/// Checks a layer's argument (the text in the spec's parentheses, empty
/// without them) when a spec is read, before anything runs: throws
/// UsageError, naming the layer, the argument and what it takes, for an
/// argument the layer does not understand. It runs while trap reads its
/// registry: it may look things up (Trapper::can(), Trapper::has_layer()),
/// but must not register anything or fork.
using LayerArgCheck = detail::Function<void(std::string_view arg)>;
/// A LayerArgCheck for a layer that takes no argument: `:die(x)` is then
/// `Layer "die" takes no argument, not "x"`.
LayerArgCheck no_layer_argument(std::string_view layer);
/// A layer bound to its argument, as layer_implementation() returns it.
using LayerImpl = detail::Function<void(Trap& self)>;
/// A plain method of a trapper (such as `quiet` or `diag_all`), callable by
/// name with Trap::test() and usable by the `on_fail` layer. It reports its
/// own results and returns whether it passed.
using MethodFn =
    detail::Function<bool(Trap& self, std::span<const Value> args, trap::source_location where)>;

/// What Builder::accessor() registers (Perl's named arguments).
struct AccessorSpec {
  /// Names of accessors that read the value a layer set with Trap::set().
  std::vector<std::string> simple{};
  /// Names of accessors computed by a function, each with its function
  /// (`{.flexible = {{"name", fn}}}`; a map as `std::map` is, see
  /// detail::NameMap).
  detail::NameMap<AccessorFn> flexible{};
  /// A flow accessor: its tests first check that the trap was left by it,
  /// and a `did_NAME` test method is generated.
  bool is_leaveby = false;
  /// An array accessor: its element tests take an index first.
  bool is_array = false;
  /// The layer that sets these accessors every time it runs (e.g.
  /// "tcp_server"), or empty. A test method on such an accessor of a trap
  /// that holds nothing in it (the trap did not run the layer) throws
  /// UsageError naming the layer, rather than comparing with null.
  std::string layer{};
};

/// A named registration scope with an optional parent: it inherits the
/// parent's layers, accessors and tests (Perl's trapper package, `use base`).
///
/// Construct one as a function-local static so it outlives every trap; see
/// Builder for an example. trap::standard() is Test::Trap itself.
class Trapper {
 public:
  /// @param name a name for diagnostics, e.g. "my::trap"
  /// @param parent the trapper to inherit from (null for none)
  explicit Trapper(std::string name, const Trapper* parent = nullptr);
  ~Trapper();
  Trapper(const Trapper&) = delete;
  Trapper& operator=(const Trapper&) = delete;

  /// The trapper's name.
  const std::string& name() const;
  /// The parent trapper, or null.
  const Trapper* parent() const;
  /// Every test method this trapper has (registered or inherited), sorted.
  std::vector<std::string> methods() const;
  /// Whether it has test method @p method.
  bool can(std::string_view method) const;
  /// Whether it has (or inherits) layer @p layer.
  bool has_layer(std::string_view layer) const;

  /// Springs a trap with the `default` layers around @p fn.
  template <class F>
  Trap trap(F&& fn) const {
    return trap(std::string_view(), std::forward<F>(fn));
  }
  /// Springs a trap with @p spec pushed on top of `default`, e.g.
  /// `":flow:stderr"`. @throws UsageError for a bad spec.
  template <class F>
  Trap trap(std::string_view spec, F&& fn) const;

 private:
  friend class Builder;
  friend struct detail::Registry;
  friend class Trap;
  friend struct detail::TrapState;
  friend Trap detail::spring(const Trapper*, std::string_view, detail::FunctionRef<Value(Trap&)>);
  Trap spring_(std::string_view spec, detail::FunctionRef<Value(Trap&)> code) const;
  std::unique_ptr<detail::TrapperData> d_;
};

/// A point a layer may come back to with `siglongjmp`, as the `timeout`
/// layer does when its deadline passes (and the `exit` layer when the code
/// calls exit()).
///
/// Jumping back skips the frames of the layers and code in between; trap
/// keeps per-thread records of the traps springing and of where exit() goes,
/// and those still name the skipped frames. Make an UnwindPoint before
/// `sigsetjmp`, and call unwind() after jumping back: it tears down the
/// traps sprung since (running their teardowns) and forgets the exit
/// targets set since. The layer's own trap and its teardowns are untouched:
/// they run when the trap ends, as usual. Errors of the teardowns it runs
/// are the layer's trap's (a TrapError when that trap ends). Jump with
/// `sigsetjmp(env, 1)`, so that the signal mask comes back too.
///
/// @code
/// trap::UnwindPoint point;
/// if (sigsetjmp(env, 1) == 0) { self.next(); }
/// else { point.unwind(); self.set_leaveby("timeout"); }
/// @endcode
class UnwindPoint {
 public:
  /// Records this thread's traps and exit targets as they are now.
  UnwindPoint();
  /// After a jump back: puts them back as recorded.
  void unwind() noexcept;

 private:
  std::size_t depth_;
  void* exit_target_;
  int shield_depth_;
  bool shield_blocked_;
  void* caught_;
  unsigned int uncaught_;
  std::size_t hub_scopes_;
};

/// Makes @p signo a *stop signal* on the calling thread: one whose handler
/// may jump out of the code it interrupts (with an UnwindPoint), as the
/// `timeout` layer's does. trap then keeps it blocked on this thread while
/// the thread runs trap's own code (springing or tearing down a trap,
/// reporting to a hub, holding a lock, recording a capture's output), and
/// lets it in again as the thread leaves, so that a jump never lands where
/// trap holds a lock or is halfway through its bookkeeping. The trapped code
/// itself (Trap::run()) may be stopped, even where the thread blocked the
/// signal before the trap (it is blocked again after the code). Call it on
/// the thread that will receive the signal, before arming it (from a
/// layer, say); calling it again is harmless. Threads that never call it
/// pay nothing.
///
/// @throws UsageError if @p signo is not a signal number (1 to 64).
void defer_stop_signal(int signo);

/// Sets the environment variable @p name to @p value while the trap
/// @p self runs (a layer's way to tell the code where its server is:
/// `TRAP_HTTP_URL`, `TRAP_SMTP_PORT`), for two audiences:
/// - trap::run() from the thread running the trap passes its programs the
///   value of the innermost trap of that thread that set it, whatever
///   traps on other threads set at the same time;
/// - the process's environment holds it too (for std::system() and the
///   like): there the trap that set it last wins while several run.
///
/// The trap's teardown takes it back: the process's environment then holds
/// the value of the latest trap still running that set it, or what it held
/// before the first one. trap's own reads and writes of the environment
/// hold one lock; other code's getenv() is not under it.
void export_environment(Trap& self, const std::string& name, const std::string& value);

namespace detail {
/// The process's environment as "NAME=VALUE" strings, with this thread's
/// export_environment() values laid over it (trap::run()'s starting point).
std::vector<std::string> environment_for_child();
}  // namespace detail

/// The registry (a true singleton): Perl's `Test::Trap::Builder->new`.
///
/// @code{.cpp}
/// trap::Trapper& my_trapper() {
///   static trap::Trapper t("my::trap", &trap::standard());
///   static bool once = [] {
///     auto& B = trap::Builder::instance();
///     B.layer(t, "simpletee", [](trap::Trap& self, std::string_view) {
///       self.teardown([&self] { std::cout << self.out(); });
///       self.next();
///     });
///     B.accessor(t, {.simple = {"timeout"}, .is_leaveby = true});
///     return true;
///   }();
///   (void)once;
///   return t;
/// }
/// @endcode
/// Registration is thread-safe; a name registered again replaces the old
/// definition for later traps.
class Builder {
 public:
  /// The one instance.
  static Builder& instance();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  /// Registers layer @p name on @p trapper. It gets whatever argument a
  /// spec gives it; to have bad arguments rejected when the spec is read,
  /// register it with a LayerArgCheck.
  /// @throws UsageError for an empty name or one with `:`, `(`, `)` or
  /// white space.
  void layer(Trapper& trapper, std::string_view name, LayerFn fn);
  /// Registers layer @p name on @p trapper, with @p check run on its
  /// argument whenever a spec naming it is read (trap::trap() then throws
  /// the check's UsageError before running anything), e.g.
  /// `B.layer(t, "simpletee", fn, trap::no_layer_argument("simpletee"))`.
  /// @throws UsageError as the other overload.
  void layer(Trapper& trapper, std::string_view name, LayerFn fn, LayerArgCheck check);
  /// Registers @p name as the list @p layers (each a name, possibly with an
  /// argument, known to @p trapper now: Perl resolves them at registration).
  /// The multi-layer itself takes no argument.
  /// @throws UsageError `Unknown trap layer "x"` for an unknown member.
  void multi_layer(Trapper& trapper, std::string_view name, const std::vector<std::string>& layers);
  /// Registers an output layer @p name capturing descriptor @p fd, and a
  /// simple accessor @p name for what it captured. Its argument is a list of
  /// strategies, e.g. `stdout(pipe;tempfile)`.
  void output_layer(Trapper& trapper, std::string_view name, int fd);
  /// Registers capture strategy @p name (globally).
  void capture_strategy(std::string_view name, StrategyFn fn);
  /// The strategy registered as @p name, or null.
  const StrategyFn* capture_strategy(std::string_view name) const;
  /// The first registered strategy among @p spec's names (separated by `,`
  /// or `;`); null for an empty spec.
  /// @throws UsageError `No capture strategy found for "a", "b"` when none is.
  const StrategyFn* first_capture_strategy(std::string_view spec) const;
  /// The functions implementing the layers of @p specs (e.g. "stdout(pipe)"),
  /// in order, multi-layers expanded.
  /// @throws UsageError `Unknown trap layer "x"`, or for a malformed spec.
  std::vector<LayerImpl> layer_implementation(const Trapper& trapper,
                                              std::span<const std::string> specs) const;
  /// Registers accessors on @p trapper, and the test methods they make with
  /// every test the trapper has.
  void accessor(Trapper& trapper, const AccessorSpec& spec);
  /// Registers test @p name with @p argspec (words `trap`, `entirety`,
  /// `element`, `predicate`, `name`, separated by anything else).
  /// @throws UsageError `Unrecognized identifier x in argspec`.
  void test(Trapper& trapper, std::string_view name, std::string_view argspec, TestFn fn);
  /// Registers plain method @p name on @p trapper (Perl: a method of the
  /// trapper package), e.g. a diagnostic routine for `on_fail(NAME)`.
  void method(Trapper& trapper, std::string_view name, MethodFn fn);

 private:
  Builder();
  friend struct detail::Registry;
};

template <class F>
Trap Trapper::trap(std::string_view spec, F&& fn) const {
  return detail::spring_code(this, spec, fn);
}

}  // namespace trap
