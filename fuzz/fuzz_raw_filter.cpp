// SPDX-License-Identifier: BSL-1.0
// trap::net::raw_filter: every read is one message, byte for byte; output
// as is. Input: see FilterInput (the limit byte is unused).
#include <trap/net.hpp>

#include "filter_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = trap::fuzz::parse_filter_input(data, size);
  auto proto = trap::net::raw_filter();

  // Chunks are messages, so cutting changes the messages but never the
  // bytes; an empty read makes none.
  auto f = proto->clone();
  trap::fuzz::Fed fed = trap::fuzz::feed(*f, in.chunks);
  FUZZ_CHECK(!fed.failed);
  std::string joined;
  std::size_t nonempty = 0;
  for (auto& m : fed.messages) {
    FUZZ_CHECK(!m.empty());
    joined += m;
  }
  for (auto chunk : in.chunks) nonempty += !chunk.empty();
  FUZZ_CHECK(joined == in.stream);
  FUZZ_CHECK(fed.messages.size() == nonempty);

  // Any message but the empty one travels on its own read.
  for (auto& m : fed.messages) {
    FUZZ_CHECK(proto->put(m) == m);
    trap::fuzz::check_round_trip(*proto, {m});
  }
  return 0;
}
