// SPDX-License-Identifier: BSL-1.0
// What the soak checks measure about this process: open descriptors, files
// left in the private TMPDIR, children (live or zombie), threads and
// resident memory, all read from /proc. Taken from tests/support/test_support.hpp,
// which is tied to Boost.Test.
#pragma once

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace soak {

/// The number of entries in @p dir, "." and ".." aside.
inline int count_entries(const std::string& dir) {
  int n = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

/// The number of open descriptors of this process.
inline int count_fds() {
  return count_entries("/proc/self/fd") - 1;  // the directory stream itself
}

/// The number of threads of this process.
inline int count_threads() { return count_entries("/proc/self/task"); }

/// Live and zombie children of this process: every /proc/<pid>/stat whose
/// parent field is our pid.
inline int count_children() {
  int n = 0;
  const int me = static_cast<int>(::getpid());
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      std::string stat = std::string("/proc/") + e->d_name + "/stat";
      if (FILE* f = std::fopen(stat.c_str(), "r")) {
        int pid = 0, ppid = 0;
        char state = 0;
        // The command name may hold spaces; it ends at the last ')'.
        char line[512];
        if (std::fgets(line, sizeof line, f)) {
          std::string s(line);
          auto close = s.rfind(')');
          if (close != std::string::npos &&
              std::sscanf(s.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
              std::sscanf(s.c_str(), "%d", &pid) == 1 && ppid == me)
            ++n;
        }
        std::fclose(f);
      }
    }
    ::closedir(d);
  }
  return n;
}

/// Resident memory in KiB (VmRSS of /proc/self/status).
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

/// The state the soak checks compare before and after a scenario.
struct Snapshot {
  int fds = 0;
  int tmp = 0;
  int children = 0;
  int threads = 0;
  long rss_kib = 0;
  double heap_mib = 0;  ///< bytes malloc has handed out and not had back
};

/// The state now. Threads that were joined leave /proc/self/task a moment
/// after pthread_join() returns, and there is no event to wait for: the
/// thread count is polled (for at most a second) until it is down to
/// @p settle_threads_to, which is what a joined thread's entry needs.
inline Snapshot take_snapshot(const std::string& tmpdir, int settle_threads_to = 0) {
  Snapshot s;
  s.threads = count_threads();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (settle_threads_to > 0 && s.threads > settle_threads_to &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    s.threads = count_threads();
  }
  s.fds = count_fds();
  s.tmp = count_entries(tmpdir);
  s.children = count_children();
  // glibc keeps freed memory: after a run through 1,000 clients tens of MiB
  // are free but resident, more or less from one run to the next. Handing
  // them back first (main.cpp keeps every thread on the one arena this
  // trims whole) makes resident memory what is in use, which is what a
  // leak grows.
  ::malloc_trim(0);
  s.rss_kib = rss_kib();
  s.heap_mib = static_cast<double>(::mallinfo2().uordblks) / (1024.0 * 1024.0);
  return s;
}

}  // namespace soak
