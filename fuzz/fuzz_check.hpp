// SPDX-License-Identifier: BSL-1.0
// What every fuzz target shares: a property check that aborts (so that both
// libFuzzer and the replay tests see it), and how the filter targets cut
// their input into a filter setting and chunks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

/// Aborts with the property and its place when @p cond is false.
#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

/// Aborts naming an exception no documented contract lets escape.
[[noreturn]] inline void fuzz_unexpected(const char* what) {
  std::fprintf(stderr, "undocumented exception escaped: %s\n", what);
  std::abort();
}

namespace trap::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// A filter target's input: byte 0 is the filter's limit (255: the
/// default), byte 1 the number of cuts (mod 8), then one byte per cut, the
/// length of each chunk but the last; the rest is the stream itself.
struct FilterInput {
  std::size_t max = 0;
  bool default_max = false;
  std::string_view stream;
  std::vector<std::string_view> chunks;  // the stream, cut where it says
};

inline FilterInput parse_filter_input(const std::uint8_t* data, std::size_t size) {
  FilterInput in;
  std::string_view rest = as_text(data, size);
  auto next_byte = [&rest]() -> std::uint8_t {
    if (rest.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest.front());
    rest.remove_prefix(1);
    return b;
  };
  in.max = next_byte();
  in.default_max = in.max == 255;
  std::vector<std::size_t> cuts(next_byte() % 8);
  for (auto& c : cuts) c = next_byte();
  in.stream = rest;
  for (std::size_t c : cuts) {
    c = std::min(c, rest.size());
    in.chunks.push_back(rest.substr(0, c));
    rest.remove_prefix(c);
  }
  in.chunks.push_back(rest);
  return in;
}

}  // namespace trap::fuzz
