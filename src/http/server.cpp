// SPDX-License-Identifier: BSL-1.0
// trap::http::Server's life (server_impl.hpp): listeners opened by the
// constructing thread, connections accepted on the I/O thread, and the
// end: stop accepting, close what is idle, give the clients until the
// deadline to close the rest, then close them, join the thread, report.
#include <system_error>

#include <boost/system/system_error.hpp>

#include <trap/errors.hpp>

#include "http/server_impl.hpp"
#include "http/tls.hpp"

namespace trap::http {
namespace {

using Clock = std::chrono::steady_clock;

UsageError not_tls(const char* call) {
  return UsageError(std::string("trap::http::Server: ") + call + ": not a TLS server");
}

}  // namespace

Server::Impl::Impl(ServerOptions o) : opt(std::move(o)) {}

Server::Impl::~Impl() {
  // Before the connections and the listeners go: they live on its context.
  io.stop();
}

// ------------------------------------------------------------ listeners

void Server::Impl::start() {
  // Before the CA file is made: nothing to undo.
  net::detail::Listeners::check_loopback("trap::http::Server", opt.address);
  if (opt.max_log == 0)  // nothing would be kept: take_request() could never answer
    throw UsageError("trap::http::Server: max_log must be at least 1");
  if (opt.tls) {
    try {
      tls = std::make_unique<ServerTls>();
    } catch (const std::system_error& e) {
      throw TrapError(std::string("trap::http::Server: cannot write the CA file: ") + e.what());
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
  // Small writes go at once: without it a TLS round trip takes 40 ms more.
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto c = tls ? detail::make_tls_connection(*this, tls->context(), std::move(socket), id)
               : detail::make_connection(*this, std::move(socket), id);
  connections.emplace(id, c);
  {
    std::lock_guard lock(m);
    open = connections.size();
  }
  c->start();
}

// ---------------------------------------------------- the public calls

Server::Server(ServerOptions options) {
  // The reactor (eventfd, epoll) and the thread fail as the system's
  // errors; a server that cannot start is a TrapError, whatever the cause.
  try {
    impl_ = std::make_unique<Impl>(std::move(options));
    impl_->start();
  } catch (const boost::system::system_error& e) {
    throw TrapError(std::string("trap::http::Server: cannot start: ") + e.what());
  } catch (const std::system_error& e) {
    throw TrapError(std::string("trap::http::Server: cannot start: ") + e.what());
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server Server::tls(ServerOptions options) {
  options.tls = true;
  return Server(std::move(options));
}

Server::~Server() {
  // Nothing is waited for: what is still open is closed now, and a stop of
  // the code (an in-process timeout) comes once the server is gone.
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

std::string Server::url() const {
  if (impl_->port4 == 0) return url6();
  return std::string(impl_->opt.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->port4);
}

std::string Server::url6() const {
  if (impl_->port6 == 0) throw TrapError("trap::http::Server: url6(): not listening on ::1");
  return std::string(impl_->opt.tls ? "https" : "http") +
         "://[::1]:" + std::to_string(impl_->port6);
}

std::uint16_t Server::port() const { return impl_->port4; }
std::uint16_t Server::port6() const { return impl_->port6; }
std::string Server::ca_pem() const {
  if (!impl_->tls) throw not_tls("ca_pem()");
  return impl_->tls->ca_pem();
}

std::filesystem::path Server::ca_file() const {
  if (!impl_->tls) throw not_tls("ca_file()");
  return impl_->tls->ca_file();
}

// These wait for the server's thread, which runs what they post on the
// caller's stack: a stop of the code (an in-process timeout) comes after.
std::size_t Server::close_client_connections() {
  trap::detail::StopShield shield;
  return impl_->close_connections();
}

ShutdownReport Server::shutdown(std::chrono::milliseconds deadline) {
  trap::detail::StopShield shield;
  return impl_->shutdown(deadline);
}

}  // namespace trap::http
