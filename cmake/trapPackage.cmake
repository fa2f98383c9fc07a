# SPDX-License-Identifier: BSL-1.0
# Installs trap as a CMake package by component and as a pkg-config file
# for the core. Included at the end of the top CMakeLists.txt, once every
# target exists.
#
# The core target trap goes to the export set trapTargets-core; each
# component NAME built here (its TARGET exists) goes to trapTargets-NAME,
# and the installed trapConfig.cmake looks its DEPENDENCY up (the arguments
# of find_dependency) only when a consumer asks for NAME. A component whose
# target was not built (its dependency was missing here) is known but
# absent: asking for it fails with a message that says so.

# component   target            dependency a consumer needs for it
set(trap_package_components
  "process    | trap_process    |"
  "net        | trap_net        |"
  "http       | trap_http       | OpenSSL 3"
  "smtp       | trap_smtp       | OpenSSL 3"
  "boost_test | trap_boost_test | Boost 1.81 COMPONENTS unit_test_framework"
  "gtest      | trap_gtest      | GTest"
  "catch2     | trap_catch2     | Catch2 2.13"
  "doctest    | trap_doctest    | doctest 2.4.9")

set(trap_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/trap)
set(trap_install_dirs
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(TARGETS trap EXPORT trapTargets-core ${trap_install_dirs})
install(EXPORT trapTargets-core NAMESPACE trap:: DESTINATION ${trap_cmake_dir})
install(DIRECTORY include/trap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/trap/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/trap)

# TRAP_PACKAGE_COMPONENTS: the lines of trapConfig.cmake that name every
# known component, those built, and what each one needs.
set(trap_known "")
set(trap_built "")
set(trap_dependencies "")
foreach(row IN LISTS trap_package_components)
  string(REPLACE "|" ";" row "${row}")
  list(TRANSFORM row STRIP)
  list(GET row 0 name)
  list(GET row 1 target)
  list(GET row 2 dependency)
  list(APPEND trap_known ${name})
  if(NOT TARGET ${target})
    continue()
  endif()
  list(APPEND trap_built ${name})
  string(REPLACE " " ";" dependency "${dependency}")
  string(APPEND trap_dependencies "set(_trap_dependency_${name} \"${dependency}\")\n")
  install(TARGETS ${target} EXPORT trapTargets-${name} ${trap_install_dirs})
  install(EXPORT trapTargets-${name} NAMESPACE trap:: DESTINATION ${trap_cmake_dir})
endforeach()
set(TRAP_PACKAGE_COMPONENTS "set(_trap_known_components ${trap_known})
set(_trap_built_components ${trap_built})
${trap_dependencies}")

configure_package_config_file(cmake/trapConfig.cmake.in
  ${PROJECT_BINARY_DIR}/trapConfig.cmake
  INSTALL_DESTINATION ${trap_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/trapConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/trapConfig.cmake ${PROJECT_BINARY_DIR}/trapConfigVersion.cmake
  cmake/TrapDiscoverTests.cmake cmake/TrapDiscoverTestsScript.cmake
  DESTINATION ${trap_cmake_dir})

# trap.pc, relocatable: its prefix is found from where the file lies.
set(trap_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(TRAP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH TRAP_PC_PREFIX /prefix/${trap_pc_dir} /prefix)
  string(REGEX REPLACE "/$" "" TRAP_PC_PREFIX "\${pcfiledir}/${TRAP_PC_PREFIX}")
endif()
set(TRAP_PC_LIBS "-ltrap -pthread")
foreach(lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND TRAP_PC_LIBS " -l${lib}")
endforeach()
configure_file(cmake/trap.pc.in ${PROJECT_BINARY_DIR}/trap.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/trap.pc DESTINATION ${trap_pc_dir})
