// SPDX-License-Identifier: BSL-1.0
/// @file
/// The hook that lets the `fork(exec)` style re-run one test in a new
/// process: a test framework integration (trap/boost_test.hpp) registers
/// how to start the current test alone and says when a test begins.
#pragma once

#include <string>
#include <vector>

namespace trap::detail {

/// Returns the arguments that make the test program run only the current
/// test, quietly (argv[0] excluded).
using ReexecArguments = std::vector<std::string> (*)();

/// Registers the framework's way to re-run the current test.
void set_reexec_arguments(ReexecArguments fn) noexcept;

/// A test begins: fork(exec) traps are counted from 1 again.
void new_test_started() noexcept;

/// The arguments this program was started with, argv[0] excluded (read
/// from /proc/self/cmdline at the first call; empty if it cannot be read).
std::vector<std::string> program_arguments();

}  // namespace trap::detail
