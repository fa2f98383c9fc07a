// SPDX-License-Identifier: BSL-1.0
#include "engine/spec.hpp"

#include <cctype>

#include <trap/detail/spec_grammar.hpp>
#include <trap/errors.hpp>

namespace trap::detail {
namespace {

[[noreturn]] void malformed(std::string_view spec, SpecParse fault) {
  std::string what(spec_fault_text(fault.fault));
  if (fault.fault == SpecFault::junk_after_close)
    what = "unexpected \"" + std::string(1, spec[fault.position]) + "\" after \")\"";
  throw UsageError("Malformed layer spec \"" + std::string(spec) + "\": " + what + " at position " +
                   std::to_string(fault.position));
}

}  // namespace

std::vector<std::string> split_spec(std::string_view spec) {
  std::vector<std::string> out;
  auto parse = parse_layer_spec(spec, [&](const SpecElement& e) { out.emplace_back(e.text); });
  if (!parse) malformed(spec, parse);
  return out;
}

LayerElement parse_element(std::string_view element) {
  LayerElement out;
  int count = 0;
  auto parse = parse_layer_spec(element, [&](const SpecElement& e) {
    if (++count == 1 && e.text == element) out = {e.name, e.arg};
  });
  if (!parse || count != 1) return {};
  return out;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < text.size()) {
    if (!word(text[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && word(text[i])) ++i;
    out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace trap::detail
