// SPDX-License-Identifier: BSL-1.0
// One SMTP connection (connection.hpp). It reads, lets the session answer,
// writes the answer whole, and only then reads again: a pipelined batch is
// answered in one write. Its timer is the session's idle timeout while it
// reads, the handshake's bound under STARTTLS, and the linger's bound when
// it closes: after its last reply it shuts its sending side and reads what
// the client still sends until its end of file, so that the reply is not
// lost to a reset.
#include "smtp/connection.hpp"

#include <algorithm>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

namespace trap::smtp::detail {
namespace {

constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::chrono::milliseconds kHandshakeLimit{10000};

SessionSetup setup_for(Server::Impl& server, const tcp::socket& socket, std::uint64_t id,
                       bool tls) {
  SessionSetup s;
  s.info.id = id;
  error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (!ec) {
    s.info.peeraddr = peer.address().to_string();
    s.info.peerport = peer.port();
  }
  s.options = &server.opt;
  s.tls_available = tls;
  return s;
}

}  // namespace

Connection::Connection(Server::Impl& server, tcp::socket socket, std::uint64_t id,
                       asio::ssl::context* tls)
    : server_(server),
      socket_(std::move(socket)),
      tls_(tls),
      timer_(socket_.get_executor()),
      session_(setup_for(server, socket_, id, tls != nullptr), server) {}

void Connection::start() {
  Actions a;
  session_.open(a);
  act(std::move(a));
}

void Connection::act(Actions actions) {
  if (closed_) return;
  // Decided now: a read that completes while the last reply is written
  // only drains (after an idle timeout's 421, one is pending).
  if (actions.close) begin_closing();
  if (actions.out.empty()) return after_write(actions.start_tls, actions.close);
  out_ = std::move(actions.out);
  writing_ = true;
  auto done = [self = shared_from_this(), tls = actions.start_tls, close = actions.close](
                  error_code ec, std::size_t) {
    self->writing_ = false;
    if (self->closed_) return;
    if (ec) {
      self->session_.end();
      return self->close();
    }
    self->after_write(tls, close);
  };
  with_stream([&](auto& stream) { asio::async_write(stream, asio::buffer(out_), done); });
}

void Connection::begin_closing() {
  if (closing_) return;
  if (!closed_) server_.session_over();
  closing_ = true;
}

void Connection::after_write(bool start_tls, bool close) {
  if (close) {
    begin_closing();
    return linger();
  }
  if (start_tls) return handshake();
  if (!reading_) read();
}

// ------------------------------------------------------------ reading

void Connection::read() {
  reading_ = true;
  arm_timer();
  with_stream([&](auto& stream) {
    stream.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  });
}

void Connection::on_read(error_code ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  // Closing: drain to the client's end of file. A read given up for the
  // close_notify (linger()) is drained on too.
  if (closing_) return ec && ec != asio::error::operation_aborted ? close() : drain();
  ++timer_generation_;
  timer_.cancel();
  if (ec) {
    session_.end();
    return close();
  }
  Actions a;
  session_.feed(std::string_view(buffer_.data(), n), a);
  act(std::move(a));
}

void Connection::arm_timer() {
  const std::uint64_t generation = ++timer_generation_;
  timer_.expires_after(server_.opt.idle_timeout);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->timer_generation_ || self->closed_ || self->closing_) return;
    self->on_timeout();
  });
}

// The read stays pending: once the 421 is sent, it drains what the client
// sends after it.
void Connection::on_timeout() {
  Actions a;
  session_.idle_timeout(a);
  act(std::move(a));
}

// ---------------------------------------------------------- STARTTLS

void Connection::handshake() {
  tls_stream_.emplace(socket_, *tls_);
  const std::uint64_t generation = ++timer_generation_;
  const auto limit = std::min<std::chrono::milliseconds>(server_.opt.idle_timeout, kHandshakeLimit);
  timer_.expires_after(limit);
  timer_.async_wait([self = shared_from_this(), generation, limit](error_code ec) {
    if (ec || generation != self->timer_generation_ || self->closed_) return;
    self->server_.problem(Problem{
        self->info(), "", 0, "tls handshake: none in " + std::to_string(limit.count()) + " ms"});
    self->close();
  });
  tls_stream_->async_handshake(
      asio::ssl::stream_base::server,
      [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
}

void Connection::on_handshake(error_code ec) {
  if (closed_) return;
  ++timer_generation_;
  timer_.cancel();
  if (ec) {
    server_.problem(Problem{info(), "", 0, "tls handshake: " + ec.message()});
    return close();
  }
  tls_ready_ = true;
  session_.tls_started();
  read();
}

// ------------------------------------------------------------ closing

void Connection::linger() {
  error_code ignored;
  if (tls_ready_) {
    // The pending read (an idle timeout's 421 leaves one) is given up: the
    // stream's close_notify goes out now, and the drain reads what follows.
    if (reading_) socket_.cancel(ignored);
    send_close_notify();
  }
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  ++timer_generation_;
  timer_.expires_after(kLinger);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->close();
  });
  if (!reading_) drain();
}

// What comes after our last reply is read and dropped, on the socket
// itself (under TLS: records after ours), until the client's end of file.
void Connection::drain() {
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(buffer_),
      [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void Connection::close() {
  if (closed_) return;
  if (!closing_) server_.session_over();
  closed_ = true;
  error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  server_.closed(info().id);
}

void Connection::close_with_goodbye() { goodbye(false); }

void Connection::goodbye(bool after_reply) {
  if (closed_) return;
  if (closing_) return close();  // its last reply is sent
  if (writing_ && !after_reply) {
    // A reply on its way, most likely out already with its completion
    // queued: the 421 follows it, once (a reply the client does not read
    // is not waited for).
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->goodbye(true); });
    return;
  }
  Actions a;
  session_.shutting_down(a);
  // Written now if the socket takes it, never waited for; not in the middle
  // of a reply, nor of a TLS handshake.
  if (!writing_ && !a.out.empty() && (!tls_stream_ || tls_ready_)) {
    error_code ignored;
    socket_.non_blocking(true, ignored);
    if (tls_stream_) {
      socket_.cancel(ignored);  // the pending read: it must not share the stream's state
      asio::write(*tls_stream_, asio::buffer(a.out), ignored);
      send_close_notify();
    } else {
      socket_.write_some(asio::buffer(a.out), ignored);
    }
  }
  close();
}

// TLS's close_notify, written if the socket takes it now: the stream's
// shutdown on a non-blocking socket sends ours and stops where it would
// wait for the client's (which the drain reads, or nobody does).
void Connection::send_close_notify() {
  error_code ignored;
  socket_.non_blocking(true, ignored);
  tls_stream_->shutdown(ignored);
}

}  // namespace trap::smtp::detail
