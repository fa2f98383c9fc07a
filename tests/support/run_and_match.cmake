# SPDX-License-Identifier: BSL-1.0
# Runs a command and checks both how it ended and what it printed: the test
# fails unless the command exits with EXIT ("nonzero" for any exit status
# but 0, or a number) and its output, stdout then stderr, matches the
# regular expression in REGEX_FILE. A command killed by a signal fails it
# either way.
#
#   cmake -DEXIT=nonzero -DREGEX_FILE=<file> -P run_and_match.cmake -- <command> <args>...
foreach(var EXIT REGEX_FILE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_and_match.cmake: -D${var}=... is required")
  endif()
endforeach()

# The command is every argument after "--".
set(command "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(command STREQUAL "")
  message(FATAL_ERROR "run_and_match.cmake: no command after --")
endif()

file(READ "${REGEX_FILE}" regex)
execute_process(COMMAND ${command}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
set(output "${out}${err}")
string(REPLACE ";" " " shown "${command}")

if(NOT result MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${shown}\ndid not exit normally: ${result}\n--- output ---\n${output}")
endif()
if(EXIT STREQUAL "nonzero")
  if(result EQUAL 0)
    message(FATAL_ERROR "${shown}\nexited 0, but must fail\n--- output ---\n${output}")
  endif()
elseif(NOT result EQUAL EXIT)
  message(FATAL_ERROR "${shown}\nexited ${result}, not ${EXIT}\n--- output ---\n${output}")
endif()
if(NOT output MATCHES "${regex}")
  message(FATAL_ERROR "${shown}\nexited ${result} as it should, but its output does not match\n"
    "--- regex ---\n${regex}\n--- output ---\n${output}")
endif()
message(STATUS "exited ${result}; output matches")
