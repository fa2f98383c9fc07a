// SPDX-License-Identifier: BSL-1.0
// The trap engine: springing a trap through its layer stack, the layer
// author's API on trap::Trap, and the accessors.
#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "engine/state.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"
#include "posix/stop_shield.hpp"

namespace trap {
namespace detail {

TRAP_CHILD_PATH std::vector<TrapState*>& active_traps() {
  thread_local std::vector<TrapState*> active;
  return active;
}

namespace {

// Owns the state of each springing trap of this thread, beside
// active_traps(). The spring frame's own handle does not: a jump past that
// frame (a trapped exit, an in-process timeout) never destroys it, and
// abandon_traps_above() frees the state from here instead.
std::vector<std::shared_ptr<TrapState>>& springing_owners() {
  thread_local std::vector<std::shared_ptr<TrapState>> owners;
  return owners;
}

}  // namespace

TRAP_CHILD_PATH void run_teardowns(Trap& trap, std::size_t first) {
  auto& st = *Registry::state(trap);
  while (st.teardowns.size() > first) {
    auto fn = std::move(st.teardowns.back());
    st.teardowns.pop_back();
    try {
      fn(trap);
    } catch (const InternalException&) {
      // its message is already recorded
    } catch (...) {
      st.exceptions.push_back("Rethrowing teardown exception: " + current_exception_message());
    }
  }
}

std::shared_ptr<TrapState> owner_of(const TrapState* st) {
  for (auto& o : springing_owners())
    if (o.get() == st) return o;
  return nullptr;
}

namespace {

// The errors of an abandoned trap's teardowns would vanish with it: they
// become the errors of the trap the jump lands in (a TrapError when it
// ends), or, on the way to a real exit, are printed.
void hand_over_errors(TrapState& st, std::size_t depth) {
  if (st.exceptions.empty()) return;
  auto& active = active_traps();
  if (depth > 0 && depth <= active.size()) {
    auto& to = active[depth - 1]->exceptions;
    to.insert(to.end(), st.exceptions.begin(), st.exceptions.end());
  } else {
    for (auto& e : st.exceptions) write_original(2, "# trap: " + e + "\n");
  }
  st.exceptions.clear();
}

}  // namespace

void abandon_traps_above(std::size_t depth) {
  auto& active = active_traps();
  auto& owners = springing_owners();
  while (active.size() > depth) {
    TrapState* st = active.back();
    Trap handle(make_state_handle(std::shared_ptr<TrapState>(std::shared_ptr<TrapState>(), st)));
    run_teardowns(handle);
    hand_over_errors(*st, depth);
    st->springing = false;
    active.pop_back();
    // Its spring frame is skipped: this list's reference is the last one
    // (the trap is never returned).
    if (owners.size() > active.size()) owners.resize(active.size());
  }
}

namespace {

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace
}  // namespace detail

using detail::TrapState;

namespace detail {
namespace {

// Ends the springing of the trap at @p depth of this thread's list: runs
// its remaining teardowns and takes it off the lists. Returns the owning
// handle.
Trap end_springing(Trap& trap, std::size_t depth) {
  run_teardowns(trap);
  auto& owners = springing_owners();
  Trap result(make_state_handle(std::move(owners[depth])));
  active_traps().resize(depth);
  owners.resize(depth);
  TrapState* st = Registry::state(trap);
  st->springing = false;
  st->layers.reset();
  st->code = nullptr;
  return result;
}

}  // namespace
}  // namespace detail

Trap detail::spring(const Trapper* trapper, std::string_view spec,
                    detail::FunctionRef<Value(Trap&)> code) {
  return (trapper ? *trapper : standard()).spring_(spec, code);
}

Trap Trapper::spring_(std::string_view spec, detail::FunctionRef<Value(Trap&)> code) const {
  // First, so that it ends last: a stop deferred meanwhile lands after it.
  detail::StopShield shield;
  auto resolved = detail::Registry::get().resolve(*this, spec);
  const int saved_errno = errno;
  auto owner = detail::new_trap_state();
  TrapState* st = owner.get();
  st->trapper = this;
  st->layers = std::move(resolved.stack);
  // Room for what the layers record (leaveby, return or die or exit,
  // stdout, stderr, warn, ...) and for about one teardown each: no
  // reallocation while springing.
  st->values.reserve(8);
  st->teardowns.reserve(std::max<std::size_t>(8, st->layers->size()));
  st->layer_names = std::move(resolved.names);
  st->pos = st->layers->size();
  st->code = &code;
  st->springing = true;
  st->pid = posix::self_pid();
  auto& active = detail::active_traps();
  auto& owners = detail::springing_owners();
  const std::size_t depth = active.size();
  owners.resize(depth);  // (entries of traps a jump skipped without unwinding)
  active.push_back(st);
  owners.push_back(std::move(owner));
  // Does not own the state: springing_owners() does, until it ends.
  Trap trap(
      detail::make_state_handle(std::shared_ptr<TrapState>(std::shared_ptr<TrapState>(), st)));
  std::exception_ptr usage_error;
  try {
    trap.next();
  } catch (const detail::InternalException&) {
  } catch (const UsageError&) {
    usage_error = std::current_exception();  // the caller's mistake, as it is
  } catch (abi::__forced_unwind&) {
    // pthread_exit() or pthread_cancel(): the thread ends, the trap first.
    detail::end_springing(trap, depth);
    throw;
  } catch (...) {
    st->exceptions.push_back("Rethrowing internal exception: " +
                             detail::current_exception_message());
  }
  Trap result = detail::end_springing(trap, depth);
  if (usage_error) std::rethrow_exception(usage_error);
  if (!st->exceptions.empty()) throw TrapError(detail::join(st->exceptions, "\n"));
  last() = result;
  errno = saved_errno;
  return result;
}

Trap& last() {
  thread_local Trap latest;
  return latest;
}

// ------------------------------------------------------------ construction

Trap::Trap() : s_(detail::make_state_handle(detail::new_trap_state())) {
  s_->trapper = &standard();
}
Trap::Trap(detail::StateHandle state) noexcept : s_(std::move(state)) {}
Trap::~Trap() = default;
Trap::Trap(const Trap&) = default;
Trap& Trap::operator=(const Trap&) = default;
Trap::Trap(Trap&&) noexcept = default;
Trap& Trap::operator=(Trap&&) noexcept = default;

// --------------------------------------------------------------- accessors

namespace {
std::string string_of(const Value* v) { return v && v->is_string() ? v->string() : std::string(); }
}  // namespace

std::string Trap::leaveby() const { return string_of(s_->find(detail::Builtin::leaveby)); }
std::string Trap::out() const { return string_of(s_->find(detail::Builtin::stdout_)); }
std::string Trap::err() const { return string_of(s_->find(detail::Builtin::stderr_)); }
std::string Trap::die() const { return string_of(s_->find(detail::Builtin::die)); }
std::string Trap::die_type() const { return s_->die_type; }
std::exception_ptr Trap::exception() const { return s_->exception; }

std::optional<int> Trap::exit_code() const {
  const Value* v = s_->find(detail::Builtin::exit);
  if (!v || !v->is_number()) return std::nullopt;
  return v->as<int>();
}

std::optional<int> Trap::signal() const {
  const Value* v = s_->find("signal");
  if (!v || !v->is_number()) return std::nullopt;
  return v->as<int>();
}

std::vector<std::string> Trap::warn() const {
  std::vector<std::string> out;
  if (const Value* v = s_->find("warn"); v && v->is_array())
    for (auto& w : v->array()) out.push_back(w.is_string() ? w.string() : w.str());
  return out;
}

const Value& Trap::require_return_() const {
  const Value* v = s_->find(detail::Builtin::return_);
  if (!v || leaveby() != "return")
    throw UsageError("return_value(): the trap did not return (it left by " +
                     (leaveby().empty() ? std::string("nothing yet") : leaveby()) + ")");
  return *v;
}

namespace {

// Which accessors this thread found not flexible lately, for the registry
// generation then: their values are read with no lock and no lookup.
struct PlainAccessor {
  const Trapper* trapper = nullptr;
  std::uint64_t generation = 0;
  std::string name;
};
thread_local PlainAccessor plain_accessors[4];
thread_local unsigned next_plain = 0;

bool known_plain(const Trapper* t, std::uint64_t generation, std::string_view name) {
  for (const PlainAccessor& p : plain_accessors)
    if (p.trapper == t && p.generation == generation && detail::same_name(p.name, name))
      return true;
  return false;
}

}  // namespace

const Value* Trap::get(std::string_view accessor) const {
  auto& reg = detail::Registry::get();
  const Trapper* const trapper = s_->trapper;
  if (known_plain(trapper, reg.generation.load(), accessor)) return s_->find(accessor);
  {
    std::shared_lock lock(reg.mutex);
    const std::uint64_t generation = reg.generation.load();
    const detail::AccessorDef* def = detail::Registry::find_accessor(*trapper, accessor);
    if (!def || !def->flexible) {
      PlainAccessor& p = plain_accessors[next_plain++ % 4];
      p = {trapper, generation, std::string(accessor)};
    } else {
      auto fn = def->flexible;
      lock.unlock();
      s_->flexible_cache = fn(*this);
      return s_->flexible_cache.is_null() ? nullptr : &s_->flexible_cache;
    }
  }
  return s_->find(accessor);
}

bool Trap::has(std::string_view accessor) const { return get(accessor) != nullptr; }

const Trapper& Trap::trapper() const { return *s_->trapper; }

// ------------------------------------------------------ layer author's API

TRAP_CHILD_PATH void Trap::next() {
  if (!s_->springing || !s_->layers) throw UsageError("next() called outside a springing trap");
  if (s_->pos == 0)
    exception("The layer stack has no terminating layer (such as raw) at its bottom");
  const LayerImpl& layer = (*s_->layers)[--s_->pos];
  ++detail::layer_steps;
  layer(*this);
}

TRAP_CHILD_PATH Value Trap::run() {
  if (!s_->springing || !s_->code) throw UsageError("run() called outside a springing trap");
  detail::StopGap gap;  // the code may be stopped; trap's own code may not
  return (*s_->code)(*this);
}

void Trap::teardown(detail::Function<void()> fn) {
  teardown(detail::Function<void(Trap&)>([f = std::move(fn)](Trap&) { f(); }));
}

void Trap::teardown(detail::Function<void(Trap&)> fn) {
  if (!s_->springing) throw UsageError("teardown() called outside a springing trap");
  s_->teardowns.push_back({std::move(fn), nullptr});
}

namespace detail {
namespace {
// The teardown of a capture that spring_capture() began.
TRAP_CHILD_PATH void end_capture_teardown(Trap& t, void* capture) {
  end_capture(t, *static_cast<Capture*>(capture));
}
}  // namespace
}  // namespace detail

TRAP_CHILD_PATH void detail::add_capture_teardown(Trap& self, HeldObject&& capture) {
  add_plain_teardown(self, end_capture_teardown, std::move(capture));
}

TRAP_CHILD_PATH void detail::add_plain_teardown(Trap& self, void (*plain)(Trap&, void*),
                                                HeldObject&& held) {
  auto& st = *Registry::state(self);
  if (!st.springing) throw UsageError("teardown() called outside a springing trap");
  st.teardowns.reserve(st.teardowns.size() + 1);
  st.teardowns.push_back({nullptr, plain, std::move(held)});
}

TRAP_CHILD_PATH void detail::Teardown::operator()(Trap& t) const {
  if (plain)
    plain(t, held.get());
  else
    fn(t);
}

void Trap::exception(std::string message) {
  exception_function()(std::move(message));
  std::terminate();  // not reached: the function always throws
}

detail::Function<void(std::string)> Trap::exception_function() {
  // While the trap springs, this handle may be the spring frame's, which
  // does not own the state: watch the owning reference instead.
  const auto& shared = detail::shared_state(s_);
  std::weak_ptr<TrapState> watched = shared;
  if (shared.use_count() == 0) watched = detail::owner_of(s_.get());
  return [w = std::move(watched)](std::string message) {
    auto st = w.lock();
    // Outside the regular flow (after the trap ended): an ordinary error.
    if (!st || !st->springing) throw TrapError(message);
    st->exceptions.push_back(std::move(message));
    throw detail::InternalException{};
  };
}

std::string Trap::test_accessor() const { return s_->test_accessor; }

void Trap::test_failure() {
  // A callback whose own test fails (on_fail(quiet) on a noisy trap) would
  // call itself for ever: a failure inside the callback does not recurse.
  if (!s_->on_test_failure || s_->in_test_failure) return;
  auto fn = s_->on_test_failure;  // it may replace itself
  s_->in_test_failure = true;
  try {
    fn(*this);
  } catch (...) {
    s_->in_test_failure = false;
    throw;
  }
  s_->in_test_failure = false;
}

void Trap::on_test_failure(detail::Function<void(Trap&)> fn) {
  s_->on_test_failure = std::move(fn);
}

void Trap::failure_context(detail::Function<std::vector<std::string>(const Trap&)> fn) {
  s_->failure_context = std::move(fn);
}

Props& Trap::prop(std::string_view ns) {
  auto it = s_->props.find(ns);
  if (it == s_->props.end()) it = s_->props.emplace(std::string(ns), Props{}).first;
  return it->second;
}

TRAP_CHILD_PATH void Trap::set(std::string_view name, Value value) {
  s_->set(name, std::move(value));
}

void Trap::unset(std::string_view name) {
  std::erase_if(s_->values, [&](auto& kv) { return kv.first == name; });
  s_->forget_slots();
}

void Trap::set_leaveby(std::string_view name) { s_->set(detail::Builtin::leaveby, Value(name)); }

void Trap::diag(std::string line) {
  if (s_->test_diagnostics) {
    s_->test_diagnostics->push_back(std::move(line));
    return;
  }
  trap::diag(line);
}

}  // namespace trap
