// SPDX-License-Identifier: BSL-1.0
/// @file
/// Two light type-erased callables for the core headers, so that a file
/// including `<trap/trap.hpp>` does not compile `<functional>`:
/// trap::detail::FunctionRef (borrowed, for code called during the call) and
/// trap::detail::Function (owned and copyable, as std::function).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace trap::detail {

template <class Signature>
class FunctionRef;

/// A borrowed callable: a pointer to it and a function that calls it. Valid
/// while the callable it was made from lives; trap's functions that take one
/// call it only before they return.
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  /// Refers to @p f, which must outlive every call.
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
  noexcept  // NOLINT: implicit, as a parameter type
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}
  /// Calls the callable.
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

template <class Signature>
class Function;

/// An owned, copyable callable with std::function's use: made from any
/// callable (a lambda, a function pointer, a std::function), empty when
/// made from nothing, `{}`, nullptr or an empty std::function.
template <class R, class... Args>
class Function<R(Args...)> {
 public:
  /// An empty function.
  Function() noexcept = default;
  /// An empty function.
  Function(std::nullptr_t) noexcept {}  // NOLINT: implicit, as std::function
  /// Holds a copy of @p f (nothing if @p f compares equal to nullptr).
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, Function> &&
           std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
      Function(F&& f) {  // NOLINT: implicit, as std::function
    // A function (not a pointer to one) is never null: no check, no warning.
    if constexpr (!std::is_function_v<std::remove_reference_t<F>> && requires { f == nullptr; }) {
      if (f == nullptr) return;
    }
    held_ = new Held<std::decay_t<F>>(std::forward<F>(f));
  }
  Function(const Function& other) : held_(other.held_ ? other.held_->clone() : nullptr) {}
  Function(Function&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
  Function& operator=(Function other) noexcept {
    std::swap(held_, other.held_);
    return *this;
  }
  ~Function() { delete held_; }

  /// Whether it holds a callable.
  explicit operator bool() const noexcept { return held_ != nullptr; }
  /// Calls the callable. Precondition: it holds one.
  R operator()(Args... args) const { return held_->call(std::forward<Args>(args)...); }
  /// The held callable if it is a @p T, else null (as std::function::target).
  template <class T>
  const T* target() const noexcept {
    return held_ ? static_cast<const T*>(held_->get(&type_tag<T>)) : nullptr;
  }

 private:
  template <class T>
  static constexpr char type_tag = 0;  // its address names T
  struct Base {
    virtual ~Base() = default;
    virtual R call(Args... args) = 0;
    virtual Base* clone() const = 0;
    virtual const void* get(const void* tag) const noexcept = 0;
  };
  template <class F>
  struct Held final : Base {
    template <class G>
    explicit Held(G&& g) : f(std::forward<G>(g)) {}
    R call(Args... args) override {
      if constexpr (std::is_void_v<R>) {
        f(std::forward<Args>(args)...);
      } else {
        return f(std::forward<Args>(args)...);
      }
    }
    Base* clone() const override { return new Held(f); }
    const void* get(const void* tag) const noexcept override {
      return tag == &type_tag<F> ? &f : nullptr;
    }
    F f;
  };
  Base* held_ = nullptr;
};

}  // namespace trap::detail
