// SPDX-License-Identifier: BSL-1.0
// A layer spec (":flow:stderr(tempfile):stdout", "flow stderr(pipe;tee)")
// parsed and resolved against trap::standard() as a trap does before it
// springs: split_spec, parse_element, the layer lookup and the output
// layers' strategy lists. The layers found are never run. Only UsageError
// may escape; a spec that resolves names only layers the trapper has, and
// its elements read back the same however they are joined.
//
// The constexpr grammar (trap/detail/spec_grammar.hpp), evaluated at run
// time, must agree with the run-time parser on every input: the same
// elements, the same fault at the same place, or none. So must what
// trap<spec> checks at compile time: its syntax check refuses exactly the
// specs split_spec refuses, spec_names_layer sees the same names, and a
// built-in layer's argument refused at compile time is refused at run time
// too (and accepted when run time accepts it, for layers it fully checks).
#include <cctype>

#include <trap/builder.hpp>
#include <trap/detail/fixed_string.hpp>
#include <trap/detail/spec_grammar.hpp>
#include <trap/net.hpp>  // registers tcp_server on the standard trapper

#include "engine/spec.hpp"
#include "fuzz_check.hpp"

namespace {

using trap::detail::parse_element;
using trap::detail::SpecElement;
using trap::detail::SpecParse;
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
    FUZZ_CHECK(name.find_first_of(":() \t\n\v\f\r") == std::string_view::npos);
    FUZZ_CHECK(arg.find_first_of("()") == std::string_view::npos);
    FUZZ_CHECK(split_spec(e) == std::vector<std::string>{e});
  }
  FUZZ_CHECK(split_spec(join(elements, ":")) == elements);
  FUZZ_CHECK(split_spec(join(elements, " \t")) == elements);
}

// The run-time parser's answer: its elements, or its error message.
struct RunTime {
  bool ok = false;
  std::vector<std::string> elements;
  std::string error;
};

RunTime run_time_split(const std::string& spec) {
  RunTime r;
  try {
    r.elements = split_spec(spec);
    r.ok = true;
  } catch (const trap::UsageError& e) {
    r.error = e.what();
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
  return r;
}

// The run-time parser as it was written before the grammar existed, kept
// as an oracle: split_spec must still give its elements and its messages.
RunTime reference_split(std::string_view spec) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  auto ends = [&](char c) { return space(c) || c == ':' || c == '(' || c == ')'; };
  RunTime r;
  auto fail = [&](const std::string& what, std::size_t pos) {
    r.elements.clear();
    r.error = "Malformed layer spec \"" + std::string(spec) + "\": " + what + " at position " +
              std::to_string(pos);
    return r;
  };
  bool after_colon = false;
  std::size_t i = 0;
  const std::size_t n = spec.size();
  while (i < n) {
    if (space(spec[i])) {
      ++i;
      continue;
    }
    if (spec[i] == ':') {
      if (after_colon) return fail("empty layer name", i);
      after_colon = true;
      ++i;
      continue;
    }
    if (spec[i] == '(') return fail("\"(\" without a layer name", i);
    if (spec[i] == ')') return fail("\")\" without \"(\"", i);
    const std::size_t start = i;
    while (i < n && !ends(spec[i])) ++i;
    if (i < n && spec[i] == '(') {
      const std::size_t open = i;
      std::size_t j = open + 1;
      for (; j < n && spec[j] != ')'; ++j)
        if (spec[j] == '(') return fail("nested \"(\"", j);
      if (j == n) return fail("unclosed \"(\"", open);
      i = j + 1;
      if (i < n && !space(spec[i]) && spec[i] != ':')
        return fail("unexpected \"" + std::string(1, spec[i]) + "\" after \")\"", i);
    } else if (i < n && spec[i] == ')') {
      return fail("\")\" without \"(\"", i);
    }
    r.elements.emplace_back(spec.substr(start, i - start));
    after_colon = false;
  }
  r.ok = true;
  return r;
}

// What a compile-time check throws when evaluated at run time, or nullptr.
template <class F>
const char* compile_time_refusal(F check) {
  try {
    check();
  } catch (const char* message) {
    return message;
  }
  return nullptr;
}

// The constexpr grammar, run on the same input, against split_spec.
void check_grammar_agrees(const std::string& spec, const RunTime& run) {
  std::vector<SpecElement> elements;
  const SpecParse parse =
      trap::detail::parse_layer_spec(spec, [&](const SpecElement& e) { elements.push_back(e); });
  FUZZ_CHECK(static_cast<bool>(parse) == run.ok);
  const char* refusal = compile_time_refusal([&] { trap::detail::check_spec_syntax(spec); });
  FUZZ_CHECK((refusal == nullptr) == run.ok);
  if (!run.ok) {
    if (spec.find('\0') != std::string::npos) return;  // what() stops at the NUL
    FUZZ_CHECK(run.error.ends_with(" at position " + std::to_string(parse.position)));
    if (parse.fault != trap::detail::SpecFault::junk_after_close)
      FUZZ_CHECK(run.error.find(trap::detail::spec_fault_text(parse.fault)) != std::string::npos);
    return;
  }
  FUZZ_CHECK(elements.size() == run.elements.size());
  bool names_fork = false;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    FUZZ_CHECK(elements[i].text == run.elements[i]);
    auto [name, arg] = parse_element(run.elements[i]);
    FUZZ_CHECK(elements[i].name == name && elements[i].arg == arg);
    FUZZ_CHECK(trap::detail::spec_names_layer(spec, name));
    names_fork = names_fork || name == "fork";
  }
  FUZZ_CHECK(trap::detail::spec_names_layer(spec, "fork") == names_fork);
}

// Layers whose every argument the compile-time check judges as run time does.
bool fully_checked_at_compile_time(std::string_view name) {
  for (std::string_view n : {"raw", "die", "exit", "flow", "default", "warn", "fork", "timeout"})
    if (n == name) return true;
  return false;
}

void check_compile_time_arguments(const std::string& spec, const RunTime& run, bool resolved) {
  if (!run.ok || run.elements.empty()) return;
  const bool accepted =
      compile_time_refusal([&] { trap::detail::builtin_layer_arguments_ok(spec); }) == nullptr;
  if (!accepted) FUZZ_CHECK(!resolved);
  bool fully = true;
  for (auto& e : run.elements)
    fully = fully && fully_checked_at_compile_time(parse_element(e).name);
  if (fully) FUZZ_CHECK(accepted == resolved);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string spec(trap::fuzz::as_text(data, size));
  const RunTime run = run_time_split(spec);
  const RunTime reference = reference_split(spec);
  // what() ends at a NUL in the spec, as any C string does.
  FUZZ_CHECK(run.ok == reference.ok && run.elements == reference.elements &&
             run.error == reference.error.c_str());
  if (run.ok) check_elements(run.elements);
  check_grammar_agrees(spec, run);

  bool resolved = false;
  try {
    const std::vector<std::string> specs{"default", spec};
    resolved = !trap::Builder::instance().layer_implementation(trap::standard(), specs).empty();
  } catch (const trap::UsageError&) {
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
  check_compile_time_arguments(spec, run, resolved);

  bool all_known = run.ok && !run.elements.empty();
  for (auto& e : run.elements)
    all_known = all_known && trap::standard().has_layer(parse_element(e).name);
  if (resolved) FUZZ_CHECK(all_known);
  if (!all_known) FUZZ_CHECK(!resolved);
  return 0;
}
