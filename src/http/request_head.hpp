// SPDX-License-Identifier: BSL-1.0
// What the server checks of a request's head around Beast's parser:
// empty lines to skip before it (RFC 9112, 2.2), the version of a line it
// refused, what it lets through that RFC 9112 refuses, an expectation of
// 100-continue, and the path and query of a target in origin or absolute
// form.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include <trap/http.hpp>

namespace trap::http::detail {

/// How many bytes of empty lines (CRLF, or a bare LF) `bytes` starts with.
std::size_t empty_lines_at_start(std::string_view bytes);

/// Whether `bytes` starts with an empty line, or with a CR that may be the
/// start of one (the last byte read so far).
bool starts_with_empty_line(std::string_view bytes);

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

/// Why a request whose header `head` Beast's parser took must get a 400
/// (RFC 9112): an HTTP/1.1 request without exactly one Host (3.2; CONNECT
/// may have none, as Go's net/http allows), or a
/// Transfer-Encoding not ending in chunked, whose body has no length to
/// know (6.3; read on, it would be taken for the next request). Go's
/// net/http refuses both. `chunked`: whether the parser found it chunked.
std::optional<std::string> must_refuse(const boost::beast::http::request_header<>& head,
                                       bool chunked);

/// Whether `head` expects a 100 Continue. An HTTP/1.0 client knows no
/// interim answer: its expectation is ignored (RFC 9110, 10.1.1), as Go's
/// net/http does.
bool expects_continue(const boost::beast::http::request_header<>& head);

/// Sets `r.path` and `r.query` from `r.target`. An absolute-form target
/// (a client that takes the server for a proxy: "http://host/users?id=1",
/// which RFC 9112 says a server must accept) has them after its
/// authority: path "/users" ("/" if none), query "id=1".
void split_target(Request& r);

}  // namespace trap::http::detail
