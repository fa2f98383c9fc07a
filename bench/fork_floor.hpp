// SPDX-License-Identifier: BSL-1.0
// The floor of a fork trap: the least work its default layers stand for,
// done with raw system calls, for the benchmarks that set a fork trap beside
// a raw fork.
#pragma once

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace bench {

/// One fork whose child points stdout and stderr at two files, writes how it
/// left to a third and calls _exit; the parent waits, then reads the record
/// and both captures, and empties the record file for the next run. The
/// three files are memfds made once and reused, as trap's are. The captures
/// stay empty (the child writes nothing to them), so they need no emptying.
/// Returns "" if the child did all that and exited 0, else what went wrong.
inline std::string raw_fork_capture() {
  static const int out = ::memfd_create("out", MFD_CLOEXEC);
  static const int err = ::memfd_create("err", MFD_CLOEXEC);
  static const int record = ::memfd_create("record", MFD_CLOEXEC);
  // Binds dup2 and pwrite here, once: the program is linked lazily, and a
  // child that binds them itself does so on every run (trap's child calls
  // nothing its parent has not bound).
  static const bool ready = out >= 0 && err >= 0 && record >= 0 && ::dup2(out, out) == out &&
                            ::pwrite(record, "", 0, 0) == 0;
  if (!ready) return "memfd_create, dup2 or pwrite failed in the parent";
  const pid_t pid = ::fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) {
    static const char left[] = "return";
    const bool ok = ::dup2(out, 1) == 1 && ::dup2(err, 2) == 2 &&
                    ::pwrite(record, left, sizeof left - 1, 0) == sizeof left - 1;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return std::string("waitpid: ") + std::strerror(errno);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "child ended with wait status " + std::to_string(status);
  char buf[64];
  if (::pread(record, buf, sizeof buf, 0) != 6 || std::memcmp(buf, "return", 6) != 0)
    return "no record from the child";
  if (::pread(out, buf, sizeof buf, 0) != 0 || ::pread(err, buf, sizeof buf, 0) != 0)
    return "the child wrote to stdout or stderr";
  if (::ftruncate(record, 0) != 0) return std::string("ftruncate: ") + std::strerror(errno);
  return "";
}

}  // namespace bench
