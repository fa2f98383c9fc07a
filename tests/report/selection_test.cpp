// SPDX-License-Identifier: BSL-1.0
// Listing, filtering and sharding a standalone program's top-level
// subtests (selection_program), by environment and by parse_arguments();
// Bazel's variables; bad values; and a Boost.Test program left alone.
#define BOOST_TEST_MODULE selection
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/child.hpp"

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

namespace {

// Runs the program @p path with @p args, and @p env added to a copy of
// this environment without the variables the selection reads.
test_support::ChildResult program_at(std::string path, const Env& env,
                                     std::vector<std::string> args = {}) {
  args.insert(args.begin(), std::move(path));
  return test_support::in_child([&] {
    for (const char* v : {"TRAP_LIST", "TRAP_FILTER", "TEST_TOTAL_SHARDS", "TEST_SHARD_INDEX",
                          "TEST_SHARD_STATUS_FILE", "XML_OUTPUT_FILE", "TEST_TMPDIR", "TMPDIR"})
      ::unsetenv(v);
    for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> a;
    for (auto& s : args) a.push_back(s.data());
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
  });
}

test_support::ChildResult program(const Env& env, std::vector<std::string> args = {}) {
  return program_at(SELECTION_PROGRAM, env, std::move(args));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The top-level results' names, in order ("ok N - name" at column 0).
std::vector<std::string> ran(const std::string& tap) {
  std::vector<std::string> names;
  std::istringstream in(tap);
  for (std::string line; std::getline(in, line);) {
    auto dash = line.find(" - ");
    if ((line.starts_with("ok ") || line.starts_with("not ok ")) && dash != std::string::npos)
      names.push_back(line.substr(dash + 3));
  }
  return names;
}

using Names = std::vector<std::string>;
const Names all = {"outside", "alpha", "beta", "gamma-ray", "a:b*c"};

fs::path scratch_dir() {
  return fs::temp_directory_path() / ("trap-selection-" + std::to_string(::getpid()));
}

// Removes the scratch directory when the tests end.
struct RemoveScratch {
  ~RemoveScratch() {
    std::error_code ec;
    fs::remove_all(scratch_dir(), ec);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(RemoveScratch);

fs::path scratch(const std::string& name) {
  fs::path dir = scratch_dir();
  fs::create_directories(dir);
  fs::remove_all(dir / name);
  return dir / name;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_a_selection_everything_runs) {
  auto r = program({});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(ran(r.out) == all, boost::test_tools::per_element());
  BOOST_TEST(contains(r.out, "    ok 2 - inner\n"), r.out);
  BOOST_TEST(contains(r.out, "\n1..5\n"), r.out);
}

BOOST_AUTO_TEST_CASE(list_mode_prints_the_top_level_names_only_and_runs_nothing) {
  for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"done"}}) {
    auto r = program({{"TRAP_LIST", "1"}}, args);
    BOOST_TEST(r.exited(0), r.err);
    BOOST_TEST(r.out == "alpha\nbeta\ngamma-ray\na:b*c\n");
    BOOST_TEST(r.err == "");
  }
  BOOST_TEST(program({{"TRAP_LIST", "0"}}).out != "alpha\nbeta\ngamma-ray\na:b*c\n");
}

BOOST_AUTO_TEST_CASE(list_mode_lists_what_the_filter_and_the_shard_select) {
  auto r = program({{"TRAP_LIST", "1"}, {"TRAP_FILTER", "*a*-beta"}});
  BOOST_TEST(r.out == "alpha\ngamma-ray\na:b*c\n");
  r = program({{"TRAP_LIST", "1"}, {"TEST_TOTAL_SHARDS", "2"}, {"TEST_SHARD_INDEX", "1"}});
  BOOST_TEST(r.out == "beta\na:b*c\n");
}

BOOST_AUTO_TEST_CASE(a_program_without_subtests_lists_nothing) {
  auto r = program({{"TRAP_LIST", "1"}, {"SELECTION_NO_SUBTESTS", "1"}}, {"done"});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(a_filter_runs_the_subtests_it_names_and_the_plain_tests) {
  auto r = program({{"TRAP_FILTER", "beta"}});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(ran(r.out) == (Names{"outside", "beta"}), boost::test_tools::per_element());
  BOOST_TEST(contains(r.out, "    ok 2 - inner\n"), r.out);  // nested ones run with it
  BOOST_TEST(contains(r.out, "\n1..2\n"), r.out);
  r = program({{"TRAP_FILTER", "*a*-beta:gamma*"}}, {"done"});
  BOOST_TEST(ran(r.out) == (Names{"outside", "alpha", "a:b*c"}), boost::test_tools::per_element());
  r = program({{"TRAP_FILTER", "-*ph*:beta:gamma*"}});
  BOOST_TEST(ran(r.out) == (Names{"outside", "a:b*c"}), boost::test_tools::per_element());
  BOOST_TEST(r.exited(0), r.err);
}

BOOST_AUTO_TEST_CASE(escaped_characters_select_one_name_exactly) {
  auto r = program({{"TRAP_FILTER", "a\\:b\\*c:gamma\\-ray"}});
  BOOST_TEST(ran(r.out) == (Names{"outside", "gamma-ray", "a:b*c"}),
             boost::test_tools::per_element());
  r = program({{"TRAP_FILTER", "?lph?"}});
  BOOST_TEST(ran(r.out) == (Names{"outside", "alpha"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_filter_matching_no_top_level_subtest_fails) {
  for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"done"}}) {
    auto r = program({{"TRAP_FILTER", "inner"}}, args);  // nested: not top level
    BOOST_TEST(r.exited(255), r.err);
    BOOST_TEST(contains(r.err,
                        "# trap: TRAP_FILTER=\"inner\" matches none of the 4 top-level "
                        "subtests\n"),
               r.err);
    BOOST_TEST(ran(r.out) == (Names{"outside"}), boost::test_tools::per_element());
  }
  auto none = program({{"TRAP_FILTER", "x"}, {"SELECTION_NO_PLAIN", "1"}});
  BOOST_TEST(none.exited(255));
  BOOST_TEST(none.out == "");
}

BOOST_AUTO_TEST_CASE(shards_split_the_subtests_by_ordinal_and_each_runs_the_plain_tests) {
  const std::vector<Names> expected = {
      {"outside", "alpha", "a:b*c"}, {"outside", "beta"}, {"outside", "gamma-ray"}};
  for (std::size_t i = 0; i < 3; ++i) {
    auto r = program({{"TEST_TOTAL_SHARDS", "3"}, {"TEST_SHARD_INDEX", std::to_string(i)}});
    BOOST_TEST(r.exited(0), r.err);
    BOOST_TEST(ran(r.out) == expected[i], boost::test_tools::per_element());
  }
  auto one = program({{"TEST_TOTAL_SHARDS", "1"}, {"TEST_SHARD_INDEX", "0"}});
  BOOST_TEST(ran(one.out) == all, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(shards_count_only_what_the_filter_lets_through) {
  auto r =
      program({{"TRAP_FILTER", "-alpha"}, {"TEST_TOTAL_SHARDS", "2"}, {"TEST_SHARD_INDEX", "0"}});
  BOOST_TEST(ran(r.out) == (Names{"outside", "beta", "a:b*c"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_shard_with_nothing_to_run_is_skipped_and_passes) {
  for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"done"}}) {
    auto r = program(
        {{"TEST_TOTAL_SHARDS", "6"}, {"TEST_SHARD_INDEX", "5"}, {"SELECTION_NO_PLAIN", "1"}}, args);
    BOOST_TEST(r.exited(0), r.err);
    BOOST_TEST(r.out == "1..0 # SKIP no subtest in shard index 5 of 6 shards\n");
  }
  // With plain tests, the shard reports them.
  auto r = program({{"TEST_TOTAL_SHARDS", "6"}, {"TEST_SHARD_INDEX", "5"}});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(r.out == "ok 1 - outside\n1..1\n");
  // No subtests at all: every shard runs the plain tests.
  r = program(
      {{"TEST_TOTAL_SHARDS", "2"}, {"TEST_SHARD_INDEX", "1"}, {"SELECTION_NO_SUBTESTS", "1"}});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(r.out == "ok 1 - outside\n1..1\n");
}

BOOST_AUTO_TEST_CASE(bad_shard_values_are_errors_naming_the_variable) {
  const std::vector<std::pair<Env, std::string>> cases = {
      {{{"TEST_TOTAL_SHARDS", "3"}, {"TEST_SHARD_INDEX", "3"}},
       "TEST_SHARD_INDEX=\"3\" is not less than TEST_TOTAL_SHARDS=\"3\" (shards are numbered "
       "from 0)"},
      {{{"TEST_TOTAL_SHARDS", "x"}, {"TEST_SHARD_INDEX", "0"}},
       "TEST_TOTAL_SHARDS=\"x\" is not a whole number"},
      {{{"TEST_TOTAL_SHARDS", "2"}, {"TEST_SHARD_INDEX", "-1"}},
       "TEST_SHARD_INDEX=\"-1\" is not a whole number"},
      {{{"TEST_TOTAL_SHARDS", "2"}, {"TEST_SHARD_INDEX", "1 "}},
       "TEST_SHARD_INDEX=\"1 \" is not a whole number"},
      {{{"TEST_TOTAL_SHARDS", "0"}, {"TEST_SHARD_INDEX", "0"}},
       "TEST_TOTAL_SHARDS=\"0\" is not a number of shards"},
      {{{"TEST_SHARD_INDEX", "1"}}, "TEST_SHARD_INDEX=\"1\" is set without TEST_TOTAL_SHARDS"},
      {{{"TEST_TOTAL_SHARDS", "2"}}, "TEST_TOTAL_SHARDS=\"2\" is set without TEST_SHARD_INDEX"},
      {{{"TRAP_FILTER", "alpha\\"}},
       "TRAP_FILTER=\"alpha\\\" ends with a lone backslash (write \\\\ for one)"},
  };
  for (auto& [env, message] : cases) {
    auto r = program(env);
    BOOST_TEST(r.exited(255), r.err);
    BOOST_TEST(r.err == "# trap: " + message + ": no subtest runs\n");
    BOOST_TEST(ran(r.out) == (Names{"outside"}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(the_shard_status_file_is_touched) {
  auto status = scratch("status");
  auto r = program({{"TEST_SHARD_STATUS_FILE", status.string()},
                    {"TEST_TOTAL_SHARDS", "2"},
                    {"TEST_SHARD_INDEX", "0"}});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(fs::exists(status));
  // Without sharding too (GoogleTest does so): it says the program can shard.
  fs::remove(status);
  r = program({{"TEST_SHARD_STATUS_FILE", status.string()}, {"SELECTION_NO_SUBTESTS", "1"}});
  BOOST_TEST(fs::exists(status));
  auto bad = program({{"TEST_SHARD_STATUS_FILE", "/nonexistent-dir/status"}});
  BOOST_TEST(bad.exited(255));
  BOOST_TEST(contains(bad.err,
                      "# trap: TEST_SHARD_STATUS_FILE=\"/nonexistent-dir/status\": "
                      "cannot touch it: "),
             bad.err);
}

BOOST_AUTO_TEST_CASE(junit_goes_to_xml_output_file_beside_tap) {
  auto xml = scratch("results.xml");
  auto r = program({{"XML_OUTPUT_FILE", xml.string()},
                    {"TEST_TOTAL_SHARDS", "3"},
                    {"TEST_SHARD_INDEX", "2"},
                    {"SELECTION_FAIL", "1"}});
  BOOST_TEST(r.exited(0), r.err);  // shard 2 has gamma-ray alone ("fails" is ordinal 4)
  BOOST_TEST(ran(r.out) == (Names{"outside", "gamma-ray"}), boost::test_tools::per_element());
  std::ifstream in(xml);
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(contains(text.str(), "tests=\"2\" failures=\"0\""), text.str());
  BOOST_TEST(contains(text.str(), "name=\"gamma-ray\""), text.str());
  BOOST_TEST(!contains(text.str(), "name=\"alpha\""), text.str());
}

BOOST_AUTO_TEST_CASE(capture_files_go_to_test_tmpdir) {
  auto dir = scratch("tmp");
  fs::create_directories(dir);
  auto r = program({{"TEST_TMPDIR", dir.string()}, {"SELECTION_TMPDIR", dir.string()}});
  BOOST_TEST(contains(r.err, "# capture file under SELECTION_TMPDIR: yes"), r.err);
  auto tmp = scratch("plain-tmp");
  fs::create_directories(tmp);
  r = program({{"TMPDIR", tmp.string()}, {"SELECTION_TMPDIR", tmp.string()}});
  BOOST_TEST(contains(r.err, "# capture file under SELECTION_TMPDIR: yes"), r.err);
  r = program({{"TMPDIR", tmp.string()},
               {"TEST_TMPDIR", dir.string()},
               {"SELECTION_TMPDIR", tmp.string()}});
  BOOST_TEST(contains(r.err, "# capture file under SELECTION_TMPDIR: no"), r.err);
}

BOOST_AUTO_TEST_CASE(parse_arguments_takes_its_options_and_leaves_the_rest) {
  auto r = program({}, {"parse", "--list", "extra", "--other"});
  BOOST_TEST(r.exited(0), r.err);
  BOOST_TEST(r.out == "alpha\nbeta\ngamma-ray\na:b*c\n");
  BOOST_TEST(r.err == "# left: parse extra --other\n");
  r = program({{"TRAP_FILTER", "alpha"}}, {"parse", "--filter=beta"});
  BOOST_TEST(ran(r.out) == (Names{"outside", "beta"}), boost::test_tools::per_element());
  BOOST_TEST(r.err == "# left: parse\n");
}

BOOST_AUTO_TEST_CASE(parse_arguments_refuses_bad_options) {
  auto r = program({}, {"parse", "--filter", "beta"});
  BOOST_TEST(r.exited(2));
  BOOST_TEST(r.err ==
             "usage error: --filter needs its patterns after an equals sign: --filter=PATTERNS\n");
  r = program({}, {"parse", "--filter=a\\"});
  BOOST_TEST(r.err ==
             "usage error: --filter=\"a\\\" ends with a lone backslash (write \\\\ for one)\n");
  r = program({{"TEST_TOTAL_SHARDS", "2"}}, {"parse"});
  BOOST_TEST(r.exited(2));
  BOOST_TEST(r.err == "usage error: TEST_TOTAL_SHARDS=\"2\" is set without TEST_SHARD_INDEX\n");
}

BOOST_AUTO_TEST_CASE(a_host_framework_program_ignores_the_selection) {
  auto xml = scratch("boost.xml");
  auto r = program_at(SELECTION_BOOST_PROGRAM, {{"TRAP_FILTER", "nothing"},
                                                {"TRAP_LIST", "1"},
                                                {"TEST_TOTAL_SHARDS", "5"},
                                                {"TEST_SHARD_INDEX", "4"},
                                                {"XML_OUTPUT_FILE", xml.string()}});
  BOOST_TEST(r.exited(0), r.out + r.err);
  BOOST_TEST(contains(r.out + r.err, "No errors detected"), r.out + r.err);
  BOOST_TEST(!fs::exists(xml));
}
