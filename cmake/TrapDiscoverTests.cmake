# SPDX-License-Identifier: BSL-1.0
# trap_discover_tests(): one ctest test per top-level subtest of a standalone
# trap program, or per test case of a Boost.Test program, found after each
# build by running the program in list mode, as gtest_discover_tests does
# for GoogleTest. Loaded by find_package(trap) and by trap's own
# CMakeLists.txt (so add_subdirectory and FetchContent have it too).
#
#   trap_discover_tests(<target>
#     [BOOST_TEST]                   a Boost.Test program (trap::boost_test)
#     [TEST_PREFIX <prefix>]         put before each test's name
#     [TEST_SUFFIX <suffix>]         put after it
#     [EXTRA_ARGS <arg>...]          given to the program on every run
#     [WORKING_DIRECTORY <dir>]      where the tests run
#     [PROPERTIES <name> <value>...] set on every test
#     [DISCOVERY_TIMEOUT <seconds>]  for the listing run (default 5)
#   )
#
# A standalone program is listed with TRAP_LIST=1 and each test runs it
# with TRAP_FILTER set to the subtest's name, escaped (docs/ci-and-sharding.md);
# a Boost.Test program is listed with --list_content and each test runs it
# with --run_test=<suite/case>. Each test is labelled with the target's name.
# A listing that fails fails the build, with the program's output. Subtests
# with the same name are one test; a name with a line break cannot be
# listed. Single-configuration generators only (Ninja, Makefiles).

function(trap_discover_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "BOOST_TEST"
    "TEST_PREFIX;TEST_SUFFIX;WORKING_DIRECTORY;DISCOVERY_TIMEOUT" "EXTRA_ARGS;PROPERTIES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "trap_discover_tests(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "trap_discover_tests: \"${target}\" is not a target")
  endif()
  get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi_config)
    message(FATAL_ERROR "trap_discover_tests(${target}): multi-configuration generators "
      "(${CMAKE_GENERATOR}) are not supported; use Ninja or Makefiles")
  endif()
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT arg_DISCOVERY_TIMEOUT)
    set(arg_DISCOVERY_TIMEOUT 5)
  endif()
  set(kind standalone)
  if(arg_BOOST_TEST)
    set(kind boost_test)
  endif()

  # Each call on the target gets its own files (a target may be discovered
  # twice, with different prefixes).
  get_property(count TARGET ${target} PROPERTY TRAP_DISCOVERED_TESTS_COUNT)
  math(EXPR count "${count} + 0")
  math(EXPR next "${count} + 1")
  set_property(TARGET ${target} PROPERTY TRAP_DISCOVERED_TESTS_COUNT ${next})
  set(base "${CMAKE_CURRENT_BINARY_DIR}/${target}_trap_tests_${count}")
  set(tests_file "${base}.cmake")
  set(include_file "${base}_include.cmake")

  add_custom_command(TARGET ${target} POST_BUILD
    BYPRODUCTS "${tests_file}"
    COMMAND "${CMAKE_COMMAND}"
      -D "TRAP_TARGET=${target}"
      -D "TRAP_KIND=${kind}"
      -D "TRAP_EXECUTABLE=$<TARGET_FILE:${target}>"
      -D "TRAP_EMULATOR=$<TARGET_PROPERTY:${target},CROSSCOMPILING_EMULATOR>"
      -D "TRAP_WORKING_DIRECTORY=${arg_WORKING_DIRECTORY}"
      -D "TRAP_EXTRA_ARGS=${arg_EXTRA_ARGS}"
      -D "TRAP_PROPERTIES=${arg_PROPERTIES}"
      -D "TRAP_PREFIX=${arg_TEST_PREFIX}"
      -D "TRAP_SUFFIX=${arg_TEST_SUFFIX}"
      -D "TRAP_TIMEOUT=${arg_DISCOVERY_TIMEOUT}"
      -D "TRAP_TESTS_FILE=${tests_file}"
      -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/TrapDiscoverTestsScript.cmake"
    VERBATIM)

  file(WRITE "${include_file}"
    "if(EXISTS \"${tests_file}\")\n"
    "  include(\"${tests_file}\")\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
