// SPDX-License-Identifier: BSL-1.0
// The line diff of failed `is` tests: shortest, in diff -u's form, and
// bounded in time and size however large the texts are.
#define BOOST_TEST_MODULE text_diff
#include "report/text_diff.hpp"

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

using trap::detail::unified_diff;

namespace {

std::string numbered(const std::string& prefix, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += prefix + std::to_string(i) + "\n";
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line + "\n");
  return out;
}

// The lines of a diff line ("    -abc\\n" -> "abc\n"); test lines hold no
// other escapes.
std::string unescaped(const std::string& shown) {
  std::string body = shown.substr(5);
  BOOST_REQUIRE(body.size() >= 2 && body.substr(body.size() - 2) == "\\n");
  return body.substr(0, body.size() - 2) + "\n";
}

// Applies the diff's hunks to @p expected, checking every header and
// context line, and returns the number of changed lines.
std::size_t apply(const std::vector<std::string>& diff, std::vector<std::string> expected,
                  const std::vector<std::string>& got) {
  BOOST_REQUIRE(diff.size() >= 2);
  BOOST_TEST(diff[0] == "    --- expected");
  BOOST_TEST(diff[1] == "    +++ got");
  std::vector<std::string> result;
  std::size_t a = 0, changes = 0;  // lines of expected used so far
  for (std::size_t i = 2; i < diff.size();) {
    std::size_t a_start, a_count, b_start, b_count;
    BOOST_REQUIRE(std::sscanf(diff[i].c_str(), "    @@ -%zu,%zu +%zu,%zu @@", &a_start, &a_count,
                              &b_start, &b_count) == 4);
    const std::size_t a_first = a_count == 0 ? a_start : a_start - 1;
    while (a < a_first) result.push_back(expected[a++]);
    BOOST_TEST((b_count == 0 ? b_start : b_start - 1) == result.size());
    std::size_t seen_a = 0, seen_b = 0;
    for (++i; i < diff.size() && diff[i].rfind("    @@", 0) != 0; ++i) {
      const char op = diff[i][4];
      const std::string line = unescaped(diff[i]);
      if (op != '+') {
        BOOST_TEST(expected.at(a++) == line);
        ++seen_a;
      }
      if (op != '-') {
        result.push_back(line);
        ++seen_b;
      }
      changes += op != ' ';
    }
    BOOST_TEST(seen_a == a_count);
    BOOST_TEST(seen_b == b_count);
  }
  while (a < expected.size()) result.push_back(expected[a++]);
  BOOST_TEST(result == got);
  return changes;
}

// The fewest changed lines turning @p a into @p b (by longest common
// subsequence).
std::size_t fewest_changes(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<std::size_t>> lcs(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  return a.size() + b.size() - 2 * lcs[0][0];
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_changed_line_shows_in_diff_u_form) {
  auto diff = unified_diff("one\ntwo\nTHREE\nfour\nfive\nsix\nseven\n",
                           "one\ntwo\nthree\nfour\nfive\nsix\nseven\n");
  const std::vector<std::string> want{
      "    --- expected", "    +++ got",   "    @@ -1,6 +1,6 @@", "     one\\n",  "     two\\n",
      "    -THREE\\n",    "    +three\\n", "     four\\n",        "     five\\n", "     six\\n"};
  BOOST_TEST(diff == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_insertion_at_the_start_shows_with_the_lines_after_it) {
  auto diff = unified_diff("a\nb\n", "new\na\nb\n");
  const std::vector<std::string> want{"    --- expected", "    +++ got", "    @@ -1,2 +1,3 @@",
                                      "    +new\\n",      "     a\\n",   "     b\\n"};
  BOOST_TEST(diff == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(random_texts_get_a_shortest_diff_that_applies) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 300; ++round) {
    auto text = [&] {
      std::string t;
      const int lines = static_cast<int>(rng() % 25);
      for (int i = 0; i < lines; ++i)
        t += std::string(1, static_cast<char>('a' + rng() % 4)) + "\n";
      return t;
    };
    const std::string expected = text(), got = text();
    const auto a = split(expected), b = split(got);
    const auto diff = unified_diff(expected, got);
    BOOST_TEST_CONTEXT("expected:\n" << expected << "got:\n" << got) {
      BOOST_TEST(apply(diff, a, b) == fewest_changes(a, b));
    }
  }
}

BOOST_AUTO_TEST_CASE(changes_at_both_ends_of_100000_lines_show_in_two_small_hunks) {
  std::string expected = numbered("line ", 100000);
  std::string got = expected;
  got.replace(got.find("line 2\n"), 7, "LINE 2\n");
  got.replace(got.find("line 99998\n"), 11, "LINE 99998\n");
  const auto diff = unified_diff(expected, got);
  BOOST_TEST(diff.size() == 2u + 8 + 7);  // the headers, two hunks
  BOOST_TEST(diff.at(2) == "    @@ -1,6 +1,6 @@");
  BOOST_TEST(diff.at(5) == "    -line 2\\n");
  BOOST_TEST(diff.at(6) == "    +LINE 2\\n");
  BOOST_TEST(diff.at(10) == "    @@ -99996,5 +99996,5 @@");
  BOOST_TEST(diff.at(14) == "    -line 99998\\n");
  BOOST_TEST(diff.at(15) == "    +LINE 99998\\n");
  BOOST_TEST(apply(diff, split(expected), split(got)) == 4u);
}

BOOST_AUTO_TEST_CASE(texts_with_nothing_in_common_show_their_first_changes_then_stop) {
  const std::string expected = numbered("expected ", 100000), got = numbered("got ", 100000);
  const auto diff = unified_diff(expected, got, 500);
  BOOST_TEST(diff.size() == 2u + 1 + 500 + 1);
  BOOST_TEST(diff.at(2).rfind("    @@ -1,", 0) == 0u, diff.at(2));
  BOOST_TEST(diff.at(3) == "    -expected 0\\n");
  BOOST_TEST(std::count_if(diff.begin(), diff.end(),
                           [](const std::string& l) { return l.rfind("    +got ", 0) == 0; }) > 0);
  BOOST_TEST(diff.back() == "    (diff stopped after 500 changed lines; the texts differ further)");
}

BOOST_AUTO_TEST_CASE(many_scattered_changes_stop_at_the_bound_in_order) {
  std::string expected, got;
  for (int i = 0; i < 20000; ++i) {
    expected += "same " + std::to_string(i) + "\n";
    got += "same " + std::to_string(i) + "\n";
    if (i % 10 == 0) got += "extra " + std::to_string(i) + "\n";
  }
  const auto diff = unified_diff(expected, got, 100);
  BOOST_TEST(diff.back() == "    (diff stopped after 100 changed lines; the texts differ further)");
  BOOST_TEST(std::count_if(diff.begin() + 2, diff.end(),
                           [](const std::string& l) { return l.rfind("    +", 0) == 0; }) == 100);
  BOOST_TEST(diff.at(3) == "     same 0\\n");
  BOOST_TEST(diff.at(4) == "    +extra 0\\n");
}

BOOST_AUTO_TEST_CASE(equal_texts_have_no_hunk_and_an_empty_range_names_the_line_before) {
  BOOST_TEST(unified_diff("a\nb\n", "a\nb\n").size() == 2u);
  const auto diff = unified_diff("", "x\n");
  const std::vector<std::string> want{"    --- expected", "    +++ got", "    @@ -0,0 +1,1 @@",
                                      "    +x\\n"};
  BOOST_TEST(diff == want, boost::test_tools::per_element());
}
