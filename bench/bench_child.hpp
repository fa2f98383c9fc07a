// SPDX-License-Identifier: BSL-1.0
// A program the benchmarks measure against, run as a child process
// (Go's httptest for http_bench, aiosmtpd for smtp_bench): started with
// posix_spawnp, its stdout read line by line with a bounded wait, killed
// and waited for when it goes.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace bench_child {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline int checked(int rc, const char* call) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), call);
  return rc;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- processes -----------------------------------------------------------------

/// A child process started with posix_spawnp, its stdin and stdout on pipes
/// this process holds. The destructor closes its stdin, sends SIGKILL and
/// waits for it: nothing is left behind, also when a benchmark throws.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int in[2], out[2];
    checked(::pipe2(in, O_CLOEXEC), "pipe2");
    checked(::pipe2(out, O_CLOEXEC), "pipe2");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    if (rc != 0) {
      pid_ = 0;
      close_pipes();
      throw std::system_error(rc, std::generic_category(), "posix_spawnp " + argv[0]);
    }
  }
  ~Child() {
    close_pipes();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// The next @p n lines of its stdout, waiting up to @p limit in all.
  std::vector<std::string> lines(std::size_t n, std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    while (std::count(buffer_.begin(), buffer_.end(), '\n') < static_cast<long>(n)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left <= 0ms) throw std::runtime_error("the child printed nothing in time");
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[256];
      ssize_t got = ::read(stdout_, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) throw std::runtime_error("the child ended without printing");
      buffer_.append(buf, static_cast<std::size_t>(got));
    }
    std::vector<std::string> result;
    for (std::size_t i = 0; i < n; ++i) {
      auto eol = buffer_.find('\n');
      result.push_back(buffer_.substr(0, eol));
      buffer_.erase(0, eol + 1);
    }
    return result;
  }

 private:
  void close_pipes() {
    if (stdin_ >= 0) ::close(stdin_);
    if (stdout_ >= 0) ::close(stdout_);
    stdin_ = stdout_ = -1;
  }
  pid_t pid_ = 0;
  int stdin_ = -1, stdout_ = -1;
  std::string buffer_;
};

}  // namespace bench_child
