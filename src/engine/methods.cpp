// SPDX-License-Identifier: BSL-1.0
// Test methods: dispatch of ACCESSOR_TEST names with Perl's argument rules
// and leaveby check, and the typed methods of trap::Trap.
#include <algorithm>
#include <cerrno>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "engine/result.hpp"
#include "engine/state.hpp"

namespace trap {
namespace detail {
namespace {

[[noreturn]] void unknown_method(const Trapper& t, std::string_view name) {
  std::string list;
  for (auto& m : t.methods()) list += (list.empty() ? "" : ", ") + m;
  throw UsageError("Can't locate test method \"" + std::string(name) + "\" via trapper " +
                   t.name() + "; its methods are: " + list);
}

// What a test method takes, in the caller's words: "an index, a
// predicate, and an optional test name".
std::string takes(const TestDef& t, bool need_index) {
  std::vector<std::string> words;
  for (ArgWord w : t.argspec) {
    if (w == ArgWord::element && need_index) words.push_back("an index");
    if (w == ArgWord::predicate) words.push_back("a predicate");
    if (w == ArgWord::name) words.push_back("an optional test name");
  }
  if (words.empty()) return "no argument";
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i)
    out += (i == 0 ? "" : i + 1 == words.size() ? ", and " : ", ") + words[i];
  return out;
}

[[noreturn]] void missing_argument(std::string_view method, const TestDef& t, bool need_index,
                                   std::size_t position, const char* what) {
  throw UsageError(std::string(method) + ": missing argument " + std::to_string(position) + " (" +
                   what + "): it takes " + takes(t, need_index));
}

// A test on an accessor that a layer sets whenever it runs, on a trap
// that holds nothing in it: the trap did not run that layer.
void require_providing_layer(const Trap& trap, std::string_view method, const AccessorDef& a) {
  if (a.layer.empty() || trap.has(a.name)) return;
  throw UsageError(std::string(method) + ": the accessor \"" + a.name + "\" is set by layer \"" +
                   a.layer + "\", which this trap did not run: add :" + a.layer +
                   " to its layer spec");
}

// What a method name stands for on a trapper, copied out of the registry
// so that a registration on another thread cannot change it under the
// running test.
struct Lookup {
  std::optional<MethodFn> method;  ///< a plain method (quiet, diag_all, ...)
  AccessorDef accessor;
  TestDef test;
  bool did = false;  ///< did_ACCESSOR: a leaveby check
};

// @throws UsageError naming the trapper's methods if @p method is none.
Lookup look_up(const Trapper& trapper, std::string_view method) {
  Lookup found;
  {
    auto& reg = Registry::get();
    std::shared_lock lock(reg.mutex);
    const Registry::Resolution r = Registry::resolve_method(trapper, method);
    if (r.method) {
      found.method = *r.method;
      return found;
    }
    if (r.accessor) {
      found.accessor = *r.accessor;
      if (r.test) found.test = *r.test;
      found.did = r.did;
      return found;
    }
  }
  unknown_method(trapper, method);
}

// The caller's arguments, taken in argspec order as Perl does.
struct BoundArgs {
  std::optional<std::int64_t> index;
  Value name;
  std::vector<Value> predicates;
};

// Binds @p args to test @p t on accessor @p a: the index (array accessors
// only) and the predicates are required; the test name is not.
BoundArgs bind_arguments(std::string_view method, const AccessorDef& a, const TestDef& t,
                         std::span<const Value> args) {
  const bool need_index =
      a.is_array && std::count(t.argspec.begin(), t.argspec.end(), ArgWord::element) > 0;
  std::size_t next_arg = 0;
  auto take = [&](const char* what) -> Value {
    if (next_arg >= args.size()) missing_argument(method, t, need_index, next_arg + 1, what);
    return args[next_arg++];
  };
  BoundArgs bound;
  for (ArgWord w : t.argspec) {
    if (w == ArgWord::element && need_index) {
      Value i = take("an index");
      if (!i.is_integer())
        throw UsageError(std::string(method) + ": " + a.name +
                         " is an array accessor: the first argument must be an index, not " +
                         i.str());
      bound.index = i.as<std::int64_t>();
    } else if (w == ArgWord::predicate) {
      bound.predicates.push_back(take("a predicate"));
    } else if (w == ArgWord::name && next_arg < args.size()) {
      bound.name = args[next_arg++];
    }
  }
  if (next_arg < args.size())
    throw UsageError(std::string(method) + ": too many arguments (" + std::to_string(args.size()) +
                     ")");
  return bound;
}

// Element @p index of @p array as Perl indexes: a negative index counts
// from the end; a missing element is undef.
Value element_at(const Value& array, std::int64_t index) {
  const auto size = array.is_array() ? static_cast<std::int64_t>(array.array().size()) : 0;
  const std::int64_t at = index < 0 ? size + index : index;
  return at >= 0 && at < size ? array.array()[static_cast<std::size_t>(at)] : Value();
}

// One argument of a call, for a default test name: a regex as /pattern/,
// a value as Value::str() shows it; cut to a few dozen bytes (never inside
// a UTF-8 character).
std::string shown_argument(const Value& v, bool regex) {
  std::string s = v.str();
  if (regex) {
    s.clear();
    for (char c : plain_text(v)) s += c == '\n' ? std::string("\\n") : std::string(1, c);
    s = "/" + s + "/";
  }
  constexpr std::size_t kMax = 40;
  if (s.size() <= kMax) return s;
  std::size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

// The name of a test called without one, describing the call:
// `exit_is(1)`, `stdout_like(/^usage/)`, `warn_is(0, "x")`, `did_die`.
Value default_name(std::string_view method, const BoundArgs& bound) {
  if (!plain_text(bound.name).empty()) return bound.name;
  const bool regex = method.ends_with("_like") || method.ends_with("_unlike");
  std::string args = bound.index ? std::to_string(*bound.index) : std::string();
  for (const Value& p : bound.predicates)
    args += (args.empty() ? "" : ", ") + shown_argument(p, regex);
  std::string name(method);
  if (!args.empty()) name += "(" + args + ")";
  return Value(std::move(name));
}

// did_ACCESSOR: passes if the trap left by that accessor's way.
bool did_test(Trap& trap, std::string_view method, const AccessorDef& a,
              std::span<const Value> args, trap::source_location where) {
  if (args.size() > 1) throw UsageError(std::string(method) + ": takes at most a test name");
  BoundArgs bound;
  if (!args.empty()) bound.name = args[0];
  const Value name = default_name(method, bound);
  if (trap.leaveby() != a.name) return wrong_leaveby(trap, a, name, where);
  return report_test(trap, true, name, {}, where);
}

// The test callback's arguments, in argspec order.
std::vector<Value> callback_arguments(const TestDef& t, const Value& entirety, const Value& element,
                                      const BoundArgs& bound) {
  std::vector<Value> cb;
  std::size_t p = 0;
  for (ArgWord w : t.argspec) {
    switch (w) {
      case ArgWord::trap:
        break;
      case ArgWord::entirety:
        cb.push_back(entirety);
        break;
      case ArgWord::element:
        cb.push_back(element);
        break;
      case ArgWord::predicate:
        cb.push_back(bound.predicates[p++]);
        break;
      case ArgWord::name:
        cb.push_back(bound.name);
        break;
    }
  }
  return cb;
}

// While a test callback runs: the accessor it tests, and where its
// diagnostics go (Trap::test_accessor(), Trap::diag()); cleared however the
// callback ends.
class TestScope {
 public:
  TestScope(TrapState& state, std::string accessor, std::vector<std::string>& diagnostics)
      : state_(state) {
    state_.test_accessor = std::move(accessor);
    state_.test_diagnostics = &diagnostics;
  }
  ~TestScope() {
    state_.test_diagnostics = nullptr;
    state_.test_accessor.clear();
  }
  TestScope(const TestScope&) = delete;
  TestScope& operator=(const TestScope&) = delete;

 private:
  TrapState& state_;
};

// Runs test @p t on accessor @p a with the bound arguments and reports it.
bool run_test(Trap& trap, const AccessorDef& a, const TestDef& t, const BoundArgs& bound,
              trap::source_location where) {
  const Value* whole = trap.get(a.name);
  const Value entirety = whole ? *whole : Value();
  const Value element = bound.index ? element_at(entirety, *bound.index) : entirety;
  const std::vector<Value> cb = callback_arguments(t, entirety, element, bound);
  std::vector<std::string> diagnostics;
  bool ok = false;
  {
    TestScope scope(*Registry::state(trap),
                    a.name + "(" + (bound.index ? std::to_string(*bound.index) : "") + ")",
                    diagnostics);
    ok = t.fn(trap, cb);
  }
  return report_test(trap, ok, bound.name, std::move(diagnostics), where);
}

}  // namespace
}  // namespace detail

bool Trap::call(std::string_view method, std::span<const Value> args, Loc where) {
  using namespace detail;
  ErrnoGuard errno_guard;
  const Lookup found = look_up(*s_->trapper, method);
  if (found.method) return (*found.method)(*this, args, where);
  const AccessorDef& a = found.accessor;
  if (found.did) return did_test(*this, method, a, args, where);
  BoundArgs bound = bind_arguments(method, a, found.test, args);
  bound.name = default_name(method, bound);
  require_providing_layer(*this, method, a);
  if (a.is_leaveby && leaveby() != a.name) return wrong_leaveby(*this, a, bound.name, where);
  return run_test(*this, a, found.test, bound, where);
}

bool Trap::check_(std::string_view accessor, std::string_view test,
                  std::initializer_list<Value> args, Loc where) {
  std::string method;
  method.reserve(accessor.size() + 1 + test.size());
  method.append(accessor).append("_").append(test);
  return call(method, std::span<const Value>(args.begin(), args.size()), where);
}

bool Trap::report_isa_(bool is, const std::string& type, std::string_view name, Loc where) {
  detail::ErrnoGuard errno_guard;
  const detail::AccessorDef* die_def;
  {
    auto& reg = detail::Registry::get();
    std::shared_lock lock(reg.mutex);
    die_def = detail::Registry::find_accessor(*s_->trapper, "die");
  }
  Value n = name.empty() ? Value("die_isa(" + type + ")") : Value(name);
  if (die_def && leaveby() != "die") return detail::wrong_leaveby(*this, *die_def, n, where);
  std::vector<std::string> diagnostics;
  if (!is)
    diagnostics.push_back("    The exception isn't a '" + type + "'; it is a '" + die_type() +
                          "': " + Value(die()).str());
  return detail::report_test(*this, is, n, std::move(diagnostics), where);
}

// --------------------------------------------------------- typed methods

namespace {

// Calls @p method with the test name @p name as its only argument.
bool call_with_name(Trap& trap, std::string_view method, std::string_view name,
                    trap::source_location where) {
  const Value n(name);
  return trap.call(method, std::span<const Value>(&n, 1), where);
}

}  // namespace

#define TRAP_SCALAR_TESTS(acc)                                                          \
  bool Trap::acc##_ok(std::string_view name, Loc where) {                               \
    return check_(#acc, "ok", {Value(name)}, where);                                    \
  }                                                                                     \
  bool Trap::acc##_nok(std::string_view name, Loc where) {                              \
    return check_(#acc, "nok", {Value(name)}, where);                                   \
  }                                                                                     \
  bool Trap::acc##_is(const Expected& expected, std::string_view name, Loc where) {     \
    return check_(#acc, "is", {expected.value(), Value(name)}, where);                  \
  }                                                                                     \
  bool Trap::acc##_isnt(const Expected& expected, std::string_view name, Loc where) {   \
    return check_(#acc, "isnt", {expected.value(), Value(name)}, where);                \
  }                                                                                     \
  bool Trap::acc##_like(std::string_view pattern, std::string_view name, Loc where) {   \
    return check_(#acc, "like", {Value(pattern), Value(name)}, where);                  \
  }                                                                                     \
  bool Trap::acc##_unlike(std::string_view pattern, std::string_view name, Loc where) { \
    return check_(#acc, "unlike", {Value(pattern), Value(name)}, where);                \
  }

TRAP_SCALAR_TESTS(stdout)
TRAP_SCALAR_TESTS(stderr)
TRAP_SCALAR_TESTS(die)
TRAP_SCALAR_TESTS(exit)
TRAP_SCALAR_TESTS(return )
TRAP_SCALAR_TESTS(leaveby)
#undef TRAP_SCALAR_TESTS

bool Trap::warn_ok(std::size_t i, std::string_view name, Loc where) {
  return check_("warn", "ok", {Value(i), Value(name)}, where);
}
bool Trap::warn_nok(std::size_t i, std::string_view name, Loc where) {
  return check_("warn", "nok", {Value(i), Value(name)}, where);
}
bool Trap::warn_is(std::size_t i, const Expected& expected, std::string_view name, Loc where) {
  return check_("warn", "is", {Value(i), expected.value(), Value(name)}, where);
}
bool Trap::warn_isnt(std::size_t i, const Expected& expected, std::string_view name, Loc where) {
  return check_("warn", "isnt", {Value(i), expected.value(), Value(name)}, where);
}
bool Trap::warn_like(std::size_t i, std::string_view pattern, std::string_view name, Loc where) {
  return check_("warn", "like", {Value(i), Value(pattern), Value(name)}, where);
}
bool Trap::warn_unlike(std::size_t i, std::string_view pattern, std::string_view name, Loc where) {
  return check_("warn", "unlike", {Value(i), Value(pattern), Value(name)}, where);
}
bool Trap::warn_is_deeply(const Array& expected, std::string_view name, Loc where) {
  return check_("warn", "is_deeply", {Value(expected), Value(name)}, where);
}

bool Trap::did_return(std::string_view name, Loc where) {
  return call_with_name(*this, "did_return", name, where);
}
bool Trap::did_die(std::string_view name, Loc where) {
  return call_with_name(*this, "did_die", name, where);
}
bool Trap::did_exit(std::string_view name, Loc where) {
  return call_with_name(*this, "did_exit", name, where);
}
bool Trap::did_signal(std::string_view name, Loc where) {
  return call_with_name(*this, "did_signal", name, where);
}
bool Trap::did_timeout(std::string_view name, Loc where) {
  return call_with_name(*this, "did_timeout", name, where);
}
bool Trap::signal_is(int expected, std::string_view name, Loc where) {
  return check_("signal", "is", {Value(expected), Value(name)}, where);
}
bool Trap::timeout_ok(std::string_view name, Loc where) {
  return check_("timeout", "ok", {Value(name)}, where);
}
bool Trap::quiet(std::string_view name, Loc where) {
  return call_with_name(*this, "quiet", name, where);
}
void Trap::diag_all(Loc where) { call("diag_all", {}, where); }
void Trap::diag_all_once(Loc where) { call("diag_all_once", {}, where); }

}  // namespace trap
