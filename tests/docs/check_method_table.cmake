# SPDX-License-Identifier: BSL-1.0
# The ctest entry docs_method_table: README's table of test methods is what
# the code has. Runs LIST_METHODS (the standard trapper's methods, one a
# line), then method_table.py --check on README.md; and shows, on a copy of
# the README with one cell changed, that the check fails.
#
#   cmake -DPYTHON=python3 -DLIST_METHODS=<docs_list_methods> -DSOURCE_DIR=<repo>
#         -DWORK_DIR=<dir> -P check_method_table.cmake
foreach(var PYTHON LIST_METHODS SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_method_table.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND "${LIST_METHODS}" OUTPUT_FILE "${WORK_DIR}/methods.txt"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${LIST_METHODS} failed (${result})")
endif()
set(check "${PYTHON}" "${SOURCE_DIR}/tests/docs/method_table.py"
  --methods "${WORK_DIR}/methods.txt" --header "${SOURCE_DIR}/include/trap/trap_object.hpp")

execute_process(COMMAND ${check} --readme "${SOURCE_DIR}/README.md" --check
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${output}\nREADME.md's table of test methods is not the code's;"
    " rewrite it with tests/docs/method_table.py --write (CONTRIBUTING.md says how)")
endif()

# The check can fail: a README whose table claims a typed `signal_ok`.
file(READ "${SOURCE_DIR}/README.md" readme)
string(REGEX REPLACE "(\\| `signal` \\|[^|]*\\|[^|]*\\| )○" "\\1●" wrong "${readme}")
if(wrong STREQUAL readme)
  message(FATAL_ERROR "README.md has no `signal` row with a ○ first cell to change")
endif()
file(WRITE "${WORK_DIR}/README.md" "${wrong}")
execute_process(COMMAND ${check} --readme "${WORK_DIR}/README.md" --check
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0 OR NOT output MATCHES "\\+\\| `signal` ")
  message(FATAL_ERROR "a wrong cell of the table was not caught (${result}):\n${output}")
endif()
message(STATUS "README.md's table of test methods is the code's")
