// SPDX-License-Identifier: BSL-1.0
// The layer spec grammar: ":flow:stderr(tempfile)", "flow stderr", ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trap::detail {

/// Splits @p spec into its elements ("flow", "stderr(tempfile)"), as the
/// grammar in trap/detail/spec_grammar.hpp reads them.
/// @throws UsageError naming the fault and its position in a malformed spec.
std::vector<std::string> split_spec(std::string_view spec);

/// A layer element split into its name and argument.
struct LayerElement {
  std::string_view name;
  std::string_view arg;
};

/// Splits one element "name(arg)" as the grammar reads it. Returns an empty
/// name unless @p element is exactly one well-formed element.
LayerElement parse_element(std::string_view element);

/// Splits an argspec into its words (runs of word characters).
std::vector<std::string> split_words(std::string_view text);

}  // namespace trap::detail
