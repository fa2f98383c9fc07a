// SPDX-License-Identifier: BSL-1.0
// What the test servers do when a handler of theirs throws: the server's
// thread catches it, says so on std::cerr and serves on. An exception let
// out of the thread would end the whole program (std::terminate).
#pragma once

#include <cxxabi.h>

#include <exception>
#include <iostream>
#include <string>
#include <string_view>

namespace trap::net::detail {

/// The message of the exception being handled (inside a catch block).
inline std::string thrown_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

/// Says "@p who: a handler of @p what threw: MESSAGE" on std::cerr, for the
/// exception being handled, and returns it (without the newline). A failed
/// write (descriptor 2 closed) leaves std::cerr as it was, not failed for
/// the rest of the program.
inline std::string report_handler_threw(std::string_view who, std::string_view what) {
  std::string line =
      std::string(who) + ": a handler of " + std::string(what) + " threw: " + thrown_text();
  const std::ios_base::iostate before = std::cerr.rdstate();
  std::cerr << line + "\n" << std::flush;
  std::cerr.clear(before);
  return line;
}

/// Calls @p handler(); an exception it throws is reported with
/// report_handler_threw(@p who, @p what()) instead of leaving the thread.
/// A thread's forced unwinding (pthread_cancel) goes on. @returns the line
/// reported, or "" if the handler returned.
template <class Handler, class What>
std::string call_handler(Handler&& handler, std::string_view who, What&& what) {
  try {
    handler();
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (...) {
    return report_handler_threw(who, what());
  }
  return {};
}

}  // namespace trap::net::detail
