// SPDX-License-Identifier: BSL-1.0
// The servers and clients net_bench.cpp measures: blocking POSIX clients
// that check every reply, a minimal raw Boost.Asio line echo server (the
// baseline), trap::net::TcpServer set up the same way, and Perl's
// Test::POE::Server::TCP run as a child process where Perl has it.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <trap/net.hpp>

extern char** environ;

namespace net_bench {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kWait = 5000ms;  // the longest any wait in here may take
constexpr int kClients = 100;

inline int checked(int rc, const char* call) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), call);
  return rc;
}

// ---- clients ---------------------------------------------------------------

/// A blocking client socket on 127.0.0.1.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
    try {
      setup(port);
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Closes with a reset (SO_LINGER 0): no TIME_WAIT left behind, for the
  /// benchmarks that open thousands of connections.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      checked(static_cast<int>(n), "send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads exactly @p expected.size() bytes; "" if they are @p expected,
  /// else what went wrong.
  std::string expect(std::string_view expected) {
    char buf[64];
    std::size_t got = 0;
    while (got < expected.size()) {
      ssize_t n = ::recv(fd_, buf + got, expected.size() - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::string("recv: ") + std::strerror(errno);
      if (n == 0) return "end of file after " + std::to_string(got) + " bytes";
      got += static_cast<std::size_t>(n);
    }
    if (std::string_view(buf, got) != expected) return "read \"" + std::string(buf, got) + "\"";
    return "";
  }

  /// "" if the server has closed the connection (end of file), else what
  /// came instead.
  std::string expect_eof() {
    char c;
    for (;;) {
      ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return "";
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::string("waiting for end of file: ") + std::strerror(errno);
      return "a byte instead of end of file";
    }
  }

 private:
  /// TCP_NODELAY, 5 s timeouts, connect() to 127.0.0.1:@p port.
  void setup(std::uint16_t port) {
    int one = 1;
    checked(::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "TCP_NODELAY");
    timeval tv{5, 0};
    checked(::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), "SO_RCVTIMEO");
    checked(::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), "SO_SNDTIMEO");
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "connect");
  }

  int fd_ = -1;
};

constexpr std::string_view kPing = "ping\n";

/// One round: every client sends "ping\n", then every reply is read.
inline std::string round_trip_all(std::vector<std::unique_ptr<Client>>& clients) {
  for (auto& c : clients) c->send(kPing);
  for (auto& c : clients)
    if (std::string why = c->expect(kPing); !why.empty()) return why;
  return "";
}

inline std::vector<std::unique_ptr<Client>> connect_clients(std::uint16_t port, int n) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < n; ++i) clients.push_back(std::make_unique<Client>(port));
  return clients;
}

/// Runs @p body(state); an exception fails the benchmark.
template <class Body>
inline void guarded(benchmark::State& state, Body body) {
  try {
    body(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

/// Stops the loop with @p why unless it is empty; true if it stopped.
inline bool failed(benchmark::State& state, const std::string& why) {
  if (why.empty()) return false;
  state.SkipWithError(why.c_str());
  return true;
}

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline long client_waits() {
  rusage r{};
  ::getrusage(RUSAGE_THREAD, &r);
  return r.ru_nvcsw;
}

/// What a loop of requests cost besides its wall time, as counters per
/// request: server_cpu_us, the CPU time of the server's thread (this
/// process's CPU time less the benchmark thread's; nothing else runs in the
/// process), and client_waits, how often the client blocked for a reply
/// (voluntary context switches of the benchmark thread). Pinned to one CPU,
/// a server that takes longer per reply makes the client wait more often,
/// and each wait is a pair of context switches.
class RequestCost {
 public:
  RequestCost()
      : process_(cpu_seconds(CLOCK_PROCESS_CPUTIME_ID)),
        thread_(cpu_seconds(CLOCK_THREAD_CPUTIME_ID)),
        waits_(client_waits()) {}
  /// Sets the counters; @p in_process: the server runs in this process.
  void report(benchmark::State& st, std::int64_t requests, bool in_process) const {
    if (requests <= 0) return;
    const auto n = static_cast<double>(requests);
    st.counters["client_waits"] = static_cast<double>(client_waits() - waits_) / n;
    if (!in_process) return;
    double process = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_;
    double thread = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - thread_;
    st.counters["server_cpu_us"] = (process - thread) * 1e6 / n;
  }

 private:
  double process_, thread_;
  long waits_;
};

// ---- the baseline: a minimal raw Boost.Asio line echo server ---------------

/// One io_context on a thread of its own, one acceptor on 127.0.0.1 (port 0)
/// and, with @p both_families, one on ::1 as trap's default server has,
/// async_read_until '\n' and async_write of the line back per connection.
/// Counts accepted and open connections for the benchmark's thread.
class RawEcho {
 public:
  explicit RawEcho(bool both_families = false)
      : acceptor_(ctx_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept(acceptor_);
    if (both_families) {
      acceptor6_.emplace(ctx_, tcp::endpoint(asio::ip::address_v6::loopback(), 0));
      accept(*acceptor6_);
    }
    thread_ = std::thread([this] { ctx_.run(); });
  }
  ~RawEcho() { stop(); }
  RawEcho(const RawEcho&) = delete;
  RawEcho& operator=(const RawEcho&) = delete;

  std::uint16_t port() const { return port_; }

  /// Waits until @p n connections have been accepted in all; false on timeout.
  bool wait_accepted(std::size_t n) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, kWait, [&] { return accepted_ >= n; });
  }
  /// Waits until no connection is open; false on timeout.
  bool wait_none_open() {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, kWait, [&] { return open_ == 0; });
  }

  /// Closes the acceptor and every connection, and joins the thread, which
  /// ends when the aborted handlers have run.
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(ctx_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      if (acceptor6_) acceptor6_->close(ignored);
      for (auto& s : sessions_) s->socket.close(ignored);
      sessions_.clear();
    });
    thread_.join();
  }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    asio::streambuf in;
    std::string line;
  };

  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;  // closed by stop()
      auto session = std::make_shared<Session>(std::move(s));
      sessions_.insert(session);
      {
        std::lock_guard lock(m_);
        ++accepted_;
        ++open_;
      }
      cv_.notify_all();
      read(session);
      accept(acceptor);
    });
  }

  void read(const std::shared_ptr<Session>& s) {
    asio::async_read_until(
        s->socket, s->in, '\n', [this, s](boost::system::error_code ec, std::size_t n) {
          if (ec) return close(s);
          auto data = s->in.data();
          s->line.assign(asio::buffers_begin(data),
                         asio::buffers_begin(data) + static_cast<long>(n));
          s->in.consume(n);
          asio::async_write(s->socket, asio::buffer(s->line),
                            [this, s](boost::system::error_code ec, std::size_t) {
                              if (ec) return close(s);
                              read(s);
                            });
        });
  }

  void close(const std::shared_ptr<Session>& s) {
    boost::system::error_code ignored;
    s->socket.close(ignored);
    if (sessions_.erase(s) == 0) return;  // stop() closed it
    {
      std::lock_guard lock(m_);
      --open_;
    }
    cv_.notify_all();
  }

  asio::io_context ctx_{1};
  tcp::acceptor acceptor_;
  std::optional<tcp::acceptor> acceptor6_;
  std::uint16_t port_ = 0;
  std::set<std::shared_ptr<Session>> sessions_;  // the I/O thread's
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t accepted_ = 0, open_ = 0;
};

// ---- trap's server, echoing -------------------------------------------------

/// A TcpServer with the default options (127.0.0.1 and ::1, port 0, lines)
/// whose client_input handler sends each line back.
struct TrapEcho {
  trap::net::TcpServer server;
  std::uint16_t port = server.port();
  TrapEcho() {
    server.register_events({"client_input"}, [this](const trap::net::ServerEvent& e) {
      server.send_to_client(e.client, e.input);
    });
  }
  /// Waits for @p n connected events; false on timeout.
  bool wait_connections(int n) {
    for (int i = 0; i < n; ++i)
      if (!server.wait_for_connection(kWait)) return false;
    return true;
  }
};

// ---- Perl's Test::POE::Server::TCP -------------------------------------------

/// bench/poe_echo_server.pl, started once by main() if Perl has
/// Test::POE::Server::TCP. It reads its stdin from a pipe this process holds:
/// closing it (or dying) ends the server.
class PoeServer {
 public:
  /// The running server, or nullptr (with the reason on stderr).
  static PoeServer* instance() { return instance_.get(); }

  static void start() {
    try {
      instance_.reset(new PoeServer());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "net_bench: no Test::POE::Server::TCP rows: %s\n", e.what());
    }
  }
  static void stop() { instance_.reset(); }

  std::uint16_t port() const { return port_; }

  ~PoeServer() { end(); }

 private:
  /// Closes its stdin and reaps it: up to 2 s for a clean exit, then SIGKILL.
  void end() {
    ::close(stdin_);
    int status = 0;
    for (int i = 0; i < 200; ++i) {  // up to 2 s for a clean exit
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }

  PoeServer() {
    const char* script = TRAP_BENCH_POE_SERVER;
    if (::access(script, R_OK) != 0) throw std::runtime_error(std::string(script) + " not found");
    int in[2], out[2];
    checked(::pipe2(in, O_CLOEXEC), "pipe2");
    checked(::pipe2(out, O_CLOEXEC), "pipe2");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    const char* argv[] = {"perl", script, nullptr};
    int rc =
        ::posix_spawnp(&pid_, "perl", &actions, nullptr, const_cast<char* const*>(argv), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    if (rc != 0) {
      ::close(out[0]);
      ::close(stdin_);
      throw std::system_error(rc, std::generic_category(), "posix_spawnp perl");
    }
    // Its port, within 20 s (loading POE takes a while).
    std::string line;
    const auto until = Clock::now() + 20s;
    while (line.find('\n') == std::string::npos && Clock::now() < until) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[64];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int port = line.find('\n') == std::string::npos ? 0 : std::atoi(line.c_str());
    if (port <= 0 || port > 65535) {
      end();
      throw std::runtime_error("perl " + std::string(script) +
                               " printed no port (is Test::POE::Server::TCP installed?)");
    }
    port_ = static_cast<std::uint16_t>(port);
  }

  static inline std::unique_ptr<PoeServer> instance_;
  pid_t pid_ = 0;
  int stdin_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace net_bench
