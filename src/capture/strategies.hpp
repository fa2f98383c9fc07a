// SPDX-License-Identifier: BSL-1.0
// The built-in capture strategies (one file each in strategies/) and the
// output layer that applies them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <trap/builder.hpp>

namespace trap::detail {

StrategyFn tempfile_strategy();
StrategyFn dup2_strategy();
StrategyFn pipe_strategy();
StrategyFn memory_strategy();
StrategyFn tee_strategy();
/// How many threads of its own trap runs for pipe and tee captures (their
/// drainer: 0 or 1). The fork layer leaves it out of its thread count: the
/// drainer is safe across fork.
int pipe_drainer_threads() noexcept;
/// pipe (tee = false) or tee (tee = true).
StrategyFn pipe_like_strategy(bool tee);

/// The first registered strategy of @p spec ("a;b,c"), copied.
/// @throws UsageError `No capture strategy found for "a", "b"`.
/// Callers hold the registry lock.
std::shared_ptr<const StrategyFn> find_strategy_locked(std::string_view spec);
/// As find_strategy_locked(), pointing into the registry.
const StrategyFn* find_strategy_ptr_locked(std::string_view spec);

/// Applies output layer @p name on descriptor @p fd: with @p chosen, the
/// strategy of the layer's argument, if any; else the one an `output` layer
/// above set; else dup2. A closed descriptor is not captured and reads "".
void apply_output_layer(Trap& self, const std::string& name, int fd, const StrategyFn* chosen);
/// The strategy of an output layer with none chosen (dup2), made on first
/// use. The fork layer makes it in the parent: a child that made it would
/// register its destructor with the C library (a page fault there).
const StrategyFn& fallback_output_strategy();

}  // namespace trap::detail
