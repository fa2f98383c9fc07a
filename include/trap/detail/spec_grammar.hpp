// SPDX-License-Identifier: BSL-1.0
/// @file
/// The layer-spec grammar, written once and usable in constant expressions:
/// trap::trap<spec>() checks its spec with it at compile time, and the
/// run-time parser (src/engine/spec.cpp) is a thin layer over it.
///
/// A spec is a list of elements separated by ':' or white space; a leading
/// or trailing ':' is allowed, two ':' with no name between them are not.
/// An element is a name (anything but white space, ':', '(' and ')'),
/// optionally followed at once by an argument in parentheses (anything but
/// '(' and ')'), which must be followed by a separator or the end:
/// `":flow:stderr(tempfile) stdout"`. An output layer's argument is a list
/// of strategy names separated by ';' or ','.
#pragma once

#include <cstddef>
#include <string_view>

namespace trap::detail {

/// What makes a layer spec malformed.
enum class SpecFault : unsigned char {
  none,                ///< well formed
  empty_name,          ///< a second ':' with no name since the first
  open_without_name,   ///< a '(' where a name should start
  close_without_open,  ///< a ')' with no '(' before it
  nested_open,         ///< a '(' inside an argument
  unclosed_open,       ///< a '(' with no ')' after it
  junk_after_close,    ///< a character other than a separator after ')'
};

/// One element of a spec, as views into it: in "stderr(tempfile)" the name
/// is "stderr" and the argument "tempfile" (empty when there is none).
struct SpecElement {
  std::string_view text;  ///< the whole element
  std::string_view name;  ///< the layer's name, never empty
  std::string_view arg;   ///< what is between the parentheses
};

/// How a parse ended: well formed, or the fault and its position (0-based)
/// in the spec. Converts to true when well formed.
struct SpecParse {
  SpecFault fault = SpecFault::none;
  std::size_t position = 0;
  /// Whether the spec is well formed.
  constexpr explicit operator bool() const { return fault == SpecFault::none; }
};

/// White space as the "C" locale's std::isspace sees it.
constexpr bool is_spec_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// Whether @p c separates two elements.
constexpr bool is_spec_separator(char c) { return c == ':' || is_spec_space(c); }

/// Whether @p c ends a layer name.
constexpr bool ends_layer_name(char c) { return is_spec_separator(c) || c == '(' || c == ')'; }

/// Whether a spec can name a layer called @p name: not empty, and nothing
/// in it ends a name.
constexpr bool is_layer_name(std::string_view name) {
  for (char c : name)
    if (ends_layer_name(c)) return false;
  return !name.empty();
}

namespace spec_grammar {

/// Reads the argument whose '(' is at @p open; on success @p end is one past
/// its ')'.
constexpr SpecParse read_argument(std::string_view spec, std::size_t open, std::size_t& end) {
  std::size_t j = open + 1;
  for (; j < spec.size() && spec[j] != ')'; ++j)
    if (spec[j] == '(') return {SpecFault::nested_open, j};
  if (j == spec.size()) return {SpecFault::unclosed_open, open};
  end = j + 1;
  if (end < spec.size() && !is_spec_separator(spec[end])) return {SpecFault::junk_after_close, end};
  return {};
}

/// Reads the element that starts at @p i (not a separator) into @p out; on
/// success @p i is one past it.
constexpr SpecParse read_element(std::string_view spec, std::size_t& i, SpecElement& out) {
  if (spec[i] == '(') return {SpecFault::open_without_name, i};
  if (spec[i] == ')') return {SpecFault::close_without_open, i};
  const std::size_t start = i;
  while (i < spec.size() && !ends_layer_name(spec[i])) ++i;
  out.name = spec.substr(start, i - start);
  out.arg = {};
  if (i < spec.size() && spec[i] == ')') return {SpecFault::close_without_open, i};
  if (i < spec.size() && spec[i] == '(') {
    std::size_t end = 0;
    if (auto r = read_argument(spec, i, end); !r) return r;
    out.arg = spec.substr(i + 1, end - i - 2);
    i = end;
  }
  out.text = spec.substr(start, i - start);
  return {};
}

}  // namespace spec_grammar

/// Parses @p spec, calling @p visit(SpecElement) for each element in order,
/// up to the first fault. Throws nothing of its own.
/// @return how the parse ended: the first fault and its position, if any.
template <class Visitor>
constexpr SpecParse parse_layer_spec(std::string_view spec, Visitor&& visit) {
  bool after_colon = false;  // a ':' with no name after it yet
  std::size_t i = 0;
  while (i < spec.size()) {
    if (is_spec_space(spec[i])) {
      ++i;
    } else if (spec[i] == ':') {
      if (after_colon) return {SpecFault::empty_name, i};
      after_colon = true;
      ++i;
    } else {
      SpecElement element;
      if (auto r = spec_grammar::read_element(spec, i, element); !r) return r;
      visit(element);
      after_colon = false;
    }
  }
  return {};
}

/// What @p fault means, as the run-time error says it ("empty layer name");
/// for junk_after_close the caller names the character.
constexpr std::string_view spec_fault_text(SpecFault fault) {
  switch (fault) {
    case SpecFault::none:
      return "no fault";
    case SpecFault::empty_name:
      return "empty layer name";
    case SpecFault::open_without_name:
      return "\"(\" without a layer name";
    case SpecFault::close_without_open:
      return "\")\" without \"(\"";
    case SpecFault::nested_open:
      return "nested \"(\"";
    case SpecFault::unclosed_open:
      return "unclosed \"(\"";
    case SpecFault::junk_after_close:
      return "unexpected character after \")\"";
  }
  return "unknown fault";
}

/// Checks the syntax of a compile-time spec. In a constant expression a
/// malformed spec stops the build at the `throw` that says what is wrong;
/// evaluated at run time it throws that message (a const char*).
constexpr void check_spec_syntax(std::string_view spec) {
  switch (parse_layer_spec(spec, [](const SpecElement&) {}).fault) {
    case SpecFault::none:
      return;
    case SpecFault::empty_name:
      throw "trap: malformed layer spec: empty layer name (two ':' with no name between)";
    case SpecFault::open_without_name:
      throw "trap: malformed layer spec: \"(\" without a layer name";
    case SpecFault::close_without_open:
      throw "trap: malformed layer spec: \")\" without \"(\"";
    case SpecFault::nested_open:
      throw "trap: malformed layer spec: nested \"(\"";
    case SpecFault::unclosed_open:
      throw "trap: malformed layer spec: unclosed \"(\"";
    case SpecFault::junk_after_close:
      throw "trap: malformed layer spec: a \")\" must be followed by ':', white space or the end";
  }
}

/// Whether the well-formed @p spec has an element named @p name
/// (`spec_names_layer("flow fork(exec)", "fork")`).
constexpr bool spec_names_layer(std::string_view spec, std::string_view name) {
  bool found = false;
  parse_layer_spec(spec, [&](const SpecElement& e) { found = found || e.name == name; });
  return found;
}

/// Calls @p visit(std::string_view) for each name in an output layer's
/// strategy list ("pipe;tempfile", "a,b"), empty names included.
template <class Visitor>
constexpr void for_each_strategy_name(std::string_view list, Visitor&& visit) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || list[i] == ',' || list[i] == ';') {
      visit(list.substr(start, i - start));
      start = i + 1;
    }
  }
}

}  // namespace trap::detail
