// SPDX-License-Identifier: BSL-1.0
// Child processes for tests: run a piece of code or a whole program in a
// forked child with its stdout and stderr collected, and wait (bounded) for
// a process the test started to end. The one place tests fork to look at
// what a child printed.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace test_support {

/// What a child process did: its wait status and what it wrote.
struct ChildResult {
  int status = -1;  ///< raw waitpid status
  std::string out, err;
  bool exited(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
  /// The exit code, or -1 when the child did not exit (a signal ended it).
  int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

/// Everything in the file behind @p fd, read from its start.
inline std::string slurp(int fd) {
  std::string s;
  char buf[4096];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

/// Runs @p fn in a forked child with stdout and stderr in temp files; the
/// child ends with _exit(0) after fn unless fn ends it first.
inline ChildResult in_child(const std::function<void()>& fn) {
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  int out = ::open("/tmp", O_TMPFILE | O_RDWR, 0600);
  int err = ::open("/tmp", O_TMPFILE | O_RDWR, 0600);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    fn();
    std::fflush(nullptr);
    std::cout.flush();
    ::_exit(0);
  }
  ChildResult r;
  ::waitpid(pid, &r.status, 0);
  r.out = slurp(out);
  r.err = slurp(err);
  ::close(out);
  ::close(err);
  return r;
}

/// Runs the program @p argv (argv[0] a path) to its end with stdin read from
/// /dev/null: how the report tests see what a user's CI would see. A program
/// that cannot be executed exits 127.
inline ChildResult run_program(const std::vector<std::string>& argv) {
  return in_child([&argv] {
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  });
}

/// Whether process @p pid (not necessarily our child) has ended or ends
/// within 5 s: a pidfd becomes readable when it does; none opens once it is
/// gone.
inline bool ends_soon(int pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  struct pollfd p = {fd, POLLIN, 0};
  int r = ::poll(&p, 1, 5000);
  ::close(fd);
  return r == 1;
}

}  // namespace test_support
