// SPDX-License-Identifier: BSL-1.0
// A connection of trap::http::Server (connection.hpp): requests read with
// Beast's parser under the server's limits and header timeout, answered by
// the server, the answer written piece by piece as its plan says (delays
// and throttling on a timer), then kept alive, closed, reset or left
// hanging. Written for any stream (Session<Stream>): plain TCP, or an
// ssl::stream for HTTPS, which shakes hands first (within the header
// timeout) and sends a close_notify before the closes it decides on.
#include "http/connection.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <limits>
#include <type_traits>
#include <utility>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/request_body.hpp"
#include "http/request_head.hpp"
#include "http/response_plan.hpp"
#include "http/tls.hpp"

namespace trap::http::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// How long a closing connection waits for the client's end of file after
// sending its own, so that what the client still sends does not turn the
// close into a reset that loses the last response.
constexpr std::chrono::milliseconds kLingerForClient{2000};

// How long a closing TLS connection waits for the client's close_notify
// after sending its own, before it goes on with the TCP close.
constexpr std::chrono::milliseconds kCloseNotifyWait{250};

// How much a read of the header's own (read_more) asks for.
constexpr std::size_t kReadSize = 4096;

template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  // The stream is made from `args` (a socket; a socket and a context).
  template <class... Args>
  Session(Host& host, std::uint64_t id, Args&&... args)
      : host_(host),
        stream_(std::forward<Args>(args)...),
        timer_(stream_.get_executor()),
        header_timer_(stream_.get_executor()) {
    info_.id = id;
    error_code ec;
    auto peer = socket().remote_endpoint(ec);
    if (!ec) {
      info_.peeraddr = peer.address().to_string();
      info_.peerport = peer.port();
    }
  }

  void start() override {
    if constexpr (kTls)
      handshake();
    else
      begin();
  }

  void close() override {
    if (state_ == State::closed) return;
    auto self = this->shared_from_this();  // the host lets go of it below
    state_ = State::closed;
    timer_.cancel();
    header_timer_.cancel();
    error_code ignored;
    socket().close(ignored);
    host_.closed(info_.id);
  }

  bool idle() const override {
    return state_ == State::reading && served_ > 0 && buffer_.size() == 0;
  }

 private:
  enum class State { handshaking, reading, answering, closing, hanging, closed };

  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }
  const ServerOptions& options() const { return host_.options(); }

  // --------------------------------------------------------- the start

  void begin() {
    // Our end of file before reading: a request already on its way is read
    // and dropped, so that the close is not turned into a reset.
    if (host_.take_close_at_start()) return linger();
    read_request();
  }

  void handshake() {
    state_ = State::handshaking;
    auto self = this->shared_from_this();
    header_timer_.expires_after(options().header_timeout);
    header_timer_.async_wait([self](error_code ec) {
      if (ec || self->state_ != State::handshaking) return;
      self->refuse_handshake("tls handshake: none in " +
                             std::to_string(self->options().header_timeout.count()) + " ms");
    });
    // The first bytes are looked at before OpenSSL takes them: plain HTTP
    // gets Go's answer, where OpenSSL would send an alert to some of it.
    socket().async_wait(tcp::socket::wait_read, [self](error_code ec) {
      if (self->state_ != State::handshaking) return;
      std::array<char, 5> first{};
      std::size_t n = 0;
      if (!ec) n = self->socket().receive(asio::buffer(first), tcp::socket::message_peek, ec);
      if (!ec && n == first.size() && looks_like_plain_http({first.data(), n}))
        return self->answer_plain_http();
      self->stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self](error_code e) { self->on_handshake(e); });
    });
  }

  void on_handshake(error_code ec) {
    if (state_ != State::handshaking) return;  // timed out, or closed
    header_timer_.cancel();
    if (!ec) return begin();
    // The client went before it said anything wrong: as a plain one that
    // connects and leaves, just closed.
    if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) return close();
    if (is_plain_http_error(ec)) return answer_plain_http();
    refuse_handshake("tls handshake: " + ec.message());
  }

  // Plain HTTP where TLS was due: Go's TLS server answers it a bare 400,
  // unencrypted (nothing of TLS went out yet), and closes. Logged as a
  // failed handshake.
  void answer_plain_http() {
    header_timer_.cancel();
    host_.bad_request(partial_request(),
                      "tls handshake: the client sent plain HTTP to an HTTPS server; answered 400");
    arm_linger();
    asio::async_write(socket(), asio::buffer(kPlainHttpAnswer),
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        if (self->state_ != State::closing) return;
                        if (ec) return self->close();
                        self->linger_tcp();
                      });
  }

  // Logs a handshake that failed or never came, and closes.
  void refuse_handshake(std::string why) {
    host_.bad_request(partial_request(), std::move(why));
    close();
  }

  // ------------------------------------------------------------ reading

  void read_request() {
    state_ = State::reading;
    new_parser();
    header_timer_.expires_after(options().header_timeout);
    // A timer that expired as its header came is not this request's.
    header_timer_.async_wait([self = this->shared_from_this(), n = ++requests_](error_code ec) {
      if (!ec && n == self->requests_) self->on_header_timeout();
    });
    skipped_ = 0;
    minor_version_ = 0;
    head_stream_.reset();
    skip_empty_lines();
  }

  void new_parser() {
    parser_.emplace();
    header_fields_ = std::numeric_limits<std::size_t>::max();
    parser_->header_limit(limit_of(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
  }

  void read_header() {
    if (!head_stream_.bare_lf && head_has_bare_lf(buffered())) return read_lf_head();  // pipelined
    bhttp::async_read_header(
        head_stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  std::string_view buffered() const {
    const auto data = buffer_.data();
    return {static_cast<const char*>(data.data()), data.size()};
  }

  // RFC 9112, 2.2: empty lines (CRLF, or a bare LF) before a request line
  // are ignored, as nginx does, up to max_header_bytes of them (more: 400).
  // Beast's parser stops at the first (a bad method), or at a CR alone.
  void skip_empty_lines() {
    const std::size_t i = empty_lines_at_start(buffered());
    buffer_.consume(i);
    skipped_ += i;
    if (skipped_ > options().max_header_bytes) {
      header_timer_.cancel();
      return reject(400, "400 bad request: more than " +
                             std::to_string(options().max_header_bytes) +
                             " bytes of empty lines before the request line");
    }
    if (buffered() != "\r") return read_header();
    read_more(&Session::skip_empty_lines);
  }

  // Reads more into the buffer for a step of the header's, then @p then.
  void read_more(void (Session::*then)()) {
    stream_.async_read_some(buffer_.prepare(kReadSize), [self = this->shared_from_this(), then](
                                                            error_code ec, std::size_t got) {
      if (self->state_ != State::reading) return;  // timed out, or closed
      if (ec) return self->on_header(ec);
      self->buffer_.commit(got);
      ((*self).*then)();
    });
  }

  // RFC 9112, 2.2: a bare LF may end a line (Go's net/http, nginx, Python
  // take it; Beast does not). A head with one is read here to its empty
  // line, each bare LF given its CR, then parsed.
  void read_lf_head() {
    head_stream_.bare_lf = true;  // read no more through head_stream_'s check
    if (put_crlf_head(buffer_, parser_->got_some())) return read_header();
    if (buffered().size() <= options().max_header_bytes) return read_more(&Session::read_lf_head);
    header_timer_.cancel();
    on_read_error(bhttp::error::header_limit);
  }

  void on_header(error_code ec) {
    if (state_ != State::reading) return;  // timed out, or closed
    if (ec == bhttp::error::bad_method && starts_with_empty_line(buffered())) {
      new_parser();
      return skip_empty_lines();
    }
    if (ec == bhttp::error::bad_line_ending && std::exchange(head_stream_.failed, false))
      return read_lf_head();
    if (ec == bhttp::error::bad_version && !minor_version_) return read_other_version();
    header_timer_.cancel();
    if (ec) return on_read_error(ec);
    state_ = State::answering;
    // Beast adds a chunked body's trailer fields to the message: those
    // after these are trailers.
    if (parser_->chunked()) header_fields_ = field_count(parser_->get());
    if (auto refusal = must_refuse(parser_->get(), parser_->chunked()))
      return reject(refusal->status, std::move(refusal->why));
    if (auto why = body_stream_.begin(parser_->chunked(), options().max_header_bytes, buffered()))
      return reject(400, "400 bad request: " + *why);
    if (parser_->is_done()) return dispatch();
    if (expects_continue(parser_->get())) {
      auto self = this->shared_from_this();
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue), [self](error_code e, std::size_t) {
        if (e) return self->close();
        self->read_body();
      });
    }
    read_body();
  }

  // Beast's parser knows HTTP/1.0 and 1.1 only. RFC 9110 2.5: a request
  // of a higher 1.x is read as the highest minor version the server has
  // (1.1; Request::version says which it was), and one of another major
  // version gets 505 (15.6.6), as Go's net/http answers.
  void read_other_version() {
    const auto v = request_line_version(buffered());
    if (v && v->major != 1) {
      header_timer_.cancel();
      return reject(505, "505 http version not supported: HTTP/" + std::to_string(v->major) + "." +
                             std::to_string(v->minor));
    }
    if (!v || v->minor < 2) {
      header_timer_.cancel();
      return on_read_error(bhttp::error::bad_version);
    }
    minor_version_ = v->minor;
    static_cast<char*>(buffer_.data().data())[v->minor_at] = '1';
    new_parser();
    read_header();
  }

  void read_body() {
    bhttp::async_read(body_stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        if (self->state_ != State::answering) return;
                        if (ec) return self->on_read_error(ec);
                        self->dispatch();
                      });
  }

  void on_header_timeout() {
    if (state_ != State::reading) return;
    const bool begun = buffer_.size() > 0 || parser_->got_some();
    state_ = State::answering;
    error_code ignored;
    socket().cancel(ignored);
    if (!begun) return close();  // an idle or silent connection: just closed
    reject(408, "408 request timeout: no whole header block in " +
                    std::to_string(options().header_timeout.count()) + " ms");
  }

  void on_read_error(error_code ec) {
    if (auto refusal = body_stream_.refusal()) return reject(refusal->status, refusal->why);
    auto refusal = refusal_of(ec, parser_->get(), buffered());
    if (!refusal) return close();  // the client went, or the socket failed
    reject(refusal->status, std::move(refusal->why));
  }

  // Answers a request that is not HTTP enough to answer, and closes.
  void reject(int status, std::string why) {
    state_ = State::answering;
    plan_ = plan_error(status, why + "\n");
    host_.bad_request(partial_request(), std::move(why));
    if (state_ != State::closed) write_piece(0);
  }

  // ---------------------------------------------------------- answering

  Request partial_request() {
    Request r;
    if (parser_ && parser_->is_header_done())
      r = request_of(parser_->get(), minor_version_, header_fields_);
    else if (parser_)
      r = request_begun(parser_->get(), buffered());
    r.peeraddr = info_.peeraddr;
    r.peerport = info_.peerport;
    r.connection = info_.id;
    return r;
  }

  void dispatch() {
    Request request = partial_request();
    auto& msg = parser_->get();
    request.body = std::move(msg.body());
    request.chunked = parser_->chunked();
    PlanContext context{request.version, msg.method() == bhttp::verb::head,
                        may_keep_alive(msg, msg.keep_alive())};
    Response response = host_.answer(request);
    if (state_ == State::closed) return;  // the handler closed it
    context.keep_alive = context.keep_alive && !host_.stopping();
    plan_ = plan_response(response, context);
    write_piece(0);
  }

  void write_piece(std::size_t i) {
    if (i == plan_.pieces.size()) return finish();
    auto self = this->shared_from_this();
    auto write = [self, i] {
      asio::async_write(self->stream_, asio::buffer(self->plan_.pieces[i].bytes),
                        [self, i](error_code ec, std::size_t) {
                          if (self->state_ == State::closed) return;
                          if (ec) return self->close();
                          self->write_piece(i + 1);
                        });
    };
    if (plan_.pieces[i].delay.count() <= 0) return write();
    timer_.expires_after(plan_.pieces[i].delay);
    timer_.async_wait([self, write](error_code ec) {
      if (!ec && self->state_ != State::closed) write();
    });
  }

  void finish() {
    switch (plan_.after) {
      case After::keep_alive:
        if (host_.stopping()) return close();  // idle now: shutdown closes those
        ++served_;
        return read_request();
      case After::close:
        // Stopping: the answer is out, and the connection as good as idle.
        if (host_.stopping()) return close();
        return linger();
      case After::reset:
        return reset();
      case After::hang:
        state_ = State::hanging;
        return drain();
    }
  }

  // ------------------------------------------------------------ closing

  // Our end of file now (over TLS after a close_notify, answered or not
  // within kCloseNotifyWait); the connection closes at the client's own
  // (or after kLingerForClient), what it still sends read and dropped.
  void linger() {
    arm_linger();
    if constexpr (kTls)
      close_notify();
    else
      linger_tcp();
  }

  // Closing: closed at kLingerForClient at the latest.
  void arm_linger() {
    state_ = State::closing;
    timer_.expires_after(kLingerForClient);
    timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
  }

  void close_notify() {
    auto self = this->shared_from_this();
    header_timer_.expires_after(kCloseNotifyWait);
    header_timer_.async_wait([self](error_code ec) {
      if (ec || self->state_ != State::closing || self->tcp_closing_) return;
      error_code ignored;
      self->socket().cancel(ignored);  // the shutdown below ends, aborted
    });
    stream_.async_shutdown([self](error_code) {
      if (self->state_ != State::closing) return;
      self->header_timer_.cancel();
      self->linger_tcp();
    });
  }

  void linger_tcp() {
    tcp_closing_ = true;
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    drain_socket();
  }

  // Reads and drops what comes on the socket itself (under TLS, records
  // after the close_notify) until the client's end of file (or an error).
  void drain_socket() {
    socket().async_read_some(asio::buffer(dropped_),
                             [self = this->shared_from_this()](error_code ec, std::size_t) {
                               if (self->state_ == State::closed) return;
                               if (ec) return self->close();
                               self->drain_socket();
                             });
  }

  // Reads and drops until the client's end of file (or an error).
  void drain() {
    stream_.async_read_some(asio::buffer(dropped_),
                            [self = this->shared_from_this()](error_code ec, std::size_t) {
                              if (self->state_ == State::closed) return;
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  void reset() {
    error_code ignored;
    socket().set_option(asio::socket_base::linger(true, 0), ignored);
    close();
  }

  Host& host_;
  Stream stream_;
  asio::steady_timer timer_;         // the plan's delays, the linger
  asio::steady_timer header_timer_;  // header_timeout
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // What the header is read through.
  HeadStream<Stream, bhttp::request_parser<bhttp::string_body>> head_stream_{stream_, buffer_,
                                                                             parser_};
  BodyStream<Stream> body_stream_{stream_, host_.options().header_timeout};  // the body's
  Plan plan_;
  std::array<char, 4096> dropped_;
  State state_ = State::reading;
  std::size_t served_ = 0;
  std::uint64_t requests_ = 0;  // requests begun, for the header timer
  std::size_t skipped_ = 0;     // bytes of empty lines before this request
  int minor_version_ = 0;       // of an HTTP/1.x above 1.1, read as 1.1
  bool tcp_closing_ = false;    // closing: the close_notify is behind
  // How many fields the header block had: those after them are trailers.
  std::size_t header_fields_ = 0;
};

}  // namespace

std::shared_ptr<Connection> make_connection(Host& host, tcp::socket socket, std::uint64_t id) {
  return std::make_shared<Session<tcp::socket>>(host, id, std::move(socket));
}

std::shared_ptr<Connection> make_tls_connection(Host& host, asio::ssl::context& context,
                                                tcp::socket socket, std::uint64_t id) {
  return std::make_shared<Session<asio::ssl::stream<tcp::socket>>>(host, id, std::move(socket),
                                                                   context);
}

}  // namespace trap::http::detail
