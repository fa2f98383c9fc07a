# SPDX-License-Identifier: BSL-1.0
# Shows that scripts/check-deps catches includes that break the dependency
# rule: builds a small tree with allowed and forbidden includes and checks
# that the script fails, naming each forbidden one and no allowed one.
#
#   cmake -DPYTHON=<python3> -DSCRIPT=<scripts/check-deps> -DWORK=<dir> -P check_deps_test.cmake
foreach(var PYTHON SCRIPT WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_deps_test.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK}")
file(WRITE "${WORK}/src/posix/fd.hpp" "#pragma once\n")
file(WRITE "${WORK}/src/capture/capture.cpp" "#include \"posix/fd.hpp\"\n")
file(WRITE "${WORK}/src/process/run.cpp"
     "#include <trap/process.hpp>\n#include \"posix/fd.hpp\"\n#include \"isolation/fork.hpp\"\n")
file(WRITE "${WORK}/src/net/layer.cpp" "#include \"tcp_server_impl.hpp\"\n")
file(WRITE "${WORK}/strategies/pipe.cpp"
     "#include \"capture/capture.hpp\"\n  #  include \"engine/state.hpp\"\n")

execute_process(COMMAND "${PYTHON}" "${SCRIPT}" --root "${WORK}"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT status EQUAL 1)
  message(FATAL_ERROR "check-deps exited with ${status}, not 1")
endif()
foreach(expected
    "src/process/run.cpp:3: process may not include \"isolation/fork.hpp\""
    "src/net/layer.cpp:1: \"tcp_server_impl.hpp\" is not written relative to src/"
    "strategies/pipe.cpp:2: strategies may not include \"engine/state.hpp\"")
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "check-deps did not report: ${expected}")
  endif()
endforeach()
string(REGEX MATCHALL "\n" lines "${out}")
list(LENGTH lines n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "check-deps reported ${n} lines, not the 3 forbidden includes")
endif()
