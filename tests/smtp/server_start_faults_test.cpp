// SPDX-License-Identifier: BSL-1.0
// trap::smtp::Server's start and shutdown when descriptors run out, as
// tests/http/server_start_faults_test.cpp walks trap::http::Server's: the
// sockets, the reactor's epoll and eventfd are Boost.Asio's own system
// calls, outside the posix fault seam, so the walk lowers RLIMIT_NOFILE one
// descriptor at a time from none free to enough. At each step the
// constructor either starts a server that shuts down clean, or throws a
// trap::TrapError saying "Too many open files"; either way no descriptor,
// no thread and (with STARTTLS) no CA file is left behind. Then whole
// start/shutdown cycles, with and without STARTTLS and with a client, and
// constructors that throw on an address they cannot or must not listen on.
#define BOOST_TEST_MODULE smtp_server_start_faults
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/smtp.hpp>

#include "support/test_support.hpp"

using trap::smtp::Server;
using trap::smtp::ServerOptions;
using namespace std::chrono_literals;

// A sanitizer's runtime needs descriptors of its own while the program
// runs (UBSan's check of a virtual call opens a pipe to probe memory):
// starved of them, it reports errors the program does not have. The walk
// runs in the plain build only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRAP_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TRAP_TEST_SANITIZED 1
#endif
#endif
#ifndef TRAP_TEST_SANITIZED
#define TRAP_TEST_SANITIZED 0
#endif

namespace {

boost::test_tools::assertion_result not_sanitized(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(!TRAP_TEST_SANITIZED);
  r.message() << "a sanitizer's runtime needs the descriptors this walk takes away";
  return r;
}

// The servers' temp files (STARTTLS's CA file) go to a directory of this
// test's own: what is left there is what the servers left, whatever other
// programs do in /tmp meanwhile.
struct PrivateTmpdir {
  PrivateTmpdir() {
    std::string dir =
        (std::filesystem::temp_directory_path() / "smtp_start_faults.XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(dir.data()) != nullptr);
    BOOST_REQUIRE(::setenv("TMPDIR", dir.c_str(), 1) == 0);
    BOOST_REQUIRE(::setenv("TEST_TMPDIR", dir.c_str(), 1) == 0);  // looked at first
    dir_ = dir;
  }
  ~PrivateTmpdir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
};

ServerOptions with_starttls() {
  ServerOptions o;
  o.starttls = true;
  return o;
}

// How one start under a descriptor limit went.
struct Attempt {
  bool started = false;
  bool trap_error = false;        // the error was a trap::TrapError
  std::string what;               // the error's message, or the shutdown report
  std::filesystem::path ca_file;  // with STARTTLS, the server's CA file
};

rlim_t lowest_free_fd() {
  int fd = 0;
  while (test_support::is_open_fd(fd)) ++fd;
  return static_cast<rlim_t>(fd);
}

// Starts and shuts down a server with the soft RLIMIT_NOFILE at @p limit;
// the limit is back where it was when this returns.
Attempt start_under(rlim_t limit, const ServerOptions& options) {
  struct rlimit old {};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  struct rlimit low = old;
  low.rlim_cur = limit;
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  Attempt a;
  try {
    Server server(options);
    a.started = true;
    if (options.starttls) a.ca_file = server.ca_file();
    a.what = server.shutdown().describe();  // closing needs no descriptor
  } catch (const trap::TrapError& e) {
    a.trap_error = true;
    a.what = e.what();
  } catch (const std::exception& e) {
    a.what = std::string(typeid(e).name()) + ": " + e.what();
  }
  ::setrlimit(RLIMIT_NOFILE, &old);
  return a;
}

// The files in the temp directory, where a server keeps its CA file.
std::vector<std::filesystem::path> temp_files() {
  std::vector<std::filesystem::path> v;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec))
    v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// The walk: from no descriptor free to enough for a server. Returns what
// each step did, in order.
std::vector<Attempt> walk(const ServerOptions& options) {
  test_support::PrivateTmpdir tmp;  // other programs' temp files are not counted
  { Server warm(options); }         // what is made once per process exists from here on
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  const auto files = temp_files();
  const rlim_t first = lowest_free_fd();
  std::vector<Attempt> steps;
  for (rlim_t limit = first; limit < first + 64; ++limit) {
    Attempt a = start_under(limit, options);
    BOOST_TEST_INFO("limit " << limit << " (" << limit - first << " free): " << a.what);
    BOOST_TEST(test_support::settled_fd_count(fds) == fds);
    BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
    BOOST_TEST((temp_files() == files), "no file left in the temp directory");
    if (!a.ca_file.empty()) BOOST_TEST(!std::filesystem::exists(a.ca_file), a.ca_file);
    steps.push_back(a);
    if (a.started) break;
  }
  return steps;
}

// Whether @p what names a call the start makes: the reactor's (Asio's
// "epoll", "eventfd_select_interrupter"), a listener's, or the CA file's.
bool names_a_call(const std::string& what) {
  for (const char* call : {"epoll", "eventfd", "socket: ", "bind: ", "listen: ", "(mkstemp)"})
    if (what.find(call) != std::string::npos) return true;
  return false;
}

void check_walk(const std::vector<Attempt>& steps) {
  BOOST_REQUIRE(!steps.empty());
  BOOST_TEST(steps.back().started, "a server starts once enough descriptors are free");
  BOOST_TEST(steps.back().what == "clean");
  // The reactor's epoll and eventfd, and both listeners' sockets at least.
  BOOST_TEST(steps.size() >= 5u);
  for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
    BOOST_TEST_INFO("step " << i << ": " << steps[i].what);
    BOOST_TEST(!steps[i].started);
    BOOST_TEST(steps[i].trap_error);
    BOOST_TEST(names_a_call(steps[i].what));
    BOOST_TEST(steps[i].what.find(std::strerror(EMFILE)) != std::string::npos);
  }
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(PrivateTmpdir);

BOOST_AUTO_TEST_CASE(every_start_short_of_descriptors_fails_clearly_and_leaks_nothing,
                     *boost::unit_test::precondition(not_sanitized)) {
  check_walk(walk({}));
}

BOOST_AUTO_TEST_CASE(with_starttls_too, *boost::unit_test::precondition(not_sanitized)) {
  auto plain = walk({}), tls = walk(with_starttls());
  check_walk(tls);
  // STARTTLS's CA file is written first, with a descriptor of its own
  // closed before the reactor opens its.
  BOOST_REQUIRE(!tls.empty());
  BOOST_TEST(tls.front().what.starts_with("trap::smtp::Server: cannot write the CA file: "),
             tls.front().what);
  BOOST_TEST(tls.size() >= plain.size());
}

BOOST_AUTO_TEST_CASE(a_listener_that_cannot_be_opened_is_a_trap_error_naming_the_address,
                     *boost::unit_test::precondition(not_sanitized)) {
  auto steps = walk({});
  std::vector<std::string> listeners;
  for (const Attempt& a : steps)
    if (a.what.find("cannot listen") != std::string::npos) listeners.push_back(a.what);
  BOOST_REQUIRE(!listeners.empty());
  BOOST_TEST(listeners.front() ==
             "trap::smtp::Server: cannot listen on 127.0.0.1: socket: Too many open files");
  if (Server{}.port6() != 0)  // where IPv6 is off, ::1 is skipped
    BOOST_TEST(listeners.back() ==
               "trap::smtp::Server: cannot listen on ::1: socket: Too many open files");
}

BOOST_AUTO_TEST_CASE(one_address_needs_one_socket_less,
                     *boost::unit_test::precondition(not_sanitized)) {
  ServerOptions v4;
  v4.address = "127.0.0.1";
  auto both = walk({}), one = walk(v4);
  BOOST_REQUIRE((!both.empty() && !one.empty()));
  BOOST_TEST(one.back().started);
  const std::size_t v6_sockets = Server{}.port6() != 0 ? 1 : 0;
  BOOST_TEST(one.size() + v6_sockets == both.size());
}

// ---- whole cycles --------------------------------------------------------------------

namespace {

// Reads from @p fd until @p want has come, the connection ends or 10 s
// pass; appends what it read to @p in.
bool read_until(int fd, const std::string& want, std::string& in) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (in.find(want) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= until) return false;
    int b = test_support::read_byte_within(fd, 10000);
    if (b < 0) return false;
    in += static_cast<char>(b);
  }
  return true;
}

// A whole session on 127.0.0.1:@p port, each command sent once the reply
// before it has come (no pipelining): the greeting, EHLO, one message,
// QUIT, and the server's end of file. Returns what the client read.
std::string one_session(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string in;
  const std::vector<std::pair<std::string, std::string>> steps{
      {"", "220 "},
      {"EHLO client.example\r\n", "250 "},
      {"MAIL FROM:<a@example.com>\r\n", "250 "},
      {"RCPT TO:<b@example.com>\r\n", "250 "},
      {"DATA\r\n", "354 "},
      {"Subject: cycle\r\n\r\nhello\r\n.\r\n", "250 2.0.0 OK: queued\r\n"},
      {"QUIT\r\n", "221 2.0.0 Bye\r\n"}};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    for (auto& [text, want] : steps) {
      if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
        break;
      std::string reply;
      if (!read_until(fd, want, reply)) break;
      in += reply;
    }
    if (test_support::read_byte_within(fd, 10000) == test_support::kEndOfFile) in += "<EOF>";
  }
  ::close(fd);
  return in;
}

}  // namespace

BOOST_AUTO_TEST_CASE(start_shutdown_cycles_leave_descriptors_threads_and_files_as_they_were) {
  test_support::PrivateTmpdir tmp;
  { Server warm(with_starttls()); }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  const auto files = temp_files();
  for (int i = 0; i < 12; ++i) {
    BOOST_TEST_CONTEXT("cycle " << i) {
      ServerOptions options = i % 3 == 1 ? with_starttls() : ServerOptions{};
      std::filesystem::path ca;
      {
        Server server(options);
        if (options.starttls) {
          ca = server.ca_file();
          BOOST_TEST(std::filesystem::exists(ca));
        }
        if (i % 2 == 0) {
          // A whole session, QUIT included: the server closes it.
          auto in = one_session(server.port());
          BOOST_TEST(in.ends_with("221 2.0.0 Bye\r\n<EOF>"), in);
          BOOST_TEST(server.take_message(5s).has_value());
        }
        auto report = server.shutdown();
        BOOST_TEST(report.clean(), report.describe());
      }
      if (!ca.empty()) BOOST_TEST(!std::filesystem::exists(ca), ca);
      BOOST_TEST(test_support::settled_fd_count(fds) == fds);
      BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
      BOOST_TEST((temp_files() == files), "no file left in the temp directory");
    }
  }
}

// ---- constructors that throw ---------------------------------------------------------

namespace {

// What constructing a server on @p address threw.
struct Refusal {
  bool usage_error = false;  // a trap::UsageError (else a trap::TrapError)
  std::string what;
};

// Constructs a server on @p address, which must throw trap::TrapError or
// trap::UsageError naming it; nothing may be left behind.
Refusal refused(const std::string& address) {
  ServerOptions options;
  options.address = address;
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  Refusal r;
  try {
    Server server(options);
    BOOST_ERROR("a server on \"" << address << "\" started, on port " << server.port());
  } catch (const trap::TrapError& e) {
    r.what = e.what();
  } catch (const trap::UsageError& e) {
    r.usage_error = true;
    r.what = e.what();
  }
  BOOST_TEST(r.what.find(address) != std::string::npos, r.what);
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
  return r;
}

}  // namespace

// Not an address at all: the caller's mistake.
BOOST_AUTO_TEST_CASE(an_address_that_is_not_one_is_a_usage_error_naming_it) {
  { Server warm; }
  for (std::string bad : {"256.0.0.1", "localhost:25", "not an address"}) {
    auto r = refused(bad);
    BOOST_TEST(r.usage_error, r.what);
    BOOST_TEST(r.what == "trap::smtp::Server: not an address: \"" + bad + "\"");
  }
}

// An address, but not a loopback one: the server promises 127.0.0.1 and
// ::1 only, so listening on every interface (or one of another network)
// is the caller's mistake, said before anything is made.
BOOST_AUTO_TEST_CASE(an_address_that_is_not_loopback_is_a_usage_error_naming_it) {
  { Server warm; }
  for (std::string bad : {"0.0.0.0", "::", "8.8.8.8", "192.0.2.1", "::ffff:127.0.0.1"}) {
    auto r = refused(bad);
    BOOST_TEST(r.usage_error, r.what);
    BOOST_TEST(r.what == "trap::smtp::Server: \"" + bad +
                             "\" is not a loopback address: the server listens on 127.0.0.1 or "
                             "::1 (or another address of 127.0.0.0/8) only");
  }
  ServerOptions other;
  other.address = "127.0.0.2";  // loopback too
  Server server(other);
  BOOST_TEST(server.host() == "127.0.0.2");
  BOOST_TEST(server.port() != 0);
  BOOST_TEST(server.shutdown().clean());
}

BOOST_AUTO_TEST_CASE(a_refused_starttls_server_leaves_no_ca_file) {
  test_support::PrivateTmpdir tmp;
  { Server warm(with_starttls()); }
  const auto files = temp_files();
  ServerOptions options = with_starttls();
  options.address = "8.8.8.8";
  BOOST_CHECK_THROW(Server{options}, trap::UsageError);
  BOOST_TEST((temp_files() == files), "no file left in the temp directory");
}

// A log that keeps nothing could never answer take_message(): refused, as
// trap::net::TcpServer and UdpServer refuse it.
BOOST_AUTO_TEST_CASE(a_max_log_of_0_is_a_usage_error) {
  ServerOptions o;
  o.max_log = 0;
  std::string what = "no error";
  try {
    Server server(o);
  } catch (const trap::UsageError& e) {
    what = e.what();
  }
  BOOST_TEST(what == "trap::smtp::Server: max_log must be at least 1");
}
