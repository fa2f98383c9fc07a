// SPDX-License-Identifier: BSL-1.0
#include "http/request_body.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>

#include "http/request_head.hpp"

namespace trap::http::detail {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Refusal> refusal_of(boost::system::error_code ec,
                                  const boost::beast::http::request_header<>& head,
                                  std::string_view rest) {
  namespace bhttp = boost::beast::http;
  if (ec == bhttp::error::bad_transfer_encoding)
    return Refusal{400, "400 bad request: " + transfer_encoding_refused(head, rest)};
  if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::operation_aborted ||
      ec.category() != bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
      ec == bhttp::error::partial_message)
    return std::nullopt;
  if (ec == bhttp::error::header_limit)
    return Refusal{431, "431 request header fields too large: " + ec.message()};
  if (ec == bhttp::error::body_limit) return Refusal{413, "413 content too large: " + ec.message()};
  return Refusal{400, "400 bad request: " + ec.message()};
}

std::optional<std::string> ChunkFraming::look(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size() && state_ != State::done;) {
    if (state_ == State::data) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, bytes.size() - i));
      left_ -= n;
      i += n;
      if (left_ == 0) state_ = State::data_end;
      continue;
    }
    if (auto why = step(bytes[i++])) {
      state_ = State::done;
      return why;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ChunkFraming::step(char c) {
  // The trailer is a header section: held to max_header_bytes as it comes.
  if (state_ == State::trailer_line && ++trailer_ > max_line_)
    return "a chunked body's trailer longer than " + std::to_string(max_line_) +
           " bytes (max_header_bytes)";
  if (c == '\n') return end_line();
  ++line_;
  cr_ = c == '\r';
  if (state_ == State::size_line && line_ > max_line_ && !(cr_ && line_ == max_line_ + 1))
    return "a chunk-size line longer than " + std::to_string(max_line_) +
           " bytes (max_header_bytes)";
  if (state_ == State::size_line && in_digits_) {
    const int d = hex_digit(c);
    in_digits_ = d >= 0;
    if (in_digits_) {
      if (size_ >> 60 != 0) state_ = State::done;  // too big: the parser's to refuse
      size_ = size_ * 16 + static_cast<std::uint64_t>(d);
      ++digits_;
    }
  }
  // After a chunk's data comes its CRLF, or something the parser refuses.
  if (state_ == State::data_end && line_ > 1) state_ = State::done;
  return std::nullopt;
}

std::optional<std::string> ChunkFraming::end_line() {
  if (!cr_) {
    switch (state_) {
      case State::size_line:
        return "a chunk-size line ends in a bare LF, not CRLF (RFC 9112, 7.1)";
      case State::data_end:
        return "a chunk's data ends in a bare LF, not CRLF (RFC 9112, 7.1)";
      default:
        return "a line of a chunked body's trailer ends in a bare LF, not CRLF (RFC 9112, 7.1)";
    }
  }
  switch (state_) {
    case State::size_line:
      if (digits_ == 0)
        state_ = State::done;  // no chunk size: the parser's to refuse
      else
        state_ = size_ == 0 ? State::trailer_line : State::data;
      left_ = size_;
      break;
    case State::data_end:
      state_ = State::size_line;
      break;
    default:  // a trailer line; an empty one ends the body
      if (line_ == 1) state_ = State::done;
      break;
  }
  line_ = 0;
  size_ = 0;
  digits_ = 0;
  in_digits_ = true;
  cr_ = false;
  return std::nullopt;
}

}  // namespace trap::http::detail
