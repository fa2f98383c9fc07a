// SPDX-License-Identifier: BSL-1.0
// What the server checks of a chunked request body before Beast's parser
// reads it (RFC 9112, 7.1): each chunk-size line, each chunk's end and
// each trailer line ends in CRLF, not a bare LF (which Beast's parser
// takes for some, or waits past, where Go's net/http answers 400), and
// each chunk-size line is no longer than max_header_bytes; and the answer
// a request whose read failed gets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
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
  /// Chunk-size lines of up to @p max_line bytes (their CRLF left out).
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
  std::uint64_t left_ = 0;  // of the chunk's data
  std::uint64_t size_ = 0;  // the chunk size read so far
  std::size_t line_ = 0;    // bytes of the line so far, without its LF
  std::size_t digits_ = 0;  // of the chunk size
  bool in_digits_ = true;   // still in the chunk size's hex digits
  bool cr_ = false;         // the last byte was a CR
};

/// What a request's body is read through: the stream, except that a read
/// bringing a fault of `framing` (when set: the body is chunked) fails
/// with bad_chunk and says why in `why`.
template <class Stream>
struct BodyStream {
  using executor_type = typename Stream::executor_type;

  Stream& next;
  const boost::beast::flat_buffer& buffer;  // what a read of `next` goes after
  std::optional<ChunkFraming> framing;
  std::string why;

  executor_type get_executor() { return next.get_executor(); }

  /// For the body of the next request: a chunked body's framing followed
  /// from here, its chunk-size lines up to @p max_line bytes long, and
  /// what came of it already (@p buffered) looked at; @returns why it
  /// must get a 400, if so.
  std::optional<std::string> begin(bool chunked, std::size_t max_line, std::string_view buffered) {
    framing.reset();
    why.clear();
    if (!chunked) return std::nullopt;
    framing.emplace(max_line);
    return framing->look(buffered);
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    next.async_read_some(buffers, [this, h = std::forward<Handler>(handler)](
                                      boost::system::error_code ec, std::size_t n) mutable {
      if (!ec && framing) {
        // The bytes read follow those buffered: a flat buffer is one block.
        const char* got = static_cast<const char*>(buffer.data().data()) + buffer.size();
        if (auto fault = framing->look({got, n})) {
          why = std::move(*fault);
          ec = boost::beast::http::error::bad_chunk;
        }
      }
      h(ec, n);
    });
  }
};

}  // namespace trap::http::detail
