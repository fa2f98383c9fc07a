// SPDX-License-Identifier: BSL-1.0
#include "posix/children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "posix/child_path.hpp"
#include "posix/fd.hpp"

namespace trap::posix {
namespace {

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// A pidfd becomes readable when the child ends: a wait with a deadline
// without signals or polling. Linux 5.3; nothing where unsupported.
Fd open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  long r = ::syscall(SYS_pidfd_open, pid, 0);
  if (r >= 0) return off_standard_fds(Fd(static_cast<int>(r)));
#endif
  (void)pid;
  return Fd();
}

// kill(), or pidfd_send_signal() with a pidfd (Linux 5.1; kill() where
// the kernel has none).
int send_signal(pid_t pid, int sig, int pidfd) {
#ifdef SYS_pidfd_send_signal
  if (pidfd >= 0) {
    const long r = ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
    if (r == 0 || errno != ENOSYS) return static_cast<int>(r);
  }
#endif
  (void)pidfd;
  return ::kill(pid, sig);
}

// Milliseconds left until the deadline, rounded up, for poll().
int millis_left(std::chrono::steady_clock::time_point deadline) {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms);
}

std::optional<int> reap(pid_t pid, int flags) {
  int status = 0;
  for (;;) {
    pid_t r = -1;
    if (int e = take_fault("waitpid"); e > 0)
      errno = e;
    else
      r = ::waitpid(pid, &status, flags);
    if (r == pid) return status;
    if (r == 0) return std::nullopt;
    if (errno != EINTR) fail(errno, "waitpid(" + std::to_string(pid) + ")");
  }
}

// How many threads the processes of this process's user run, as
// RLIMIT_NPROC counts them (from /proc: owners as it shows them).
rlim_t user_threads() {
  DIR* proc = ::opendir("/proc");
  if (!proc) return 0;
  rlim_t n = 0;
  const uid_t uid = ::getuid();
  while (const dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string task = std::string("/proc/") + e->d_name + "/task";
    struct stat st {};
    if (::stat(task.c_str(), &st) == 0 && st.st_uid == uid && st.st_nlink > 2) n += st.st_nlink - 2;
  }
  ::closedir(proc);
  return n;
}

}  // namespace

// What fork() or posix_spawn() failed to start a process with @p err: with
// EAGAIN, the process limit if that is what was reached (EAGAIN names no
// cause; root is not held to it).
std::string process_limit_note(int err) {
  struct rlimit limit {};
  if (err != EAGAIN || ::geteuid() == 0 || ::getrlimit(RLIMIT_NPROC, &limit) != 0 ||
      limit.rlim_cur == RLIM_INFINITY || user_threads() < limit.rlim_cur)
    return {};
  return " (the process limit RLIMIT_NPROC " + std::to_string(limit.rlim_cur) +
         " is reached: ulimit -u)";
}

Fd pidfd(pid_t pid) { return open_pidfd(pid); }

TRAP_CHILD_PATH pid_t fork() {
  for (;;) {
    pid_t pid = -1;
    if (int e = take_fault("fork"); e > 0)
      errno = e;
    else
      pid = ::fork();
    if (pid >= 0) return pid;
    // EAGAIN: a process limit, not worth a retry.
    if (errno != EINTR) fail(errno, "fork" + process_limit_note(errno));
  }
}

std::optional<int> wait_until(pid_t pid,
                              std::optional<std::chrono::steady_clock::time_point> deadline,
                              int given_pidfd) {
  if (!deadline) return reap(pid, 0);
  Fd own = given_pidfd >= 0 ? Fd() : open_pidfd(pid);
  if (const int pidfd = given_pidfd >= 0 ? given_pidfd : own.get(); pidfd >= 0) {
    for (;;) {
      struct pollfd p = {pidfd, POLLIN, 0};
      int r = ::poll(&p, 1, millis_left(*deadline));
      if (r > 0) return reap(pid, 0);
      if (r == 0) return reap(pid, WNOHANG);  // it may have ended just now
      if (errno != EINTR) fail(errno, "poll(pidfd)");
    }
  }
  // Without pidfd: check at growing intervals, at most 10 ms apart.
  auto pause = std::chrono::microseconds(100);
  for (;;) {
    if (auto status = reap(pid, WNOHANG)) return status;
    if (std::chrono::steady_clock::now() >= *deadline) return std::nullopt;
    struct timespec ts = {0, static_cast<long>(pause.count()) * 1000};
    ::nanosleep(&ts, nullptr);
    if (pause < std::chrono::milliseconds(10)) pause *= 2;
  }
}

void kill(pid_t pid, int sig, int pidfd) {
  for (;;) {
    int r = -1;
    if (int e = take_fault("kill"); e > 0)
      errno = e;
    else
      r = send_signal(pid, sig, pidfd);
    if (r == 0 || errno == ESRCH) return;
    if (errno != EINTR)
      fail(errno, "kill(" + std::to_string(pid) + ", " + std::to_string(sig) + ")");
  }
}

bool in_vfork_child() noexcept { return ::getpid() != self_pid(); }

TRAP_CHILD_PATH void own_process_group() noexcept { ::setpgid(0, 0); }

TRAP_CHILD_PATH bool die_with_parent(pid_t parent) noexcept {
  return ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && ::getppid() == parent;
}

int thread_count() noexcept {
  // Linux counts the threads in the directory's link count (2 + threads):
  // one stat, where reading the directory allocates and takes four calls.
  struct stat st {};
  if (::stat("/proc/self/task", &st) == 0 && st.st_nlink > 2)
    return static_cast<int>(st.st_nlink - 2);
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return 1;
  int n = 0;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n > 0 ? n : 1;
}

std::optional<ChildEnd> child_end(int wait_status) noexcept {
  if (WIFSIGNALED(wait_status)) return ChildEnd{"signal", WTERMSIG(wait_status)};
  if (WIFEXITED(wait_status)) return ChildEnd{"exit", WEXITSTATUS(wait_status)};
  return std::nullopt;
}

void SigpipeBlock::block() noexcept {
  if (blocked_) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  blocked_ = ::pthread_sigmask(SIG_BLOCK, &set, &old_) == 0;
}

void SigpipeBlock::restore() noexcept {
  if (!blocked_) return;
  blocked_ = false;
  if (!sigismember(&old_, SIGPIPE)) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&set, nullptr, &zero) > 0) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  if (abbrev) return std::string("SIG") + abbrev;
  // glibc has no abbreviation for the real-time signals: named as bash's
  // `kill -l` and glibc's sig2str() name them, from the nearer end.
  const int rtmin = SIGRTMIN;
  const int rtmax = SIGRTMAX;
  if (sig == rtmin) return "SIGRTMIN";
  if (sig == rtmax) return "SIGRTMAX";
  if (sig > rtmin && sig <= rtmin + (rtmax - rtmin) / 2)
    return "SIGRTMIN+" + std::to_string(sig - rtmin);
  if (sig > rtmin && sig < rtmax) return "SIGRTMAX-" + std::to_string(rtmax - sig);
  return "signal " + std::to_string(sig);
}

TRAP_CHILD_PATH void no_core_files() noexcept {
  struct rlimit none = {0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
}

bool write_signal_safe(int fd, const char* data, std::size_t n) noexcept {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool copy_region_signal_safe(int from, off_t offset, int to, const char* kind,
                             const char* name) noexcept {
  off_t length = 0;  // a capture kept elsewhere than a file: known to be empty
  if (from >= 0) {
    struct stat st;
    if (::fstat(from, &st) != 0) return false;
    length = st.st_size > offset ? st.st_size - offset : 0;
  }
  // The header, formatted by hand: no stdio in a signal handler.
  char digits[24];
  int nd = 0;
  unsigned long long v = static_cast<unsigned long long>(length);
  do {
    digits[nd++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  char header[128];
  std::size_t h = 0;
  auto put = [&](const char* s) {
    while (*s && h < sizeof header - 2) header[h++] = *s++;
  };
  put(kind);
  put(" ");
  put(name);
  put(" ");
  while (nd > 0 && h < sizeof header - 1) header[h++] = digits[--nd];
  header[h++] = '\n';
  if (!write_signal_safe(to, header, h)) return false;
  char buf[16384];
  while (length > 0) {
    std::size_t want =
        length < static_cast<off_t>(sizeof buf) ? static_cast<std::size_t>(length) : sizeof buf;
    ssize_t r = ::pread(from, buf, want, offset);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    if (!write_signal_safe(to, buf, static_cast<std::size_t>(r))) return false;
    offset += r;
    length -= r;
  }
  return true;
}

TRAP_CHILD_PATH void exit_now(int code) noexcept {
  ::syscall(SYS_exit_group, code);
  for (;;) ::pause();
}

}  // namespace trap::posix

namespace trap::posix {

void set_process_group(pid_t pid) noexcept { ::setpgid(pid, pid); }

bool group_has_processes(pid_t group) noexcept { return ::kill(-group, 0) == 0 || errno != ESRCH; }

void kill_and_reap(pid_t pid) noexcept {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace trap::posix

namespace trap::posix {

namespace {

// What is wrong with redirect @p r of @p all, whose file action failed
// with @p err: under a low RLIMIT_NOFILE, a descriptor beyond it.
std::string redirect_problem(const Redirect& r, const std::vector<Redirect>& all, int err) {
  std::string what = ": descriptor " + std::to_string(r.to);
  struct rlimit limit {};
  if (err != EBADF || ::getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
      static_cast<rlim_t>(std::max(r.from, r.to)) < limit.rlim_cur)
    return what;
  int highest = 0;
  for (const Redirect& each : all) highest = std::max({highest, each.from, each.to});
  return what + " is beyond the descriptor limit RLIMIT_NOFILE " + std::to_string(limit.rlim_cur) +
         " (ulimit -n; at least " + std::to_string(highest + 1) + " is needed)";
}

}  // namespace

pid_t spawn(const std::string& path, const std::vector<std::string>& argv,
            const std::vector<std::string>& env, const std::vector<Redirect>& redirects) {
  const std::string what = "posix_spawn \"" + path + "\"";
  std::vector<char*> args, vars;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& v : env) vars.push_back(const_cast<char*>(v.c_str()));
  vars.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  for (auto& r : redirects) {
    // A descriptor the file action cannot name is refused here (EBADF),
    // and the action left out: the program would run without it.
    const int rc = r.from < 0
                       ? ::posix_spawn_file_actions_addopen(&actions, r.to, "/dev/null", O_RDWR, 0)
                       : ::posix_spawn_file_actions_adddup2(&actions, r.from, r.to);
    if (rc != 0) {
      ::posix_spawn_file_actions_destroy(&actions);
      fail(rc, what + redirect_problem(r, redirects, rc));
    }
  }
  ::posix_spawnattr_init(&attr);  // after the file actions, which may fail
  sigset_t none;
  sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  count_spawn();
  int rc;
  do {
    rc = take_fault("posix_spawn");
    if (rc <= 0) rc = ::posix_spawn(&pid, path.c_str(), &actions, &attr, args.data(), vars.data());
  } while (rc == EINTR);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) fail(rc, what + process_limit_note(rc));
  return pid;
}

}  // namespace trap::posix

namespace trap::posix {

std::pair<Fd, Fd> handover_socket() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) fail(errno, "socketpair");
  return {off_standard_fds(Fd(sv[0])), off_standard_fds(Fd(sv[1]))};
}

TRAP_CHILD_PATH bool hand_over(int socket, int fd, const char* label) noexcept {
  struct iovec iov = {const_cast<char*>(label), ::strnlen(label, 200)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    ::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t r;
  do r = ::sendmsg(socket, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r >= 0;
}

namespace {

// Receives one message queued on @p socket into @p label, without waiting:
// its length (-1 if none is queued), and in @p fd the descriptor it
// carried (-1 if none; close-on-exec).
ssize_t receive_handed_over(int socket, char (&label)[256], int& fd) {
  fd = -1;
  for (;;) {
    struct iovec iov = {label, sizeof label};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(socket, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
    if (n < 0) fail(errno, "recvmsg");
    if (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c && c->cmsg_type == SCM_RIGHTS)
      ::memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return n;
  }
}

}  // namespace

std::vector<HandedOver> take_handed_over(int socket) {
  std::vector<HandedOver> got;
  char label[256];
  int fd;
  for (ssize_t n; (n = receive_handed_over(socket, label, fd)) >= 0;)
    got.push_back({std::string(label, static_cast<std::size_t>(n)),
                   fd >= 0 ? off_standard_fds(Fd(fd)) : Fd(fd)});
  return got;
}

void discard_handed_over(int socket) {
  char label[256];
  int fd;
  while (receive_handed_over(socket, label, fd) >= 0)
    if (fd >= 0) ::close(fd);
}

}  // namespace trap::posix
