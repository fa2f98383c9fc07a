// SPDX-License-Identifier: BSL-1.0
// Scenarios on trap::http::Server, the load of issue 17: many keep-alive
// clients at once through one server whose handler echoes each request's
// body (http_clients), and many servers one after the other (http_cycles).
// Written against the public API only.
#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <trap/http.hpp>

#include "soak.hpp"
#include "socket.hpp"

namespace soak {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

/// The body of request @p seq of client @p tag: both numbers first, so an
/// answer meant for another request or client is seen, then 0 to 99 bytes.
std::string make_body(long tag, long seq) {
  std::string s = "c" + std::to_string(tag) + ":" + std::to_string(seq) + ":";
  s.append(static_cast<std::size_t>(seq % 100), static_cast<char>('a' + (tag + seq) % 26));
  return s;
}

std::string post(std::uint16_t port, const std::string& body) {
  return "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

/// Takes one response off the front of @p in if it is all there: its status
/// and body. @throws Failure on a response without Content-Length.
std::optional<std::pair<int, std::string>> take_response(std::string& in) {
  auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  std::string head = in.substr(0, end + 2);
  for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto at = head.find("\r\ncontent-length:");
  if (at == std::string::npos)
    throw Failure("a response without Content-Length: " + soak::quoted(head));
  std::size_t length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
  if (in.size() < end + 4 + length) return std::nullopt;
  int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
  std::string body = in.substr(end + 4, length);
  in.erase(0, end + 4 + length);
  return std::pair{status, std::move(body)};
}

/// The server of http_clients: its handler answers 200 with the body it got.
trap::http::Server echo_server() {
  trap::http::ServerOptions options;
  options.address = "127.0.0.1";
  options.handler = [](const trap::http::Request& r) {
    return trap::http::Response::text(200, r.body);
  };
  return trap::http::Server(std::move(options));
}

/// One keep-alive client of http_clients: non-blocking, one request in
/// flight, each answer checked before the next request goes.
struct Client {
  Fd fd;
  long tag = 0;
  long total = 0;     // requests to make
  long answered = 0;  // answers received and checked
  std::uint16_t port = 0;
  bool waiting = false;  // a request is out, its answer not yet in
  std::string out, in;

  /// Queues the next request when the last was answered; writes what the
  /// socket takes.
  void pump() {
    if (!waiting && answered < total) {
      out = post(port, make_body(tag, answered));
      waiting = true;
    }
    while (!out.empty()) {
      ssize_t w = ::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (w <= 0) throw Failure("client " + std::to_string(tag) + ": " + errno_text("send", errno));
      out.erase(0, static_cast<std::size_t>(w));
    }
  }

  /// Reads what is there (edge-triggered: until EAGAIN) and checks the answer.
  void drain() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0)
        throw Failure("client " + std::to_string(tag) + ": connection closed by the server after " +
                      std::to_string(answered) + " of " + std::to_string(total) + " answers");
      in.append(buf, static_cast<std::size_t>(n));
    }
    while (auto r = take_response(in)) {
      if (!waiting) throw Failure("client " + std::to_string(tag) + ": an answer never asked for");
      const std::string want = make_body(tag, answered);
      if (r->first != 200 || r->second != want)
        throw Failure("client " + std::to_string(tag) + ": answer " + std::to_string(r->first) +
                      " " + soak::quoted(r->second) + ", expected 200 " + soak::quoted(want));
      ++answered;
      waiting = false;
    }
  }
};

void require_descriptors(long needed) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      static_cast<long>(rl.rlim_cur) < needed)
    throw Failure("RLIMIT_NOFILE soft limit " + std::to_string(rl.rlim_cur) + " is below the " +
                  std::to_string(needed) + " descriptors this needs");
}

/// Drives every client until each has had all its answers.
void exchange(std::vector<Client>& clients, long requests, const Deadline& deadline) {
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (ep.get() < 0) throw Failure(errno_text("epoll_create1", errno));
  for (std::size_t k = 0; k < clients.size(); ++k) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = k;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, clients[k].fd.get(), &ev) != 0)
      throw Failure(errno_text("epoll_ctl", errno));
    clients[k].pump();
  }
  long answered = 0, done = 0;
  auto last_progress = std::chrono::steady_clock::now();
  std::vector<epoll_event> events(512);
  while (done < static_cast<long>(clients.size())) {
    deadline.check(answered, requests);
    int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(errno_text("epoll_wait", errno));
    if (n == 0 && std::chrono::steady_clock::now() - last_progress > 60s)
      throw Failure("no answer for 60 s after " + std::to_string(answered) + " of " +
                    std::to_string(requests) + " requests");
    for (int i = 0; i < n; ++i) {
      Client& c = clients[events[i].data.u64];
      const long before = c.answered;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) c.drain();
      c.pump();
      answered += c.answered - before;
      if (c.answered > before) last_progress = std::chrono::steady_clock::now();
      if (before < c.total && c.answered == c.total) ++done;
    }
  }
}

/// 1,000 keep-alive clients connected at once (fewer when the full run,
/// @p of requests, is below 100,000), @p requests requests in all through
/// one server, each answer checked; then the server's log must hold them
/// all and its shutdown be clean.
void run_clients(long requests, long of, const Deadline& deadline) {
  const long n = std::clamp(of / 100, 1L, std::min(requests, 1000L));
  require_descriptors(2 * n + 64);
  trap::http::Server server = echo_server();
  {
    std::vector<Client> clients(static_cast<std::size_t>(n));
    for (long k = 0; k < n; ++k) {
      deadline.check(k, n);
      Client& c = clients[static_cast<std::size_t>(k)];
      c.fd = connect_loopback(server.port());
      if (::fcntl(c.fd.get(), F_SETFL, ::fcntl(c.fd.get(), F_GETFL) | O_NONBLOCK) != 0)
        throw Failure(errno_text("fcntl(O_NONBLOCK)", errno));
      c.tag = k;
      c.port = server.port();
      c.total = requests / n + (k < requests % n ? 1 : 0);
    }
    exchange(clients, requests, deadline);
  }  // every client closes its side
  if (server.request_count() != static_cast<std::size_t>(requests))
    throw Failure("the server counted " + std::to_string(server.request_count()) + " of " +
                  std::to_string(requests) + " requests");
  auto report = server.shutdown(10s);
  if (!report.clean()) throw Failure(report.describe());
}

/// A client that makes one request on @p server and checks its answer.
/// @throws Failure
Fd answered_client(trap::http::Server& server, long i) {
  Fd fd = connect_loopback(server.port());
  const std::string body = make_body(i, 0);
  send_all(fd.get(), post(server.port(), body));
  std::string in = read_until(fd.get(), body, 10s).bytes;
  auto r = take_response(in);
  if (!r || r->first != 200 || r->second != body)
    throw Failure("cycle " + std::to_string(i) + ": the client got " + soak::quoted(in) +
                  ", expected 200 " + soak::quoted(body));
  return fd;
}

void expect_clean(const trap::http::ShutdownReport& report, long i) {
  if (!report.clean()) throw Failure("cycle " + std::to_string(i) + ": " + report.describe());
}

/// One server's life (the default options: 127.0.0.1 and ::1). Most have
/// no client; one in ten has a client that makes a request and closes
/// before the shutdown; one in ten one that makes a request and stays
/// connected, idle, so the shutdown must close it (the client reads end of
/// file) and report clean; every tenth of those checks the log too.
void one_cycle(long i) {
  trap::http::ServerOptions options;
  options.handler = [](const trap::http::Request& r) {
    return trap::http::Response::text(200, r.body);
  };
  trap::http::Server server(std::move(options));
  if (server.port() == 0) throw Failure("cycle " + std::to_string(i) + ": no IPv4 listener");
  if (i % 10 == 3) {
    Fd fd = answered_client(server, i);
    fd.reset();
    expect_clean(server.shutdown(), i);
  } else if (i % 10 == 7) {
    Fd fd = answered_client(server, i);
    if (i % 100 == 7) {
      auto log = server.requests();
      if (log.size() != 1 || log[0].body != make_body(i, 0))
        throw Failure("cycle " + std::to_string(i) + ": the log holds " +
                      std::to_string(log.size()) + " requests, not the one sent");
    }
    auto report = server.shutdown(10s);
    if (!read_until(fd.get(), "", 10s).eof)
      throw Failure("cycle " + std::to_string(i) + ": the idle client saw no end of file");
    expect_clean(report, i);
  } else {
    expect_clean(server.shutdown(), i);
  }
}

void run_cycles(long n, long, const Deadline& deadline) {
  for (long i = 0; i < n; ++i) {
    deadline.check(i, n);
    one_cycle(i);
  }
}

}  // namespace

std::vector<Scenario> http_scenarios() {
  std::vector<Scenario> v;
  Scenario clients;
  clients.name = "http_clients";
  clients.unit = "requests";
  clients.count = 100'000;  // 1,000 keep-alive clients x 100 requests
  // A whole pass first: it fills the server's request log and lets resident
  // memory settle, as tcp_clients does.
  clients.warmup = 100'000;
  clients.budget = microseconds(500);
  clients.run = run_clients;
  v.push_back(clients);

  Scenario cycles;
  cycles.name = "http_cycles";
  cycles.unit = "cycles";
  cycles.count = 1'000;
  cycles.warmup = 20;  // past the first cycles with a client (3 and 7)
  cycles.budget = microseconds(50'000);
  cycles.run = run_cycles;
  v.push_back(cycles);
  return v;
}

}  // namespace soak
