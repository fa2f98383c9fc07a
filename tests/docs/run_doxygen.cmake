# SPDX-License-Identifier: BSL-1.0
# Runs doxygen on SOURCE_DIR/Doxyfile with its output redirected to
# OUTPUT_DIR, and fails if doxygen fails or warns.
#
#   cmake -DDOXYGEN=doxygen -DSOURCE_DIR=<repo> -DOUTPUT_DIR=<dir> -P run_doxygen.cmake
foreach(var DOXYGEN SOURCE_DIR OUTPUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_doxygen.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUTPUT_DIR}")
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
set(warn_log "${OUTPUT_DIR}/warnings.log")

# The root Doxyfile, with the output moved into the build tree; later
# settings override earlier ones.
set(doxyfile "${OUTPUT_DIR}/Doxyfile")
file(WRITE "${doxyfile}"
  "@INCLUDE = ${SOURCE_DIR}/Doxyfile\n"
  "OUTPUT_DIRECTORY = \"${OUTPUT_DIR}\"\n"
  "WARN_LOGFILE = \"${warn_log}\"\n")

# Relative paths in the Doxyfile are relative to the repository root.
execute_process(
  COMMAND "${DOXYGEN}" "${doxyfile}"
  WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "doxygen failed (${result}):\n${output}")
endif()

# Warnings about the configuration itself come before the log file is
# opened, so they are on doxygen's own output.
set(warnings "")
if(EXISTS "${warn_log}")
  file(READ "${warn_log}" warnings)
endif()
string(STRIP "${warnings}\n${output}" warnings)
if(NOT warnings STREQUAL "")
  message(NOTICE "${warnings}")
  string(REGEX MATCHALL "warning:" found "${warnings}")
  list(LENGTH found count)
  message(FATAL_ERROR "doxygen printed ${count} warning(s), listed above;"
    " the API reference must build without any")
endif()
message(STATUS "doxygen: no warnings; HTML in ${OUTPUT_DIR}/html")
