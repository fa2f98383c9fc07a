# SPDX-License-Identifier: BSL-1.0
# Run after each build of a target given to trap_discover_tests()
# (TrapDiscoverTests.cmake): lists the program's top-level subtests
# (TRAP_LIST=1) or Boost.Test cases (--list_content) and writes
# TRAP_TESTS_FILE, the ctest script that adds one test for each.

# A bracket argument holding @p text whatever it contains.
function(trap_bracket text out)
  set(eq "=")
  while(text MATCHES "\\]${eq}\\]")
    string(APPEND eq "=")
  endwhile()
  set(${out} "[${eq}[${text}]${eq}]" PARENT_SCOPE)
endfunction()

# The arguments @p ARGN as bracket arguments, space-separated.
function(trap_brackets out)
  set(words "")
  foreach(word IN LISTS ARGN)
    trap_bracket("${word}" quoted)
    string(APPEND words " ${quoted}")
  endforeach()
  set(${out} "${words}" PARENT_SCOPE)
endfunction()

# Runs the program, the words after BEFORE in front of it, those after
# AFTER behind its arguments; its stdout in @p out, its stderr in out_err.
function(trap_list out)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "BEFORE;AFTER")
  execute_process(
    COMMAND ${arg_BEFORE} ${TRAP_EMULATOR} "${TRAP_EXECUTABLE}" ${TRAP_EXTRA_ARGS} ${arg_AFTER}
    WORKING_DIRECTORY "${TRAP_WORKING_DIRECTORY}" TIMEOUT ${TRAP_TIMEOUT}
    RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "trap_discover_tests(${TRAP_TARGET}): listing the tests of "
      "${TRAP_EXECUTABLE} failed (${result}):\n${stdout}${stderr}")
  endif()
  set(${out} "${stdout}" PARENT_SCOPE)
  set(${out}_err "${stderr}" PARENT_SCOPE)
endfunction()

# Appends to `script` a test named PREFIX @p name SUFFIX whose command is
# @p command (bracket arguments, as trap_brackets makes).
# (A function: a macro would expand ${...} inside the name.) Sets
# `test_name` too, the name as a bracket argument.
function(trap_add name command)
  trap_bracket("${TRAP_PREFIX}${name}${TRAP_SUFFIX}" quoted)
  trap_brackets(properties ${TRAP_PROPERTIES})
  trap_bracket("${TRAP_WORKING_DIRECTORY}" directory)
  trap_bracket("${TRAP_TARGET}" label)
  string(APPEND script "add_test(${quoted}${command})\n"
    "set_tests_properties(${quoted} PROPERTIES WORKING_DIRECTORY ${directory} "
    "LABELS ${label}${properties})\n")
  set(script "${script}" PARENT_SCOPE)
  set(test_name "${quoted}" PARENT_SCOPE)
endfunction()

# Standalone: one name per line; each test runs with TRAP_FILTER set to
# the name with \ * ? : - escaped, so that it selects that name alone.
# The names are never put in a CMake list, where ';' and '[' are special.
function(trap_standalone_tests)
  trap_list(listing BEFORE "${CMAKE_COMMAND}" -E env --unset=TRAP_FILTER --unset=TEST_TOTAL_SHARDS
    --unset=TEST_SHARD_INDEX --unset=XML_OUTPUT_FILE TRAP_LIST=1)
  trap_brackets(program ${TRAP_EMULATOR} "${TRAP_EXECUTABLE}" ${TRAP_EXTRA_ARGS})
  trap_bracket("${CMAKE_COMMAND}" cmake)
  set(script "")
  while(NOT listing STREQUAL "")
    string(FIND "${listing}" "\n" end)
    if(end EQUAL -1)
      set(name "${listing}")
      set(listing "")
    else()
      string(SUBSTRING "${listing}" 0 ${end} name)
      math(EXPR end "${end} + 1")
      string(SUBSTRING "${listing}" ${end} -1 listing)
    endif()
    string(MD5 key "${name}")
    if(name STREQUAL "" OR DEFINED seen_${key})
      continue()
    endif()
    set(seen_${key} TRUE)
    string(REGEX REPLACE "([\\\\*?:-])" "\\\\\\1" escaped "${name}")
    trap_bracket("TRAP_FILTER=${escaped}" filter)
    trap_add("${name}" " ${cmake} -E env ${filter}${program}")
  endwhile()
  set(script "${script}" PARENT_SCOPE)
endfunction()

# Boost.Test: --list_content prints the tree on stderr, four spaces a
# level, a '*' after each enabled unit (a space after a disabled one); the
# leaves are the test cases.
function(trap_boost_tests)
  trap_list(listing AFTER --list_content)
  string(REPLACE ";" "\\;" lines "${listing}${listing_err}")
  string(REPLACE "\n" ";" lines "${lines}")
  set(path "")
  set(units "")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^( *)([^ *]|[^ ].*[^ *])(\\*?) *$")
      continue()
    endif()
    string(LENGTH "${CMAKE_MATCH_1}" indent)
    math(EXPR depth "${indent} / 4")
    list(SUBLIST path 0 ${depth} path)
    list(APPEND path "${CMAKE_MATCH_2}")
    string(JOIN "/" unit ${path})
    list(APPEND units "${depth}|${unit}|${CMAKE_MATCH_3}")
  endforeach()
  set(script "")
  list(LENGTH units count)
  foreach(i RANGE ${count})
    if(i EQUAL count)
      break()
    endif()
    list(GET units ${i} entry)
    string(REPLACE "|" ";" unit "${entry}")
    list(GET unit 0 depth)
    list(GET unit 1 name)
    math(EXPR n "${i} + 1")
    if(n LESS count)
      list(GET units ${n} next)
      string(REGEX REPLACE "\\|.*" "" next_depth "${next}")
      if(next_depth GREATER depth)
        continue()  # a suite
      endif()
    endif()
    trap_brackets(command ${TRAP_EMULATOR} "${TRAP_EXECUTABLE}" "--run_test=${name}"
      ${TRAP_EXTRA_ARGS})
    trap_add("${name}" "${command}")
    if(NOT entry MATCHES "\\*$")  # no '*': disabled
      string(APPEND script "set_tests_properties(${test_name} PROPERTIES DISABLED TRUE)\n")
    endif()
  endforeach()
  set(script "${script}" PARENT_SCOPE)
endfunction()

if(TRAP_KIND STREQUAL "boost_test")
  trap_boost_tests()
else()
  trap_standalone_tests()
endif()
file(WRITE "${TRAP_TESTS_FILE}" "${script}")
