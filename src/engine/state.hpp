// SPDX-License-Identifier: BSL-1.0
// Private data behind Trapper, Builder and Trap.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <trap/builder.hpp>
#include <trap/trap_object.hpp>

#include "posix/fork_safe_mutex.hpp"
#include "posix/held_object.hpp"
#include "posix/stop_shield.hpp"
// escape(), quoted(), current_exception_*(): the engine's code uses them
// throughout.
#include "report/diagnostics.hpp"

namespace trap::detail {

/// Thrown by Trap::exception(); never caught by a layer.
struct InternalException {};

/// One argspec word.
enum class ArgWord { trap, entirety, element, predicate, name };

struct LayerDef {
  // Makes the implementation of the layer for one argument, for a trap of
  // trapper `t`. Called when a spec is resolved, so argument errors surface
  // before anything runs. Callers hold the registry lock.
  std::function<std::vector<LayerImpl>(const Trapper& t, std::string_view arg)> make;
};

/// The message for a layer given an argument it does not take.
[[noreturn]] void bad_layer_argument(std::string_view layer, std::string_view arg,
                                     std::string_view accepted);

struct AccessorDef {
  std::string name;
  bool is_leaveby = false;
  bool is_array = false;
  AccessorFn flexible;  // empty for a simple accessor
  std::string layer;    // the layer that always sets it, if declared
};

struct TestDef {
  std::string name;
  std::vector<ArgWord> argspec;
  TestFn fn;
};

struct TrapperData {
  std::string name;
  const Trapper* parent = nullptr;
  std::map<std::string, LayerDef, std::less<>> layers;
  std::map<std::string, AccessorDef, std::less<>> accessors;
  std::map<std::string, TestDef, std::less<>> tests;
  std::map<std::string, MethodFn, std::less<>> methods;  // quiet, diag_all, ...
};

/// A resolved layer stack, outermost last (applied from the back).
using LayerStack = std::vector<LayerImpl>;

/// The registry's lock: fork-safe (posix::ForkSafeSharedMutex), and each
/// hold a critical section (a StopShield's): an in-process timeout's jump
/// out of code that held it would leave it held, and every later
/// registration, and every fork(), waiting for it for ever. The code that
/// looks things up while trapped (an accessor, a test method, a strategy)
/// takes it outside trap's own shields.
class RegistryMutex {
 public:
  void lock() {
    shielded([this] { m_.lock(); });
  }
  void unlock() {
    m_.unlock();
    leave_shield();
  }
  void lock_shared() {
    shielded([this] { m_.lock_shared(); });
  }
  void unlock_shared() {
    m_.unlock_shared();
    leave_shield();
  }

 private:
  template <class F>
  static void shielded(F take) {
    enter_shield();
    try {
      take();
    } catch (...) {
      leave_shield();
      throw;
    }
  }
  posix::ForkSafeSharedMutex& m_ = posix::ForkSafeSharedMutex::make();
};

/// The Builder's tables. Lookups take the shared lock, registration the
/// exclusive one.
struct Registry {
  static Registry& get();

  // Fork-safe: a fork trap's child that springs a trap looks its spec up,
  // while another thread may be registering.
  mutable RegistryMutex mutex;
  std::map<std::string, StrategyFn, std::less<>> strategies;
  // Bumped by every registration (under the exclusive lock); read without
  // the lock by Trap::get()'s memo.
  std::atomic<std::uint64_t> generation{0};
  /// A spec resolved: the layers to apply and the names they came from.
  struct Resolved {
    std::shared_ptr<const LayerStack> stack;
    std::shared_ptr<const std::vector<std::string>> names;  // "default", then the spec's
  };
  struct CacheEntry {
    std::uint64_t generation;
    Resolved resolved;
  };
  // Fork-safe: a fork trap's child that springs a trap looks its spec up.
  posix::ForkSafeMutex& cache_mutex = posix::ForkSafeMutex::make();
  std::map<const Trapper*, std::map<std::string, CacheEntry, std::less<>>> cache;

  // Lookups walk the trapper's ancestry; callers hold `mutex`.
  static const LayerDef* find_layer(const Trapper& t, std::string_view name);
  static const AccessorDef* find_accessor(const Trapper& t, std::string_view name);
  static const TestDef* find_test(const Trapper& t, std::string_view name);
  static const MethodFn* find_method(const Trapper& t, std::string_view name);
  /// What a test method name stands for on a trapper: a plain method,
  /// did_ACCESSOR, or ACCESSOR_TEST (the longest accessor name that fits).
  /// All null if nothing. Callers hold `mutex`.
  struct Resolution {
    const AccessorDef* accessor = nullptr;
    const TestDef* test = nullptr;
    const MethodFn* method = nullptr;
    bool did = false;  // did_ACCESSOR
    explicit operator bool() const { return method || accessor; }
  };
  static Resolution resolve_method(const Trapper& t, std::string_view name);
  static TrapperData& data(const Trapper& t) { return *t.d_; }
  static TrapState* state(const Trap& t) { return t.s_.get(); }
  static StateHandle& handle(Trap& t) { return t.s_; }
  static const StateHandle& handle(const Trap& t) { return t.s_; }

  // The resolved stack for `default` + spec, cached per trapper and spec,
  // and remembered per thread.
  Resolved resolve(const Trapper& t, std::string_view spec);
  // The same from the cache shared by all threads.
  Resolved resolve_shared(const Trapper& t, std::string_view spec);
  // Resolves a list of layer specs; callers hold `mutex`.
  LayerStack resolve_locked(const Trapper& t, std::span<const std::string> specs) const;
};

class Capture;

/// The accessors the engine's own layers set and read, by number: their
/// values are found in a record without comparing names.
enum class Builtin : std::uint8_t { leaveby, return_, die, exit, stdout_, stderr_ };
inline constexpr std::size_t kBuiltins = 6;
/// The accessor name of @p b.
inline std::string_view builtin_name(Builtin b) noexcept {
  static constexpr std::string_view names[kBuiltins] = {"leaveby", "return", "die",
                                                        "exit",    "stdout", "stderr"};
  return names[static_cast<std::size_t>(b)];
}
/// The built-in accessor named @p name, if it is one.
std::optional<Builtin> builtin_of(std::string_view name) noexcept;

/// One teardown of a springing trap: a layer's function, the end of one of
/// the trap's captures, or a plain function called with an object the
/// teardown holds (these two take no allocation to register).
struct Teardown {
  Function<void(Trap&)> fn;
  void (*plain)(Trap&, void*) = nullptr;  // if set, fn is empty
  HeldObject held{};                      // what plain is called with
  void operator()(Trap& t) const;
};

/// Registers @p plain, called with `held.get()`, as a teardown of @p self,
/// which holds @p held until then (taken only on success). Allocates
/// nothing when the trap's list of teardowns has room.
void add_plain_teardown(Trap& self, void (*plain)(Trap&, void*), HeldObject&& held);

/// The record of one trap and, while it springs, its machinery. Every
/// scalar member has its initializer: a record kept for reuse is renewed
/// by default-initialization (state_pool.cpp), with no zeroing first.
struct TrapState {
  const Trapper* trapper = nullptr;
  std::vector<std::pair<std::string, Value>> values;
  std::string leaveby;
  std::string die_type;
  std::exception_ptr exception;

  // While springing.
  std::shared_ptr<const LayerStack> layers;
  std::shared_ptr<const std::vector<std::string>> layer_names;  // kept for diag_all
  std::size_t pos = 0;
  const FunctionRef<Value(Trap&)>* code = nullptr;
  std::vector<Teardown> teardowns;
  std::vector<std::string> exceptions;
  bool springing = false;
  int pid = 0;  // the process that sprang it

  std::shared_ptr<const StrategyFn> default_strategy;  // set by `output`
  std::map<std::string, Props, std::less<>> props;
  Function<void(Trap&)> on_test_failure;
  Function<std::vector<std::string>(const Trap&)> failure_context;
  bool in_test_failure = false;
  std::string test_accessor;
  std::vector<std::string>* test_diagnostics = nullptr;
  bool diag_all_done = false;
  Value flexible_cache;

  /// Where the value of each built-in accessor is in `values` (kNoSlot: not
  /// there). Valid while `values` is the vector, at the size, they were
  /// taken from (slots_of, slots_size): set() keeps them so; `values`
  /// changed otherwise (replaced whole by a forked child's record, an entry
  /// erased) has them taken again on the next look.
  static constexpr std::uint32_t kNoSlot = 0xffffffff;
  std::uint32_t slots[kBuiltins] = {kNoSlot, kNoSlot, kNoSlot, kNoSlot, kNoSlot, kNoSlot};
  const void* slots_of = nullptr;
  std::size_t slots_size = 0;

  Value* find(std::string_view name);
  const Value* find(std::string_view name) const;
  /// The value of built-in accessor @p b, or nullptr.
  Value* find(Builtin b) noexcept;
  /// Sets accessor @p name (a built-in one by its slot) to @p value, in
  /// place if it has a value, appended otherwise.
  void set(std::string_view name, Value&& value);
  /// @copydoc set(std::string_view, Value&&)
  void set(Builtin b, Value&& value);
  /// Makes the next look take the slots again (after `values` changed).
  void forget_slots() noexcept { slots_size = static_cast<std::size_t>(-1); }

 private:
  std::uint32_t& slot(Builtin b) noexcept;
  void take_slots() noexcept;
};

/// Whether accessor name @p key is @p name. Names are short and differ in
/// their length or their last letters ("stdout", "stderr", "return"):
/// compared inline, from the end.
inline bool same_name(const std::string& key, std::string_view name) noexcept {
  std::size_t i = name.size();
  if (key.size() != i) return false;
  const char* k = key.data();
  const char* n = name.data();
  while (i > 0 && k[i - 1] == n[i - 1]) --i;
  return i == 0;
}

/// The std::shared_ptr a StateHandle keeps (call refresh() after changing it).
inline std::shared_ptr<TrapState>& shared_state(StateHandle& h) {
  return *std::launder(reinterpret_cast<std::shared_ptr<TrapState>*>(h.storage()));
}
/// @copydoc shared_state(StateHandle&)
inline const std::shared_ptr<TrapState>& shared_state(const StateHandle& h) {
  return shared_state(const_cast<StateHandle&>(h));
}
/// A fresh record, taken from the ones this thread kept of ended traps
/// (their vectors' room made already) when it has one.
std::shared_ptr<TrapState> new_trap_state();
/// A handle on @p state.
StateHandle make_state_handle(std::shared_ptr<TrapState> state);

/// The traps springing on this thread, outermost first.
std::vector<TrapState*>& active_traps();
/// The owning reference to @p st if it is springing on this thread (the
/// spring frame's own handle does not own it); nullptr otherwise.
std::shared_ptr<TrapState> owner_of(const TrapState* st);
/// Runs the teardowns of @p trap that have not run yet, innermost first,
/// down to the first @p first ones (kept), collecting their errors in
/// exceptions.
void run_teardowns(Trap& trap, std::size_t first = 0);
/// Runs the teardowns of every trap springing on this thread above
/// @p depth (innermost first): the way out when exit() jumps past them.
void abandon_traps_above(std::size_t depth);

/// The plain text of a scalar, as Perl's string interpolation gives it:
/// a string as it is, undef as "", true as "1", anything else rendered.
std::string plain_text(const Value& v);

/// Registers the standard tests and methods (ok, is, like, quiet, ...).
void register_standard_tests(Trapper& t);
/// Registers the layers of src/isolation/ (exit, fork, timeout) and their
/// accessors on @p t. Defined there (exit.cpp): the engine calls it and
/// includes nothing of isolation, which is built on the engine.
void register_isolation_layers(Trapper& t);

}  // namespace trap::detail
