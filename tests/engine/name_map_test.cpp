// SPDX-License-Identifier: BSL-1.0
// trap::Props and AccessorSpec::flexible: a detail::NameMap, used as a
// std::map is.
#define BOOST_TEST_MODULE name_map
#include <any>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

namespace {

using Map = trap::detail::NameMap<int>;

std::vector<std::string> names(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [name, value] : m) out.push_back(name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(subscript_adds_a_default_value_once) {
  Map m;
  BOOST_TEST(m.empty());
  BOOST_TEST(m["a"] == 0);
  m["a"] = 3;
  m[std::string("b")] = 4;
  BOOST_TEST(m.size() == 2u);
  BOOST_TEST(m["a"] == 3);
  BOOST_TEST(m.size() == 2u);
}

BOOST_AUTO_TEST_CASE(lookups_find_only_what_is_there) {
  const Map m{{"a", 1}, {"b", 2}};
  BOOST_TEST(m.at("b") == 2);
  BOOST_TEST(m.contains("a"));
  BOOST_TEST(!m.contains("c"));
  BOOST_TEST(m.count("a") == 1u);
  BOOST_TEST(m.count("c") == 0u);
  BOOST_TEST((m.find("c") == m.end()));
  BOOST_TEST(m.find("a")->second == 1);
  BOOST_CHECK_THROW(m.at("c"), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(the_first_of_two_entries_with_one_name_is_kept_as_std_map_does) {
  Map m{{"a", 1}, {"b", 2}, {"a", 3}};
  BOOST_TEST(m.size() == 2u);
  BOOST_TEST(m.at("a") == 1);
  BOOST_TEST(!m.insert({"b", 5}).second);
  BOOST_TEST(!m.emplace("b", 6).second);
  BOOST_TEST(!m.try_emplace("b", 7).second);
  BOOST_TEST(m.at("b") == 2);
  auto [it, added] = m.insert_or_assign("b", 8);
  BOOST_TEST(!added);
  BOOST_TEST(it->second == 8);
  BOOST_TEST(m.insert_or_assign("c", 9).second);
  BOOST_TEST(m.at("c") == 9);
}

BOOST_AUTO_TEST_CASE(iterates_in_the_order_names_were_first_added) {
  Map m;
  m["zeta"] = 1;
  m["alpha"] = 2;
  m["mid"] = 3;
  m["zeta"] = 4;
  BOOST_TEST(names(m) == (std::vector<std::string>{"zeta", "alpha", "mid"}),
             boost::test_tools::per_element());
  for (auto& [name, value] : m) value *= 10;
  BOOST_TEST(m.at("zeta") == 40);
}

BOOST_AUTO_TEST_CASE(references_stay_valid_while_other_entries_come_and_go) {
  Map m;
  int& a = m["a"];
  for (int i = 0; i < 100; ++i) m["n" + std::to_string(i)] = i;
  a = 7;
  BOOST_TEST(m.at("a") == 7);
  auto it = m.find("n51");
  for (int i = 0; i < 100; i += 2) m.erase("n" + std::to_string(i));
  BOOST_TEST(m.size() == 51u);
  BOOST_TEST(it->first == "n51");
  BOOST_TEST(it->second == 51);
  BOOST_TEST((++it)->first == "n53");
}

BOOST_AUTO_TEST_CASE(erase_removes_by_name_and_by_position) {
  Map m{{"a", 1}, {"b", 2}, {"c", 3}};
  BOOST_TEST(m.erase("x") == 0u);
  BOOST_TEST(m.erase("b") == 1u);
  BOOST_TEST(names(m) == (std::vector<std::string>{"a", "c"}), boost::test_tools::per_element());
  auto next = m.erase(m.find("a"));
  BOOST_TEST(next->first == "c");
  next = m.erase(next);
  BOOST_TEST((next == m.end()));
  BOOST_TEST(m.empty());
  m["d"] = 4;
  BOOST_TEST(names(m) == (std::vector<std::string>{"d"}), boost::test_tools::per_element());
  m.clear();
  BOOST_TEST(m.empty());
  BOOST_TEST((m.begin() == m.end()));
}

BOOST_AUTO_TEST_CASE(copies_are_independent_and_a_moved_from_map_is_empty) {
  Map m{{"a", 1}, {"b", 2}};
  Map copy = m;
  copy["a"] = 10;
  copy["c"] = 3;
  BOOST_TEST(m.at("a") == 1);
  BOOST_TEST(m.size() == 2u);
  BOOST_TEST(names(copy) == (std::vector<std::string>{"a", "b", "c"}),
             boost::test_tools::per_element());
  Map moved = std::move(copy);
  BOOST_TEST(copy.empty());  // NOLINT(bugprone-use-after-move): what it promises
  BOOST_TEST(moved.size() == 3u);
  m = moved;
  BOOST_TEST(m.at("a") == 10);
  m = Map{};
  BOOST_TEST(m.empty());
  BOOST_TEST(moved.size() == 3u);
}

BOOST_AUTO_TEST_CASE(props_hold_any_value_and_release_it_when_erased) {
  trap::Props p;
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> watch = token;
  p["token"] = std::move(token);
  p["name"] = std::string("x");
  BOOST_TEST(std::any_cast<std::string>(p.at("name")) == "x");
  BOOST_TEST(!watch.expired());
  p.erase("token");
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(flexible_accessors_are_given_as_before) {
  static trap::Trapper t("TT::name_map", &trap::standard());
  trap::AccessorSpec spec{
      .flexible = {{"answer", [](const trap::Trap&) { return trap::Value(42); }}}};
  spec.flexible["twice"] = [](const trap::Trap& self) {
    return trap::Value(self.get("answer")->as<int>() * 2);
  };
  trap::Builder::instance().accessor(t, spec);
  auto r = t.trap([] {});
  BOOST_TEST(r.get("answer")->as<int>() == 42);
  BOOST_TEST(r.get("twice")->as<int>() == 84);
}
