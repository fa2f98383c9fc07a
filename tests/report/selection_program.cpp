// SPDX-License-Identifier: BSL-1.0
// A standalone program whose top-level subtests the selection tests list,
// filter and shard: "alpha", "beta" (with a nested "inner"), "gamma-ray"
// and "a:b*c", after one plain test method outside any subtest.
//   selection_program [parse [args...]] [done]
// "parse": trap::parse_arguments() takes its options first (the others are
// printed on stderr as "# left: ..."); "done": main returns done_testing().
// Environment: SELECTION_NO_PLAIN (no plain test), SELECTION_NO_SUBTESTS,
// SELECTION_FAIL (a failing "fails" subtest), SELECTION_TMPDIR (report on
// stderr whether a tempfile capture's file lies under that directory).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <trap/trap.hpp>

namespace {

bool has(const char* name) { return std::getenv(name) != nullptr; }

// Whether one of this process's descriptors is a file under @p dir.
bool file_open_under(const std::string& dir) {
  for (auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.starts_with(dir + "/")) return true;
  }
  return false;
}

void check_tmpdir() {
  const char* dir = std::getenv("SELECTION_TMPDIR");
  bool under = false;
  auto r = trap::trap(":stdout(tempfile)", [&] { under = file_open_under(dir); });
  std::fprintf(stderr, "# capture file under SELECTION_TMPDIR: %s\n", under ? "yes" : "no");
}

void subtests() {
  trap::subtest("alpha", [] {
    if (has("SELECTION_TMPDIR")) check_tmpdir();
    trap::ok(true, "alpha runs");
  });
  trap::subtest("beta", [] {
    trap::ok(true, "beta runs");
    trap::subtest("inner", [] { trap::ok(true, "inner runs"); });
  });
  trap::subtest("gamma-ray", [] { trap::ok(true, "gamma-ray runs"); });
  trap::subtest("a:b*c", [] { trap::ok(true, "a:b*c runs"); });
  if (has("SELECTION_FAIL")) trap::subtest("fails", [] { trap::ok(false, "fails on purpose"); });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "parse") {
    try {
      trap::parse_arguments(argc, argv);
    } catch (const trap::UsageError& e) {
      std::fprintf(stderr, "usage error: %s\n", e.what());
      return 2;
    }
    std::string left;
    for (int i = 1; i < argc; ++i) left += std::string(" ") + argv[i];
    std::fprintf(stderr, "# left:%s\n", left.c_str());
  }
  if (!has("SELECTION_NO_PLAIN")) trap::ok(true, "outside");
  if (!has("SELECTION_NO_SUBTESTS")) subtests();
  if (std::string_view(argv[argc - 1]) == "done") return trap::done_testing();
  return 0;
}
