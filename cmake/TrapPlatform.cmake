# SPDX-License-Identifier: BSL-1.0
# What trap builds on, checked when it is configured, so that anywhere else
# fails at once with a message saying what was found and what is needed,
# rather than deep in a source file.
#
# trap_platform_problem(<out> <system> <compiler id> <compiler version>)
#   sets <out> to the reason trap cannot be built for that system (a
#   CMAKE_SYSTEM_NAME) with that compiler (a CMAKE_CXX_COMPILER_ID and
#   CMAKE_CXX_COMPILER_VERSION), or to "" when it can.
# trap_require_platform()
#   stops the configure with that reason for the current system and C++
#   compiler.

# The Linux features trap's sources use (README, "Supported platforms").
set(TRAP_LINUX_FEATURES "memfd_create, pidfd_open, O_TMPFILE, pipe2, epoll, prctl(PR_SET_PDEATHSIG)")

function(trap_platform_problem out system compiler_id compiler_version)
  set(needed "g++ >= 12 or clang >= 14")
  set(found "${compiler_id} ${compiler_version}")
  if(NOT system STREQUAL "Linux")
    set(problem "trap builds on Linux only (it uses ${TRAP_LINUX_FEATURES}), not on \"${system}\"")
  elseif(compiler_id STREQUAL "GNU")
    if(compiler_version VERSION_LESS 12)
      set(problem "trap needs ${needed}; found g++ ${compiler_version}")
    endif()
  elseif(compiler_id STREQUAL "Clang")
    if(compiler_version VERSION_LESS 14)
      set(problem "trap needs ${needed}; found clang ${compiler_version}")
    endif()
  else()
    set(problem "trap needs ${needed}; found the C++ compiler \"${found}\"")
  endif()
  set(${out} "${problem}" PARENT_SCOPE)
endfunction()

macro(trap_require_platform)
  trap_platform_problem(_trap_platform_problem "${CMAKE_SYSTEM_NAME}" "${CMAKE_CXX_COMPILER_ID}"
    "${CMAKE_CXX_COMPILER_VERSION}")
  if(_trap_platform_problem)
    message(FATAL_ERROR "${_trap_platform_problem}")
  endif()
endmacro()
