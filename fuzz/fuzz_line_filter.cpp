// SPDX-License-Identifier: BSL-1.0
// trap::net::line_filter: a CR, an LF, a CRLF or an LFCR ends a line on
// input (POE::Filter::Line's default), LF on output; a line longer than the
// limit is a FilterError. Input: see FilterInput.
#include <trap/net.hpp>

#include "filter_checks.hpp"

namespace {

using trap::fuzz::Fed;

// The lines of @p stream read the documented way, and whether one is too
// long (a last line without its end counts: it is waiting for the rest).
Fed documented_lines(std::string_view stream, std::size_t max) {
  Fed out;
  for (;;) {
    auto end = stream.find_first_of("\r\n");
    std::string_view line = stream.substr(0, end);
    if (line.size() > max) out.failed = true;
    if (end == std::string_view::npos || out.failed) return out;
    out.messages.emplace_back(line);
    const char other = stream[end] == '\r' ? '\n' : '\r';
    stream.remove_prefix(end + 1);
    if (stream.starts_with(other)) stream.remove_prefix(1);  // CRLF or LFCR: one end
  }
}

// A message put() can send: no CR nor LF in it, within the limit.
bool carriable(std::string_view m, std::size_t max) {
  return m.find_first_of("\r\n") == std::string_view::npos && m.size() <= max;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = trap::fuzz::parse_filter_input(data, size);
  const std::size_t max = in.default_max ? std::size_t{1} << 20 : in.max;
  auto proto = in.default_max ? trap::net::line_filter() : trap::net::line_filter(max);

  Fed whole = trap::fuzz::check_chunking(*proto, in);
  Fed expected = documented_lines(in.stream, max);
  FUZZ_CHECK(whole.failed == expected.failed);
  if (!whole.failed) FUZZ_CHECK(whole.messages == expected.messages);

  std::vector<std::string> messages;
  for (auto& m : whole.messages)
    if (carriable(m, max)) messages.push_back(m);
  if (carriable(in.stream, max)) messages.emplace_back(in.stream);
  trap::fuzz::check_round_trip(*proto, messages);
  return 0;
}
