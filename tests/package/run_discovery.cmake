# SPDX-License-Identifier: BSL-1.0
# Configures and builds the consumer in SOURCE_DIR (tests/package/discover)
# against the trap installed in PREFIX, then runs ctest -j2 over the tests
# trap_discover_tests registered: there must be COUNT of them, exactly the
# ones named in FAILING (|-separated) must fail, and the one named DISABLED
# must not run.
#
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DPREFIX=... -DCOUNT=n -DFAILING=a|b
#         [-DDISABLED=name]
#         [-DGENERATOR=Ninja] [-DMAKE_PROGRAM=...] [-DCXX_COMPILER=...]
#         [-DCXX_COMPILER_LAUNCHER=...] [-DCXX_FLAGS=...] -P run_discovery.cmake
foreach(var SOURCE_DIR WORK_DIR PREFIX COUNT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_discovery.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${build}")
file(MAKE_DIRECTORY "${build}")

# run(<what> <command>...): runs it in the build directory; its output and
# exit status in `output` and `result`.
function(run what)
  message(STATUS "${what}")
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK_DIR}"
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(output "${out}" PARENT_SCOPE)
  set(result "${result}" PARENT_SCOPE)
endfunction()
function(must_pass what)
  run("${what}" ${ARGN})
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${output}")
  endif()
  set(output "${output}" PARENT_SCOPE)
endfunction()

set(configure -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${PREFIX}")
foreach(pair MAKE_PROGRAM:CMAKE_MAKE_PROGRAM CXX_COMPILER:CMAKE_CXX_COMPILER
        CXX_COMPILER_LAUNCHER:CMAKE_CXX_COMPILER_LAUNCHER CXX_FLAGS:CMAKE_CXX_FLAGS)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  if(${from})
    list(APPEND configure "-D${to}=${${from}}")
  endif()
endforeach()
must_pass("configure the consumer" "${CMAKE_COMMAND}" ${configure})
must_pass("build the consumer (discovers its tests)" "${CMAKE_COMMAND}" --build "${build}" -j 2)

must_pass("count the discovered tests" "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -N)
if(NOT output MATCHES "Total Tests: ${COUNT}\n")
  message(FATAL_ERROR "expected ${COUNT} discovered tests:\n${output}")
endif()
message(STATUS "${output}")

run("run them with ctest -j2" "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" -j2
  --output-on-failure)
message(STATUS "${output}")
if(result EQUAL 0)
  message(FATAL_ERROR "ctest passed, but these tests should have failed: ${FAILING}")
endif()
file(STRINGS "${build}/Testing/Temporary/LastTestsFailed.log" failed_lines)
set(failed "")
foreach(line IN LISTS failed_lines)
  string(REGEX REPLACE "^[0-9]+:" "" name "${line}")
  list(APPEND failed "${name}")
endforeach()
list(SORT failed)
string(REPLACE "|" ";" expected "${FAILING}")
list(SORT expected)
if(NOT failed STREQUAL expected)
  message(FATAL_ERROR "failed: '${failed}'; expected exactly: '${expected}'")
endif()
message(STATUS "exactly the deliberately failing tests failed: ${failed}")
if(DISABLED)
  string(FIND "${output}" " - ${DISABLED} (Disabled)" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${DISABLED} should be registered as disabled")
  endif()
endif()
