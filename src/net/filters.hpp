// SPDX-License-Identifier: BSL-1.0
// What the server knows of its own filters (filters.cpp): the line filter
// adds the messages it cuts to a vector the caller keeps, so that a read
// allocates no vector of its own; a structured message's parts are joined
// into its one-string form in one place. Private to src/net.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <trap/net.hpp>

namespace trap::net::tcp_detail {

/// A structured message's parts joined by one space: its `input`, and
/// what StructuredFilter::get() returns for it.
std::string join_parts(const Parts& parts);

/// A filter that appends its messages to the caller's vector.
class AppendingFilter : public Filter {
 public:
  /// Appends to @p out the messages @p bytes complete (as get() returns
  /// them). @throws FilterError for input it cannot accept.
  virtual void get_into(std::string_view bytes, std::vector<std::string>& out) = 0;
  std::vector<std::string> get(std::string_view bytes) override {
    std::vector<std::string> out;
    get_into(bytes, out);
    return out;
  }
};

}  // namespace trap::net::tcp_detail
