// Test methods: dispatch of ACCESSOR_TEST names with Perl's argument rules
// and leaveby check, and the typed methods of trap::Trap.
#include <algorithm>
#include <cerrno>

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
  throw UsageError(std::string(method) + ": missing argument " + std::to_string(position) +
                   " (" + what + "): it takes " + takes(t, need_index));
}

// A test on an accessor that a layer sets whenever it runs, on a trap
// that holds nothing in it: the trap did not run that layer.
void require_providing_layer(const Trap& trap, std::string_view method, const AccessorDef& a) {
  if (a.layer.empty() || trap.has(a.name)) return;
  throw UsageError(std::string(method) + ": the accessor \"" + a.name +
                   "\" is set by layer \"" + a.layer +
                   "\", which this trap did not run: add :" + a.layer + " to its layer spec");
}

}  // namespace
}  // namespace detail

bool Trap::call(std::string_view method, std::span<const Value> args, Loc where) {
  using namespace detail;
  ErrnoGuard errno_guard;
  Registry::Resolution r;
  // Copies, so that a registration on another thread cannot change them
  // under the running test.
  AccessorDef a;
  TestDef t;
  {
    auto& reg = Registry::get();
    std::shared_lock lock(reg.mutex);
    r = Registry::resolve_method(*s_->trapper, method);
    if (r.method) {
      auto fn = *r.method;
      lock.unlock();
      return fn(*this, args, where);
    }
    if (!r.accessor) {
      lock.unlock();
      unknown_method(*s_->trapper, method);
    }
    a = *r.accessor;
    if (r.test) t = *r.test;
  }
  if (r.did) {
    if (args.size() > 1)
      throw UsageError(std::string(method) + ": takes at most a test name");
    Value name = args.empty() ? Value() : args[0];
    if (leaveby() != a.name) return wrong_leaveby(*this, a, name, where);
    send_result(true, name, {}, where);
    return true;
  }
  const bool need_index =
      a.is_array && std::count(t.argspec.begin(), t.argspec.end(), ArgWord::element) > 0;
  // Consume the caller's arguments in argspec order, as Perl does.
  std::size_t next_arg = 0;
  // The index and the predicates are required; the test name is not.
  auto take = [&](const char* what) -> Value {
    if (next_arg >= args.size()) missing_argument(method, t, need_index, next_arg + 1, what);
    return args[next_arg++];
  };
  std::optional<std::int64_t> index;
  Value name;
  std::vector<Value> predicates;
  for (ArgWord w : t.argspec) {
    if (w == ArgWord::element && need_index) {
      Value i = take("an index");
      if (!i.is_integer())
        throw UsageError(std::string(method) + ": " + a.name +
                         " is an array accessor: the first argument must be an index, not " +
                         i.str());
      index = i.as<std::int64_t>();
    } else if (w == ArgWord::predicate) {
      predicates.push_back(take("a predicate"));
    } else if (w == ArgWord::name && next_arg < args.size()) {
      name = args[next_arg++];
    }
  }
  if (next_arg < args.size())
    throw UsageError(std::string(method) + ": too many arguments (" +
                     std::to_string(args.size()) + ")");
  require_providing_layer(*this, method, a);
  if (a.is_leaveby && leaveby() != a.name) return wrong_leaveby(*this, a, name, where);

  const Value* whole = get(a.name);
  Value entirety = whole ? *whole : Value();
  Value element = entirety;
  if (index) {
    // As Perl: a negative index counts from the end; a missing element is
    // undef.
    const auto size = entirety.is_array() ? static_cast<std::int64_t>(entirety.array().size()) : 0;
    const std::int64_t at = *index < 0 ? size + *index : *index;
    element = at >= 0 && at < size ? entirety.array()[static_cast<std::size_t>(at)] : Value();
  }
  std::vector<Value> cb;
  std::size_t p = 0;
  for (ArgWord w : t.argspec) {
    switch (w) {
      case ArgWord::trap: break;
      case ArgWord::entirety: cb.push_back(entirety); break;
      case ArgWord::element: cb.push_back(element); break;
      case ArgWord::predicate: cb.push_back(predicates[p++]); break;
      case ArgWord::name: cb.push_back(name); break;
    }
  }
  std::vector<std::string> diagnostics;
  s_->test_accessor = a.name + "(" + (index ? std::to_string(*index) : std::string()) + ")";
  s_->test_diagnostics = &diagnostics;
  bool ok = false;
  try {
    ok = t.fn(*this, cb);
  } catch (...) {
    s_->test_diagnostics = nullptr;
    s_->test_accessor.clear();
    throw;
  }
  s_->test_diagnostics = nullptr;
  s_->test_accessor.clear();
  send_result(ok, name, std::move(diagnostics), where);
  if (!ok) test_failure();
  return ok;
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
  Value n = name.empty() ? Value() : Value(name);
  if (die_def && leaveby() != "die") return detail::wrong_leaveby(*this, *die_def, n, where);
  std::vector<std::string> diagnostics;
  if (!is)
    diagnostics.push_back("    The exception isn't a '" + type + "'; it is a '" + die_type() +
                          "': " + Value(die()).str());
  detail::send_result(is, n, std::move(diagnostics), where);
  if (!is) test_failure();
  return is;
}

// --------------------------------------------------------- typed methods

#define TRAP_SCALAR_TESTS(acc)                                                    \
  bool Trap::acc##_ok(std::string_view name, Loc where) {                         \
    return check_(#acc, "ok", {Value(name)}, where);                              \
  }                                                                               \
  bool Trap::acc##_nok(std::string_view name, Loc where) {                        \
    return check_(#acc, "nok", {Value(name)}, where);                             \
  }                                                                               \
  bool Trap::acc##_is(const Expected& expected, std::string_view name, Loc where) {  \
    return check_(#acc, "is", {expected.value(), Value(name)}, where);                    \
  }                                                                               \
  bool Trap::acc##_isnt(const Expected& expected, std::string_view name, Loc where) { \
    return check_(#acc, "isnt", {expected.value(), Value(name)}, where);                  \
  }                                                                               \
  bool Trap::acc##_like(std::string_view pattern, std::string_view name, Loc where) { \
    return check_(#acc, "like", {Value(pattern), Value(name)}, where);            \
  }                                                                               \
  bool Trap::acc##_unlike(std::string_view pattern, std::string_view name, Loc where) { \
    return check_(#acc, "unlike", {Value(pattern), Value(name)}, where);          \
  }

TRAP_SCALAR_TESTS(stdout)
TRAP_SCALAR_TESTS(stderr)
TRAP_SCALAR_TESTS(die)
TRAP_SCALAR_TESTS(exit)
TRAP_SCALAR_TESTS(return)
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
bool Trap::warn_unlike(std::size_t i, std::string_view pattern, std::string_view name,
                       Loc where) {
  return check_("warn", "unlike", {Value(i), Value(pattern), Value(name)}, where);
}
bool Trap::warn_is_deeply(const Array& expected, std::string_view name, Loc where) {
  return check_("warn", "is_deeply", {Value(expected), Value(name)}, where);
}

bool Trap::did_return(std::string_view name, Loc where) {
  const Value n(name);
  return call("did_return", std::span<const Value>(&n, 1), where);
}
bool Trap::did_die(std::string_view name, Loc where) {
  const Value n(name);
  return call("did_die", std::span<const Value>(&n, 1), where);
}
bool Trap::did_exit(std::string_view name, Loc where) {
  const Value n(name);
  return call("did_exit", std::span<const Value>(&n, 1), where);
}
bool Trap::did_signal(std::string_view name, Loc where) {
  const Value n(name);
  return call("did_signal", std::span<const Value>(&n, 1), where);
}
bool Trap::did_timeout(std::string_view name, Loc where) {
  const Value n(name);
  return call("did_timeout", std::span<const Value>(&n, 1), where);
}
bool Trap::signal_is(int expected, std::string_view name, Loc where) {
  return check_("signal", "is", {Value(expected), Value(name)}, where);
}
bool Trap::timeout_ok(std::string_view name, Loc where) {
  return check_("timeout", "ok", {Value(name)}, where);
}
bool Trap::quiet(std::string_view name, Loc where) {
  const Value n(name);
  return call("quiet", std::span<const Value>(&n, 1), where);
}
void Trap::diag_all(Loc where) { call("diag_all", {}, where); }
void Trap::diag_all_once(Loc where) { call("diag_all_once", {}, where); }

}  // namespace trap
