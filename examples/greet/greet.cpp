// SPDX-License-Identifier: BSL-1.0
// greet: a tiny command-line program for 09-run-a-program to test.
//   greet NAME      prints "Hello, NAME!" and exits 0
//   greet           prints usage on stderr and exits 2
//   greet --stdin   greets every line of its standard input
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: greet NAME | greet --stdin\n";
    return 2;
  }
  if (std::strcmp(argv[1], "--stdin") == 0) {
    std::string name;
    while (std::getline(std::cin, name)) std::cout << "Hello, " << name << "!\n";
    return 0;
  }
  std::cout << "Hello, " << argv[1] << "!\n";
  return 0;
}
