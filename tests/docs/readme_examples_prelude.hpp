// SPDX-License-Identifier: BSL-1.0
// What the ```cpp fences of README.md take as given (extract_examples.py
// --markdown compiles each fence as the body of a function of its own): the
// headers of the parts they show, Boost.Test's assertions, the chrono
// literals, and the user's own functions they call. Only compiled, never
// linked, so the functions are declared and not defined.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/net.hpp>
#include <trap/process.hpp>
#include <trap/trap.hpp>

using namespace std::chrono_literals;

/// The user's code under test: reads a configuration file, abort()s on error.
void parse_config(const char* path);
/// The network client under test: talks to @p host : @p port.
void run_my_client(const char* host, std::uint16_t port);
/// The mail-sending code under test: sends its report through @p host :
/// @p port.
void send_report(const std::string& host, std::uint16_t port);
