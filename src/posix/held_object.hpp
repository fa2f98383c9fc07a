// SPDX-License-Identifier: BSL-1.0
// An object owned alone, with the plain function that destroys it.
#pragma once

#include <utility>

namespace trap::detail {

/// The object a plain teardown owns, with the function that destroys it:
/// a plain function, not a template's control block, so that a fork trap's
/// child frees it with code of trap's own (posix/child_path.hpp).
class HeldObject {
 public:
  HeldObject() noexcept = default;
  /// Owns @p object, which @p destroy destroys.
  HeldObject(void* object, void (*destroy)(void*)) noexcept : object_(object), destroy_(destroy) {}
  HeldObject(HeldObject&& other) noexcept
      : object_(std::exchange(other.object_, nullptr)), destroy_(other.destroy_) {}
  HeldObject& operator=(HeldObject&& other) noexcept {
    if (this != &other) {
      reset();
      object_ = std::exchange(other.object_, nullptr);
      destroy_ = other.destroy_;
    }
    return *this;
  }
  ~HeldObject() { reset(); }
  void* get() const noexcept { return object_; }

 private:
  void reset() noexcept {
    if (object_) destroy_(std::exchange(object_, nullptr));
  }
  void* object_ = nullptr;
  void (*destroy_)(void*) = nullptr;
};

}  // namespace trap::detail
