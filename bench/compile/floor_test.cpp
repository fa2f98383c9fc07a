// SPDX-License-Identifier: BSL-1.0
// Compile-time row of scripts/bench: the floor of trap_test.cpp, a file that
// includes <iostream> (as trap_test.cpp does) and exactly the standard
// headers trap's public API names: std::string and std::string_view,
// std::vector (Trap::warn()), std::optional (Trap::exit_code()), std::span
// (a test callback's arguments), std::source_location (every test method),
// std::exception_ptr (Trap::exception()), std::logic_error and
// std::runtime_error (trap::UsageError, trap::TrapError) and
// std::unique_ptr (Hub::format()), through the header trap takes it from.
// Compiled, never linked or run.
#include <exception>
#include <iostream>
#include <optional>
#include <source_location>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <trap/detail/unique_ptr.hpp>

int main() { return 0; }
