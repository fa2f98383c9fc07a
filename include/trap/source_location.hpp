// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::source_location: where a test method was called. It has
/// std::source_location's interface and converts from it, and can also be
/// made from a file name and line, as for a result that came from another
/// process.
#pragma once

#include <version>

#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

/// @cond INTERNAL
#if defined(__has_builtin)
#if __has_builtin(__builtin_COLUMN)
#define TRAP_DETAIL_COLUMN() __builtin_COLUMN()
#endif
#endif
#ifndef TRAP_DETAIL_COLUMN
#define TRAP_DETAIL_COLUMN() 0u
#endif
/// @endcond

namespace trap {

/// Where a test method was called; the interface of std::source_location.
class source_location {
 public:
  /// The location of the call (as a default argument: of its caller).
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           unsigned line = __builtin_LINE(),
                                           unsigned column = TRAP_DETAIL_COLUMN()) noexcept {
    return source_location(file, line, function, column);
  }
  /// An unknown location.
  constexpr source_location() noexcept = default;
  /// A location given by its parts; the strings must outlive it.
  constexpr source_location(const char* file, unsigned line, const char* function = "",
                            unsigned column = 0) noexcept
      : file_(file), function_(function), line_(line), column_(column) {}
#if defined(__cpp_lib_source_location)
  /// The same location as @p where.
  constexpr source_location(const std::source_location& where) noexcept
      : source_location(where.file_name(), where.line(), where.function_name(), where.column()) {}
#endif
  /// The file's name.
  constexpr const char* file_name() const noexcept { return file_; }
  /// The function's name.
  constexpr const char* function_name() const noexcept { return function_; }
  /// The line, from 1 (0 if unknown).
  constexpr unsigned line() const noexcept { return line_; }
  /// The column, from 1 (0 if unknown).
  constexpr unsigned column() const noexcept { return column_; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  unsigned line_ = 0;
  unsigned column_ = 0;
};

}  // namespace trap
