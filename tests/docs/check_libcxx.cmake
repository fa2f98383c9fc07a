# SPDX-License-Identifier: BSL-1.0
# headers_libcxx: the public headers and the examples compile against LLVM's
# libc++ as well as libstdc++ (macOS and some Linux toolchains use libc++).
# trap's library and Boost's compiled parts are built against libstdc++ on
# this machine, so this is a compile-only check (-fsyntax-only): every
# public header in one file, then each example, the templates it uses
# instantiated. It fails naming the file and the compiler's message.
#
# -DCLANG=clang++ -DSOURCE_DIR=project -DBINARY_DIR=build -P this file
cmake_minimum_required(VERSION 3.20)
set(flags -stdlib=libc++ -std=c++20 -fsyntax-only -Wall -Wextra
  -I${SOURCE_DIR}/include -I${BINARY_DIR}/include)
file(GLOB headers RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/trap/*.hpp)
set(all "")
foreach(header IN LISTS headers)
  string(APPEND all "#include <${header}>\n")
endforeach()
set(all_headers ${BINARY_DIR}/headers_libcxx.cpp)
file(WRITE ${all_headers} "${all}")
file(GLOB examples ${SOURCE_DIR}/examples/*.cpp)
set(failed "")
foreach(source IN LISTS all_headers examples)
  # The programs examples 09 and 16 run are found at build time; any path
  # will do here.
  execute_process(
    COMMAND ${CLANG} ${flags} "-DGREET_PATH=\"greet\"" "-DCURL_PATH=\"curl\"" ${source}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    string(APPEND failed "${source}:\n${err}\n")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "does not compile with libc++:\n${failed}")
endif()
list(LENGTH headers n_headers)
list(LENGTH examples n_examples)
message(STATUS "${n_headers} public headers and ${n_examples} examples compile with libc++")
