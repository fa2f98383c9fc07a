// SPDX-License-Identifier: BSL-1.0
// How a trap::http::Server ends (server_impl.hpp): shutdown() from the
// test's thread or from a handler, the first report kept, the thread
// joined and every socket released once nothing runs on them.
#include <algorithm>
#include <chrono>
#include <string>

#include <trap/trap.hpp>

#include "http/server_impl.hpp"

namespace trap::http {

// A handler runs on the I/O thread, and nothing can stop it: shutdown()
// waits for it to return, as httptest's Close does for its handlers, and
// says what it waits for once the deadline has passed and a second at
// least (Go's httptest says so after five seconds): a handler that is
// merely finishing when shutdown() comes is no news.
template <class F>
void Server::Impl::run_past_handler(F&& f, std::chrono::milliseconds after,
                                    std::chrono::milliseconds deadline) {
  io.run_noting(std::forward<F>(f), std::max(after, net::detail::kHandlerNoticeAfter), [&] {
    std::string what;
    {
      std::lock_guard lock(m);
      if (!answering) return;  // the thread is only slow to come round
      what = answering->method + " " + answering->target;
    }
    trap::warn("trap::http::Server::shutdown(): its " + std::to_string(deadline.count()) +
               " ms deadline has passed while a handler still answers " + what +
               "; waiting for the handler to return\n");
  });
}

ShutdownReport Server::Impl::shutdown(std::chrono::milliseconds deadline) {
  {
    std::unique_lock lock(m);
    if (report) {
      ShutdownReport first = *report;
      lock.unlock();
      release();
      return first;
    }
  }
  // Said now, not once the thread comes round to begin_shutdown(): a
  // handler answering meanwhile has its answer say Connection: close.
  stopping_ = true;
  // No time to give, or no other thread to wait on (a handler calls):
  // everything is closed at once, but for the connection whose request the
  // calling handler answers: its answer goes out, then it closes (no
  // keep-alive while stopping). It is not a connection left open.
  const bool from_handler = on_server_thread();
  const bool at_once = deadline.count() <= 0 || from_handler;
  std::uint64_t answered = 0;
  if (from_handler) {
    std::lock_guard lock(m);
    if (answering) answered = answering->connection;
  }
  std::optional<std::vector<ConnectionInfo>> still_open;
  run_past_handler(
      [&] {
        begin_shutdown();
        if (at_once) still_open = close_remaining(answered);
      },
      deadline, deadline);
  if (!still_open) {
    {
      std::unique_lock lock(m);
      cv.wait_until(lock, deadline_after(deadline), [&] { return open == 0 || io.finished(); });
    }
    // The deadline has passed by now.
    run_past_handler([&] { still_open = close_remaining(0); }, std::chrono::milliseconds(0),
                     deadline);
  }
  ShutdownReport first = settle(still_open.value_or(std::vector<ConnectionInfo>{}));
  release();
  return first;
}

// Stops accepting and closes the connections waiting for a request; the
// others finish what they do (a response in flight) and close after it.
void Server::Impl::begin_shutdown() {
  stopping_ = true;
  listeners.close();
  auto now = connections;  // close() takes a connection out of the map
  for (auto& [id, c] : now)
    if (c->idle()) c->close();
}

std::vector<ConnectionInfo> Server::Impl::close_remaining(std::uint64_t spared) {
  std::vector<ConnectionInfo> left;
  auto now = connections;
  for (auto& [id, c] : now) {
    if (id == spared) continue;
    left.push_back(c->info());
    c->close();
  }
  return left;
}

std::size_t Server::Impl::close_connections() {
  std::size_t n = 0;
  io.run([&] {
    auto now = connections;
    n = now.size();
    for (auto& [id, c] : now) c->close();
  });
  return n;
}

ShutdownReport Server::Impl::settle(std::vector<ConnectionInfo> still_open) {
  ShutdownReport first;
  {
    std::lock_guard lock(m);
    if (!report) {
      ShutdownReport r;
      r.unmet = matcher.unmet();
      r.untaken_responses = queue.size();
      r.unmatched = unmatched;
      r.open = std::move(still_open);
      report = std::move(r);
    }
    first = *report;
    // Every socket, acceptor and timer is closed: what is still queued
    // finishes (aborted) and the thread ends. Under the lock: no task is
    // posted after this.
    io.finish();
  }
  cv.notify_all();
  return first;
}

void Server::Impl::release() {
  // On the I/O thread nothing: the destructor joins. Then what was made on
  // the context goes first, then the context (its epoll, eventfd and
  // timerfd): a server shut down holds no descriptor, though it lives on
  // (the http_server layer's, in trap::last()) for its log.
  io.join([this] {
    connections.clear();
    listeners.clear();
    io.release_context();
  });
}

}  // namespace trap::http
