# SPDX-License-Identifier: BSL-1.0
# Installs a built trap into WORK_DIR/prefix, then configures, builds and
# runs the consumer project against that prefix. Every step must succeed.
#
#   cmake -DTRAP_BINARY_DIR=<trap build> -DCONSUMER_SOURCE_DIR=<consumer>
#         -DWORK_DIR=<scratch dir> [-DCONFIG=<build type>] [-DGENERATOR=Ninja]
#         [-DMAKE_PROGRAM=...] [-DCXX_COMPILER=...] [-DCXX_COMPILER_LAUNCHER=...]
#         -P run_consumer.cmake
foreach(var TRAP_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()

set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")

# step(<what> <command>...): runs the command, fails with its output if it
# does not exit 0.
function(step what)
  message(STATUS "package_consumer: ${what}")
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR
      "package_consumer: ${what} failed (${result})\n"
      "command: ${command}\n${output}")
  endif()
endfunction()

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
step("install trap into ${prefix}"
  "${CMAKE_COMMAND}" --install "${TRAP_BINARY_DIR}" --prefix "${prefix}" ${config_args})

set(configure_args -S "${CONSUMER_SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${prefix}")
if(CONFIG)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
foreach(pair MAKE_PROGRAM:CMAKE_MAKE_PROGRAM CXX_COMPILER:CMAKE_CXX_COMPILER
        CXX_COMPILER_LAUNCHER:CMAKE_CXX_COMPILER_LAUNCHER CXX_FLAGS:CMAKE_CXX_FLAGS)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  if(${from})
    list(APPEND configure_args "-D${to}=${${from}}")
  endif()
endforeach()
step("configure the consumer against ${prefix}" "${CMAKE_COMMAND}" ${configure_args})
step("build the consumer" "${CMAKE_COMMAND}" --build "${build}" ${config_args})

# Single-config generators put executables in the build directory,
# multi-config ones in a per-configuration subdirectory.
foreach(exe consumer consumer_boost_test consumer_process consumer_net)
  set(path "${build}/${exe}")
  if(NOT EXISTS "${path}" AND CONFIG)
    set(path "${build}/${CONFIG}/${exe}")
  endif()
  step("run ${exe}" "${path}")
endforeach()
message(STATUS "package_consumer: trap installs and is usable with find_package")
