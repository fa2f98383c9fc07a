/// @file
/// trap::source_location: std::source_location where the standard library
/// has it, and the same interface built on the compiler's builtins where it
/// does not (clang 14 with libstdc++ 12).
#pragma once

#include <version>

#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

namespace trap {

#if defined(__cpp_lib_source_location) || defined(TRAP_DOXYGEN)
/// Where a test method was called: std::source_location.
using source_location = std::source_location;
#else
/// Where a test method was called; the interface of std::source_location.
class source_location {
 public:
  /// The location of the call (as a default argument: of its caller).
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           unsigned line = __builtin_LINE(),
                                           unsigned column = __builtin_COLUMN()) noexcept {
    source_location l;
    l.file_ = file;
    l.function_ = function;
    l.line_ = line;
    l.column_ = column;
    return l;
  }
  constexpr source_location() noexcept = default;
  /// The file's name.
  constexpr const char* file_name() const noexcept { return file_; }
  /// The function's name.
  constexpr const char* function_name() const noexcept { return function_; }
  /// The line, from 1.
  constexpr unsigned line() const noexcept { return line_; }
  /// The column, from 1 (0 if unknown).
  constexpr unsigned column() const noexcept { return column_; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  unsigned line_ = 0;
  unsigned column_ = 0;
};
#endif

}  // namespace trap
