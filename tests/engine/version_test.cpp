// SPDX-License-Identifier: BSL-1.0
// trap's version is one: the CMake project's (TRAP_TEST_PROJECT_VERSION,
// given by tests/CMakeLists.txt), the headers' macros and the library's
// trap::version() all say the same. Linked into engine_builder_test.
#include <string>
#include <string_view>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

BOOST_AUTO_TEST_SUITE(version)

BOOST_AUTO_TEST_CASE(header_matches_the_cmake_project) {
  BOOST_TEST(std::string(TRAP_VERSION_STRING) == TRAP_TEST_PROJECT_VERSION);
  const std::string parts = std::to_string(TRAP_VERSION_MAJOR) + "." +
                            std::to_string(TRAP_VERSION_MINOR) + "." +
                            std::to_string(TRAP_VERSION_PATCH);
  BOOST_TEST(parts == TRAP_VERSION_STRING);
}

BOOST_AUTO_TEST_CASE(library_matches_the_header) {
  BOOST_TEST(trap::version() == std::string_view(TRAP_VERSION_STRING));
  BOOST_TEST(trap::version() == std::string_view(TRAP_TEST_PROJECT_VERSION));
}

BOOST_AUTO_TEST_SUITE_END()
