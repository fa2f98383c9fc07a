// SPDX-License-Identifier: BSL-1.0
// What the server checks of a chunked request body before Beast's parser
// reads it (RFC 9112, 7.1): each chunk-size line, each chunk's end and
// each trailer line ends in CRLF, not a bare LF (which Beast's parser
// takes for some, or waits past, where Go's net/http answers 400), and
// each chunk-size line, and the trailer, is no longer than
// max_header_bytes; that a body does not stop coming (header_timeout);
// and the answer a request whose read failed gets.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>

#include "http/request_head.hpp"

namespace trap::http::detail {

/// The answer a failed read of a request gets: 431, 413 or 400 with why
/// (as "400 bad request: bad version"); nullopt where the client went
/// (between requests, or mid-way) or the socket failed: just closed.
/// `head`: what the parser took of the header; `rest`: what it left.
std::optional<Refusal> refusal_of(boost::system::error_code ec,
                                  const boost::beast::http::request_header<>& head,
                                  std::string_view rest);

/// Follows the framing of a chunked body through its bytes, given in
/// order in any pieces, and finds the faults Beast's parser lets by. What
/// it cannot follow (a bad chunk size) it leaves to the parser.
class ChunkFraming {
 public:
  /// Chunk-size lines of up to @p max_line bytes (their CRLF left out),
  /// and a trailer of up to as many (its CRLFs and empty line counted).
  explicit ChunkFraming(std::size_t max_line) : max_line_(max_line) {}

  /// Looks at the next bytes of the body (bytes after its end are not
  /// looked at); @returns why the body must get a 400, the first time a
  /// fault is found.
  std::optional<std::string> look(std::string_view bytes);

 private:
  enum class State { size_line, data, data_end, trailer_line, done };
  std::optional<std::string> step(char c);
  std::optional<std::string> end_line();

  std::size_t max_line_;
  State state_ = State::size_line;
  std::uint64_t left_ = 0;   // of the chunk's data
  std::uint64_t size_ = 0;   // the chunk size read so far
  std::size_t line_ = 0;     // bytes of the line so far, without its LF
  std::size_t trailer_ = 0;  // bytes of the trailer so far
  std::size_t digits_ = 0;   // of the chunk size
  bool in_digits_ = true;    // still in the chunk size's hex digits
  bool cr_ = false;          // the last byte was a CR
};

/// What a request's body is read through: the stream, except that a read
/// bringing a fault of `framing` (when set: the body is chunked) fails
/// with bad_chunk, and a read that brings no byte in `timeout` is
/// cancelled and fails (operation_aborted); refusal() says why.
///
/// The timeout is on each read, not on the whole body: a body that stops
/// coming (a Content-Length body short of its length, a chunked body
/// without its last chunk) is refused once nothing came for that long,
/// while one that a client sends slowly but steadily (a throttled upload)
/// is read, its length being bounded by max_body_bytes anyway.
template <class Stream>
class BodyStream {
 public:
  using executor_type = typename Stream::executor_type;

  BodyStream(Stream& next, std::chrono::milliseconds timeout)
      : next_(next), timeout_(timeout), watch_(std::make_shared<Watch>(next.get_executor())) {}

  executor_type get_executor() { return next_.get_executor(); }

  /// For the body of the next request: a chunked body's framing followed
  /// from here, its chunk-size lines up to @p max_line bytes long, and
  /// what came of it already (@p buffered) looked at; @returns why it
  /// must get a 400, if so.
  std::optional<std::string> begin(bool chunked, std::size_t max_line, std::string_view buffered) {
    framing_.reset();
    why_.clear();
    watch_->timed_out = false;
    if (!chunked) return std::nullopt;
    framing_.emplace(max_line);
    return framing_->look(buffered);
  }

  /// Why a read of this body failed, when it was this stream's doing: a
  /// fault of its framing (400) or no byte in the timeout (408).
  std::optional<Refusal> refusal() const {
    if (!why_.empty()) return Refusal{400, "400 bad request: " + why_};
    if (watch_->timed_out)
      return Refusal{408, "408 request timeout: no byte of the body in " +
                              std::to_string(timeout_.count()) + " ms"};
    return std::nullopt;
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    arm();
    next_.async_read_some(buffers, [this, buffers, h = std::forward<Handler>(handler)](
                                       boost::system::error_code ec, std::size_t n) mutable {
      ++watch_->reads;  // the timer is no longer this read's
      watch_->timer.cancel();
      if (!ec) watch_->timed_out = false;  // the bytes came as the timer went off
      if (!ec && framing_ && look(buffers, n)) ec = boost::beast::http::error::bad_chunk;
      h(ec, n);
    });
  }

 private:
  // Shared with the timer's wait, which may run after this stream is gone
  // (its expiry queued as the read ended): it touches the stream only
  // while the read it was set for is pending, which keeps the stream's
  // owner alive.
  struct Watch {
    explicit Watch(const executor_type& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    std::uint64_t reads = 0;  // reads ended
    bool timed_out = false;
  };

  // Looks at the @p n bytes a read brought, in the buffers it was given
  // (in order, as many as it filled); @returns whether they have a fault.
  template <class Buffers>
  bool look(const Buffers& buffers, std::size_t n) {
    const auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); n > 0 && it != end; ++it) {
      const boost::asio::const_buffer piece(*it);
      const std::size_t size = std::min(n, piece.size());
      n -= size;
      if (auto fault = framing_->look({static_cast<const char*>(piece.data()), size})) {
        why_ = std::move(*fault);
        return true;
      }
    }
    return false;
  }

  // Cancels the read about to begin if no byte comes in timeout_.
  void arm() {
    watch_->timer.expires_after(timeout_);
    watch_->timer.async_wait(
        [watch = watch_, read = watch_->reads,
         socket = &boost::beast::get_lowest_layer(next_)](boost::system::error_code ec) {
          if (ec || read != watch->reads) return;
          watch->timed_out = true;
          boost::system::error_code ignored;
          socket->cancel(ignored);
        });
  }

  Stream& next_;
  std::chrono::milliseconds timeout_;
  std::optional<ChunkFraming> framing_;
  std::string why_;
  std::shared_ptr<Watch> watch_;
};

}  // namespace trap::http::detail
