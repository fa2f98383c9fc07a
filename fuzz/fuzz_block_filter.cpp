// SPDX-License-Identifier: BSL-1.0
// trap::net::block_filter: a message is its length in decimal, a NUL, then
// its bytes (POE::Filter::Block); a block over the limit, or a length that
// is not one, is a FilterError. Input: see FilterInput.
#include <charconv>

#include <trap/net.hpp>

#include "filter_checks.hpp"

namespace {

using trap::fuzz::Fed;

// Each block the filter read stands in the stream as "LENGTH\0BYTES" with
// LENGTH its size in decimal; what is left is no whole frame. Returns the
// rest of the stream.
std::string_view check_frames(std::string_view stream, const std::vector<std::string>& blocks) {
  for (auto& b : blocks) {
    auto nul = stream.find('\0');
    FUZZ_CHECK(nul != std::string_view::npos && nul > 0);
    std::size_t n = 0;
    auto r = std::from_chars(stream.data(), stream.data() + nul, n);
    FUZZ_CHECK(r.ec == std::errc() && r.ptr == stream.data() + nul && n == b.size());
    FUZZ_CHECK(stream.substr(nul + 1, n) == b);
    stream.remove_prefix(nul + 1 + n);
  }
  return stream;
}

// What the filter keeps for later can still become a frame: a length
// that is one (at most 20 digits, as the largest) and within the limit,
// waiting for its bytes.
void check_rest_incomplete(std::string_view rest, std::size_t max) {
  auto nul = rest.find('\0');
  if (nul == std::string_view::npos) return;
  std::size_t n = 0;
  auto r = std::from_chars(rest.data(), rest.data() + nul, n);
  FUZZ_CHECK(nul > 0 && nul <= 20 && r.ec == std::errc() && r.ptr == rest.data() + nul);
  FUZZ_CHECK(n <= max && rest.size() - nul - 1 < n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = trap::fuzz::parse_filter_input(data, size);
  const std::size_t max = in.default_max ? std::size_t{1} << 20 : in.max;
  auto proto = in.default_max ? trap::net::block_filter() : trap::net::block_filter(max);

  Fed whole = trap::fuzz::check_chunking(*proto, in);
  std::string_view rest = check_frames(in.stream, whole.messages);
  if (!whole.failed) check_rest_incomplete(rest, max);
  for (auto& b : whole.messages) FUZZ_CHECK(b.size() <= max);

  // The stream as one message: framed by put() within the limit, refused
  // by its length prefix alone when over it.
  auto writer = proto->clone();
  const std::string framed = writer->put(in.stream);
  FUZZ_CHECK(framed == std::to_string(in.stream.size()) + '\0' + std::string(in.stream));
  std::string_view prefix(framed.data(), framed.find('\0') + 1);
  Fed header_only = trap::fuzz::feed(*proto->clone(), std::span(&prefix, 1));
  FUZZ_CHECK(header_only.failed == (in.stream.size() > max));
  if (!header_only.failed) {
    // "0\0" alone is a whole block, the empty one.
    const std::vector<std::string> expected(in.stream.empty() ? 1 : 0);
    FUZZ_CHECK(header_only.messages == expected);
  }

  std::vector<std::string> messages;
  for (auto& b : whole.messages) messages.push_back(b);
  if (in.stream.size() <= max) messages.emplace_back(in.stream);
  trap::fuzz::check_round_trip(*proto, messages);
  return 0;
}
