// SPDX-License-Identifier: BSL-1.0
// 08-custom-layer: a layer of our own, composed with timeout and fork. The
// `in_dir(PATH)` layer runs the code in another working directory and puts
// the old one back in its teardown; `env(NAME=VALUE)` sets a variable for
// the code. Both are written with the public Builder API only, as the
// timeout layer itself is.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <trap/builder.hpp>
#include <trap/trap.hpp>

namespace {

// A layer below a timeout keeps nothing on its own stack while the code
// runs: an in-process timeout jumps past its frame. What it must give back
// belongs to its teardown, which always runs.
void in_dir_layer(trap::Trap& self, std::string_view dir) {
  self.teardown([old = std::filesystem::current_path()] { std::filesystem::current_path(old); });
  std::error_code ec;
  std::filesystem::current_path(std::string(dir), ec);
  if (ec) self.exception("in_dir: cannot enter \"" + std::string(dir) + "\": " + ec.message());
  self.next();
}

void env_layer(trap::Trap& self, std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos) self.exception("env: expected NAME=VALUE");
  // Set for the trap (and for the programs trap::run starts from this
  // thread), taken back by the trap's teardown.
  trap::export_environment(self, std::string(assignment.substr(0, eq)),
                           std::string(assignment.substr(eq + 1)));
  self.next();
}

}  // namespace

int main() {
  trap::Trapper mine("mine", &trap::standard());
  auto& B = trap::Builder::instance();
  B.layer(mine, "in_dir", in_dir_layer);
  B.layer(mine, "env", env_layer);

  // Where we are now, and a directory that is not it.
  const std::string home = std::filesystem::current_path().string();
  const std::string elsewhere = home == "/" ? "/tmp" : "/";
  ::unsetenv("GREETING");

  // Layers to the right wrap those to their left: in_dir and env apply
  // around the code, timeout around them.
  auto r = mine.trap(":env(GREETING=hello):in_dir(" + elsewhere + "):timeout(2000)", [] {
    std::cout << std::getenv("GREETING") << " from " << std::filesystem::current_path().string()
              << "\n";
    for (;;) ::pause();  // and then it hangs
  });
  r.did_timeout("stopped at the deadline");
  r.stdout_is("hello from " + elsewhere + "\n", "ran with our directory and variable");

  // The teardowns put the directory and the variable back.
  auto after = trap::trap([] {
    std::cout << (std::getenv("GREETING") ? "set" : "unset") << " in "
              << std::filesystem::current_path().string();
  });
  after.stdout_is("unset in " + home, "GREETING is unset again, the directory is ours");

  // The same under fork: the layers run in the child only.
  auto child = mine.trap(":env(GREETING=hi):fork:timeout(30000)",
                         [] { return std::string(std::getenv("GREETING")); });
  child.return_is("hi", "the variable reaches the code in the child");
  return trap::done_testing();
}
