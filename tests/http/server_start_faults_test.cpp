// SPDX-License-Identifier: BSL-1.0
// trap::http::Server's start and shutdown when descriptors run out. The
// server makes no call through the posix fault seam (posix/fd.hpp): its
// sockets, its reactor's epoll and eventfd are Boost.Asio's own system
// calls. So the walk lowers RLIMIT_NOFILE instead, one descriptor at a
// time from none free to enough: at each step the constructor either
// starts a server that shuts down clean, or throws an error naming the
// call that failed and "Too many open files"; either way no descriptor and
// no thread is left behind.
#define BOOST_TEST_MODULE http_server_start_faults
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <typeinfo>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "support/test_support.hpp"

using trap::http::Server;
using trap::http::ServerOptions;

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

// How one start under a descriptor limit went.
struct Attempt {
  bool started = false;
  bool trap_error = false;  // the error was a trap::TrapError
  std::string what;         // the error's message, or the shutdown report
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

// What the temp directory holds (where a TLS server writes its CA file).
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
    steps.push_back(a);
    if (a.started) break;
  }
  return steps;
}

// Whether @p what names a call the start makes: the reactor's (Asio's
// "epoll", "eventfd_select_interrupter") or a listener's.
bool names_a_call(const std::string& what) {
  for (const char* call : {"epoll", "eventfd", "socket: ", "bind: ", "listen: "})
    if (what.find(call) != std::string::npos) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_start_short_of_descriptors_fails_clearly_and_leaks_nothing,
                     *boost::unit_test::precondition(not_sanitized)) {
  auto steps = walk({});
  BOOST_REQUIRE(!steps.empty());
  BOOST_TEST(steps.back().started, "a server starts once enough descriptors are free");
  BOOST_TEST(steps.back().what == "clean");
  // The reactor's epoll and eventfd, and both listeners' sockets.
  BOOST_TEST(steps.size() >= 5u);
  for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
    BOOST_TEST_INFO("step " << i << ": " << steps[i].what);
    BOOST_TEST(!steps[i].started);
    BOOST_TEST(names_a_call(steps[i].what));
    BOOST_TEST(steps[i].what.find(std::strerror(EMFILE)) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_listener_that_cannot_be_opened_is_a_trap_error_naming_the_address,
                     *boost::unit_test::precondition(not_sanitized)) {
  auto steps = walk({});
  std::vector<std::string> listeners;
  for (const Attempt& a : steps)
    if (a.what.find("cannot listen") != std::string::npos) {
      BOOST_TEST(a.trap_error, a.what);
      listeners.push_back(a.what);
    }
  BOOST_REQUIRE(!listeners.empty());
  BOOST_TEST(listeners.front() ==
             "trap::http::Server: cannot listen on 127.0.0.1: socket: Too many open files");
  if (Server{}.port6() != 0)  // where IPv6 is off, ::1 is skipped
    BOOST_TEST(listeners.back() ==
               "trap::http::Server: cannot listen on ::1: socket: Too many open files");
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

// Every step short of the last fails as a TrapError (the reactor's and
// the thread's system errors wrapped), never as Boost's system_error.
BOOST_AUTO_TEST_CASE(every_failed_start_is_a_trap_error,
                     *boost::unit_test::precondition(not_sanitized)) {
  auto steps = walk({});
  for (std::size_t i = 0; i + 1 < steps.size(); ++i)
    BOOST_TEST(steps[i].trap_error, "step " << i << ": " << steps[i].what);
}

// With TLS the CA file is written first: every start that fails after it
// (a listener or the reactor short of descriptors) takes it away again.
BOOST_AUTO_TEST_CASE(a_tls_start_short_of_descriptors_leaves_no_ca_file,
                     *boost::unit_test::precondition(not_sanitized)) {
  ServerOptions tls;
  tls.tls = true;
  auto steps = walk(tls);
  BOOST_REQUIRE(!steps.empty());
  BOOST_TEST(steps.back().started);
  BOOST_TEST(steps.size() >= 5u);
}

// The server promises 127.0.0.1 and ::1 only (its certificate names
// nothing else): an address of every interface, or of another network,
// is the caller's mistake, said before anything is made (no CA file, no
// descriptor, no thread). Go's httptest listens on loopback only too.
BOOST_AUTO_TEST_CASE(an_address_that_is_not_loopback_is_a_usage_error_naming_it) {
  test_support::PrivateTmpdir tmp;
  { Server warm; }
  const int fds = test_support::count_fds();
  const int threads = test_support::count_threads();
  const auto files = temp_files();
  for (std::string bad : {"0.0.0.0", "::", "8.8.8.8", "192.0.2.1", "::ffff:127.0.0.1"}) {
    for (bool tls : {false, true}) {
      ServerOptions o;
      o.address = bad;
      o.tls = tls;
      std::string what = "no error";
      try {
        Server server(o);
      } catch (const trap::UsageError& e) {
        what = e.what();
      }
      BOOST_TEST(what == "trap::http::Server: \"" + bad +
                             "\" is not a loopback address: the server listens on 127.0.0.1 "
                             "or ::1 (or another address of 127.0.0.0/8) only");
    }
  }
  BOOST_TEST(test_support::settled_fd_count(fds) == fds);
  BOOST_TEST(test_support::settled_thread_count(threads) <= threads);
  BOOST_TEST((temp_files() == files), "no file left in the temp directory");
  ServerOptions other;
  other.address = "127.0.0.2";  // loopback too
  Server server(other);
  BOOST_TEST(server.port() != 0);
  BOOST_TEST(server.shutdown().clean());
}

// A log that keeps nothing could never answer take_request(): refused, as
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
  BOOST_TEST(what == "trap::http::Server: max_log must be at least 1");
}
