# SPDX-License-Identifier: BSL-1.0
# Runs a plain `doxygen Doxyfile` as in a fresh clone: in a copy of
# SOURCE_DIR without its build directories (so the output directory of the
# Doxyfile does not exist yet), and fails if doxygen fails or warns, if the
# main page is not README.md, if an example of examples/ has no page, or if
# a page links to a local file that is not there; and, before, if a member
# group's `///@{` runs into a member's comment.
#
#   cmake -DDOXYGEN=doxygen -DSOURCE_DIR=<repo> -DOUTPUT_DIR=<dir> -P run_doxygen.cmake
foreach(var DOXYGEN SOURCE_DIR OUTPUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_doxygen.cmake: -D${var}=... is required")
  endif()
endforeach()

# The copy: every top-level entry but hidden ones, out/ and build*/ (the build
# trees, which a fresh clone does not have).
set(tree "${OUTPUT_DIR}/tree")
file(REMOVE_RECURSE "${OUTPUT_DIR}")
file(MAKE_DIRECTORY "${tree}")
file(GLOB entries LIST_DIRECTORIES true RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
foreach(entry IN LISTS entries)
  # (nor the directory holding OUTPUT_DIR, whatever its name)
  string(FIND "${OUTPUT_DIR}/" "${SOURCE_DIR}/${entry}/" holds_output)
  if(NOT entry MATCHES "^(build|out$|\\.)" AND NOT holds_output EQUAL 0)
    file(COPY "${SOURCE_DIR}/${entry}" DESTINATION "${tree}")
  endif()
endforeach()

# A `///@{` directly followed by a member's `///` comment makes one block of
# both: the member's text goes to the group and the member shows another's.
file(GLOB_RECURSE headers "${SOURCE_DIR}/include/*.hpp")
foreach(header IN LISTS headers)
  file(READ "${header}" text)
  if(text MATCHES "///@{[ \t]*\n[ \t]*///")
    message(FATAL_ERROR "${header}: a ///@{ line directly followed by a /// comment;"
      " leave an empty line after it")
  endif()
endforeach()

execute_process(
  COMMAND "${DOXYGEN}" Doxyfile
  WORKING_DIRECTORY "${tree}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
string(STRIP "${output}" output)
if(NOT result EQUAL 0 OR output MATCHES "(warning|error|Error):")
  message(NOTICE "${output}")
  string(REGEX MATCHALL "(warning|error|Error):" found "${output}")
  list(LENGTH found count)
  message(FATAL_ERROR "doxygen exited with ${result} and printed ${count} warning(s) or"
    " error(s), listed above; `doxygen Doxyfile` in a fresh clone must build the API"
    " reference without any")
endif()

# The HTML is where the Doxyfile says, with README.md as its main page: every
# section heading of README.md is on index.html.
set(html "${tree}/build/doxygen")
if(NOT EXISTS "${html}/index.html")
  message(FATAL_ERROR "doxygen wrote no ${html}/index.html")
endif()
file(READ "${html}/index.html" index)
file(STRINGS "${SOURCE_DIR}/README.md" headings REGEX "^##+ ")
foreach(heading IN LISTS headings)
  string(REGEX REPLACE "^#+ " "" heading "${heading}")
  string(FIND "${index}" "${heading}</h" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "index.html is not README.md: it lacks the heading \"${heading}\"")
  endif()
endforeach()

# Every example has a page (an @example line in docs/examples.dox).
file(GLOB examples RELATIVE "${SOURCE_DIR}/examples" "${SOURCE_DIR}/examples/*.cpp")
foreach(example IN LISTS examples)
  string(REPLACE ".cpp" "_8cpp-example.html" page "${example}")
  if(NOT EXISTS "${html}/${page}")
    message(FATAL_ERROR "examples/${example} has no page (${page}): add an @example line"
      " for it to docs/examples.dox")
  endif()
endforeach()

# Every local link of every page names a file that is there.
file(GLOB pages "${html}/*.html")
foreach(page IN LISTS pages)
  file(READ "${page}" text)
  string(REGEX MATCHALL "href=\"[^\"#:]+[\"#]" links "${text}")
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^href=\"([^\"#]+).*" "\\1" target "${link}")
    if(NOT EXISTS "${html}/${target}")
      get_filename_component(name "${page}" NAME)
      message(FATAL_ERROR "${name} links to ${target}, which doxygen did not write")
    endif()
  endforeach()
endforeach()
message(STATUS "doxygen: no warnings; HTML in ${html}, README.md its main page")
