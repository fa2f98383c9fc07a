// SPDX-License-Identifier: BSL-1.0
// The values of a trap's record: set and found by accessor name, the
// built-in accessors' through slots kept by number; and a capture's end,
// which sets its accessor.
#include <algorithm>
#include <cstring>
#include <iterator>

#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "engine/state.hpp"
#include "posix/child_path.hpp"

namespace trap::detail {

namespace {
// Whether @p name is the literal @p lit, compared at a fixed length (inline).
template <std::size_t N>
bool is(std::string_view name, const char (&lit)[N]) noexcept {
  return std::memcmp(name.data(), lit, N - 1) == 0;
}
}  // namespace

TRAP_CHILD_PATH std::optional<Builtin> builtin_of(std::string_view name) noexcept {
  switch (name.size()) {
    case 3:
      if (is(name, "die")) return Builtin::die;
      break;
    case 4:
      if (is(name, "exit")) return Builtin::exit;
      break;
    case 6:
      if (is(name, "stdout")) return Builtin::stdout_;
      if (is(name, "stderr")) return Builtin::stderr_;
      if (is(name, "return")) return Builtin::return_;
      break;
    case 7:
      if (is(name, "leaveby")) return Builtin::leaveby;
      break;
  }
  return std::nullopt;
}

TRAP_CHILD_PATH Value* TrapState::find(std::string_view name) {
  if (auto b = builtin_of(name)) return find(*b);
  for (auto& [k, v] : values)
    if (same_name(k, name)) return &v;
  return nullptr;
}

TRAP_CHILD_PATH const Value* TrapState::find(std::string_view name) const {
  return const_cast<TrapState*>(this)->find(name);
}

void TrapState::take_slots() noexcept {
  std::fill(std::begin(slots), std::end(slots), kNoSlot);
  for (std::size_t i = values.size(); i-- > 0;)  // the first of a name wins, as in find()
    if (auto b = builtin_of(values[i].first))
      slots[static_cast<std::size_t>(*b)] = static_cast<std::uint32_t>(i);
  slots_of = values.data();
  slots_size = values.size();
}

TRAP_CHILD_PATH std::uint32_t& TrapState::slot(Builtin b) noexcept {
  if (slots_of != values.data() || slots_size != values.size()) take_slots();
  return slots[static_cast<std::size_t>(b)];
}

TRAP_CHILD_PATH Value* TrapState::find(Builtin b) noexcept {
  const std::uint32_t i = slot(b);
  return i == kNoSlot ? nullptr : &values[i].second;
}

TRAP_CHILD_PATH void TrapState::set(Builtin b, Value&& value) {
  std::uint32_t& i = slot(b);
  if (i != kNoSlot) {
    values[i].second = std::move(value);
    return;
  }
  values.emplace_back(std::string(builtin_name(b)), std::move(value));
  i = static_cast<std::uint32_t>(values.size() - 1);
  slots_of = values.data();
  slots_size = values.size();
}

TRAP_CHILD_PATH void TrapState::set(std::string_view name, Value&& value) {
  if (auto b = builtin_of(name)) return set(*b, std::move(value));
  if (Value* v = find(name)) {
    *v = std::move(value);
    return;
  }
  const bool slots_valid = slots_of == values.data() && slots_size == values.size();
  values.emplace_back(std::string(name), std::move(value));
  if (slots_valid) {
    slots_of = values.data();
    slots_size = values.size();
  }
}

TRAP_CHILD_PATH void end_capture(Trap& t, Capture& c) {
  Capture::Layering& l = c.layering;
  if (l.salvage) l.salvage->forget(l.slot);
  // Appended, as Perl's `$buffer .= <$fh>`: under two layers for one stream
  // (":stdout" on top of `default`'s), the inner one (its teardown ran
  // first, or a forked child's record gave it) holds the output and the
  // outer one adds nothing to it.
  std::string text = c.end();
  TrapState& st = *Registry::state(t);
  Value* v = st.find(l.accessor);
  if (v && v->is_string() && !v->string().empty()) text.insert(0, v->string());
  if (v)
    *v = Value(std::move(text));
  else
    st.set(l.accessor, Value(std::move(text)));
}

}  // namespace trap::detail
