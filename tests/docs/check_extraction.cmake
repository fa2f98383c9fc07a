# SPDX-License-Identifier: BSL-1.0
# Checks that header examples that are wrong are caught (the ctest entry
# header_examples_catch_errors):
# - extract_examples.py fails, naming the line, on a @code block left open;
# - the extracted examples of a fixture header whose example calls a missing
#   method fail to compile, with the error on the header's line and none on
#   its good examples;
# - with --markdown, a fence left open, and a fence quoting an example that
#   differs from the example's synopsis, each fail naming the line.
#
#   cmake -DPYTHON=python3 -DCXX=c++ -DSOURCE_DIR=<repo> -DOUTPUT_DIR=<dir> \
#     -DGENERATED_INCLUDE_DIR=<build>/include -P check_extraction.cmake
# (GENERATED_INCLUDE_DIR holds the generated trap/version.hpp.)
foreach(var PYTHON CXX SOURCE_DIR OUTPUT_DIR GENERATED_INCLUDE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_extraction.cmake: -D${var}=... is required")
  endif()
endforeach()
set(docs ${SOURCE_DIR}/tests/docs)
set(extract ${PYTHON} ${docs}/extract_examples.py --include-dir ${docs} --out ${OUTPUT_DIR})
file(REMOVE_RECURSE ${OUTPUT_DIR})

execute_process(COMMAND ${extract} ${docs}/fixtures/unclosed.hpp
  RESULT_VARIABLE result ERROR_VARIABLE error)
if(result EQUAL 0 OR NOT error MATCHES "unclosed.hpp:7: the @code block of line 5 ends")
  message(FATAL_ERROR "an unclosed @code block was not reported (exit ${result}): ${error}")
endif()

execute_process(COMMAND ${extract} ${docs}/fixtures/missing_method.hpp
  RESULT_VARIABLE result ERROR_VARIABLE error)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "extraction failed (${result}): ${error}")
endif()
execute_process(
  COMMAND ${CXX} -std=c++20 -fsyntax-only -I${SOURCE_DIR}/include -I${GENERATED_INCLUDE_DIR} -I${docs}
    ${OUTPUT_DIR}/missing_method_examples.cpp
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "the example calling a missing method compiled")
endif()
string(REGEX MATCHALL "missing_method.hpp:[0-9]+:[0-9]+: error" errors "${output}")
if(NOT errors MATCHES "missing_method.hpp:15:" OR errors MATCHES "hpp:(1[0-4]|[0-9]):")
  message(FATAL_ERROR "expected one error, on line 15 of the fixture; got:\n${output}")
endif()

set(extract_md ${PYTHON} ${docs}/extract_examples.py --markdown
  --examples-dir ${docs}/fixtures/examples --out ${OUTPUT_DIR})
execute_process(COMMAND ${extract_md} ${docs}/fixtures/unclosed_fence.md
  RESULT_VARIABLE result ERROR_VARIABLE error)
if(result EQUAL 0 OR NOT error MATCHES "unclosed_fence.md:3: the ``` fence of this line is not closed")
  message(FATAL_ERROR "an unclosed ``` fence was not reported (exit ${result}): ${error}")
endif()
execute_process(COMMAND ${extract_md} ${docs}/fixtures/stale_quote.md
  RESULT_VARIABLE result ERROR_VARIABLE error)
if(result EQUAL 0 OR NOT error MATCHES "stale_quote.md:6: differs from examples/quoted.cpp's synopsis")
  message(FATAL_ERROR "a quote differing from its example was not reported (exit ${result}): ${error}")
endif()
message(STATUS "the open block, the missing method, the open fence and the stale quote were caught")
