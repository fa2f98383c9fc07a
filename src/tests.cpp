// Test methods: dispatch of ACCESSOR_TEST names, Perl's leaveby check, and
// the standard tests (ok, nok, is, isnt, like, unlike, is_deeply) and
// methods (quiet, diag_all, diag_all_once).
#include <boost/regex.hpp>

#include <algorithm>
#include <cerrno>

#include <trap/trap.hpp>

#include "state.hpp"

namespace trap {
namespace detail {
namespace {

// Keeps errno as the caller had it: test methods must not disturb it.
struct ErrnoGuard {
  int saved = errno;
  ~ErrnoGuard() { errno = saved; }
};

struct Resolved {
  const AccessorDef* accessor = nullptr;
  const TestDef* test = nullptr;
  const MethodFn* method = nullptr;
  bool did = false;  // did_ACCESSOR
};

Resolved resolve_method(const Trapper& t, std::string_view name) {
  Resolved r;
  if (auto* m = Registry::find_method(t, name)) {
    r.method = m;
    return r;
  }
  if (name.starts_with("did_")) {
    if (auto* a = Registry::find_accessor(t, name.substr(4)); a && a->is_leaveby) {
      r.accessor = a;
      r.did = true;
      return r;
    }
  }
  // ACCESSOR_TEST: the longest accessor name that fits wins.
  for (std::size_t us = name.rfind('_'); us != std::string_view::npos && us > 0;
       us = name.rfind('_', us - 1)) {
    auto* a = Registry::find_accessor(t, name.substr(0, us));
    auto* test = a ? Registry::find_test(t, name.substr(us + 1)) : nullptr;
    if (a && test) {
      r.accessor = a;
      r.test = test;
      return r;
    }
    if (us == 0) break;
  }
  return r;
}

[[noreturn]] void unknown_method(const Trapper& t, std::string_view name) {
  std::string list;
  for (auto& m : t.methods()) list += (list.empty() ? "" : ", ") + m;
  throw UsageError("Can't locate test method \"" + std::string(name) + "\" via trapper " +
                   t.name() + "; its methods are: " + list);
}

std::string arg_text(const Value& v) {
  if (v.is_null()) return {};
  return v.is_string() ? v.string() : v.str();
}

void send_result(bool pass, const Value& name, std::vector<std::string> diagnostics,
                 std::source_location where) {
  Event e;
  e.kind = Event::Kind::ok;
  e.pass = pass;
  e.name = arg_text(name);
  e.diagnostics = std::move(diagnostics);
  e.where = where;
  current_hub().send(std::move(e));
}

// The value the leaveby diagnostic shows: what the trap left with.
std::string left_with(const Trap& trap) {
  std::string how = trap.leaveby();
  const Value* v = how.empty() ? nullptr : trap.get(how);
  return v ? v->str() : std::string("undef");
}

bool wrong_leaveby(Trap& trap, const AccessorDef& a, const Value& name,
                   std::source_location where) {
  std::string how = trap.leaveby();
  send_result(false, name,
              {"    Expecting to " + a.name + "(), but instead " +
               (how.empty() ? std::string("never left") : how + "()ed") + " with " +
               left_with(trap)},
              where);
  trap.test_failure();
  return false;
}

}  // namespace
}  // namespace detail

bool Trap::call(std::string_view method, std::span<const Value> args, Loc where) {
  using namespace detail;
  ErrnoGuard errno_guard;
  Resolved r;
  // Copies, so that a registration on another thread cannot change them
  // under the running test.
  AccessorDef a;
  TestDef t;
  {
    auto& reg = Registry::get();
    std::shared_lock lock(reg.mutex);
    r = resolve_method(*s_->trapper, method);
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
  auto take = [&]() -> Value { return next_arg < args.size() ? args[next_arg++] : Value(); };
  std::optional<std::int64_t> index;
  Value name;
  std::vector<Value> predicates;
  for (ArgWord w : t.argspec) {
    if (w == ArgWord::element && need_index) {
      Value i = take();
      if (!i.is_integer() || i.as<std::int64_t>() < 0)
        throw UsageError(std::string(method) + ": " + a.name +
                         " is an array accessor: the first argument must be an index, not " +
                         i.str());
      index = i.as<std::int64_t>();
    } else if (w == ArgWord::predicate) {
      predicates.push_back(take());
    } else if (w == ArgWord::name) {
      name = take();
    }
  }
  if (next_arg < args.size())
    throw UsageError(std::string(method) + ": too many arguments (" +
                     std::to_string(args.size()) + ")");
  if (a.is_leaveby && leaveby() != a.name) return wrong_leaveby(*this, a, name, where);

  const Value* whole = get(a.name);
  Value entirety = whole ? *whole : Value();
  Value element = entirety;
  if (index) {
    element = entirety.is_array() && static_cast<std::size_t>(*index) < entirety.array().size()
                  ? entirety.array()[static_cast<std::size_t>(*index)]
                  : Value();
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
  bool Trap::acc##_is(const Value& expected, std::string_view name, Loc where) {  \
    return check_(#acc, "is", {expected, Value(name)}, where);                    \
  }                                                                               \
  bool Trap::acc##_isnt(const Value& expected, std::string_view name, Loc where) { \
    return check_(#acc, "isnt", {expected, Value(name)}, where);                  \
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
bool Trap::warn_is(std::size_t i, const Value& expected, std::string_view name, Loc where) {
  return check_("warn", "is", {Value(i), expected, Value(name)}, where);
}
bool Trap::warn_isnt(std::size_t i, const Value& expected, std::string_view name, Loc where) {
  return check_("warn", "isnt", {Value(i), expected, Value(name)}, where);
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
bool Trap::quiet(std::string_view name, Loc where) {
  const Value n(name);
  return call("quiet", std::span<const Value>(&n, 1), where);
}
void Trap::diag_all(Loc where) { call("diag_all", {}, where); }
void Trap::diag_all_once(Loc where) { call("diag_all_once", {}, where); }

// -------------------------------------------------------- standard tests

namespace detail {
namespace {

// The subject of a regex test: a string as it is, anything else as Perl
// would interpolate it.
std::string subject_of(const Value& v) {
  if (v.is_string()) return v.string();
  if (v.is_null()) return {};
  if (v.is_bool()) return v.as<bool>() ? "1" : "";
  return v.str();
}

// Perl's `$` (without /m) also matches before a final newline; Boost's
// matches only at the very end. Every bare `$` becomes "end, or before a
// final newline", which under (?m) still means what Perl's /m `$` means.
std::string perl_dollars(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == '$')
      out += "(?:$|(?=\\n\\z))";
    else
      out += c;
  }
  return out;
}

bool matches(const std::string& pattern, const std::string& subject) {
  boost::regex re;
  try {
    re.assign(perl_dollars(pattern), boost::regex::perl | boost::regex::no_mod_m | boost::regex::no_mod_s);
  } catch (const boost::regex_error& e) {
    throw UsageError("Invalid regular expression \"" + pattern + "\": " + e.what());
  }
  return boost::regex_search(subject, re);
}

std::string truncated(const Value& v) {
  std::string s = v.str();
  constexpr std::size_t kMax = 1000;
  if (s.size() > kMax) s = s.substr(0, kMax) + "... (" + std::to_string(s.size()) + " bytes)";
  return s;
}

bool test_ok(Trap& self, std::span<const Value> a) {
  bool ok = a[0].truthy();
  if (!ok)
    self.diag("    Expecting true value in " + self.test_accessor() + ", but got " +
              a[0].str() + " instead");
  return ok;
}

bool test_nok(Trap& self, std::span<const Value> a) {
  bool ok = !a[0].truthy();
  if (!ok)
    self.diag("    Expecting false value in " + self.test_accessor() + ", but got " +
              a[0].str() + " instead");
  return ok;
}

bool test_is(Trap& self, std::span<const Value> a) {
  bool ok = a[0] == a[1];
  if (!ok) {
    self.diag("         got: " + a[0].str());
    self.diag("    expected: " + a[1].str());
  }
  return ok;
}

bool test_isnt(Trap& self, std::span<const Value> a) {
  bool ok = !(a[0] == a[1]);
  if (!ok) {
    self.diag("         got: " + a[0].str());
    self.diag("    expected: anything else");
  }
  return ok;
}

bool regex_test(Trap& self, std::span<const Value> a, bool want) {
  std::string pattern = subject_of(a[1]);
  bool ok = !a[0].is_null() && matches(pattern, subject_of(a[0])) == want;
  if (!ok) {
    self.diag("                  " + truncated(a[0]));
    self.diag(std::string(want ? "    doesn't match" : "          matches") + " /" + pattern + "/");
  }
  return ok;
}

// Where two structures first differ, as Test::More's is_deeply says it.
bool deep_diff(const Value& got, const Value& want, const std::string& path,
               std::vector<std::string>& out) {
  if (got.is_array() && want.is_array()) {
    auto& g = got.array();
    auto& w = want.array();
    for (std::size_t i = 0; i < std::max(g.size(), w.size()); ++i) {
      std::string p = path + "->[" + std::to_string(i) + "]";
      if (i >= g.size() || i >= w.size()) {
        out.push_back("    Structures begin differing at:");
        out.push_back("         $got" + p + " = " + (i < g.size() ? g[i].str() : "Does not exist"));
        out.push_back("    $expected" + p + " = " + (i < w.size() ? w[i].str() : "Does not exist"));
        return false;
      }
      if (!deep_diff(g[i], w[i], p, out)) return false;
    }
    return true;
  }
  if (got == want && got.is_array() == want.is_array()) return true;
  out.push_back("    Structures begin differing at:");
  out.push_back("         $got" + path + " = " + got.str());
  out.push_back("    $expected" + path + " = " + want.str());
  return false;
}

bool test_is_deeply(Trap& self, std::span<const Value> a) {
  std::vector<std::string> out;
  bool ok = deep_diff(a[0], a[1], "", out);
  for (auto& line : out) self.diag(line);
  return ok;
}

// A Data::Dump-like dump of everything the trap recorded.
std::string dump_trap(const Trap& trap) {
  auto* st = Registry::state(trap);
  std::vector<std::pair<std::string, std::string>> rows;
  // Keys quoted as Data::Dump quotes them.
  for (auto& [k, v] : st->values) rows.emplace_back(Value(k).str(), v.str());
  if (!st->die_type.empty()) rows.emplace_back("\"die_type\"", Value(st->die_type).str());
  std::sort(rows.begin(), rows.end());
  std::size_t width = 0;
  for (auto& r : rows) width = std::max(width, r.first.size());
  std::string out = "bless({\n";
  for (auto& [k, v] : rows) out += "  " + k + std::string(width - k.size(), ' ') + " => " + v + ",\n";
  return out + "}, \"" + trap.trapper().name() + "\")";
}

bool method_quiet(Trap& self, std::span<const Value> args, std::source_location where) {
  if (args.size() > 1) throw UsageError("quiet: takes at most a test name");
  std::vector<std::string> fails;
  for (auto [acc, label] : {std::pair{"stdout", "STDOUT"}, std::pair{"stderr", "STDERR"}}) {
    const Value* v = self.get(acc);
    std::string text = v ? subject_of(*v) : std::string();
    if (!text.empty())
      fails.push_back(std::string("Expecting no ") + label + ", but got " + Value(text).str());
  }
  bool ok = fails.empty();
  send_result(ok, args.empty() ? Value() : args[0], std::move(fails), where);
  if (!ok) self.test_failure();
  return ok;
}

bool method_diag_all(Trap& self, std::span<const Value>, std::source_location where) {
  diag(dump_trap(self), where);
  return true;
}

bool method_diag_all_once(Trap& self, std::span<const Value>, std::source_location where) {
  auto* st = Registry::state(self);
  diag(st->diag_all_done ? std::string("(as above)") : dump_trap(self), where);
  st->diag_all_done = true;
  return true;
}

}  // namespace

void register_standard_tests(Trapper& t) {
  auto& B = Builder::instance();
  B.test(t, "ok", "trap, element, name", test_ok);
  B.test(t, "nok", "trap, element, name", test_nok);
  B.test(t, "is", "element, predicate, name", test_is);
  B.test(t, "isnt", "element, predicate, name", test_isnt);
  B.test(t, "like", "element, predicate, name",
         [](Trap& s, std::span<const Value> a) { return regex_test(s, a, true); });
  B.test(t, "unlike", "element, predicate, name",
         [](Trap& s, std::span<const Value> a) { return regex_test(s, a, false); });
  B.test(t, "is_deeply", "entirety, predicate, name", test_is_deeply);
  B.method(t, "quiet", method_quiet);
  B.method(t, "diag_all", method_diag_all);
  B.method(t, "diag_all_once", method_diag_all_once);
}

}  // namespace detail
}  // namespace trap
