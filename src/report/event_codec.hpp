// SPDX-License-Identifier: BSL-1.0
// Events as records in a file, so that a forked child's test results reach
// the parent's hub: one record per event, written with one append.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <trap/hub.hpp>

namespace trap::detail {

/// One event as a record: "TRAPEV1 <length>\n" and `key=value` lines.
/// @p display_only: an event the parent's formatter only shows (a subtest's,
/// one level deeper), not a result it counts.
std::string encode_event(const Event& e, bool display_only = false);

/// What decode_events() found.
struct Decoded {
  std::vector<Event> events;       ///< complete, well-formed records, in order
  std::vector<bool> display_only;  ///< for each event: only to be shown
  std::size_t consumed = 0;        ///< bytes used up (an incomplete tail is kept)
  bool malformed = false;          ///< a record that is not one: the rest is dropped
};

/// Decodes the records in @p bytes. Strings of locations are kept for the
/// life of the program.
Decoded decode_events(std::string_view bytes);

}  // namespace trap::detail
