// SPDX-License-Identifier: BSL-1.0
// The work of a trap::net::TcpServer on its I/O thread: events,
// listeners, clients, waits and shutdown (tcp_server_impl.hpp).
#include "net/tcp_server_impl.hpp"

#include <algorithm>
#include <charconv>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/write.hpp>

#include "net/handler_failure.hpp"
#include "net/standard_fds.hpp"
#include "posix/fd.hpp"

namespace trap::net {

namespace {

using Clock = std::chrono::steady_clock;

// The error a fault injected into @p call stands for, as Asio would report
// it (see posix/fd.hpp); none if no fault is pending.
error_code injected(const char* call) {
  error_code ec;
  if (int e = posix::take_library_fault(call)) ec.assign(e, boost::system::system_category());
  return ec;
}

// How long a listener waits after a failed accept: the connection stays
// queued, and accepting again at once (out of descriptors) fails at once.
constexpr std::chrono::milliseconds kAcceptRetry{50};

// An address as text, as address::to_string() gives it; IPv4 without
// inet_ntop, whose sprintf is most of the work of taking a connection in.
std::string address_text(const asio::ip::address& a) {
  if (!a.is_v4()) return a.to_string();
  char text[16];
  char* at = text;
  for (unsigned char byte : a.to_v4().to_bytes()) {
    if (at != text) *at++ = '.';
    at = std::to_chars(at, text + sizeof text, byte).ptr;
  }
  return std::string(text, at);
}

}  // namespace

// --------------------------------------------------------- listeners

void TcpServer::Impl::plan_listeners() {
  detail::StandardFdsHeld held;  // for the reactor the first listener makes
  const bool v6 = opt.ipv6;
  auto add = [&](asio::ip::address a) {
    listeners.push_back(std::make_unique<Listener>(*ctx, tcp::endpoint(a, opt.port)));
  };
  if (opt.address.empty() || opt.address == "localhost") {
    add(asio::ip::address_v4::loopback());
    if (v6) add(asio::ip::address_v6::loopback());
  } else if (opt.address == "any") {
    add(asio::ip::address_v4::any());
    if (v6) add(asio::ip::address_v6::any());
  } else {
    error_code ec;
    auto a = asio::ip::make_address(opt.address, ec);
    if (ec) throw UsageError(label + ": not an address: \"" + opt.address + "\"");
    if (a.is_v6() && !v6)
      throw UsageError(label + ": address " + opt.address + " is IPv6, and ipv6 is off");
    add(a);
  }
}

bool TcpServer::Impl::open(Listener& l) {
  if (l.acceptor.is_open()) return true;
  error_code ec = injected("socket");
  if (!ec) l.acceptor.open(l.where.protocol(), ec);
  if (ec) return listener_failed("socket", ec), false;
  detail::keep_off_standard_fds(l.acceptor, l.where.protocol());
  l.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (l.where.address().is_v6()) l.acceptor.set_option(asio::ip::v6_only(true), ec);
  ec = injected("bind");
  if (!ec) l.acceptor.bind(l.where, ec);
  if (ec) return close(l), listener_failed("bind", ec), false;
  ec = injected("listen");
  if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return close(l), listener_failed("listen", ec), false;
  if (!paused) accept(l);
  return true;
}

void TcpServer::Impl::close(Listener& l) {
  error_code ignored;
  l.acceptor.close(ignored);
  l.retry.cancel();
}

void TcpServer::Impl::accept(Listener& l) {
  auto c = std::make_shared<Client>(*ctx);
  auto done = [this, self = keep(), &l, c](error_code ec) {
    if (ec == asio::error::operation_aborted || !l.acceptor.is_open()) return;
    if (ec) {
      listener_failed("accept", ec);
      l.retry.expires_after(kAcceptRetry);
      l.retry.async_wait([this, self, &l](error_code e) {
        if (!e && !paused && l.acceptor.is_open()) accept(l);
      });
      return;
    }
    detail::keep_off_standard_fds(c->socket, l.where.protocol());
    if (paused) {
      l.held.push_back(c);  // completed as we paused: shown on resume
      return;
    }
    add_client(c);
    accept(l);
  };
  // Asio retries EINTR and EAGAIN itself; another error reaches the
  // handler, as an injected one does.
  if (error_code ec = injected_accept()) {
    asio::post(*ctx, [done, ec] { done(ec); });
    return;
  }
  l.acceptor.async_accept(c->socket, std::move(done));
}

error_code TcpServer::Impl::injected_accept() {
  error_code ec;
  if (int e = posix::take_library_fault("accept", EAGAIN))
    ec.assign(e, boost::system::system_category());
  return ec;
}

std::uint16_t TcpServer::Impl::port_of(bool v6) const {
  for (auto& l : listeners) {
    error_code ec;
    if (l->acceptor.is_open() && l->where.address().is_v6() == v6) {
      auto ep = l->acceptor.local_endpoint(ec);
      if (!ec) return ep.port();
    }
  }
  return 0;
}

std::pair<std::string, std::uint16_t> TcpServer::Impl::name_of(bool v6) const {
  for (auto& l : listeners) {
    error_code ec;
    if (l->acceptor.is_open() && l->where.address().is_v6() == v6) {
      auto ep = l->acceptor.local_endpoint(ec);
      if (!ec) return {ep.address().to_string(), ep.port()};
    }
  }
  return {"", 0};
}

// ----------------------------------------------------------- clients

std::unique_ptr<Filter> TcpServer::Impl::make_filter(
    const std::shared_ptr<const Filter>& chosen) const {
  if (chosen) return chosen->clone();
  if (opt.filter.object()) return opt.filter.object()->clone();
  if (opt.filter == "line") return line_filter(opt.max_message);
  if (opt.filter == "block") return block_filter(opt.max_message);
  return filter_named(opt.filter.name());
}

std::shared_ptr<Client> TcpServer::Impl::find_connected(ClientId id) const {
  if (id == 0)
    throw UsageError(label + ": client id 0 is no client's (events about no client carry it)");
  return clients.find(id);
}

void TcpServer::Impl::add_client(const std::shared_ptr<Client>& c) {
  error_code ec;
  auto peer = c->socket.remote_endpoint(ec);
  auto local = c->socket.local_endpoint(ec);
  c->id = next_id++;
  c->info = {address_text(peer.address()), peer.port(), address_text(local.address()),
             local.port()};
  c->shared_info = std::make_shared<const ClientInfo>(c->info);
  try {
    set_input(*c, make_filter(opt.input_filter));
    c->out = make_filter(opt.output_filter);
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (...) {
    // A filter of the user's whose clone() throws: this connection cannot
    // be served. It is never connected (no handler sees it without its
    // filters), and it is said why before it is closed.
    client_error(*c, "accept", "its filter could not be made: " + detail::thrown_text());
    error_code ignored;
    c->socket.close(ignored);
    return;
  }
  clients.insert(c->id, c);
  deliver(Kind::connected, c.get(), [&](ServerEvent&) { ++open_clients; });  // under m
  read(c);
}

std::shared_ptr<Client> TcpServer::Impl::find(ClientId id) const {
  auto c = clients.find(id);
  if (!c)
    throw UsageError(label + ": no client " + std::to_string(id) +
                     " (it never connected, or it is disconnected)");
  return c;
}

void TcpServer::Impl::read(const std::shared_ptr<Client>& c) {
  if (c->closed || c->reading || c->policy.stop_reading) return;
  c->reading = true;
  // `c = c`, not `c`: a plain capture of `c` (a reference to const) would
  // be a const member, which each move of the handler through Asio copies
  // instead of moving (two atomic operations each): four per read.
  auto done = [this, self = keep(), c = c](error_code ec, std::size_t n) mutable {
    c->reading = false;
    if (c->closed) return;
    if (ec) return close_client(c, false);  // end of file, reset, ...
    if (c->policy.stop_reading) {
      c->held.append(c->buf.data(), n);  // a read already under way
      return;
    }
    if (take_input(c, std::string_view(c->buf.data(), n))) read_later(std::move(c));
  };
  c->socket.async_read_some(asio::buffer(c->buf),
                            tcp_detail::WithMemory(handler_allocator(), std::move(done)));
}

void TcpServer::Impl::read_later(std::shared_ptr<Client> c) {
  // Asio reads at once when a read starts (a recv that fails with EAGAIN
  // when nothing has come) before it waits for the socket. Started after
  // the handlers queued now (the reply's write completing among them), the
  // read more often finds the client's next message already there: one
  // recv instead of two. The reads put off meanwhile start together: one
  // task posted (and allocated) for them all, not one per request.
  later.push_back(std::move(c));
  if (later.size() == 1)
    asio::post(*ctx, tcp_detail::WithMemory(handler_allocator(),
                                            [this, self = keep()] { start_reads(); }));
}

void TcpServer::Impl::start_reads() {
  starting.swap(later);  // a read put off from here on posts again
  for (auto& c : starting) read(c);
  starting.clear();
}

void TcpServer::Impl::set_input(Client& c, std::unique_ptr<Filter> in) {
  c.in = std::move(in);
  c.appending = dynamic_cast<tcp_detail::AppendingFilter*>(c.in.get());
  c.structured = dynamic_cast<StructuredFilter*>(c.in.get()) != nullptr;
}

bool TcpServer::Impl::take_input(const std::shared_ptr<Client>& c, std::string_view bytes) {
  // The client's vector (a nested call, from a handler, gets a new one).
  std::vector<std::string> messages = std::move(c->messages);
  messages.clear();
  std::vector<Parts> structured;
  try {
    if (c->structured)
      structured = c->in->get_parts(bytes);
    else if (c->appending)
      c->appending->get_into(bytes, messages);
    else
      messages = c->in->get(bytes);
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (...) {  // FilterError, or a user filter's own: anything it throws
    client_error(*c, "read", detail::thrown_text());
    close_client(c, false);
    return false;
  }
  for (auto& parts : structured) {
    deliver(Kind::client_input, c.get(), [&](ServerEvent& e) {
      e.input = tcp_detail::join_parts(parts);
      e.parts = std::move(parts);
    });
    if (c->closed) return false;  // a handler terminated it
  }
  for (auto& message : messages) {
    deliver(Kind::client_input, c.get(), [&](ServerEvent& e) { e.input = std::move(message); });
    if (c->closed) return false;  // a handler terminated it
  }
  messages.clear();
  c->messages = std::move(messages);
  return true;
}

void TcpServer::Impl::set_policy(const std::shared_ptr<Client>& c, const ClientPolicy& policy) {
  c->policy = policy;
  if (policy.stop_reading) return;
  if (!c->held.empty()) {
    std::string held = std::move(c->held);
    c->held.clear();
    if (!take_input(c, held)) return;
  }
  read(c);
}

std::vector<std::string> TcpServer::Impl::encode(Client& c,
                                                 const std::vector<std::string>& messages) {
  std::vector<std::string> bytes;
  bytes.reserve(messages.size());
  for (auto& m : messages) bytes.push_back(c.out->put(m));
  return bytes;
}

void TcpServer::Impl::queue_encoded(const std::shared_ptr<Client>& c,
                                    std::vector<std::string> bytes) {
  for (auto& b : bytes) {
    c->queued += b.size();
    c->queue.push_back(std::move(b));
  }
  after_enqueue(c);
}

void TcpServer::Impl::send_one(const std::shared_ptr<Client>& c, std::string_view message) {
  std::string bytes = c->out->put(message);
  c->queued += bytes.size();
  c->queue.push_back(std::move(bytes));
  after_enqueue(c);
}

void TcpServer::Impl::after_enqueue(const std::shared_ptr<Client>& c) {
  if (c->queued > opt.max_queued) {
    client_error(*c, "write",
                 "more than " + std::to_string(opt.max_queued) +
                     " bytes queued for the client: it is not reading");
    return close_client(c, false);
  }
  flush(c);
}

std::size_t TcpServer::Impl::next_chunk(const Client& c) const {
  std::size_t n = c.queue.front().size();
  if (c.policy.throttle_bytes_per_second)
    n = std::min(n, std::max<std::size_t>(1, c.policy.throttle_bytes_per_second / 10));
  if (c.policy.close_after_bytes)
    n = std::min(n, *c.policy.close_after_bytes - std::min(*c.policy.close_after_bytes, c.written));
  return n;
}

void TcpServer::Impl::flush(const std::shared_ptr<Client>& c) {
  if (c->closed || c->writing || c->queue.empty()) return;
  if (c->policy.close_after_bytes && c->written >= *c->policy.close_after_bytes)
    return close_client(c, c->policy.reset);
  // Our side is shut (or about to close at once): nothing more goes out.
  if (c->shutting_down && !c->shut_after_flush) return;
  c->writing = true;
  auto pause = c->policy.delay;
  if (c->policy.throttle_bytes_per_second && c->written > 0)
    pause += std::chrono::milliseconds(100);
  if (pause.count() > 0) {
    c->timer.expires_after(pause);
    c->timer.async_wait([this, self = keep(), c = c](error_code ec) {
      if (ec || c->closed) return;
      write(c);
    });
  } else {
    write(c);
  }
}

void TcpServer::Impl::write(const std::shared_ptr<Client>& c) {
  const std::size_t n = next_chunk(*c);
  // `c = c`: a member that can be moved (read()).
  auto done = [this, self = keep(), c = c](error_code ec, std::size_t n) { wrote(c, ec, n); };
  asio::async_write(c->socket, asio::buffer(c->queue.front().data(), n),
                    tcp_detail::WithMemory(handler_allocator(), std::move(done)));
}

void TcpServer::Impl::wrote(const std::shared_ptr<Client>& c, error_code ec, std::size_t done) {
  c->writing = false;
  // After shutdown() only the client's end of file (or the deadline)
  // closes: a write finishing now must not count as the client having
  // closed. Output queued before shutdown() is still written, then our
  // end of file follows it.
  if (c->closed || (c->shutting_down && !c->shut_after_flush)) return;
  if (ec) return c->shutting_down ? end_output(*c) : close_client(c, false);
  c->written += done;
  c->queued -= done;
  auto& front = c->queue.front();
  if (done == front.size())
    c->queue.pop_front();
  else
    front.erase(0, done);
  if (c->policy.close_after_bytes && c->written >= *c->policy.close_after_bytes)
    return close_client(c, c->policy.reset);
  if (!c->queue.empty()) return flush(c);
  // POE: a client asked to disconnect goes once its output is written,
  // with no client_flushed event.
  if (c->disconnect_pending) return close_client(c, c->policy.reset);
  deliver(Kind::client_flushed, c.get(), [](ServerEvent&) {});
  // A handler may have sent more: then the last write ends the output.
  if (c->shut_after_flush && !c->closed && !c->writing && c->queue.empty()) end_output(*c);
}

void TcpServer::Impl::end_output(Client& c) {
  c.shut_after_flush = false;
  error_code ignored;
  c.socket.shutdown(tcp::socket::shutdown_send, ignored);
}

void TcpServer::Impl::close_client(const std::shared_ptr<Client>& c, bool reset) {
  if (c->closed) return;
  c->closed = true;
  error_code ignored;
  if (reset || c->policy.reset) c->socket.set_option(asio::socket_base::linger(true, 0), ignored);
  c->timer.cancel();
  c->socket.close(ignored);
  c->queue.clear();
  clients.erase(c->id);
  deliver(Kind::disconnected, c.get(), [&](ServerEvent&) { --open_clients; });  // under m
}

std::vector<std::shared_ptr<Client>> TcpServer::Impl::open_now() const {
  std::vector<std::shared_ptr<Client>> all;
  all.reserve(clients.size());
  clients.for_each([&](const std::shared_ptr<Client>& c) { all.push_back(c); });
  return all;
}

// ---------------------------------------------------------- shutdown
// (the rest is in tcp_server_lifetime.cpp)

void TcpServer::Impl::take_in_backlog() {
  for (auto& l : listeners) {
    for (auto& c : l->held) add_client(c);
    l->held.clear();
    error_code ec;
    if (l->acceptor.is_open()) l->acceptor.non_blocking(true, ec);
    while (l->acceptor.is_open()) {
      tcp::socket socket(*ctx);
      ec = injected("accept");
      if (!ec) l->acceptor.accept(socket, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) {
        listener_failed("accept", ec);  // what is still queued is reset
        break;
      }
      auto c = std::make_shared<Client>(*ctx);
      c->socket = std::move(socket);
      detail::keep_off_standard_fds(c->socket, l->where.protocol());
      add_client(c);
    }
    close(*l);
  }
}

ShutdownReport TcpServer::Impl::close_all() {
  ShutdownReport rep;
  auto left = open_now();
  rep.unclosed.reserve(left.size());
  for (auto& c : left) rep.unclosed.push_back(c->info);
  // Kept before any client is closed: a handler of the disconnected events
  // below may call shutdown() again, which returns the first report, this
  // one, not one of its own that finds every client closed already.
  {
    std::lock_guard lock(m);
    if (!report) report = rep;
  }
  for (auto& c : left) close_client(c, false);
  return rep;
}

}  // namespace trap::net
