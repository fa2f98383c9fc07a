// SPDX-License-Identifier: BSL-1.0
// tee: as pipe, and every byte is also copied live to the original
// descriptor as it arrives (pytest's capteesys, Capture::Tiny's tee): the
// output is captured and still shows.
#include "capture/strategies.hpp"

namespace trap::detail {

StrategyFn tee_strategy() { return pipe_like_strategy(true); }

}  // namespace trap::detail
