// SPDX-License-Identifier: BSL-1.0
// Runs a check in a fresh child process: for tests that close standard
// descriptors, set resource limits or otherwise spoil the process they run
// in. The child reports its failures as text; the parent asserts on it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <string>

namespace fresh_child {

/// Collects a child's failed expectations.
class Failures {
 public:
  /// Notes @p what unless @p ok.
  void expect(bool ok, const std::string& what) {
    if (!ok) text_ += what + "\n";
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

/// Runs @p body in a forked child (this process has run no trap, so the
/// child starts with no pooled file and no drainer) and returns what it
/// found wrong: "" when all was well, or how the child ended otherwise.
/// The child is stopped by SIGALRM after 60 s: a capture that blocks for
/// ever fails the test instead of hanging it.
inline std::string run(const std::function<void(Failures&)>& body) {
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  int p[2];
  if (::pipe(p) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(p[0]);
    ::alarm(60);
    Failures f;
    try {
      body(f);
    } catch (const std::exception& e) {
      f.expect(false, std::string("exception: ") + e.what());
    }
    const std::string& t = f.text();
    for (std::size_t done = 0; done < t.size();) {
      ssize_t n = ::write(p[1], t.data() + done, t.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(p[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    text += "child killed by signal " + std::to_string(WTERMSIG(status)) + "\n";
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    text += "child exited " + std::to_string(WEXITSTATUS(status)) + "\n";
  return text;
}

}  // namespace fresh_child
