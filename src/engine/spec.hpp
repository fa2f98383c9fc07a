// The layer spec grammar: ":flow:stderr(tempfile)", "flow stderr", ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trap::detail {

/// Splits @p spec into its elements ("flow", "stderr(tempfile)"). Names are
/// separated by ':' or white space; a leading or trailing ':' is allowed.
/// @throws UsageError naming the position of an empty name or an unbalanced
/// parenthesis.
std::vector<std::string> split_spec(std::string_view spec);

/// A layer element split into its name and argument.
struct LayerElement {
  std::string_view name;
  std::string_view arg;
};

/// Splits "name(arg)" (as Perl does: a name of anything but '(', an optional
/// argument of anything but ')'). Returns an empty name for a malformed one.
LayerElement parse_element(std::string_view element);

/// Splits an argspec into its words (runs of word characters).
std::vector<std::string> split_words(std::string_view text);

}  // namespace trap::detail
