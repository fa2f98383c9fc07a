// SPDX-License-Identifier: BSL-1.0
// What the core headers declare and keep out of line so that they need not
// include <memory>, <sstream> or <ostream>: the trap's state handle, the
// shared object of an opaque Value, and rendering with operator<<.
#include <atomic>
#include <new>
#include <ostream>
#include <sstream>

#include <trap/trap_object.hpp>
#include <trap/value.hpp>

#include "engine/state.hpp"

namespace trap {
namespace detail {

// ------------------------------------------------------------ StateHandle

StateHandle::StateHandle() noexcept {
  static_assert(sizeof(std::shared_ptr<TrapState>) <= sizeof storage_ &&
                alignof(std::shared_ptr<TrapState>) <= alignof(void*));
  new (storage_) std::shared_ptr<TrapState>();
}
StateHandle::~StateHandle() { shared_state(*this).~shared_ptr(); }
StateHandle::StateHandle(const StateHandle& other) noexcept : state_(other.state_) {
  new (storage_) std::shared_ptr<TrapState>(shared_state(other));
}
StateHandle& StateHandle::operator=(const StateHandle& other) noexcept {
  shared_state(*this) = shared_state(other);
  state_ = other.state_;
  return *this;
}
StateHandle::StateHandle(StateHandle&& other) noexcept : state_(other.state_) {
  new (storage_) std::shared_ptr<TrapState>(std::move(shared_state(other)));
  other.state_ = nullptr;
}
StateHandle& StateHandle::operator=(StateHandle&& other) noexcept {
  shared_state(*this) = std::move(shared_state(other));
  state_ = std::exchange(other.state_, nullptr);
  return *this;
}
void StateHandle::refresh() noexcept { state_ = shared_state(*this).get(); }

StateHandle make_state_handle(std::shared_ptr<TrapState> state) {
  StateHandle h;
  shared_state(h) = std::move(state);
  h.refresh();
  return h;
}

// --------------------------------------------------------------- ObjectRef

struct ObjectRef::Block {
  std::atomic<long> count{1};
  void (*destroy)(const void*);
};

ObjectRef::ObjectRef(const void* object, void (*destroy)(const void*)) {
  try {
    block_ = new Block{.destroy = destroy};
  } catch (...) {
    destroy(object);
    throw;
  }
  object_ = object;
}
ObjectRef::ObjectRef(const ObjectRef& other) noexcept
    : object_(other.object_), block_(other.block_) {
  if (block_) block_->count.fetch_add(1, std::memory_order_relaxed);
}
ObjectRef& ObjectRef::operator=(const ObjectRef& other) noexcept {
  ObjectRef copy(other);
  *this = std::move(copy);
  return *this;
}
ObjectRef::ObjectRef(ObjectRef&& other) noexcept
    : object_(std::exchange(other.object_, nullptr)),
      block_(std::exchange(other.block_, nullptr)) {}
ObjectRef& ObjectRef::operator=(ObjectRef&& other) noexcept {
  if (this != &other) {
    ObjectRef old(std::move(*this));
    object_ = std::exchange(other.object_, nullptr);
    block_ = std::exchange(other.block_, nullptr);
  }
  return *this;
}
ObjectRef::~ObjectRef() {
  if (block_ && block_->count.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block_->destroy(object_);
    delete block_;
  }
}

// ---------------------------------------------------------------- rendering

std::string render_with(const void* object, void (*write)(std::ostream&, const void*)) {
  std::ostringstream os;
  write(os, object);
  return os.str();
}

}  // namespace detail

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << v.str(); }

}  // namespace trap
