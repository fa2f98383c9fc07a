// Runs a program to its end with its stdout and stderr collected: how the
// report tests see what a user's CI would see.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace report_test {

struct Ran {
  int status = -1;  ///< the wait status
  std::string out, err;
  bool exited(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
  int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

inline std::string read_all(int fd) {
  std::string s;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  return s;
}

/// Runs @p argv (argv[0] a path) with stdin closed to /dev/null.
inline Ran run(const std::vector<std::string>& argv) {
  int out = ::open("/tmp", O_TMPFILE | O_RDWR, 0600);
  int err = ::open("/tmp", O_TMPFILE | O_RDWR, 0600);
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  Ran r;
  ::waitpid(pid, &r.status, 0);
  r.out = read_all(out);
  r.err = read_all(err);
  ::close(out);
  ::close(err);
  return r;
}

}  // namespace report_test
