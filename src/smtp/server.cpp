// SPDX-License-Identifier: BSL-1.0
// trap::smtp::Server's life (server_impl.hpp): listeners opened by the
// constructing thread, sessions accepted on the I/O thread, and the end:
// stop accepting, give the clients until the deadline to QUIT, then say
// 421 to the sessions left and close them, join the thread, report.
#include <system_error>

#include <boost/system/system_error.hpp>

#include <trap/errors.hpp>

#include "http/tls.hpp"
#include "smtp/connection.hpp"
#include "smtp/server_impl.hpp"

namespace trap::smtp {
namespace {

UsageError no_starttls(const char* call) {
  return UsageError(std::string("trap::smtp::Server: ") + call + ": STARTTLS is not offered");
}

// Options that cannot work are the caller's mistake, said before anything
// is made. The server is for tests, on loopback only: an address of
// another interface (0.0.0.0, ::, a LAN address) would open it to the
// network. What is not an address at all, Listeners::open() says.
void check(const ServerOptions& opt) {
  if (opt.max_line_bytes < 8)
    throw UsageError("trap::smtp::Server: max_line_bytes must be at least 8, not " +
                     std::to_string(opt.max_line_bytes));
  if (opt.max_log == 0)  // nothing would be kept: take_message() could never answer
    throw UsageError("trap::smtp::Server: max_log must be at least 1");
  if (opt.idle_timeout.count() <= 0)
    throw UsageError("trap::smtp::Server: idle_timeout must be positive");
  if (opt.require_auth && opt.credentials.empty())
    throw UsageError("trap::smtp::Server: require_auth without credentials: nobody could send");
  if (opt.require_tls && !opt.starttls)
    throw UsageError("trap::smtp::Server: require_tls without starttls: nobody could send");
  net::detail::Listeners::check_loopback("trap::smtp::Server", opt.address);
}

}  // namespace

Server::Impl::Impl(ServerOptions o) : opt(std::move(o)) {}

Server::Impl::~Impl() {
  // Before the connections and the listeners go: they live on its context.
  io.stop();
}

// ------------------------------------------------------------ listeners

void Server::Impl::start() {
  check(opt);
  if (opt.starttls) {
    try {
      tls = std::make_unique<http::ServerTls>();
    } catch (const std::system_error& e) {
      throw TrapError(std::string("trap::smtp::Server: cannot write the CA file: ") + e.what());
    }
  }
  listeners.open(opt.address);
  port4 = listeners.port4();
  port6 = listeners.port6();
  listeners.start([this](tcp::socket socket) { add_connection(std::move(socket)); });
  io.start();
}

void Server::Impl::add_connection(tcp::socket socket) {
  const std::uint64_t id = ++last_id;
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto c = std::make_shared<detail::Connection>(*this, std::move(socket), id,
                                                tls ? &tls->context() : nullptr);
  connections.emplace(id, c);
  {
    std::lock_guard lock(m);
    ++sessions;
    ++open;
  }
  c->start();
}

void Server::Impl::closed(std::uint64_t id) { connections.erase(id); }

void Server::Impl::session_over() {
  {
    std::lock_guard lock(m);
    --open;
  }
  cv.notify_all();
}

// ------------------------------------------------------------ the end

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
  const bool at_once = deadline.count() <= 0 || on_server_thread();
  bool closed = false;
  io.run([&] {
    stopping_ = true;
    listeners.accept_queued();  // connected already: told 421 and reported, as any session
    listeners.close();
    if (at_once) close_remaining(), closed = true;
  });
  if (!closed) {
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, deadline, [&] { return open == 0 || io.finished(); });
    }
    io.run([&] { close_remaining(); });
  }
  ShutdownReport first = settle();
  release();
  return first;
}

void Server::Impl::close_remaining() {
  auto now = connections;  // a close takes the connection out of the map
  {
    // Kept before any is closed: a shutdown() on another thread, woken by
    // those closes, reports them too.
    std::lock_guard lock(m);
    for (auto& [id, c] : now)
      if (!c->ending()) left_open.push_back(c->info());
  }
  for (auto& [id, c] : now) c->close_with_goodbye();
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

ShutdownReport Server::Impl::settle() {
  ShutdownReport first;
  {
    std::lock_guard lock(m);
    if (!report) {
      ShutdownReport r;
      r.problems.assign(problems.begin(), problems.end());
      r.problems_dropped = problems_seen - problems.size();
      for (const Script& s : scripts)
        if (s.reply.count && s.used < *s.reply.count) r.unused.push_back(s.reply.describe());
      r.open = left_open;
      report = std::move(r);
    }
    first = *report;
    io.finish();  // under the lock: no task is posted after this
  }
  cv.notify_all();
  return first;
}

void Server::Impl::release() {
  // On the I/O thread nothing: the destructor joins. Then what was made on
  // the context goes first, then the context (its epoll, eventfd and
  // timerfd): a server shut down holds no descriptor, though it lives on
  // (the smtp_server layer's, in trap::last()) for its log.
  io.join([this] {
    connections.clear();
    listeners.clear();
    io.release_context();
  });
}

// ---------------------------------------------------- the public calls

Server::Server(ServerOptions options) {
  try {
    impl_ = std::make_unique<Impl>(std::move(options));
    impl_->start();
  } catch (const boost::system::system_error& e) {
    throw TrapError(std::string("trap::smtp::Server: cannot start: ") + e.what());
  } catch (const std::system_error& e) {
    throw TrapError(std::string("trap::smtp::Server: cannot start: ") + e.what());
  }
}

Server::~Server() {
  // A stop of the code (an in-process timeout) comes once the server is gone.
  trap::detail::StopShield shield;
  if (!impl_ || net::detail::left_in_child(impl_, impl_->io.owner())) return;
  impl_->shutdown(std::chrono::milliseconds(0));
  impl_.reset();
}

Server::Server(Server&&) noexcept = default;

Server& Server::operator=(Server&& other) noexcept {
  if (this == &other) return *this;
  trap::detail::StopShield shield;
  if (impl_ && !net::detail::left_in_child(impl_, impl_->io.owner()))
    impl_->shutdown(std::chrono::milliseconds(0));
  impl_ = std::move(other.impl_);
  return *this;
}

std::string Server::host() const {
  if (!impl_->opt.address.empty()) return impl_->opt.address;
  return impl_->port4 != 0 ? "127.0.0.1" : "::1";
}

std::uint16_t Server::port() const { return impl_->port4; }
std::uint16_t Server::port6() const { return impl_->port6; }

std::string Server::url() const {
  const std::string h = host();
  const std::uint16_t p = impl_->port4 != 0 ? impl_->port4 : impl_->port6;
  return "smtp://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" +
         std::to_string(p);
}

std::string Server::ca_pem() const {
  if (!impl_->tls) throw no_starttls("ca_pem()");
  return impl_->tls->ca_pem();
}

std::filesystem::path Server::ca_file() const {
  if (!impl_->tls) throw no_starttls("ca_file()");
  return impl_->tls->ca_file();
}

// These wait for the server's thread, which runs what they post on the
// caller's stack: an in-process stop comes after.
std::size_t Server::close_client_connections() {
  trap::detail::StopShield shield;
  return impl_->close_connections();
}

ShutdownReport Server::shutdown(std::chrono::milliseconds deadline) {
  trap::detail::StopShield shield;
  return impl_->shutdown(deadline);
}

}  // namespace trap::smtp
