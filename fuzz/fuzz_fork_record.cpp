// SPDX-License-Identifier: BSL-1.0
// trap::detail::decode_fork_result: the record a fork layer's child writes.
// Malformed bytes are a TrapError and nothing else; a complete record
// encodes to one that decodes to the same result, and a cut short copy of
// that is an error, not a smaller result. (AddressSanitizer sees
// any read past the input: it is a heap block of exactly its size.)
#include <trap/errors.hpp>

#include "fuzz_check.hpp"
#include "isolation/fork_record.hpp"

namespace {

using trap::detail::ForkResult;

bool decodes(std::string_view bytes, ForkResult& out) {
  try {
    out = trap::detail::decode_fork_result(bytes);
    return true;
  } catch (const trap::TrapError&) {
    return false;
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
}

// Values compared by their encoding: exact for every type (NaN included,
// which == would call different).
std::string bytes_of(const trap::Value& v) {
  std::string out;
  trap::detail::ValueCodec::encode(v, out);
  return out;
}

bool same_state(const ForkResult& a, const ForkResult& b) {
  if (a.complete != b.complete || a.leaveby != b.leaveby || a.die_type != b.die_type ||
      a.exceptions != b.exceptions || a.values.size() != b.values.size())
    return false;
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (a.values[i].first != b.values[i].first ||
        bytes_of(a.values[i].second) != bytes_of(b.values[i].second))
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ForkResult first;
  if (!decodes(trap::fuzz::as_text(data, size), first) || !first.complete) return 0;

  const std::string record = trap::detail::encode_fork_result(first);
  ForkResult again;
  FUZZ_CHECK(decodes(record, again));
  FUZZ_CHECK(same_state(first, again) && again.salvaged.empty());
  FUZZ_CHECK(trap::detail::encode_fork_result(again) == record);

  // A child killed while writing leaves a prefix: never taken for a result.
  const std::size_t chosen = record.size() * data[0] / 256;
  for (std::size_t cut : {std::size_t{1}, chosen, record.size() / 2, record.size() - 1}) {
    ForkResult partial;
    FUZZ_CHECK(cut == 0 || !decodes(std::string_view(record).substr(0, cut), partial));
  }
  return 0;
}
