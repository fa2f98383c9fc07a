# SPDX-License-Identifier: BSL-1.0
# header_hygiene: <trap/trap.hpp> stays light to compile (issue 16: a test
# file that includes it compiles in well under a second). The compiler lists
# every header a file that includes it reads (-M); the test fails, naming
# them, if one of the heavy standard headers the core headers were freed of
# is among them: string streams and file streams, <regex>, <set>,
# <algorithm>, <charconv>, <locale>, threads and mutexes, <functional>
# (std::function and the searchers' <unordered_map>), std::shared_ptr,
# <map> (trap::Props and AccessorSpec::flexible are a detail::NameMap),
# <limits> (trap::codec's ranges come from the integral types themselves),
# <variant> (trap::Value builds its variant out of sight), and any Boost
# header; with libstdc++, whose std::unique_ptr has a header of its own,
# <memory> too. (<any> comes with trap::Props.)
#
# -DCXX=compiler -DSOURCE_DIR=project -DBINARY_DIR=build -P this file
cmake_minimum_required(VERSION 3.20)
set(source ${BINARY_DIR}/header_hygiene.cpp)
file(WRITE ${source} "#include <trap/trap.hpp>\n")
execute_process(
  COMMAND ${CXX} -std=c++20 -M -I${SOURCE_DIR}/include -I${BINARY_DIR}/include ${source}
  OUTPUT_VARIABLE deps ERROR_VARIABLE errors RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cannot list the headers of <trap/trap.hpp>:\n${errors}")
endif()
string(REGEX REPLACE "[ \\\\\n]+" ";" deps "${deps}")
set(forbidden sstream istream iostream fstream regex set unordered_set algorithm
  charconv locale thread mutex shared_mutex condition_variable future functional
  unordered_map map bits/stl_tree.h limits variant bits/std_function.h bits/shared_ptr.h)
if(deps MATCHES "/bits/unique_ptr.h")
  list(APPEND forbidden memory)
endif()
set(found "")
foreach(dep IN LISTS deps)
  foreach(name IN LISTS forbidden)
    if(dep MATCHES "/c\\+\\+/[^/]+/${name}$" OR dep MATCHES "/boost/")
      list(APPEND found ${dep})
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES found)
if(found)
  list(JOIN found "\n  " found)
  message(FATAL_ERROR "<trap/trap.hpp> includes heavy headers:\n  ${found}")
endif()
list(LENGTH deps count)
message(STATUS "<trap/trap.hpp> reads ${count} files, none of the heavy ones")
