// SPDX-License-Identifier: BSL-1.0
// What the server checks of a request's head around Beast's parser:
// empty lines to skip before it and line ends of a bare LF (RFC 9112,
// 2.2), the version of a line it
// refused, what it lets through that RFC 9112 refuses, an expectation of
// 100-continue, and the path and query of a target in origin or absolute
// form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>

#include <trap/http.hpp>

namespace trap::http::detail {

/// How many bytes of empty lines (CRLF, or a bare LF) `bytes` starts with.
std::size_t empty_lines_at_start(std::string_view bytes);

/// Whether `bytes` starts with an empty line, or with a CR that may be the
/// start of one (the last byte read so far).
bool starts_with_empty_line(std::string_view bytes);

/// Whether a line of the head at the start of `bytes`, of what came of it,
/// ends in an LF without its CR. @p begun: whether the parser took the
/// request line already (else empty lines first are skipped, as before a
/// request line).
bool head_has_bare_lf(std::string_view bytes, bool begun = false);

/// The head at the start of `bytes` with a CR put before each LF that
/// lacks one, up to and with its empty line (RFC 9112, 2.2: a recipient
/// may take a bare LF for a line's end); `taken`: how many bytes of
/// `bytes` it stands for; `complete`: whether its empty line came. Unless
/// @p begun (the parser took the request line), empty lines first are
/// not its end.
struct CrlfHead {
  std::string head;
  std::size_t taken = 0;
  bool complete = false;
};
CrlfHead crlf_head(std::string_view bytes, bool begun = false);

/// Puts crlf_head() of what `buffer` holds in place of the bytes it
/// stands for; @returns whether the head's empty line came.
bool put_crlf_head(boost::beast::flat_buffer& buffer, bool begun);

/// @p n, or the largest limit Beast's parser takes.
std::uint32_t limit_of(std::size_t n);

/// The request whose header `head` the parser took, without its body:
/// @p minor is the minor version of a later HTTP/1.x read as 1.1 (else 0);
/// the first @p fields fields are the header's, those after them a
/// chunked body's trailer.
Request request_of(const boost::beast::http::request_header<>& head, int minor, std::size_t fields);

/// How many fields `head` has (those after them, a chunked body's trailer).
std::size_t field_count(const boost::beast::http::request_header<>& head);

/// The request line of a request refused before its header was whole:
/// method, target (path, query) and version as the parser took them (it
/// takes a request line with the header's end), else as the line at the
/// start of `bytes` gives them if it looks like one (METHOD SP TARGET SP
/// VERSION, its method a token, no control characters), else none.
Request request_begun(const boost::beast::http::request_header<>& head, std::string_view bytes);

/// What a request's header is read through: the stream, except that the
/// read that brings a line of the head ended by a bare LF fails with
/// bad_line_ending (`bare_lf` and `failed` set, the bytes it read kept in
/// the buffer; the parser's own bad_line_ending leaves `failed` false),
/// so that the head is given the CRs Beast's parser wants (put_crlf_head)
/// before its parser, left as it was, reads on. (A head already in the
/// buffer is looked at before Beast's parser reads it.)
template <class Stream, class Parser>
struct HeadStream {
  using executor_type = typename Stream::executor_type;

  Stream& next;
  const boost::beast::flat_buffer& buffer;  // what a read of `next` goes after
  const std::optional<Parser>& parser;      // what reads the head
  bool bare_lf = false;                     // found (no read is looked at once it is)
  bool failed = false;                      // a read failed for it: the parser did not see it

  executor_type get_executor() { return next.get_executor(); }

  void reset() { bare_lf = failed = false; }  // for the next request

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    next.async_read_some(buffers, [this, h = std::forward<Handler>(handler)](
                                      boost::system::error_code ec, std::size_t n) mutable {
      if (!ec && !bare_lf) {
        // The bytes read follow those buffered: a flat buffer is one block.
        bare_lf =
            head_has_bare_lf({static_cast<const char*>(buffer.data().data()), buffer.size() + n},
                             parser && parser->got_some());
        failed = bare_lf;
        if (bare_lf) ec = boost::beast::http::error::bad_line_ending;
      }
      h(ec, n);
    });
  }
};

/// The HTTP-version that ends the request line at the start of `bytes`
/// (all of it, or all that came of it), and where its minor digit is.
struct LineVersion {
  int major = 0;
  int minor = 0;
  std::size_t minor_at = 0;
};

/// The version of the request line `bytes` starts with, if that line ends
/// in " HTTP/" DIGIT "." DIGIT; nullopt if it does not.
std::optional<LineVersion> request_line_version(std::string_view bytes);

/// An answer the server gives a request itself, and why ("400 bad
/// request: bad version").
struct Refusal {
  int status = 400;
  std::string why;
};

/// What a request whose header `head` Beast's parser took gets instead
/// of an answer, if anything: a 400 (RFC 9112) for a request-target in
/// none of the forms of 3.2 ("/path", an absolute URI, an authority for
/// CONNECT, "*" for OPTIONS), a Host with a byte no host or port has, an
/// HTTP/1.1 request without exactly one Host (3.2; CONNECT may have none),
/// chunked given more than once (7), or a Transfer-Encoding not ending in
/// chunked, whose body has no length to know (6.3; read on, it would be
/// taken for the next request); else a 417 for an Expect other than
/// 100-continue (RFC 9110, 10.1.1), in HTTP/1.0 too. Go's net/http refuses
/// each. `chunked`: whether the parser found it chunked.
std::optional<Refusal> must_refuse(const boost::beast::http::request_header<>& head, bool chunked);

/// Why Beast's parser refused a Transfer-Encoding field (bad_transfer_encoding)
/// of a header whose fields before it are in `head`; `rest`: the header
/// from that field on. Chunked given twice (RFC 9112, 7), a coding after
/// chunked (6.1), or Transfer-Encoding with Content-Length (6.3).
std::string transfer_encoding_refused(const boost::beast::http::request_header<>& head,
                                      std::string_view rest);

/// Whether the connection of `head` may stay open after its answer: it
/// asks for it (@p asked: the message's keep_alive()), and is not an HTTP/1.0 message with a
/// Transfer-Encoding, whose framing RFC 9112 (6.1) says is faulty.
bool may_keep_alive(const boost::beast::http::request_header<>& head, bool asked);

/// Whether `head` expects a 100 Continue (its Expect has the token). An
/// HTTP/1.0 client knows no interim answer: its expectation is ignored
/// (RFC 9110, 10.1.1), as Go's net/http does.
bool expects_continue(const boost::beast::http::request_header<>& head);

/// Sets `r.path` and `r.query` from `r.target`. An absolute-form target
/// (a client that takes the server for a proxy: "http://host/users?id=1",
/// which RFC 9112 says a server must accept) has them after its
/// authority: path "/users" ("/" if none), query "id=1".
void split_target(Request& r);

}  // namespace trap::http::detail
