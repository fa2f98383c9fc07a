// SPDX-License-Identifier: BSL-1.0
/// @file
/// The hand-over of a timeout layer's deadline to a layer below it that
/// waits for the code itself (the fork layer, trap::run).
///
/// The timeout layer offers its deadline through the trap's props; a layer
/// below that can stop the code better (by killing a process) claims it,
/// and the timeout layer then leaves the stopping to it. Both sides use
/// only these functions: the props' keys and the state's values are not
/// spelled anywhere else.
#pragma once

#include <any>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include <trap/builder.hpp>
#include <trap/trap_object.hpp>

namespace trap::detail {

/// Who stops the code at a timeout layer's deadline.
enum class DeadlineState {
  offered,  ///< no layer below took it: the timeout layer stops the code itself
  kept,     ///< a layer below waits for the code and stops it at the deadline
  passed,   ///< that layer stopped the code: the timeout layer records a timeout
};

/// The state a timeout layer shares with the layer that keeps its deadline.
/// Lock-free, so that the timeout layer's signal handler may read it.
class DeadlineHandshake {
 public:
  /// The state now.
  DeadlineState get() const noexcept { return state_.load(); }
  /// offered -> kept: true if this caller now keeps the deadline, false if
  /// another layer keeps it already.
  bool keep() noexcept {
    DeadlineState expected = DeadlineState::offered;
    return state_.compare_exchange_strong(expected, DeadlineState::kept);
  }
  /// Hands the deadline back to the timeout layer: the keeping layer could
  /// not start the code.
  void give_back() noexcept { state_.store(DeadlineState::offered); }
  /// The keeping layer stopped the code at the deadline.
  void mark_passed() noexcept { state_.store(DeadlineState::passed); }

 private:
  std::atomic<DeadlineState> state_{DeadlineState::offered};
};
static_assert(std::atomic<DeadlineState>::is_always_lock_free);

/// A timeout layer's deadline, as a layer below that keeps it sees it.
struct TimeoutDeadline {
  std::chrono::steady_clock::time_point when;  ///< when the code must stop
  std::shared_ptr<DeadlineHandshake> state;    ///< shared with the timeout layer
};

/// The props namespace of the hand-over.
inline constexpr const char* kTimeoutProps = "timeout";

/// For the timeout layer: offers deadline @p when to the layers below it in
/// @p self. Returns the state it shares with the one that claims it.
inline std::shared_ptr<DeadlineHandshake> offer_timeout_deadline(
    Trap& self, std::chrono::steady_clock::time_point when) {
  auto state = std::make_shared<DeadlineHandshake>();
  Props& props = self.prop(kTimeoutProps);
  props["deadline"] = when;
  props["state"] = state;
  return state;
}

/// For a layer below a timeout layer: takes over the deadline the timeout
/// layer of @p self offered, if there is one and no other layer took it.
inline std::optional<TimeoutDeadline> claim_timeout_deadline(Trap& self) {
  Props& props = self.prop(kTimeoutProps);
  auto when = props.find("deadline");
  auto state = props.find("state");
  if (when == props.end() || state == props.end()) return std::nullopt;
  auto* tp = std::any_cast<std::chrono::steady_clock::time_point>(&when->second);
  auto* sp = std::any_cast<std::shared_ptr<DeadlineHandshake>>(&state->second);
  if (!tp || !sp || !*sp || !(*sp)->keep()) return std::nullopt;
  return TimeoutDeadline{*tp, *sp};
}

}  // namespace trap::detail
