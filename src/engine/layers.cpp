// SPDX-License-Identifier: BSL-1.0
// The standard trapper: Test::Trap's layers and accessors.
#include <cxxabi.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <new>
#include <set>
#include <streambuf>

#include <trap/builder.hpp>
#include <trap/detail/spec_grammar.hpp>
#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "capture/strategies.hpp"
#include "capture/unbuffered_streambuf.hpp"
#include "engine/state.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"
#include "posix/fork_safe_mutex.hpp"
#include "posix/stop_shield.hpp"

namespace trap {
namespace detail {
namespace {

// What a warn layer's thread writes to std::clog (through the router
// below): every line (and every trap::warn() message) is one warning, and
// every byte is teed to std::cerr as it comes, so a stderr layer sees it
// too. Not a stream buffer itself: one of those builds a std::locale, and
// in a fork trap's child that is a page fault of locale code.
class WarnLog;
// This thread's innermost active warn layer's log.
thread_local WarnLog* warn_route = nullptr;

// Taken to tee a warning to std::cerr; fork-safe, as the warn router's.
posix::ForkSafeMutex& tee_mutex() {
  static posix::ForkSafeMutex& m = posix::ForkSafeMutex::make();
  return m;
}
// Made when the program starts: a child never finds it half made.
[[maybe_unused]] posix::ForkSafeMutex& tee_mutex_at_start = tee_mutex();

class WarnLog final {
 public:
  WarnLog(WarnLog* outer, const TrapState* owner) noexcept : outer_(outer), owner_(owner) {}
  WarnLog(const WarnLog&) = delete;
  WarnLog& operator=(const WarnLog&) = delete;
  // Freed without its teardown (a forked child's exit frees the traps it
  // inherited): no route may lead here any more.
  ~WarnLog() {
    if (warn_route == this) {
      warn_route = outer_;
      return;
    }
    for (WarnLog* b = warn_route; b; b = b->outer_) {
      if (b->outer_ == this) {
        b->outer_ = outer_;
        return;
      }
    }
  }
  WarnLog* outer() const { return outer_; }
  const TrapState* owner() const { return owner_; }
  // Whether its layer entered the router (and its teardown must leave it).
  bool entered = false;
  // Whether no warn layer of the same trap began inside this one: as
  // Perl's layer sets $self->{warn} when it begins, the innermost warn
  // layer's warnings are the trap's.
  bool innermost = true;

  // Shielded: a stop must not land halfway through recording a warning.
  void add_whole(std::string_view message) {
    StopShield shield;
    finish();
    warnings_.emplace_back(message);
    tee(message.data(), message.size());
  }
  // Turns a last unterminated line into a warning.
  void finish() {
    if (!partial_.empty()) warnings_.push_back(std::move(partial_));
    partial_.clear();
  }
  Array take() {
    finish();
    Array out;
    for (auto& w : warnings_) out.emplace_back(std::move(w));
    warnings_.clear();
    return out;
  }

  // Holds nothing back: a partial line is teed already, and becomes a
  // warning with the rest of its line or at the end.
  std::streamsize write(const char* s, std::streamsize n) {
    StopShield shield;
    std::string_view text(s, static_cast<std::size_t>(n));
    tee(s, text.size());
    while (!text.empty()) {
      auto nl = text.find('\n');
      if (nl == std::string_view::npos) {
        partial_ += text;
        break;
      }
      partial_ += text.substr(0, nl + 1);
      warnings_.push_back(std::move(partial_));
      partial_.clear();
      text.remove_prefix(nl + 1);
    }
    return n;
  }

 private:
  // Perl prints a warning on STDERR only if STDERR is open; a failed write
  // must not leave std::cerr failed for the code after the trap. Threads
  // take turns: std::cerr's state is one for all.
  static void tee(const char* s, std::size_t n) {
    StopShield shield;
    std::lock_guard lock(tee_mutex());
    auto state = std::cerr.rdstate();
    std::cerr.write(s, static_cast<std::streamsize>(n));
    std::cerr.flush();
    std::cerr.clear(state);
  }
  WarnLog* outer_;
  const TrapState* owner_;
  std::vector<std::string> warnings_;
  std::string partial_;
};

// std::clog's buffer while a warn layer is active on any thread: each
// thread's output goes to its own innermost warn layer, and that of a
// thread without one where std::clog went before. So warn layers on
// several threads at once each see only their thread's warnings, and
// std::clog's buffer is swapped only by the first to begin and the last to
// end (never to a buffer another thread has freed).
// Its lock is fork-safe: a fork trap's child enters and leaves it too, and
// may have been forked while another thread held it.
class WarnRouter final : public UnbufferedStreambuf {
 public:
  // Under clog_mutex(), the lock under which trap reads std::clog's buffer
  // (buffer_of()). A failed flush (std::clog may throw) leaves the count
  // as it was.
  void enter() {
    std::lock_guard lock(mutex_);
    if (users_ > 0) {
      ++users_;
      return;
    }
    std::streambuf* b = std::clog.rdbuf();
    if (b != this && may_hold_output(b)) flush_buffer(std::clog, b);
    saved_state_ = std::clog.rdstate();
    saved_ = b;
    set_buffer(std::clog, this);
    if (saved_state_ != std::ios_base::goodbit) std::clog.clear();
    users_ = 1;
  }
  // std::clog gets back its buffer and the state it had (a state and an
  // exception mask that overlap cannot be at rest: setting either throws).
  void leave() {
    std::lock_guard lock(mutex_);
    if (users_ == 0 || --users_ > 0) return;
    set_buffer(std::clog, saved_);
    const std::ios_base::iostate state =
        saved_ ? saved_state_ : saved_state_ | std::ios_base::badbit;
    saved_ = nullptr;
    if (std::clog.rdstate() != state) {
      try {
        std::clog.clear(state);
      } catch (const std::ios_base::failure&) {
        // the code set std::clog to throw on it meanwhile: the state is set
      }
    }
  }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (warn_route) return warn_route->write(s, n);
    StopShield shield;  // before the lock: a stop lands after it is released
    std::lock_guard lock(mutex_);
    return saved_ ? saved_->sputn(s, n) : 0;
  }
  int sync() override {
    if (warn_route) return 0;  // a warn layer's log holds nothing back
    StopShield shield;
    std::lock_guard lock(mutex_);
    return saved_ ? saved_->pubsync() : 0;
  }

 private:
  posix::ForkSafeMutex& mutex_ = clog_mutex();
  int users_ = 0;
  std::streambuf* saved_ = nullptr;
  std::ios_base::iostate saved_state_ = std::ios_base::goodbit;
};

// Flushing the router passes nothing on while this thread has a warn layer:
// each warning is teed to std::cerr as it comes (WarnLog::tee).
TRAP_CHILD_PATH bool router_holds_nothing() { return warn_route != nullptr; }

TRAP_CHILD_PATH WarnRouter& warn_router() {
  static auto* router = [] {
    // Never destroyed: used on exit paths. A fork trap's child enters it.
    auto* r = new (posix::child_page_storage(sizeof(WarnRouter))) WarnRouter;
    set_pass_through_streambuf(r, router_holds_nothing);
    return r;
  }();
  return *router;
}

// Made when the program starts, before any thread: a thread that finds it
// in std::clog (installed by another thread's warn layer) and flushes
// through it must see it fully made.
[[maybe_unused]] WarnRouter& router_at_start = warn_router();

TRAP_CHILD_PATH void raw_layer(Trap& self, std::string_view) {
  Value v = self.run();
  TrapState& st = *Registry::state(self);
  st.set(Builtin::return_, std::move(v));
  st.set(Builtin::leaveby, Value(std::string("return")));
}

TRAP_CHILD_PATH void die_layer(Trap& self, std::string_view) {
  try {
    self.next();
  } catch (const InternalException&) {
    throw;
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation must go on
  } catch (...) {
    auto* st = Registry::state(self);
    st->exception = std::current_exception();
    st->die_type = current_exception_type();
    st->set(Builtin::die, Value(current_exception_message()));
    st->set(Builtin::leaveby, Value(std::string("die")));
  }
}

// The warn layer's teardown: this thread's warnings go where they went
// before, and the trap gets the ones it logged.
// Under two warn layers (":warn" on top of `default`'s), the inner one's
// warnings are the trap's, as in Perl: the outer one's teardown leaves
// them. So it does when the inner one ran in a fork trap's child, whose
// record brought its warnings back (the outer one began with none).
TRAP_CHILD_PATH void end_warn_layer(Trap& t, void* held) {
  auto* log = static_cast<WarnLog*>(held);
  if (log->entered) {
    warn_route = log->outer();
    warn_router().leave();
  }
  if (!log->innermost) return;
  const Value* now = Registry::state(t)->find("warn");
  if (now && now->is_array() && !now->array().empty()) return;
  t.set("warn", log->take());
}

// Frees the warn layer's log, in a teardown or with an abandoned trap.
TRAP_CHILD_PATH void destroy_warn_log(void* held) {
  static_cast<WarnLog*>(held)->~WarnLog();
  cached_free(held, sizeof(WarnLog));
}

TRAP_CHILD_PATH void warn_layer(Trap& self, std::string_view) {
  // The teardown owns the buffer: a trapped exit below this layer skips this
  // frame, so nothing here may own anything across next().
  // The router first: std::clog may lead to it already (made by another
  // thread), and this thread must see it made.
  // From this thread's block cache, with a teardown that takes no
  // allocation: a fork trap's child allocates nothing here.
  // The teardown is registered before the router is entered: whatever
  // fails after it, the teardown leaves the router and restores the route.
  WarnRouter& router = warn_router();
  const TrapState* owner = Registry::state(self);
  HeldObject buf(new (cached_allocate(sizeof(WarnLog))) WarnLog(warn_route, owner),
                 destroy_warn_log);
  auto* log = static_cast<WarnLog*>(buf.get());
  if (warn_route && warn_route->owner() == owner) warn_route->innermost = false;
  flush_clog();
  add_plain_teardown(self, end_warn_layer, std::move(buf));
  router.enter();
  log->entered = true;
  warn_route = log;
  self.set("warn", Array{});
  self.next();
}

// The plain methods of trapper t, for a message. Callers hold the
// registry lock.
std::string plain_methods(const Trapper& t) {
  std::set<std::string> names;
  for (const Trapper* p = &t; p; p = p->parent())
    for (auto& [name, fn] : Registry::data(*p).methods) names.insert(name);
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Its method is looked up when the spec is read, on the trap's trapper.
void register_on_fail_layer(Trapper& t) {
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  Registry::data(t).layers.insert_or_assign(
      "on_fail", LayerDef{[](const Trapper& trapper, std::string_view method) {
        if (method.empty() || !Registry::resolve_method(trapper, method))
          bad_layer_argument("on_fail", method,
                             "the name of a test method of trapper " + trapper.name() +
                                 " (such as " + plain_methods(trapper) + ")");
        return std::vector<LayerImpl>{[m = std::string(method)](Trap& self) {
          self.on_test_failure([m](Trap& t) { t.call(m, {}); });
          self.next();
        }};
      }});
  ++reg.generation;
}

// Registered by hand rather than with Builder::layer: its argument is
// checked when the spec is resolved, like an output layer's.
void register_output_layer(Trapper& t) {
  auto& reg = Registry::get();
  std::unique_lock lock(reg.mutex);
  Registry::data(t).layers.insert_or_assign(
      "output", LayerDef{[](const Trapper&, std::string_view arg) {
        auto chosen = arg.empty() ? nullptr : find_strategy_locked(arg);
        return std::vector<LayerImpl>{[chosen](Trap& self) {
          Registry::state(self)->default_strategy = chosen;
          self.next();
        }};
      }});
  ++reg.generation;
}

void register_standard(Trapper& t) {
  auto& B = Builder::instance();
  B.layer(t, "raw", raw_layer, no_layer_argument("raw"));
  B.layer(t, "die", die_layer, no_layer_argument("die"));
  register_isolation_layers(t);  // exit, fork, timeout
  B.output_layer(t, "stdout", 1);
  B.output_layer(t, "stderr", 2);
  B.layer(t, "warn", warn_layer, no_layer_argument("warn"));
  register_on_fail_layer(t);
  register_output_layer(t);
  B.multi_layer(t, "flow", {"raw", "die", "exit"});
  B.multi_layer(t, "default", {"flow", "stdout", "stderr", "warn"});
  B.accessor(t, {.simple = {"leaveby", "stdout", "stderr"}});
  B.accessor(t, {.simple = {"exit", "die"}, .is_leaveby = true});
  B.accessor(t, {.simple = {"warn"}, .is_array = true});
  B.accessor(t, {.simple = {"return"}, .is_leaveby = true});
  register_standard_tests(t);
}

}  // namespace

std::shared_ptr<const StrategyFn> find_strategy_locked(std::string_view spec) {
  const StrategyFn* s = find_strategy_ptr_locked(spec);
  return s ? std::make_shared<const StrategyFn>(*s) : nullptr;
}

const StrategyFn* find_strategy_ptr_locked(std::string_view spec) {
  if (spec.empty()) return nullptr;
  auto& reg = Registry::get();
  std::vector<std::string> names;
  for_each_strategy_name(spec, [&](std::string_view name) { names.emplace_back(name); });
  for (auto& n : names)
    if (auto it = reg.strategies.find(n); it != reg.strategies.end()) return &it->second;
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) list += (i ? ", \"" : "\"") + names[i] + "\"";
  throw UsageError("No capture strategy found for " + list);
}

TRAP_CHILD_PATH const StrategyFn& fallback_output_strategy() {
  static const StrategyFn fallback = dup2_strategy();
  return fallback;
}

namespace {
// The fallback strategy's built-in form, looked up when the program starts:
// the first trap of a thread may well be a fork trap's child.
const BuiltinStrategy* const fallback_builtin =
    fallback_output_strategy().target<BuiltinStrategy>();
}  // namespace

TRAP_CHILD_PATH void apply_output_layer(Trap& self, const std::string& name, int fd,
                                        const StrategyFn* chosen) {
  Registry::state(self)->set(name, Value(std::string()));
  const StrategyFn* s = chosen;
  if (!s) s = Registry::state(self)->default_strategy.get();
  // Perl: a closed handle is not trapped. Built-in strategies find that
  // out on their own, without an extra system call.
  const BuiltinStrategy* builtin = s ? s->target<BuiltinStrategy>() : fallback_builtin;
  if (!s) s = &fallback_output_strategy();
  if (builtin) {
    (*builtin)(self, name, fd);
    return;
  }
  if (!posix::is_open(fd)) {
    self.next();
    return;
  }
  (*s)(self, name, fd);
}

}  // namespace detail

Trapper& standard() {
  static Trapper t("trap::standard");
  // A guarded static rather than std::call_once: its check on every call
  // after the first is one load.
  static const bool registered = (detail::register_standard(t), true);
  (void)registered;
  return t;
}

void warn(std::string_view message, trap::source_location where) {
  std::string text(message);
  if (text.empty() || text.back() != '\n')
    text +=
        " at " + std::string(where.file_name()) + " line " + std::to_string(where.line()) + ".\n";
  if (detail::WarnLog* buf = detail::warn_route) {
    buf->add_whole(text);
    return;
  }
  // A failed write (descriptor 2 closed, say) must not leave std::clog
  // failed: every later warning, and the program's own std::clog output,
  // would be dropped, even once descriptor 2 is open again.
  const std::ios_base::iostate before = std::clog.rdstate();
  std::clog << text << std::flush;
  std::clog.clear(before);
}

}  // namespace trap
