# SPDX-License-Identifier: BSL-1.0
# Builds and runs one consumer of trap, as a user's project would use it.
#
#   cmake -DWORK_DIR=<scratch dir> [-DSOURCE_DIR=<consumer>]
#         [-DINSTALL_FROM=<trap build> -DPREFIX=<prefix>]   install trap first
#                                              (only that, without SOURCE_DIR)
#         [-DPREFIX=<prefix>]                  the consumer finds trap there
#         [-DMAKE=<make>]                      a Makefile consumer, not CMake
#         [-DARGS=a|b|...]                     the consumer's configure (or make) arguments
#         [-DRUN=prog|prog...]                 built programs that must exit 0
#         [-DFAILS=<regex>]                    the configure must fail, saying this
#         [-DJOBS=1]                           the consumer's parallel build jobs
#         [-DWITHOUT=<component>]              use a copy of PREFIX as a trap built
#                                              without that component would install it
#         [-DGENERATOR=Ninja] [-DMAKE_PROGRAM=...] [-DCXX_COMPILER=...]
#         [-DCXX_COMPILER_LAUNCHER=...] [-DCXX_FLAGS=...] -P run_consumer.cmake
# Lists are given with | for ; (ctest splits arguments at ;).
if(NOT WORK_DIR OR NOT (SOURCE_DIR OR INSTALL_FROM))
  message(FATAL_ERROR "run_consumer.cmake: -DWORK_DIR=... and -DSOURCE_DIR=... "
    "or -DINSTALL_FROM=... are required")
endif()
foreach(var ARGS RUN)
  string(REPLACE "|" ";" ${var} "${${var}}")
endforeach()
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${build}")
file(MAKE_DIRECTORY "${build}")

# step(<what> <command>...): runs the command, fails with its output if it
# does not exit 0; its output is left in `output`.
function(step what)
  message(STATUS "${what}")
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${build}"
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(output "${out}" PARENT_SCOPE)
  set(result "${result}" PARENT_SCOPE)
  if(NOT result EQUAL 0 AND NOT FAILS)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "${what} failed (${result})\ncommand: ${command}\n${out}")
  endif()
endfunction()

if(INSTALL_FROM)
  file(REMOVE_RECURSE "${PREFIX}")
  step("install trap into ${PREFIX}" "${CMAKE_COMMAND}" --install "${INSTALL_FROM}"
    --prefix "${PREFIX}")
  if(NOT SOURCE_DIR)
    return()
  endif()
endif()

# What trap's configure installs when a component's dependency is missing:
# no trapTargets-WITHOUT*.cmake, and WITHOUT not among the built components.
if(WITHOUT)
  file(REMOVE_RECURSE "${WORK_DIR}/prefix")
  file(COPY "${PREFIX}/" DESTINATION "${WORK_DIR}/prefix")
  set(PREFIX "${WORK_DIR}/prefix")
  set(package "${PREFIX}/lib/cmake/trap")
  file(GLOB targets "${package}/trapTargets-${WITHOUT}.cmake" "${package}/trapTargets-${WITHOUT}-*.cmake")
  file(REMOVE ${targets})
  file(READ "${package}/trapConfig.cmake" config)
  string(REGEX REPLACE "(set\\(_trap_built_components[^)]*);${WITHOUT}([;)])" "\\1\\2" edited "${config}")
  if(edited STREQUAL config)
    message(FATAL_ERROR "${package}/trapConfig.cmake does not list ${WITHOUT} as built")
  endif()
  file(WRITE "${package}/trapConfig.cmake" "${edited}")
endif()

if(MAKE)
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/lib/pkgconfig")
  if(CXX_COMPILER_LAUNCHER)
    set(CXX_COMPILER "${CXX_COMPILER_LAUNCHER} ${CXX_COMPILER}")
  endif()
  set(make_flags)
  if(CXX_FLAGS)
    set(make_flags "CXXFLAGS=-std=c++20 -O0 ${CXX_FLAGS}")
  endif()
  step("make the consumer with pkg-config" "${MAKE}" -f "${SOURCE_DIR}/Makefile"
    "SRC=${SOURCE_DIR}" "CXX=${CXX_COMPILER}" ${make_flags} ${ARGS})
else()
  set(configure -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}" ${ARGS})
  if(PREFIX)
    list(APPEND configure "-DCMAKE_PREFIX_PATH=${PREFIX}")
  endif()
  foreach(pair MAKE_PROGRAM:CMAKE_MAKE_PROGRAM CXX_COMPILER:CMAKE_CXX_COMPILER
          CXX_COMPILER_LAUNCHER:CMAKE_CXX_COMPILER_LAUNCHER CXX_FLAGS:CMAKE_CXX_FLAGS)
    string(REPLACE ":" ";" pair "${pair}")
    list(GET pair 0 from)
    list(GET pair 1 to)
    if(${from})
      list(APPEND configure "-D${to}=${${from}}")
    endif()
  endforeach()
  step("configure the consumer" "${CMAKE_COMMAND}" ${configure})
  if(FAILS)
    if(result EQUAL 0)
      message(FATAL_ERROR "the consumer configured, but should have failed with "
        "'${FAILS}':\n${output}")
    elseif(NOT output MATCHES "${FAILS}")
      message(FATAL_ERROR "the consumer failed to configure, but without "
        "'${FAILS}':\n${output}")
    endif()
    message(STATUS "the consumer failed to configure, as it should:\n${output}")
    return()
  endif()
  # Only the programs to run (and what they link), not all of trap's targets.
  set(targets "")
  if(RUN)
    set(targets --target ${RUN})
  endif()
  if(NOT JOBS)
    set(JOBS 1)
  endif()
  step("build the consumer" "${CMAKE_COMMAND}" --build "${build}" -j ${JOBS} ${targets})
endif()

foreach(program IN LISTS RUN)
  step("run ${program}" "${build}/${program}")
  message(STATUS "${output}")
endforeach()
