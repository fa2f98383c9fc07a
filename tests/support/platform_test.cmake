# SPDX-License-Identifier: BSL-1.0
# Shows that cmake/TrapPlatform.cmake turns an unsupported system or
# compiler into a configure error that says what was found and what is
# needed, and lets the supported ones through.
#
#   cmake -DSOURCE_DIR=<repo> -P platform_test.cmake
# Run with -DREQUIRE=1 and CMAKE_SYSTEM_NAME, CMAKE_CXX_COMPILER_ID and
# CMAKE_CXX_COMPILER_VERSION set, it calls trap_require_platform() only: the
# test runs itself so to see the configure stop.
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "platform_test.cmake: -DSOURCE_DIR=... is required")
endif()
include(${SOURCE_DIR}/cmake/TrapPlatform.cmake)
if(REQUIRE)
  trap_require_platform()
  message(STATUS "platform accepted")
  return()
endif()

# expect(system id version regex): the problem reported matches regex ("" for none).
function(expect system id version regex)
  trap_platform_problem(problem "${system}" "${id}" "${version}")
  if(regex STREQUAL "" AND NOT problem STREQUAL "")
    message(FATAL_ERROR "${system} ${id} ${version} was refused: ${problem}")
  elseif(NOT regex STREQUAL "" AND NOT problem MATCHES "${regex}")
    message(FATAL_ERROR "${system} ${id} ${version}: \"${problem}\" does not match \"${regex}\"")
  endif()
endfunction()

set(linux_only "^trap builds on Linux only \\(it uses memfd_create, pidfd_open, .*\\), not on")
expect(Darwin AppleClang 15.0.0 "${linux_only} \"Darwin\"$")
expect(Windows MSVC 19.38 "${linux_only} \"Windows\"$")
expect(FreeBSD Clang 16.0.6 "${linux_only} \"FreeBSD\"$")
set(needs "^trap needs g\\+\\+ >= 12 or clang >= 14; found")
expect(Linux GNU 11.4.0 "${needs} g\\+\\+ 11.4.0$")
expect(Linux Clang 13.0.1 "${needs} clang 13.0.1$")
expect(Linux Intel 2021.10.0 "${needs} the C\\+\\+ compiler \"Intel 2021.10.0\"$")
expect(Linux GNU 12.2.0 "")
expect(Linux GNU 14.1.0 "")
expect(Linux Clang 14.0.6 "")
expect(Linux Clang 18.1.8 "")

# The configure itself stops, with the message, on an old compiler and
# off Linux; it goes on with a supported one.
foreach(case "Linux;GNU;11.4.0;found g\\+\\+ 11.4.0" "Darwin;AppleClang;15.0.0;not on \"Darwin\""
             "Linux;Clang;14.0.6;")
  list(GET case 0 system)
  list(GET case 1 id)
  list(GET case 2 version)
  list(GET case 3 regex)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${SOURCE_DIR} -DREQUIRE=1 -DCMAKE_SYSTEM_NAME=${system}
      -DCMAKE_CXX_COMPILER_ID=${id} -DCMAKE_CXX_COMPILER_VERSION=${version}
      -P ${CMAKE_CURRENT_LIST_FILE}
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX REPLACE "\n *" " " flat "${err}")  # CMake wraps long messages
  if(regex STREQUAL "")
    if(NOT status EQUAL 0 OR NOT out MATCHES "platform accepted")
      message(FATAL_ERROR "${system} ${id} ${version} stopped the configure (${status}):\n${err}")
    endif()
  elseif(status EQUAL 0 OR NOT flat MATCHES "CMake Error at [^ ]*TrapPlatform.cmake:[0-9]+ \\(message\\): trap .*${regex}")
    message(FATAL_ERROR "${system} ${id} ${version}: exit ${status}, no error naming it:\n${err}")
  endif()
endforeach()
message(STATUS "the platform checks refuse and accept as expected")
