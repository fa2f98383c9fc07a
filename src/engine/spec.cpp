#include "engine/spec.hpp"

#include <cctype>

#include <trap/errors.hpp>

namespace trap::detail {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool ends_name(char c) { return is_space(c) || c == ':' || c == '(' || c == ')'; }

[[noreturn]] void malformed(std::string_view spec, const std::string& what,
                            std::size_t pos) {
  throw UsageError("Malformed layer spec \"" + std::string(spec) + "\": " + what +
                   " at position " + std::to_string(pos));
}

}  // namespace

std::vector<std::string> split_spec(std::string_view spec) {
  std::vector<std::string> out;
  bool after_colon = false;  // a ':' with no name after it yet
  std::size_t i = 0;
  const std::size_t n = spec.size();
  while (i < n) {
    if (is_space(spec[i])) {
      ++i;
      continue;
    }
    if (spec[i] == ':') {
      if (after_colon) malformed(spec, "empty layer name", i);
      after_colon = true;
      ++i;
      continue;
    }
    if (spec[i] == '(') malformed(spec, "\"(\" without a layer name", i);
    if (spec[i] == ')') malformed(spec, "\")\" without \"(\"", i);
    const std::size_t start = i;
    while (i < n && !ends_name(spec[i])) ++i;
    if (i < n && spec[i] == '(') {
      const std::size_t open = i;
      std::size_t j = open + 1;
      while (j < n && spec[j] != ')') {
        if (spec[j] == '(') malformed(spec, "nested \"(\"", j);
        ++j;
      }
      if (j == n) malformed(spec, "unclosed \"(\"", open);
      i = j + 1;
      if (i < n && !is_space(spec[i]) && spec[i] != ':')
        malformed(spec, "unexpected \"" + std::string(1, spec[i]) + "\" after \")\"", i);
    } else if (i < n && spec[i] == ')') {
      malformed(spec, "\")\" without \"(\"", i);
    }
    out.emplace_back(spec.substr(start, i - start));
    after_colon = false;
  }
  return out;
}

LayerElement parse_element(std::string_view element) {
  const auto open = element.find('(');
  if (open == std::string_view::npos) return {element, {}};
  if (open == 0 || element.back() != ')') return {};
  auto arg = element.substr(open + 1, element.size() - open - 2);
  if (arg.find(')') != std::string_view::npos) return {};
  return {element.substr(0, open), arg};
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
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
