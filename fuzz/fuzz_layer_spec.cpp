// A layer spec (":flow:stderr(tempfile):stdout", "flow stderr(pipe;tee)")
// parsed and resolved against trap::standard() as a trap does before it
// springs: split_spec, parse_element, the layer lookup and the output
// layers' strategy lists. The layers found are never run. Only UsageError
// may escape; a spec that resolves names only layers the trapper has, and
// its elements read back the same however they are joined.
#include <trap/builder.hpp>
#include <trap/net.hpp>  // registers tcp_server on the standard trapper

#include "fuzz_check.hpp"
#include "engine/spec.hpp"

namespace {

using trap::detail::parse_element;
using trap::detail::split_spec;

std::string join(const std::vector<std::string>& elements, std::string_view separator) {
  std::string out;
  for (auto& e : elements) out += std::string(separator) + e;
  return out;
}

void check_elements(const std::vector<std::string>& elements) {
  for (auto& e : elements) {
    auto [name, arg] = parse_element(e);
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find_first_of(":() \t\n") == std::string_view::npos);
    FUZZ_CHECK(arg.find_first_of("()") == std::string_view::npos);
    FUZZ_CHECK(split_spec(e) == std::vector<std::string>{e});
  }
  FUZZ_CHECK(split_spec(join(elements, ":")) == elements);
  FUZZ_CHECK(split_spec(join(elements, " \t")) == elements);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string spec(trap::fuzz::as_text(data, size));
  std::vector<std::string> elements;
  bool split = false;
  try {
    elements = split_spec(spec);
    split = true;
    check_elements(elements);
  } catch (const trap::UsageError&) {
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }

  bool resolved = false;
  try {
    const std::vector<std::string> specs{"default", spec};
    resolved = !trap::Builder::instance().layer_implementation(trap::standard(), specs).empty();
  } catch (const trap::UsageError&) {
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }

  bool all_known = split && !elements.empty();
  for (auto& e : elements)
    all_known = all_known && trap::standard().has_layer(parse_element(e).name);
  if (resolved) FUZZ_CHECK(all_known);
  if (!all_known) FUZZ_CHECK(!resolved);
  return 0;
}
