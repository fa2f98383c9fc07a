// SPDX-License-Identifier: BSL-1.0
// A standalone trap program with seven top-level subtests, s0 to s6, that
// Bazel runs in shards; each notes whether its capture file lies under
// TEST_TMPDIR.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <trap/trap.hpp>

namespace {

bool capture_under(const std::string& dir) {
  bool under = false;
  auto r = trap::trap(":stdout(tempfile)", [&] {
    for (auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      auto target = std::filesystem::read_symlink(fd.path(), ec).string();
      under = under || (!ec && target.starts_with(dir + "/"));
    }
  });
  return under;
}

}  // namespace

int main() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  for (int i = 0; i < 7; ++i) {
    trap::subtest("s" + std::to_string(i), [&] {
      trap::ok(tmp && capture_under(tmp), "the capture file is under TEST_TMPDIR");
    });
  }
  return trap::done_testing();
}
