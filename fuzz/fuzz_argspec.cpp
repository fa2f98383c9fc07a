// SPDX-License-Identifier: BSL-1.0
// The argspec of Builder::test: words (runs of letters, digits and '_')
// separated by anything else, each one of trap, entirety, element,
// predicate, name (or the aliases object, all, indexed). Only UsageError
// may escape, and only as "Unrecognized identifier WORD in argspec" for the
// first word that is none of them; a test registered has one argument
// kind per word.
#include <cctype>
#include <mutex>
#include <set>

#include <trap/builder.hpp>

#include "engine/spec.hpp"
#include "engine/state.hpp"
#include "fuzz_check.hpp"

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The words are the input's word characters, in order, cut at every other
// character.
void check_words(std::string_view text, const std::vector<std::string>& words) {
  std::size_t at = 0, chars = 0;
  for (auto& w : words) {
    FUZZ_CHECK(!w.empty());
    for (char c : w) FUZZ_CHECK(word_char(c));
    auto found = text.find(w, at);
    FUZZ_CHECK(found != std::string_view::npos);
    FUZZ_CHECK(found == 0 || !word_char(text[found - 1]));
    at = found + w.size();
    FUZZ_CHECK(at == text.size() || !word_char(text[at]));
    chars += w.size();
  }
  std::size_t expected = 0;
  for (char c : text) expected += word_char(c);
  FUZZ_CHECK(chars == expected);
}

std::size_t registered_arguments(const trap::Trapper& t) {
  auto& reg = trap::detail::Registry::get();
  std::shared_lock lock(reg.mutex);
  auto* def = trap::detail::Registry::find_test(t, "fuzzed");
  FUZZ_CHECK(def != nullptr);
  return def->argspec.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static trap::Trapper trapper("fuzz::argspec");
  static const std::set<std::string, std::less<>> known{"trap",    "object",  "entirety",  "all",
                                                        "element", "indexed", "predicate", "name"};
  const std::string_view argspec = trap::fuzz::as_text(data, size);

  const auto words = trap::detail::split_words(argspec);
  check_words(argspec, words);
  std::string unknown;
  for (auto& w : words)
    if (!known.contains(w)) {
      unknown = w;
      break;
    }

  try {
    trap::Builder::instance().test(trapper, "fuzzed", argspec,
                                   [](trap::Trap&, std::span<const trap::Value>) { return true; });
    FUZZ_CHECK(unknown.empty());
    FUZZ_CHECK(registered_arguments(trapper) == words.size());
  } catch (const trap::UsageError& e) {
    FUZZ_CHECK(!unknown.empty());
    FUZZ_CHECK(e.what() == "Unrecognized identifier " + unknown + " in argspec");
  } catch (const std::exception& e) {
    fuzz_unexpected(e.what());
  }
  return 0;
}
