// SPDX-License-Identifier: BSL-1.0
// The properties every trap::net filter has, whatever it frames: cut
// anywhere, a stream means the same; what put() writes, get() reads back.
#pragma once

#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <trap/net.hpp>

#include "fuzz_check.hpp"

namespace trap::fuzz {

/// What a filter made of some reads: its messages, then maybe an error.
struct Fed {
  std::vector<std::string> messages;
  bool failed = false;  // a FilterError, the only exception get() documents
};

inline Fed feed(net::Filter& f, std::span<const std::string_view> reads) {
  Fed out;
  try {
    for (auto bytes : reads)
      for (auto& m : f.get(bytes)) out.messages.push_back(std::move(m));
  } catch (const net::FilterError&) {
    out.failed = true;
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
  return out;
}

/// Feeds the stream whole and in its chunks: the same messages, or an error
/// both ways. Returns what the whole stream gave.
inline Fed check_chunking(const net::Filter& proto, const FilterInput& in) {
  auto whole = proto.clone();
  Fed at_once = feed(*whole, std::span(&in.stream, 1));
  auto cut = proto.clone();
  Fed in_chunks = feed(*cut, in.chunks);
  FUZZ_CHECK(at_once.failed == in_chunks.failed);
  if (!at_once.failed) FUZZ_CHECK(at_once.messages == in_chunks.messages);
  return at_once;
}

/// put() of each message, read back by a fresh filter, gives them back in
/// order; also one at a time.
inline void check_round_trip(const net::Filter& proto, const std::vector<std::string>& messages) {
  auto writer = proto.clone();
  std::string bytes;
  for (auto& m : messages) {
    bytes += writer->put(m);
    auto reader = proto.clone();
    const std::string framed = writer->put(m);
    std::string_view one = framed;
    Fed back = feed(*reader, std::span(&one, 1));
    FUZZ_CHECK(!back.failed && back.messages.size() == 1 && back.messages[0] == m);
  }
  auto reader = proto.clone();
  std::string_view all = bytes;
  Fed back = feed(*reader, std::span(&all, 1));
  FUZZ_CHECK(!back.failed && back.messages == messages);
}

}  // namespace trap::fuzz
