# SPDX-License-Identifier: BSL-1.0
# Shows that scripts/spdx finds every source file without the SPDX line and
# adds it where it belongs: builds a small tree (not a git work tree) of
# sources with and without it, data it must leave alone, and checks
# --check's failure, the added lines, a clean --check after, that a second
# run changes nothing, and that another licence is reported and kept.
#
#   cmake -DPYTHON=<python3> -DSCRIPT=<scripts/spdx> -DWORK=<dir> -P spdx_test.cmake
foreach(var PYTHON SCRIPT WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "spdx_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(line "SPDX-License-Identifier: BSL-1.0")
file(REMOVE_RECURSE "${WORK}")
file(WRITE "${WORK}/src/a.cpp" "int x;\n")
file(WRITE "${WORK}/include/b.hpp" "// ${line}\n#pragma once\n")
file(WRITE "${WORK}/run.sh" "#!/bin/sh\necho hi\n")
file(WRITE "${WORK}/scripts/tool" "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(1)\n")
file(WRITE "${WORK}/check.pl" "use strict;\n")
file(WRITE "${WORK}/CMakeLists.txt" "project(x)\n")
file(WRITE "${WORK}/cmake/v.hpp.in" "#define V @V@\n")
# Data, not sources: left alone.
set(data fuzz/corpus/spec/seed.cpp fuzz/regressions/spec/crash.cpp tests/golden/t.cpp
    README.md build/gen.cpp other/CMakeCache.txt other/gen.cpp)
foreach(f IN LISTS data)
  file(WRITE "${WORK}/${f}" "no line\n")
endforeach()
set(missing src/a.cpp run.sh scripts/tool check.pl CMakeLists.txt cmake/v.hpp.in)

function(run_spdx out_status out_err)
  execute_process(COMMAND "${PYTHON}" "${SCRIPT}" --root "${WORK}" ${ARGN}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("spdx ${ARGN}: exit ${status}\n${out}${err}")
  set(${out_status} "${status}" PARENT_SCOPE)
  set(${out_err} "${err}" PARENT_SCOPE)
endfunction()

function(expect_file rel expected)
  file(READ "${WORK}/${rel}" got)
  if(NOT got STREQUAL expected)
    message(FATAL_ERROR "${rel} is\n${got}\nnot\n${expected}")
  endif()
endfunction()

# --check fails naming each file without the line, and no other.
run_spdx(status err --check)
if(NOT status EQUAL 1)
  message(FATAL_ERROR "--check exited with ${status}, not 1")
endif()
foreach(f IN LISTS missing)
  if(NOT err MATCHES "(^|\n)${f}: no \"${line}\" line")
    message(FATAL_ERROR "--check did not name ${f}")
  endif()
endforeach()
foreach(f IN LISTS data ITEMS include/b.hpp)
  string(FIND "${err}" "${f}:" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "--check named ${f}, which it must leave alone")
  endif()
endforeach()
expect_file(src/a.cpp "int x;\n")

# Without --check the line is added as the first comment, after #! and a
# coding line, in each file's syntax; data stays as it was.
run_spdx(status err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "adding the lines exited with ${status}")
endif()
expect_file(src/a.cpp "// ${line}\nint x;\n")
expect_file(include/b.hpp "// ${line}\n#pragma once\n")
expect_file(run.sh "#!/bin/sh\n# ${line}\necho hi\n")
expect_file(scripts/tool "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# ${line}\nprint(1)\n")
expect_file(check.pl "# ${line}\nuse strict;\n")
expect_file(CMakeLists.txt "# ${line}\nproject(x)\n")
expect_file(cmake/v.hpp.in "// ${line}\n#define V @V@\n")
foreach(f IN LISTS data)
  expect_file(${f} "no line\n")
endforeach()

# Then --check passes, and a second run changes nothing.
run_spdx(status err --check)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "--check after adding the lines exited with ${status}")
endif()
run_spdx(status err)
expect_file(src/a.cpp "// ${line}\nint x;\n")
expect_file(run.sh "#!/bin/sh\n# ${line}\necho hi\n")

# Another licence is named, kept, and fails both modes.
file(WRITE "${WORK}/src/mit.cpp" "// SPDX-License-Identifier: MIT\nint y;\n")
foreach(mode --check "")
  run_spdx(status err ${mode})
  if(NOT status EQUAL 1 OR NOT err MATCHES "src/mit.cpp: SPDX-License-Identifier: MIT, not BSL-1.0")
    message(FATAL_ERROR "spdx ${mode} did not report the MIT file (exit ${status})")
  endif()
endforeach()
expect_file(src/mit.cpp "// SPDX-License-Identifier: MIT\nint y;\n")
message(STATUS "scripts/spdx found, added and checked the SPDX lines as expected")
