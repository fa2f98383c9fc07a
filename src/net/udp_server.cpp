// SPDX-License-Identifier: BSL-1.0
// trap::net::UdpServer on Boost.Asio: one socket per family, a receive loop
// on the server's thread, a log the test's thread waits on.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <trap/errors.hpp>
#include <trap/net.hpp>
#include <trap/trap.hpp>

#include "net/handler_failure.hpp"
#include "net/io_thread.hpp"
#include "net/standard_fds.hpp"
#include "net/stoppable_wait.hpp"
#include "posix/fd.hpp"

namespace trap::net {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;

struct Socket {
  explicit Socket(asio::io_context& ctx) : socket(ctx) {}
  udp::socket socket;
  bool v6 = false;
  std::uint16_t port = 0;  // kept when bound: read from the test's thread
  udp::endpoint from;
  std::array<char, 65536> buf{};
};

// The server whose own thread this is (null on other threads).
thread_local const void* serving = nullptr;

}  // namespace

class UdpServer::Impl : public std::enable_shared_from_this<UdpServer::Impl> {
 public:
  explicit Impl(UdpServerOptions o)
      : opt(std::move(o)),
        ctx(std::make_unique<asio::io_context>(1)),
        work(asio::make_work_guard(*ctx)) {}

  void bind_all() {
    detail::StandardFdsHeld held;  // for the reactor and the sockets made here
    std::vector<asio::ip::address> where;
    if (opt.address.empty() || opt.address == "localhost") {
      where.push_back(asio::ip::address_v4::loopback());
      if (opt.ipv6) where.push_back(asio::ip::address_v6::loopback());
    } else if (opt.address == "any") {
      where.push_back(asio::ip::address_v4::any());
      if (opt.ipv6) where.push_back(asio::ip::address_v6::any());
    } else {
      error_code ec;
      auto a = asio::ip::make_address(opt.address, ec);
      if (ec) throw UsageError("UdpServer: not an address: \"" + opt.address + "\"");
      where.push_back(a);
    }
    for (auto& a : where) {
      auto s = std::make_unique<Socket>(*ctx);
      error_code ec;
      if (int e = posix::take_library_fault("socket"))
        ec.assign(e, boost::system::system_category());
      else
        s->socket.open(a.is_v6() ? udp::v6() : udp::v4(), ec);
      if (ec)
        throw std::system_error(ec.value(), std::generic_category(),
                                "UdpServer: cannot open a socket for " + a.to_string());
      if (a.is_v6()) s->socket.set_option(asio::ip::v6_only(true), ec);
      if (int e = posix::take_library_fault("bind"))
        ec.assign(e, boost::system::system_category());
      else if (!ec)
        s->socket.bind(udp::endpoint(a, opt.port), ec);
      if (ec)
        throw std::system_error(
            ec.value(), std::generic_category(),
            "UdpServer: cannot bind " + a.to_string() + " port " + std::to_string(opt.port));
      s->v6 = a.is_v6();
      s->port = s->socket.local_endpoint(ec).port();
      (s->v6 ? port6 : port4) = s->port;
      sockets.push_back(std::move(s));
    }
  }

  void receive(Socket& s) {
    s.socket.async_receive_from(
        asio::buffer(s.buf), s.from,
        [this, self = shared_from_this(), &s](error_code ec, std::size_t n) {
          if (ec == asio::error::operation_aborted || !s.socket.is_open()) return;
          if (!ec) deliver(s, n);
          receive(s);
        });
  }

  void deliver(Socket& s, std::size_t n) {
    Datagram d;
    d.data.assign(s.buf.data(), n);
    d.peeraddr = s.from.address().to_string();
    d.peerport = s.from.port();
    {
      std::lock_guard lock(m);
      d.sequence = first_sequence + log.size();
      log.push_back(d);
      if (log.size() > opt.max_log) {  // the oldest goes
        log.pop_front();
        ++first_sequence;
      }
    }
    cv.notify_all();
    if (!opt.handler) return;
    // What shutdown() names if it has to wait for this handler.
    struct Answering {
      Impl& server;
      Answering(Impl& s, const Datagram& d) : server(s) {
        std::lock_guard lock(server.m);
        server.answering = &d;
      }
      ~Answering() {
        std::lock_guard lock(server.m);
        server.answering = nullptr;
      }
      Answering(const Answering&) = delete;
      Answering& operator=(const Answering&) = delete;
    } answering_now(*this, d);
    detail::call_handler(
        [&] { opt.handler(*self, d); }, "trap::net::UdpServer",
        [&] { return "a datagram from " + d.peeraddr + " port " + std::to_string(d.peerport); });
  }

  void start_thread() {
    thread = std::thread([this] {
      serving = this;
      ctx->run();
    });
  }

  bool on_server_thread() const { return serving == this; }

  // Closes the sockets and lets the thread end; from another thread, also
  // joins it and destroys the io_context (its epoll, eventfd, timerfd).
  // From a handler the thread cannot join itself: a later call does.
  //
  // A handler runs on the thread and nothing can stop it: shutdown() waits
  // for it, and says so (trap::warn) once it has waited a second.
  void shutdown() {
    bool here;
    std::future<void> closed;
    {
      std::lock_guard lock(m);
      here = on_server_thread();
      if (!finished) {
        finished = true;
        // The thread closes its sockets; a handler calling does it now.
        if (here) {
          close_sockets();
        } else {
          auto done = std::make_shared<std::promise<void>>();
          closed = done->get_future();
          asio::post(*ctx, [this, self = shared_from_this(), done] {
            close_sockets();
            done->set_value();
          });
        }
        work.reset();
      }
    }
    if (here) return;
    if (closed.valid() &&
        closed.wait_for(net::detail::kHandlerNoticeAfter) == std::future_status::timeout) {
      std::string what;
      {
        std::lock_guard lock(m);
        if (answering) what = answering->peeraddr + " port " + std::to_string(answering->peerport);
      }
      if (!what.empty())
        trap::warn("trap::net::UdpServer::shutdown(): a handler of a datagram from " + what +
                   " still runs after " + std::to_string(net::detail::kHandlerNoticeAfter.count()) +
                   " ms; waiting for it to return\n");
    }
    release();
  }

  void close_sockets() {
    for (auto& s : sockets) {
      error_code ignored;
      s->socket.close(ignored);
    }
  }

  void release() {
    std::lock_guard lock(release_m);
    if (thread.joinable()) thread.join();
    sockets.clear();  // before the context they were made on
    ctx.reset();
  }

  UdpServerOptions opt;
  std::unique_ptr<asio::io_context> ctx;  // gone after shutdown() returns
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::unique_ptr<Socket>> sockets;
  std::thread thread;
  std::mutex release_m;                // one release() at a time
  std::uint16_t port4 = 0, port6 = 0;  // kept after shutdown
  mutable std::mutex m;                // guards what follows
  std::condition_variable cv;
  std::deque<Datagram> log;          // the newest opt.max_log datagrams
  std::uint64_t first_sequence = 1;  // the sequence of log.front()
  std::uint64_t cursor = 1;          // the sequence wait_for_datagram() returns next
  bool finished = false;
  // The datagram a handler handles now, null when none runs: shutdown()
  // names its sender if it has to wait. Cleared under m before it goes.
  const Datagram* answering = nullptr;
  const int owner_pid = posix::self_pid();  // the process that made it
  UdpServer* self = nullptr;                // handed to the handler: set before the thread starts
};

UdpServer::UdpServer(UdpServerOptions options) {
  if (options.max_log == 0) throw UsageError("UdpServer: max_log must be at least 1");
  impl_ = std::make_shared<Impl>(std::move(options));
  impl_->self = this;
  impl_->bind_all();
  for (auto& s : impl_->sockets) impl_->receive(*s);
  impl_->start_thread();
}

UdpServer::~UdpServer() {
  trap::detail::StopShield shield;
  if (impl_ && detail::left_in_child(impl_, impl_->owner_pid)) return;
  impl_->shutdown();
}

std::uint16_t UdpServer::port() const { return impl_->port4; }
std::uint16_t UdpServer::port6() const { return impl_->port6; }

void UdpServer::send_to(std::string_view data, const std::string& address, std::uint16_t port) {
  detail::check_owner(impl_->owner_pid, "trap::net::UdpServer");
  trap::detail::StopShield shield;  // the task posted refers to this frame
  error_code ec;
  auto a = asio::ip::make_address(address, ec);
  if (ec) throw UsageError("UdpServer::send_to: not an address: \"" + address + "\"");
  std::promise<error_code> sent;
  auto result = sent.get_future();
  Socket* from = nullptr;
  auto send = [&] {
    error_code e;
    from->socket.send_to(asio::buffer(data.data(), data.size()), udp::endpoint(a, port), 0, e);
    sent.set_value(e);
  };
  bool here;
  {
    // Checked and posted under the lock: the thread runs it before ending.
    std::lock_guard lock(impl_->m);
    if (impl_->finished) throw UsageError("UdpServer::send_to: the server has shut down");
    for (auto& s : impl_->sockets)
      if (s->v6 == a.is_v6()) from = s.get();
    if (!from) throw UsageError("UdpServer::send_to: no socket for " + address + "'s family");
    here = impl_->on_server_thread();
    if (!here) asio::post(*impl_->ctx, send);
  }
  if (here) send();  // on the server's thread, which owns the socket
  if (auto e = result.get())
    throw std::system_error(e.value(), std::generic_category(), "UdpServer::send_to " + address);
}

std::optional<Datagram> UdpServer::wait_for_datagram(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  // The cursor is a sequence number: the log may have dropped its oldest.
  auto ready = [&] { return i.cursor < i.first_sequence + i.log.size(); };
  return detail::wait_stoppable(i.m, i.cv, detail::deadline_after(timeout), ready,
                                [&]() -> std::optional<Datagram> {
                                  if (!ready()) return std::nullopt;
                                  i.cursor = std::max(i.cursor, i.first_sequence);
                                  return i.log[i.cursor++ - i.first_sequence];
                                });
}

std::vector<Datagram> UdpServer::log() const {
  detail::Held held(impl_->m);
  return std::vector<Datagram>(impl_->log.begin(), impl_->log.end());
}

// The server's thread runs what these post on the caller's stack: an
// in-process stop waits for their end.
void UdpServer::shutdown() {
  detail::check_owner(impl_->owner_pid, "trap::net::UdpServer");
  trap::detail::StopShield shield;
  impl_->shutdown();
}

}  // namespace trap::net
