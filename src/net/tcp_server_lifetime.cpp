// SPDX-License-Identifier: BSL-1.0
// How a trap::net::TcpServer ends (tcp_server_impl.hpp): shutdown() from
// the test's thread or from a handler, the first report kept, and the
// thread and io_context released once nothing runs on them.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <trap/trap.hpp>

#include "net/tcp_server_impl.hpp"

namespace trap::net {

namespace {

using Clock = std::chrono::steady_clock;

// The server whose own thread this is (null on other threads): known even
// after its io_context is gone.
thread_local const TcpServer::Impl* serving = nullptr;

}  // namespace

bool TcpServer::Impl::on_server_thread() const {
  if (owned) return serving == this;
  return ctx->get_executor().running_in_this_thread();
}

void TcpServer::Impl::start() {
  auto setup = [this] {
    for (auto& l : listeners) open(*l);
    deliver(Kind::registered, nullptr, [](ServerEvent&) {});
  };
  // The caller's context (its thread may be running), or a handler, which
  // gets `registered` on the server's thread: the setup runs there, and
  // the constructor waits for it.
  if (!owned || opt.handler) {
    start_thread();
    return call(setup);
  }
  // Before the server's thread starts, nothing else can touch the sockets
  // and no handler can see `registered` (registrations come after the
  // constructor): the constructing thread does the setup itself, running
  // no user code, and waits on no other thread. The thread starts after,
  // seeing all of it.
  setup();
  start_thread();
}

void TcpServer::Impl::start_thread() {
  if (!owned) return;
  thread = std::thread([this] {
    serving = this;
    own->run();
  });
}

// ---------------------------------------------------------- shutdown

// A handler runs on the server's thread and nothing can stop it:
// shutdown() waits for it to return, and says what it waits for once the
// deadline has passed.
void TcpServer::Impl::note_late_handler(std::chrono::milliseconds deadline) const {
  const std::size_t kind = handling_kind.load(std::memory_order_relaxed);
  if (kind == 0) return;  // the thread is only slow to come round
  const ClientId client = handling_client.load(std::memory_order_relaxed);
  std::string what = "a handler of " + std::string(tcp_detail::kKinds[kind - 1]);
  if (client != 0) what += " (client " + std::to_string(client) + ")";
  trap::warn(label + ": shutdown(): its " + std::to_string(deadline.count()) +
             " ms deadline has passed while " + what + " still runs; waiting for it to return\n");
}

ShutdownReport TcpServer::Impl::shutdown(std::chrono::milliseconds deadline) {
  {
    std::unique_lock lock(m);
    if (report) {
      ShutdownReport first = *report;
      lock.unlock();
      release();
      return first;
    }
  }
  // No time to give, or no other thread to wait on (a handler calls): close
  // everything at once, with what has come from the clients so far.
  const bool at_once = deadline.count() <= 0 || on_server_thread();
  std::optional<ShutdownReport> r;
  bool ours = run_past_handler(
      [&] {
        begin_shutdown(at_once);
        if (at_once) {
          drain_all();
          r = close_all();
        }
      },
      deadline, deadline);
  if (ours && !r) {
    // Each client gets until the deadline to close its side: its end of
    // file closes the connection (and delivers disconnected). A handler
    // may shut the server down meanwhile: its report is the first.
    {
      std::unique_lock lock(m);
      tcp_detail::Waiting counted(waiting);
      cv.wait_until(lock, Clock::now() + deadline, [&] { return open_clients == 0 || finished; });
    }
    // The deadline has passed by now.
    run_past_handler([&] { r = close_all(); }, std::chrono::milliseconds(0), deadline);
  }
  ShutdownReport first = settle(r);
  release();
  return first;
}

void TcpServer::Impl::begin_shutdown(bool at_once) {
  take_in_backlog();
  clients.for_each([&](const std::shared_ptr<Client>& c) {
    // With time to give, our end of file goes now, for each client to
    // answer with its own; closing at once sends it anyway, a system call
    // per client later.
    // Output still queued goes first (wrote() then ends it).
    error_code ignored;
    if (!at_once && (c->writing || !c->queue.empty()))
      c->shut_after_flush = true;
    else if (!at_once)
      c->socket.shutdown(tcp::socket::shutdown_send, ignored);
    c->shutting_down = true;  // nothing more is written (flush) but that output
  });
}

void TcpServer::Impl::drain_all() {
  auto open = open_now();
  // One poll finds the connections with something to read (input or an
  // end of file): the others are closed as they are, with nothing unread
  // (an end of file, not a reset), and no system call of their own.
  std::vector<pollfd> ready(open.size());
  for (std::size_t i = 0; i < open.size(); ++i)
    ready[i] = {open[i]->socket.native_handle(), POLLIN, 0};
  int rc;
  do {
    rc = ::poll(ready.data(), ready.size(), 0);
  } while (rc < 0 && errno == EINTR);
  for (std::size_t i = 0; i < open.size(); ++i)
    if (rc < 0 || ready[i].revents != 0) drain(open[i]);  // poll failed: each one
}

void TcpServer::Impl::drain(const std::shared_ptr<Client>& c) {
  while (!c->closed && !c->policy.stop_reading) {
    ssize_t n = ::recv(c->socket.native_handle(), c->buf.data(), c->buf.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return close_client(c, false);  // its end of file (it closed), or a reset
    if (!take_input(c, std::string_view(c->buf.data(), static_cast<std::size_t>(n)))) return;
  }
}

ShutdownReport TcpServer::Impl::settle(const std::optional<ShutdownReport>& r) {
  ShutdownReport first;
  {
    std::lock_guard lock(m);
    if (!report) report = r.value_or(ShutdownReport{});
    finished = true;
    first = *report;
    // Every socket, acceptor and timer is closed: the handlers still
    // queued finish (aborted), releasing what they hold, and the thread
    // ends. Under the lock: no task is posted after this.
    work.reset();
  }
  cv.notify_all();
  return first;
}

void TcpServer::Impl::release() {
  if (on_server_thread()) return;
  std::lock_guard lock(release_m);
  if (thread.joinable()) thread.join();
  if (!owned) return;  // a context of the caller's: its thread may still run our handlers
  // The thread is gone, and no handler is left: what used the context
  // goes first, then the context (its epoll, eventfd and timerfd).
  listeners.clear();
  clients.clear();
  later.clear();
  starting.clear();
  own.reset();
}

}  // namespace trap::net
