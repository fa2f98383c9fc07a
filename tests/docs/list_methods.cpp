// SPDX-License-Identifier: BSL-1.0
// Prints every test method of trap's standard trapper, one a line, with
// trap::net linked in (its tcp_server layer adds accessors): the real list
// the README's table of test methods is checked against (method_table.py).
#include <iostream>

#include <trap/builder.hpp>
#include <trap/net.hpp>
#include <trap/trap.hpp>

int main() {
  for (const std::string& method : trap::standard().methods()) std::cout << method << '\n';
  return trap::net::detail::tcp_server_layer_registered ? 0 : 1;
}
