// SPDX-License-Identifier: BSL-1.0
// The shared listeners of the Asio test servers (listeners.hpp).
#include "net/listeners.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>

#include <trap/errors.hpp>

#include "net/standard_fds.hpp"

namespace trap::net::detail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::chrono::milliseconds kAcceptRetry{50};

}  // namespace

struct Listeners::Listener {
  explicit Listener(asio::io_context& c) : acceptor(c), retry(c) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // after an accept that failed (EMFILE)
};

Listeners::Listeners(asio::io_context& context, std::string who)
    : context_(context), who_(std::move(who)) {}

Listeners::~Listeners() = default;

void Listeners::check_loopback(const std::string& who, const std::string& address) {
  error_code ec;
  const auto a = asio::ip::make_address(address, ec);
  if (!address.empty() && !ec && !a.is_loopback())
    throw UsageError(who + ": \"" + address +
                     "\" is not a loopback address: the server listens on 127.0.0.1 or ::1 "
                     "(or another address of 127.0.0.0/8) only");
}

void Listeners::open(const std::string& address) {
  if (address.empty()) {
    listen_on(asio::ip::address_v4::loopback(), false);
    listen_on(asio::ip::address_v6::loopback(), true);
    return;
  }
  error_code ec;
  auto a = asio::ip::make_address(address, ec);
  if (ec) throw UsageError(who_ + ": not an address: \"" + address + "\"");
  listen_on(a, false);
}

void Listeners::listen_on(const asio::ip::address& a, bool optional) {
  auto l = std::make_unique<Listener>(context_);
  const tcp::endpoint where(a, 0);
  const char* call = "socket";
  error_code ec;
  l->acceptor.open(where.protocol(), ec);
  keep_off_standard_fds(l->acceptor, where.protocol());
  if (!ec && a.is_v6()) l->acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) call = "bind", l->acceptor.bind(where, ec);
  if (!ec) call = "listen", l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) {
    (a.is_v6() ? port6_ : port4_) = l->acceptor.local_endpoint().port();
    list_.push_back(std::move(l));
    return;
  }
  // ::1 where IPv6 is off: no such family, or no such address.
  if (optional && (ec == asio::error::address_family_not_supported ||
                   ec == boost::system::errc::address_not_available))
    return;
  throw TrapError(who_ + ": cannot listen on " + a.to_string() + ": " + call + ": " + ec.message());
}

void Listeners::start(OnAccept on_accept) {
  on_accept_ = std::move(on_accept);
  for (auto& l : list_) accept(*l);
}

void Listeners::accept(Listener& l) {
  l.acceptor.async_accept([this, &l](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || closed_ || !l.acceptor.is_open()) return;
    if (!ec) {
      keep_off_standard_fds(socket);
      on_accept_(std::move(socket));
      return accept(l);
    }
    // Out of descriptors or the like: try again a little later.
    l.retry.expires_after(kAcceptRetry);
    l.retry.async_wait([this, &l](error_code e) {
      if (!e && !closed_ && l.acceptor.is_open()) accept(l);
    });
  });
}

void Listeners::accept_queued() {
  if (closed_ || !on_accept_) return;
  for (auto& l : list_) {
    error_code ec;
    l->acceptor.non_blocking(true, ec);
    while (!ec && l->acceptor.is_open()) {
      tcp::socket socket(context_);
      l->acceptor.accept(socket, ec);
      if (ec) break;
      keep_off_standard_fds(socket);
      on_accept_(std::move(socket));
    }
  }
}

void Listeners::close() {
  closed_ = true;
  for (auto& l : list_) {
    error_code ignored;
    l->acceptor.close(ignored);
    l->retry.cancel();
  }
}

void Listeners::clear() { list_.clear(); }

}  // namespace trap::net::detail
